// Benchmark of the form engine on PostgreSQL with 100,000 records of the example app: list page 1,
// page 1,000 by keyset (?after=) and searches, each as the median server time of the whole request
// (session, app lookup, query, rendering) through the Hono app in-process. The edit form's render
// ratio is test/bench/render-bench.ts.
//
//   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx test/bench/records-bench.ts [RECORDS]
//
// Not part of `npm test`: it prints numbers and asserts nothing.
import { ManualClock } from "../../engine/clock.js";
import { migrate } from "../../engine/db/migrate.js";
import { openPgDb } from "../../engine/db/pg-db.js";
import { createApp } from "../../engine/web/app.js";
import { silentLogger } from "../../engine/log.js";
import { createServices } from "../../engine/services.js";
import { TestClient, testConfig, TEST_SECRET_KEY } from "../helpers/app.js";
import { createDatabase } from "../helpers/db.js";
import { sampleRecord } from "./inspections.js";

const RECORDS = Number(process.argv[2] ?? 100_000);
const SAMPLES = 60;
const PASSWORD = "correct horse battery";
const APP = "/apps/equipment-inspections";

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

    const start = performance.now();
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
  } finally {
    await db.close();
    await database.drop();
  }
}

await main();
