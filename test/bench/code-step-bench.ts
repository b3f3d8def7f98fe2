// PostgreSQL's CPU per device sign-in step, one request at a time (issue 26): the password step
// (POST /api/device/login) and the TOTP step (POST /api/device/mfa) through the in-process app,
// beside the bare compare-and-set `UPDATE … RETURNING` the sign-in bench's bare route runs, sent on
// the same pool. CPU is the backends' user + system time from /proc (only this benchmark's
// database), so it is much less sensitive to other work on the machine than a throughput; the
// rounds are interleaved and the table shows medians. Also prints this process's CPU per step
// (the app, in-process; for the password step it includes Argon2id, which runs on libuv threads)
// and its main thread's alone.
//
//   TEST_DATABASE_URL=postgres://… npx tsx test/bench/code-step-bench.ts [--users 200] [--rounds 3]
import { randomBytes, randomUUID } from "node:crypto";
import { loadavg } from "node:os";

process.env.FORMGATE_TEST_BACKEND = "pg";
if (!process.env.TEST_DATABASE_URL) throw new Error("set TEST_DATABASE_URL");
const { startTestEnv } = await import("../helpers/app.js");
const { api } = await import("../device/client.js");
const { codeAt } = await import("../helpers/totp.js");
const { hashPassword } = await import("../../engine/auth/passwords.js");
const { mainThreadCpuMs, median, processCpuMs } = await import("../helpers/server-process.js");
import type { TotpParams } from "../../engine/mfa/totp.js";
import { clientBackendPids } from "./client-backends.js";
import { insertActivatedUsers } from "./seed-activated-users.js";

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const USERS = arg("--users", 200);
const ROUNDS = arg("--rounds", 3);
const PASSWORD = "correct horse battery staple";

const env = await startTestEnv();
const db = env.db;
const now = env.clock.now();
const site = (await env.services.sites.publicSite()).id;
const hash = await hashPassword(PASSWORD);
const box = env.services.secretBox;
const users: { id: string; username: string; p: TotpParams }[] = Array.from({ length: ROUNDS * USERS }, (_, i) => ({
  id: randomUUID(),
  username: `step-${i}`,
  p: { secret: randomBytes(20), algorithm: "SHA1", digits: 6, periodInSeconds: 30 },
}));
const ids = users.map((u) => u.id);
await insertActivatedUsers(
  db,
  box,
  site,
  hash,
  now,
  users.map((u) => ({ id: u.id, username: u.username, secret: u.p.secret })),
);
await db.query(
  `CREATE TABLE bench_cas (user_id uuid PRIMARY KEY, last_used_step bigint, drift_steps integer NOT NULL DEFAULT 0)`,
);
await db.query("INSERT INTO bench_cas (user_id) SELECT unnest($1::uuid[])", [ids]);

// --by-statement: PostgreSQL CPU per statement text (its opening), summed over every call (the
// backend's CPU read before and after each query; with one request at a time there is one backend busy).
const byStatement = new Map<string, { calls: number; ms: number }>();
if (args.includes("--by-statement")) {
  const query = db.query.bind(db);
  let pid: number | null = null;
  db.query = (async (text: string, params?: readonly unknown[]) => {
    pid ??= (await query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
    const before = processCpuMs(pid);
    const r = await query(text, params);
    const key = text.replace(/\s+/g, " ").slice(0, 80);
    const e = byStatement.get(key) ?? { calls: 0, ms: 0 };
    e.calls++;
    e.ms += processCpuMs(pid) - before;
    byStatement.set(key, e);
    return r;
  }) as typeof db.query;
}

interface Cpu {
  /** PostgreSQL's client backends. */
  pg: number;
  /** This whole process: the app and the requests' client, Argon2id's libuv pool threads included. */
  app: number;
  /** This process's main thread: the same without the pool (Argon2id) and V8's helper threads. */
  main: number;
}

/** Runs `one` for each item in turn: the CPU per item, in ms. */
async function measure<T>(items: T[], one: (item: T) => Promise<void>): Promise<Cpu> {
  const pids = await clientBackendPids(db);
  const pgBefore = pids.reduce((s, pid) => s + processCpuMs(pid), 0);
  const before = process.cpuUsage();
  const mainBefore = mainThreadCpuMs();
  for (const item of items) await one(item);
  const spent = process.cpuUsage(before);
  const main = mainThreadCpuMs() - mainBefore;
  const pgAfter = pids.reduce((s, pid) => s + processCpuMs(pid), 0);
  const n = items.length;
  return { pg: (pgAfter - pgBefore) / n, app: (spent.user + spent.system) / 1000 / n, main: main / n };
}

const results: Record<"password" | "totp" | "bare", { pg: number[]; app: number[]; main: number[] }> = {
  password: { pg: [], app: [], main: [] },
  totp: { pg: [], app: [], main: [] },
  bare: { pg: [], app: [], main: [] },
};
const keep = (name: keyof typeof results, r: Cpu) => {
  results[name].pg.push(r.pg);
  results[name].app.push(r.app);
  results[name].main.push(r.main);
};
process.stderr.write(
  `load average at the start ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}\n`,
);
for (let round = 0; round < ROUNDS; round++) {
  const batch = users.slice(round * USERS, (round + 1) * USERS);
  const challenges = new Map<string, string>();
  keep(
    "password",
    await measure(batch, async (u) => {
      const r = await api(env.app, "POST", "/api/device/login", { username: u.username, password: PASSWORD });
      if (r.status !== 200 || r.json.status !== "mfa_required") throw new Error(JSON.stringify(r.json));
      challenges.set(u.id, r.json.challenge as string);
    }),
  );
  const step = Math.floor(env.clock.now().getTime() / 30_000);
  const order = round % 2 ? ["bare", "totp"] : ["totp", "bare"];
  for (const what of order) {
    if (what === "totp")
      keep(
        "totp",
        await measure(batch, async (u) => {
          const r = await api(env.app, "POST", "/api/device/mfa", {
            challenge: challenges.get(u.id),
            code: codeAt(env.clock, u.p),
          });
          if (r.status !== 200) throw new Error(JSON.stringify(r.json));
        }),
      );
    else
      keep(
        "bare",
        await measure(batch, async (u) => {
          const r = await db.query(
            `UPDATE bench_cas SET last_used_step = $2, drift_steps = $3
             WHERE user_id = $1 AND (last_used_step IS NULL OR last_used_step < $2) RETURNING user_id`,
            [u.id, step, 0],
          );
          if (r.rowCount !== 1) throw new Error("the compare-and-set lost");
        }),
      );
  }
  process.stderr.write(
    `round ${round + 1}: PostgreSQL CPU per TOTP step ${results.totp.pg.at(-1)!.toFixed(3)} ms, ` +
      `bare ${results.bare.pg.at(-1)!.toFixed(3)} ms, password step ${results.password.pg.at(-1)!.toFixed(3)} ms\n`,
  );
}
const m = (xs: number[]) => median(xs).toFixed(3);
console.log(
  `load average at the end ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}; ${USERS} requests per measurement`,
);
console.log("| per request | PostgreSQL CPU (ms) | this process's CPU (ms) | … its main thread (ms) |");
console.log("|---|---|---|---|");
for (const [name, r] of Object.entries(results)) console.log(`| ${name} | ${m(r.pg)} | ${m(r.app)} | ${m(r.main)} |`);
const ratios = results.totp.pg.map((x, i) => x / results.bare.pg[i]!);
console.log(
  `PostgreSQL CPU, TOTP step / bare compare-and-set: ${(median(results.totp.pg) / median(results.bare.pg)).toFixed(2)}× ` +
    `(rounds ${ratios.map((r) => r.toFixed(2)).join(", ")})`,
);
// Whether PostgreSQL plans each prepared statement once (generic) or anew at every run (custom):
// the connection the steps ran on (one request at a time uses one pool connection).
const { rows: plans } = await db.query<{ statement: string; generic_plans: number; custom_plans: number }>(
  `SELECT regexp_replace(left(statement, 90), '\\s+', ' ', 'g') AS statement, generic_plans::int, custom_plans::int
   FROM pg_prepared_statements WHERE custom_plans + generic_plans > 10 ORDER BY custom_plans DESC`,
);
for (const p of plans) console.log(`plans: ${p.custom_plans} custom, ${p.generic_plans} generic  ${p.statement}`);
for (const [text, e] of byStatement)
  if (e.calls >= USERS) console.log(`${(e.ms / e.calls).toFixed(3)} ms per call, ${e.calls} calls  ${text}`);
await env.close();
