// Records listed per second through the device API (JSON) beside the same list rendered on the
// web (HTML), 10,000 records of the example app: the first page in the app's default order, 25
// rows (the web's page size) on both, and 200 rows (the device API's largest page); plus a full
// offline sync (changedSince=0, pages of 200) of all of them. Interleaved rounds, medians.
//
//   [TEST_DATABASE_URL=postgres://…] npx tsx test/bench/device-records-bench.ts [--rounds N] [--seconds S] [--records N]
//
// PostgreSQL (a database of its own) with TEST_DATABASE_URL, else PGlite. The load generator runs
// in a worker thread (the other core), the server in this thread.
import { serve } from "@hono/node-server";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { ManualClock } from "../../engine/clock.js";
import type { Db } from "../../engine/db/db.js";
import { migrate } from "../../engine/db/migrate.js";
import { openPgDb } from "../../engine/db/pg-db.js";
import { openPgliteDb } from "../../engine/db/pglite-db.js";
import { pgliteTemplate } from "../../engine/db/pglite-template.js";
import { silentLogger } from "../../engine/log.js";
import { createServices } from "../../engine/services.js";
import { createApp } from "../../engine/web/app.js";
import { TestClient, testConfig, TEST_SECRET_KEY } from "../helpers/app.js";
import { createDatabase } from "../helpers/db.js";
import { median } from "../helpers/server-process.js";
import { requestsPerSecond } from "./http-load.js";
import { sampleRecord } from "./inspections.js";

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const ROUNDS = arg("--rounds", 5);
const SECONDS = arg("--seconds", 3);
const RECORDS = arg("--records", 10_000);
const PASSWORD = "correct horse battery";
const APP = "equipment-inspections";

async function main() {
  const database = process.env.TEST_DATABASE_URL ? await createDatabase() : null;
  const db: Db = database
    ? openPgDb(database.url, silentLogger, 20)
    : await openPgliteDb({ loadDataDir: await pgliteTemplate() });
  let server: ReturnType<typeof serve> | null = null;
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
    const user = await services.users.create({
      siteId: site.id,
      username: "bench",
      password: PASSWORD,
      role: "admin",
      deviceAccess: true,
    });
    const compiled = (await services.apps.get(site.id, APP))!;
    const ctx = { siteId: site.id, actor: { id: null, name: "bench" } };
    for (let i = 0; i < RECORDS; i += 1000) {
      const batch = Array.from({ length: Math.min(1000, RECORDS - i) }, (_, j) => sampleRecord(i + j + 1));
      await services.records.createMany(compiled, ctx, batch);
    }
    const client = new TestClient(app);
    await client.signIn("bench", PASSWORD);
    const cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const token = `Bearer ${(await services.deviceTokens.issue(user.id, null)).token}`;

    server = serve({ fetch: app.fetch, port: 0 });
    await once(server, "listening");
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const web = `${base}/apps/${APP}`;
    const device = (limit: number) => `${base}/api/device/apps/${APP}/records?limit=${limit}`;

    // The same rows on both: the web's first page and the device API's, in the app's default order.
    const html = await (await fetch(web, { headers: { cookie } })).text();
    const json = (await (await fetch(device(25), { headers: { authorization: token } })).json()) as {
      records: { data: { serialNumber: string } }[];
    };
    const serials = json.records.map((r) => r.data.serialNumber);
    if (serials.length !== 25 || serials.some((s) => !html.includes(s))) {
      throw new Error("the web page and the device API page do not list the same records");
    }

    /** A full offline sync: changedSince=0, then each cursor, pages of 200; returns seconds. */
    async function fullSync(): Promise<number> {
      const started = performance.now();
      let cursor = "0";
      let count = 0;
      for (;;) {
        const r = await fetch(`${base}/api/device/apps/${APP}/records?changedSince=${cursor}&limit=200`, {
          headers: { authorization: token },
        });
        const page = (await r.json()) as { records: unknown[]; deleted: unknown[]; cursor: string };
        count += page.records.length;
        cursor = page.cursor;
        if (!page.records.length && !page.deleted.length) break;
      }
      if (count !== RECORDS) throw new Error(`the sync brought ${count} records, not ${RECORDS}`);
      return (performance.now() - started) / 1000;
    }

    for (const url of [web, device(25), device(200)]) await requestsPerSecond(url, cookie, 1, 16, token); // warm-up
    await fullSync();
    const rounds = { web: [] as number[], device25: [] as number[], device200: [] as number[], sync: [] as number[] };
    for (let round = 1; round <= ROUNDS; round++) {
      rounds.web.push(25 * (await requestsPerSecond(web, cookie, SECONDS)));
      rounds.device25.push(25 * (await requestsPerSecond(device(25), "", SECONDS, 16, token)));
      rounds.device200.push(200 * (await requestsPerSecond(device(200), "", SECONDS, 16, token)));
      rounds.sync.push(RECORDS / (await fullSync()));
      const r = rounds.device25.at(-1)! / rounds.web.at(-1)!;
      process.stderr.write(`round ${round} of ${ROUNDS}: device/web (25 rows) ${r.toFixed(2)}\n`);
    }
    const ratios = rounds.device25.map((d, i) => d / rounds.web[i]!);
    const rate = (xs: number[]) => `${median(xs).toFixed(0).padStart(7)} records/s`;
    console.log(
      `\n${RECORDS} records (${db.backend}), first page in the default order (-inspectedOn), 16 keep-alive connections, ` +
        `medians of ${ROUNDS} interleaved rounds of ${SECONDS} s`,
    );
    console.log(`  web list page, HTML, 25 rows                 ${rate(rounds.web)}`);
    console.log(`  device API list, JSON, 25 rows               ${rate(rounds.device25)}`);
    console.log(`  device API list, JSON, 200 rows              ${rate(rounds.device200)}`);
    console.log(`  device API full sync, changedSince, 200/page ${rate(rounds.sync)} (one client)`);
    console.log(
      `  ratio device / web at 25 rows                ${median(ratios).toFixed(2)} (rounds: ${ratios.map((x) => x.toFixed(2)).join(", ")})`,
    );
  } finally {
    server?.close();
    await db.close();
    await database?.drop();
  }
}

await main();
