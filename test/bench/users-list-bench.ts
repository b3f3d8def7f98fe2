// Benchmark of the users list (/configure/users) with 5,000 users on the embedded database
// (PGlite): the first page, the last page (?page=last) and a search, each with its total
// ("1–25 of 5,001"), timed as whole requests through the Hono app in-process (app.request():
// session, app lookup, the page query, the count, the MFA statuses of the page, HTML), no HTTP
// socket. Rounds are interleaved (first, last, search, first, …) so a busy machine slows all three
// alike; p50 and p99 per case over every round, and each round's p50, are printed with the load.
//
//   npm run bench -- users-list [--users 5000] [--rounds 3] [--samples 40]
//
// Not part of `npm test`: it prints numbers and asserts nothing (only that each answer is a 200
// showing the total). Target (issue 25): under 50 ms p50 each.
import { loadavg } from "node:os";
import { ManualClock } from "../../engine/clock.js";
import { silentLogger } from "../../engine/log.js";
import { createServices } from "../../engine/services.js";
import { createApp } from "../../engine/web/app.js";
import { TestClient, testConfig, TEST_SECRET_KEY } from "../helpers/app.js";
import { openTestDb } from "../helpers/db.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const USERS = arg("users", 5000);
const ROUNDS = arg("rounds", 3);
const SAMPLES = arg("samples", 40);
const PASSWORD = "correct horse battery";

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))]!;
};
const ms = (x: number) => `${x.toFixed(1)} ms`.padStart(9);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

async function main() {
  const db = await openTestDb();
  try {
    const clock = new ManualClock();
    clock.set("2026-06-01T09:00:00Z");
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
    const start = performance.now();
    // One statement: names like "user04711", display names with a department word to search for,
    // a third with MFA switched on (pending), so the status column has work to do.
    await db.query(
      `INSERT INTO users (site_id, username, display_name, email, created_at, updated_at)
       SELECT $1, 'user' || lpad(i::text, 5, '0'),
         (ARRAY['Ada', 'Bo', 'Cy', 'Di'])[1 + i % 4] || ' ' || (ARRAY['Sales', 'Finance', 'Ops', 'Lab', 'Field'])[1 + i % 5] || ' ' || i,
         'user' || i || '@example.com', $2, $2
       FROM generate_series(1, $3::int) AS i`,
      [site.id, clock.now(), USERS],
    );
    await db.query(
      `INSERT INTO mfa_settings (user_id, enabled, enforcement_delay_days, enabled_at, required_from, updated_at)
       SELECT id, true, 14, $2, $2::timestamptz + interval '14 days', $2 FROM users
       WHERE site_id = $1 AND username LIKE 'user%' AND right(username, 1) IN ('0', '3', '6')`,
      [site.id, clock.now()],
    );
    await db.query("ANALYZE");
    console.log(`${USERS.toLocaleString("en")} users ready in ${((performance.now() - start) / 1000).toFixed(1)} s`);

    const client = new TestClient(app);
    await client.signIn("bench", PASSWORD);
    const cases: [string, string][] = [
      ["first page", "/configure/users"],
      ["last page (?page=last)", "/configure/users?page=last"],
      ["search (?q=finance, 1 in 5)", "/configure/users?q=finance"],
    ];
    const times = new Map<string, number[]>(cases.map(([label]) => [label, []]));
    // CPU time of this process per request (PGlite runs in it, so the database's work is counted):
    // less sensitive to the machine's load than wall time.
    const cpu = new Map<string, number[]>(cases.map(([label]) => [label, []]));
    for (const [label, path] of cases) {
      const r = await client.get(path);
      const total = /<p class="list-range"[^>]*>([^<]+)</.exec(r.html)?.[1];
      if (r.res.status !== 200 || !total) throw new Error(`${path}: ${r.res.status}, no total`);
      console.log(`  ${label.padEnd(30)} shows "${total}"`);
      for (let i = 0; i < 5; i++) await (await client.request(path)).text(); // warm caches and JIT
    }
    console.log(`\nin-process app.request(), ${SAMPLES} samples per case per round, ${ROUNDS} rounds interleaved`);
    for (let round = 1; round <= ROUNDS; round++) {
      const mine = new Map<string, number[]>(cases.map(([label]) => [label, []]));
      for (let i = 0; i < SAMPLES; i++) {
        for (const [label, path] of cases) {
          const c0 = process.cpuUsage();
          const t0 = performance.now();
          const res = await client.request(path);
          await res.text();
          const t = performance.now() - t0;
          const c = process.cpuUsage(c0);
          mine.get(label)!.push(t);
          times.get(label)!.push(t);
          cpu.get(label)!.push((c.user + c.system) / 1000);
        }
      }
      console.log(
        `round ${round} (load ${load()}): ` +
          cases
            .map(([label]) => `${label.split(" (")[0]} p50 ${ms(quantile(mine.get(label)!, 0.5)).trim()}`)
            .join(", "),
      );
    }
    console.log(`\nover every round (load ${load()}):`);
    for (const [label] of cases) {
      const xs = times.get(label)!;
      const cs = cpu.get(label)!;
      console.log(
        `  ${label.padEnd(30)} p50 ${ms(quantile(xs, 0.5))}   p99 ${ms(quantile(xs, 0.99))}   CPU p50 ${ms(quantile(cs, 0.5))}`,
      );
    }
  } finally {
    await db.close();
  }
}

await main();
