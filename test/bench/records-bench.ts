// Benchmark of the form engine on PostgreSQL with 100,000 records of the example app:
//   - list page 1, page 1,000 by keyset (?after=) and a search, each as the median server time
//     of the whole request (session, app lookup, query, rendering) through the Hono app in-process;
//   - rendering an edit form as requests per second over HTTP, beside a bare Hono route that
//     returns the same HTML from a constant (the ratio is the engine's overhead).
//
//   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx test/bench/records-bench.ts [RECORDS]
//
// The load generator runs in a worker thread (the other core); the server in this thread.
// Not part of `npm test`: it prints numbers and asserts nothing.
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { Worker } from "node:worker_threads";
import { ManualClock } from "../../engine/clock.js";
import { migrate } from "../../engine/db/migrate.js";
import { openPgDb } from "../../engine/db/pg-db.js";
import { createApp } from "../../engine/http/app.js";
import { silentLogger } from "../../engine/log.js";
import { RecordForm } from "../../engine/render/record-form.js";
import { RecordPage } from "../../engine/render/record-pages.js";
import { createServices } from "../../engine/services.js";
import { TestClient, testConfig, TEST_SECRET_KEY } from "../helpers/app.js";
import { createDatabase } from "../helpers/db.js";

const RECORDS = Number(process.argv[2] ?? 100_000);
const SAMPLES = 60;
const ROUNDS = 5;
const PASSWORD = "correct horse battery";
const APP = "/apps/equipment-inspections";

const WORDS = [
  "Drill press",
  "Lathe",
  "Band saw",
  "Compressor",
  "Forklift",
  "Welder",
  "Grinder",
  "Router",
  "Hoist",
  "Generator",
  "Pump",
  "Mixer",
  "Planer",
  "Jointer",
  "Sander",
  "Crane",
  "Boiler",
  "Chiller",
  "Extractor",
  "Conveyor",
  "Scissor lift",
  "Pallet jack",
  "Pressure washer",
  "Table saw",
  "Mitre saw",
  "Spindle moulder",
  "Dust collector",
  "Kiln",
  "Furnace",
  "Laser cutter",
  "Plasma cutter",
  "Press brake",
  "Shear",
  "Roller",
  "Bender",
  "Polisher",
  "Tapping machine",
  "Milling machine",
  "Boring machine",
  "Broaching machine",
];
const LOCATIONS = ["Workshop A", "Workshop B", "Yard", "Warehouse"];
const RESULTS = ["pass", "pass", "pass", "pass-with-notes", "fail"];

function sampleRecord(i: number): Record<string, unknown> {
  // A cheap deterministic spread of values (no Math.random: runs are comparable).
  const h = (i * 2654435761) >>> 0;
  const day = new Date(Date.UTC(2023, 0, 1) + (h % 1095) * 86_400_000).toISOString().slice(0, 10);
  const result = RESULTS[h % RESULTS.length]!;
  const r: Record<string, unknown> = {
    equipment: `${WORDS[h % WORDS.length]} ${1 + (h % 97)}`,
    serialNumber: `SN-${String(i).padStart(7, "0")}`,
    location: LOCATIONS[(h >>> 3) % LOCATIONS.length],
    inspectedOn: day,
    inspector: `inspector${h % 300}@example.org`,
    result,
    hoursInUse: h % 20_000,
    taggedOut: result === "fail",
    checklist: [
      { item: "Guards in place", ok: h % 7 !== 0 },
      { item: "Emergency stop works", ok: true },
    ],
  };
  if (result === "fail") r.failureReason = "Emergency stop sticks";
  return r;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const ms = (x: number) => `${x.toFixed(2)} ms`;

async function timeRequests(
  client: TestClient,
  path: string,
): Promise<{ median: number; p95: number; status: number }> {
  const times: number[] = [];
  let status = 0;
  for (let i = 0; i < SAMPLES + 5; i++) {
    const start = performance.now();
    const res = await client.request(path);
    await res.text();
    const t = performance.now() - start;
    status = res.status;
    if (i >= 5) times.push(t); // the first few warm caches and JIT
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { median: median(times), p95: sorted[Math.floor(sorted.length * 0.95)]!, status };
}

/** Requests per second against a URL for `seconds`, from a worker thread with keep-alive connections. */
async function load(url: string, cookie: string, seconds: number, connections = 16): Promise<number> {
  const worker = new Worker(
    `
    const { workerData, parentPort } = require("node:worker_threads");
    const http = require("node:http");
    const agent = new http.Agent({ keepAlive: true, maxSockets: workerData.connections });
    const end = Date.now() + workerData.seconds * 1000;
    let done = 0, failed = 0;
    function one() {
      return new Promise((resolve) => {
        const req = http.get(workerData.url, { agent, headers: { cookie: workerData.cookie } }, (res) => {
          if (res.statusCode !== 200) failed++;
          res.resume();
          res.on("end", resolve);
        });
        req.on("error", () => { failed++; resolve(); });
      });
    }
    async function loop() { while (Date.now() < end) { await one(); done++; } }
    Promise.all(Array.from({ length: workerData.connections }, loop)).then(() => {
      parentPort.postMessage({ done, failed });
      agent.destroy();
    });
    `,
    { eval: true, workerData: { url, cookie, seconds, connections } },
  );
  const [result] = (await once(worker, "message")) as [{ done: number; failed: number }];
  await worker.terminate();
  if (result.failed) throw new Error(`${result.failed} requests to ${url} failed`);
  return result.done / seconds;
}

async function main() {
  const database = await createDatabase();
  const db = openPgDb(database.url, silentLogger, 20);
  try {
    await migrate(db);
    const clock = new ManualClock();
    const services = createServices(
      db,
      clock,
      testConfig({ LOG_LEVEL: "silent" }),
      silentLogger,
      Buffer.from(TEST_SECRET_KEY, "base64"),
    );
    const app = createApp(services);
    const site = await services.sites.publicSite();
    await services.users.create({ siteId: site.id, username: "bench", password: PASSWORD, role: "admin" });
    const compiled = (await services.apps.get(site.id, "equipment-inspections"))!;
    const ctx = { siteId: site.id, actor: { id: null, name: "bench" } };

    let start = performance.now();
    for (let i = 0; i < RECORDS; i += 2000) {
      const batch = Array.from({ length: Math.min(2000, RECORDS - i) }, (_, j) => sampleRecord(i + j));
      await services.records.createMany(compiled, ctx, batch);
    }
    await db.query("VACUUM ANALYZE records");
    await db.query("VACUUM ANALYZE record_sort_keys");
    console.log(
      `filled ${RECORDS.toLocaleString("en")} records in ${((performance.now() - start) / 1000).toFixed(1)} s`,
    );

    const client = new TestClient(app);
    await client.signIn("bench", PASSWORD);

    // Page 1,000 (25 rows a page) starts after row 24,975 of the default order (-inspectedOn).
    const pageSize = compiled.list.pageSize;
    const pageNo = Math.min(1000, Math.floor(RECORDS / pageSize));
    const { rows } = await db.query<{ key: unknown; record_id: string }>(
      `SELECT key, record_id FROM record_sort_keys WHERE site_id = $1 AND app_id = $2 AND field = 'inspectedOn'
       ORDER BY key DESC, record_id DESC OFFSET $3 LIMIT 1`,
      [site.id, compiled.id, (pageNo - 1) * pageSize - 1],
    );
    const after = Buffer.from(JSON.stringify([rows[0]!.key, rows[0]!.record_id])).toString("base64url");

    const cases: [string, string][] = [
      ["list page 1 (sorted by inspection date)", APP],
      [`list page ${pageNo.toLocaleString("en")} by keyset (?after=)`, `${APP}?after=${after}`],
      ["list page 1 sorted by another column", `${APP}?sort=equipment`],
      ["search (?q=compressor, ~2.5% of rows)", `${APP}?q=compressor`],
      ["search, two words (?q=compressor+12)", `${APP}?q=compressor+12`],
      ["search, rare (?q=SN-0099)", `${APP}?q=SN-0099`],
      ["search, broad (?q=example, every row)", `${APP}?q=example`],
    ];
    console.log(`\nmedian server time over ${SAMPLES} requests (whole request in-process: session, app, query, HTML)`);
    for (const [label, path] of cases) {
      const r = await timeRequests(client, path);
      if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
      console.log(`  ${label.padEnd(46)} median ${ms(r.median).padStart(9)}   p95 ${ms(r.p95).padStart(9)}`);
    }

    // Rendering an edit form: the engine's route against a constant of the same HTML.
    const id = (await services.records.list(compiled, ctx, { sort: compiled.list.sort, limit: 1 })).rows[0]!.id;
    const formPath = `${APP}/${id}`;
    const res = await client.request(formPath);
    const html = await res.text();
    const cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const bare = new Hono();
    bare.get("/", (c) => c.html(html));
    // The rendering alone: the same page from the compiled app and the record, no session or database.
    const record = (await services.records.get(compiled, ctx, id))!;
    const csrfToken = client.csrf;
    const renderOnly = new Hono();
    renderOnly.get("/", (c) =>
      c.html(
        String(
          RecordPage({
            frame: { csrfToken, user: { username: "bench", displayName: "bench", role: "admin" }, siteName: site.name },
            title: String(record.values.serialNumber),
            backUrl: APP,
            backLabel: compiled.title,
            children: RecordForm({
              sections: compiled.sections,
              values: record.values,
              errors: {},
              mode: "edit",
              action: formPath,
              csrfToken,
              version: record.version,
              checkUrl: `${formPath}/check`,
              deleteUrl: `${formPath}/delete`,
              cancelUrl: APP,
            }),
          }),
        ),
      ),
    );
    const servers = [app, renderOnly, bare].map((a) => serve({ fetch: a.fetch, port: 0 }));
    await Promise.all(servers.map((srv) => once(srv, "listening")));
    const [engineUrl, renderUrl, bareUrl] = servers.map(
      (srv, i) => `http://127.0.0.1:${(srv.address() as AddressInfo).port}${i === 0 ? formPath : "/"}`,
    ) as [string, string, string];
    const rendered = await (await fetch(renderUrl)).text();
    if (rendered !== html) console.log("  (note: the render-only page differs from the engine's page)");
    // Warm each, then measure in interleaved rounds (other work on the machine comes and goes) and take medians.
    for (const url of [engineUrl, renderUrl, bareUrl]) await load(url, cookie, 1);
    const rounds: { engine: number[]; render: number[]; bare: number[] } = { engine: [], render: [], bare: [] };
    for (let round = 0; round < ROUNDS; round++) {
      rounds.render.push(await load(renderUrl, cookie, 3));
      rounds.bare.push(await load(bareUrl, cookie, 3));
      rounds.engine.push(await load(engineUrl, cookie, 3));
    }
    const engineRps = median(rounds.engine);
    const renderRps = median(rounds.render);
    const bareRps = median(rounds.bare);
    console.log(
      `\nedit form (${(html.length / 1024).toFixed(1)} KiB of HTML) over HTTP, 16 keep-alive connections, median of ${ROUNDS} rounds of 3 s`,
    );
    console.log(`  rendering it (definition + record -> HTML)   ${renderRps.toFixed(0).padStart(7)} requests/s`);
    console.log(`  whole engine route (session, app, record)     ${engineRps.toFixed(0).padStart(7)} requests/s`);
    console.log(`  bare Hono route, the same HTML as a constant  ${bareRps.toFixed(0).padStart(7)} requests/s`);
    console.log(`  ratio rendering / constant                    ${(renderRps / bareRps).toFixed(2)}`);
    console.log(`  ratio whole route / constant                  ${(engineRps / bareRps).toFixed(2)}`);
    for (const srv of servers) srv.close();
  } finally {
    await db.close();
    await database.drop();
  }
}

await main();
