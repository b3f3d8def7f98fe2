// Benchmark: an MFA rollout to 100,000 users on PostgreSQL (every user switched on, one mfa.enable
// audit entry each, set-based batches each in its own transaction), with batches of 500, 2,000 and
// 5,000 (the default), in interleaved rounds; medians of the rounds. The machine is shared: compare
// variants within one run, not across runs.
//
//   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx test/bench/rollout-bench.ts [USERS] [ROUNDS]
//
// Each rollout runs in a child process of its own, so its peak memory (maxRSS) is the rollout's
// alone. Between rounds the users are switched off again (mfa_settings, audit and rollouts emptied).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ManualClock } from "../../engine/clock.js";
import { migrate } from "../../engine/db/migrate.js";
import { openPgDb } from "../../engine/db/pg-db.js";
import { silentLogger } from "../../engine/log.js";
import { createServices } from "../../engine/services.js";
import { TEST_SECRET_KEY, testConfig } from "../helpers/app.js";
import { createDatabase } from "../helpers/db.js";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function child(url: string, batchSize: number): Promise<void> {
  const db = openPgDb(url);
  const s = createServices(db, new ManualClock(), testConfig(), silentLogger, Buffer.from(TEST_SECRET_KEY, "base64"));
  const site = await s.sites.publicSite();
  const start = performance.now();
  const r = await s.rollouts.apply(
    { siteId: site.id, role: "user" },
    { enforcementDelayDays: 14, moveDeadlines: false },
    { id: null, name: "bench", siteId: null },
    { batchSize },
  );
  const ms = performance.now() - start;
  await db.close();
  process.stdout.write(JSON.stringify({ ms, enabled: r.enabled, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
}

async function main(): Promise<void> {
  const users = Number(process.argv[2] ?? 100_000);
  const rounds = Number(process.argv[3] ?? 3);
  if (!process.env.TEST_DATABASE_URL) {
    console.log("rollout-bench: set TEST_DATABASE_URL (a PostgreSQL server it may create a database on)");
    return;
  }
  const database = await createDatabase();
  const db = openPgDb(database.url);
  try {
    await migrate(db);
    const t0 = performance.now();
    await db.query(
      `INSERT INTO users (site_id, username, display_name, email, role, created_at, updated_at)
       SELECT (SELECT id FROM sites WHERE is_public), 'u' || i, 'User ' || i, 'u' || i || '@example.org', 'user', now(), now()
       FROM generate_series(1, $1) AS i`,
      [users],
    );
    await db.query("ANALYZE");
    console.log(`${users} users inserted in ${Math.round(performance.now() - t0)} ms`);
    const variants = [500, 2000, 5000];
    const results = new Map<number, { ms: number[]; rss: number[] }>(variants.map((v) => [v, { ms: [], rss: [] }]));
    for (let round = 0; round < rounds; round++) {
      for (const batch of round % 2 ? [...variants].reverse() : variants) {
        await db.query("TRUNCATE mfa_settings, audit_log, mfa_rollouts");
        await db.query("VACUUM ANALYZE mfa_settings");
        const r = spawnSync(
          process.execPath,
          ["--import", "tsx", fileURLToPath(import.meta.url), "--child", database.url, String(batch)],
          { encoding: "utf8" },
        );
        if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
        const out = JSON.parse(r.stdout) as { ms: number; enabled: number; maxRssMb: number };
        if (out.enabled !== users) throw new Error(`switched on ${out.enabled} of ${users}`);
        results.get(batch)!.ms.push(out.ms);
        results.get(batch)!.rss.push(out.maxRssMb);
        console.log(
          `round ${round + 1}, batches of ${batch}: ${Math.round(out.ms)} ms, peak RSS ${Math.round(out.maxRssMb)} MB`,
        );
      }
    }
    console.log(`\nMFA rollout of ${users} users on PostgreSQL, medians of ${rounds} rounds:`);
    for (const [batch, r] of results) {
      const ms = median(r.ms);
      console.log(
        `  batches of ${String(batch).padStart(4)}: ${(ms / 1000).toFixed(2)} s, ${Math.round(users / (ms / 1000))} users/s, ` +
          `peak RSS ${Math.round(median(r.rss))} MB`,
      );
    }
  } finally {
    await db.close();
    await database.drop();
  }
}

if (process.argv[2] === "--child") await child(process.argv[3]!, Number(process.argv[4]));
else await main();
