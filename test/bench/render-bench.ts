// The render ratio: an edit form of the example app (two checklist rows) over HTTP, rendered from
// the compiled definition and the record, beside a bare Hono route returning the same HTML as a
// constant; and the whole engine route (session, app version, site and record from the database).
// Interleaved rounds (other work on the machine comes and goes), medians.
//
//   [TEST_DATABASE_URL=postgres://…] npx tsx test/bench/render-bench.ts [--rounds N] [--seconds S]
//
// PostgreSQL (a database of its own) with TEST_DATABASE_URL, else PGlite. The load generator runs
// in a worker thread (the other core), the three servers in this thread.
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { ManualClock } from "../../engine/clock.js";
import type { Db } from "../../engine/db/db.js";
import { migrate } from "../../engine/db/migrate.js";
import { openPgDb } from "../../engine/db/pg-db.js";
import { openPgliteDb } from "../../engine/db/pglite-db.js";
import { pgliteTemplate } from "../../engine/db/pglite-template.js";
import { createApp } from "../../engine/web/app.js";
import { silentLogger } from "../../engine/log.js";
import { RecordForm } from "../../engine/render/record-form.js";
import { RecordPage } from "../../engine/render/record-pages.js";
import { createServices } from "../../engine/services.js";
import { withPageTop } from "../../engine/web/http/page.js";
import { TestClient, testConfig, TEST_SECRET_KEY } from "../helpers/app.js";
import { createDatabase } from "../helpers/db.js";
import { mainThreadCpuMs, median } from "../helpers/server-process.js";
import { requestsPerSecond } from "./http-load.js";
import { sampleRecord } from "./inspections.js";

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const ROUNDS = arg("--rounds", 5);
const SECONDS = arg("--seconds", 3);
const PASSWORD = "correct horse battery";
const APP = "/apps/equipment-inspections";

async function main() {
  const database = process.env.TEST_DATABASE_URL ? await createDatabase() : null;
  const db: Db = database
    ? openPgDb(database.url, silentLogger, 20)
    : await openPgliteDb({ loadDataDir: await pgliteTemplate() });
  const servers: ReturnType<typeof serve>[] = [];
  try {
    await migrate(db);
    const services = createServices(
      db,
      new ManualClock(),
      testConfig({ LOG_LEVEL: "silent" }),
      silentLogger,
      Buffer.from(TEST_SECRET_KEY, "base64"),
    );
    const app = createApp(services);
    const site = await services.sites.publicSite();
    await services.users.create({ siteId: site.id, username: "bench", password: PASSWORD, role: "admin" });
    const compiled = (await services.apps.get(site.id, "equipment-inspections"))!;
    const ctx = { siteId: site.id, actor: { id: null, name: "bench" } };
    const [record] = await services.records.createMany(compiled, ctx, [sampleRecord(1)]);
    const client = new TestClient(app);
    await client.signIn("bench", PASSWORD);

    const formPath = `${APP}/${record!.id}`;
    const res = await client.request(formPath);
    if (res.status !== 200) throw new Error(`${formPath}: ${res.status}`);
    const html = await res.text();
    const cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const bare = new Hono();
    bare.get("/", (c) => c.html(html));
    // The rendering alone: the same page from the compiled app and the record, no session or database.
    // The shared top (message region, and for this user no banner or Configure navigation) is the
    // engine's own, from the facts the engine gathers per request with queries, known here.
    const stored = (await services.records.get(compiled, ctx, record!.id))!;
    // The page's own token (signed for the signed-in user; the client's may be the sign-in page's).
    const csrfToken = /<meta name="csrf-token" content="([^"]+)"/.exec(html)![1]!;
    const extras = { flash: null, mfaDaysLeft: null, nav: null };
    const renderOnly = new Hono();
    renderOnly.get("/", (c) =>
      c.html(
        withPageTop(
          String(
            RecordPage({
              frame: {
                csrfToken,
                user: { username: "bench", displayName: "bench", role: "admin" },
                siteName: site.name,
              },
              title: String(stored.values.serialNumber),
              backUrl: APP,
              backLabel: compiled.title,
              children: RecordForm({
                sections: compiled.sections,
                values: stored.values,
                errors: {},
                mode: "edit",
                action: formPath,
                csrfToken,
                version: stored.version,
                checkUrl: `${formPath}/check`,
                deleteUrl: `${formPath}/delete`,
                cancelUrl: APP,
              }),
            }),
          ),
          extras,
          csrfToken,
        ),
      ),
    );
    for (const a of [app, renderOnly, bare]) servers.push(serve({ fetch: a.fetch, port: 0 }));
    await Promise.all(servers.map((srv) => once(srv, "listening")));
    const [engineUrl, renderUrl, bareUrl] = servers.map(
      (srv, i) => `http://127.0.0.1:${(srv.address() as AddressInfo).port}${i === 0 ? formPath : "/"}`,
    ) as [string, string, string];
    const rendered = await (await fetch(renderUrl)).text();
    if (rendered !== html) throw new Error("the render-only page differs from the engine's page: not the same work");

    for (const url of [engineUrl, renderUrl, bareUrl]) await requestsPerSecond(url, cookie, 1); // warm-up
    const rounds = { engine: [] as number[], render: [] as number[], bare: [] as number[] };
    // The servers' CPU per request: this thread's (the load generator runs in a worker), in µs.
    const cpu = { engine: [] as number[], render: [] as number[], bare: [] as number[] };
    const measure = async (what: keyof typeof rounds, url: string) => {
      const before = mainThreadCpuMs();
      const rps = await requestsPerSecond(url, cookie, SECONDS);
      rounds[what].push(rps);
      cpu[what].push(((mainThreadCpuMs() - before) * 1000) / (rps * SECONDS));
    };
    for (let round = 1; round <= ROUNDS; round++) {
      await measure("render", renderUrl);
      await measure("bare", bareUrl);
      await measure("engine", engineUrl);
      const r = rounds.render.at(-1)! / rounds.bare.at(-1)!;
      process.stderr.write(`round ${round} of ${ROUNDS}: render/constant ${r.toFixed(2)}\n`);
    }
    const [engineRps, renderRps, bareRps] = [rounds.engine, rounds.render, rounds.bare].map(median) as [
      number,
      number,
      number,
    ];
    // Each round's ratio pairs measurements taken seconds apart; their median cancels load that comes and goes.
    const renderRatios = rounds.render.map((r, i) => r / rounds.bare[i]!);
    const engineRatios = rounds.engine.map((r, i) => r / rounds.bare[i]!);
    const list = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(", ");
    console.log(
      `\nedit form (${(html.length / 1024).toFixed(1)} KiB of HTML, ${db.backend}) over HTTP, 16 keep-alive connections, medians of ${ROUNDS} interleaved rounds of ${SECONDS} s`,
    );
    console.log(`  rendering it (definition + record -> HTML)   ${renderRps.toFixed(0).padStart(7)} requests/s`);
    console.log(`  whole engine route (session, app, record)     ${engineRps.toFixed(0).padStart(7)} requests/s`);
    console.log(`  bare Hono route, the same HTML as a constant  ${bareRps.toFixed(0).padStart(7)} requests/s`);
    console.log(
      `  ratio rendering / constant                    ${median(renderRatios).toFixed(2)} (rounds: ${list(renderRatios)})`,
    );
    console.log(
      `  ratio whole route / constant                  ${median(engineRatios).toFixed(2)} (rounds: ${list(engineRatios)})`,
    );
    const us = (xs: number[]) => `${median(xs).toFixed(0)} µs`;
    console.log(
      `  server CPU per request (this thread): rendering ${us(cpu.render)}, constant ${us(cpu.bare)}, ` +
        `whole route ${us(cpu.engine)}; CPU ratio constant / rendering ${(median(cpu.bare) / median(cpu.render)).toFixed(2)}`,
    );
    console.log("  (ratio: the median of the rounds' ratios; CPU: medians of the rounds)");
  } finally {
    for (const srv of servers) srv.close();
    await db.close();
    await database?.drop();
  }
}

await main();
