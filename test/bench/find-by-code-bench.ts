// Find token by code over a big registry, and what it does to everyone else: how long
// GET /configure/mfa-hardware/find takes with TOKENS tokens, how long a GET /login sent while it runs
// waits, and the longest stretches the event loop was blocked meanwhile (a 1 ms timer's gaps: the
// longest and the 99th percentile; on a loaded machine the longest includes time the process was not scheduled).
// In-process (the test server on PGlite, or PostgreSQL with TEST_DATABASE_URL).
//
//   npx tsx test/bench/find-by-code-bench.ts [--tokens 20000]
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { startTestEnv, TestClient } from "../helpers/app.js";
import { base32For, chunksOf } from "../hardware/fixtures.js";

const args = process.argv.slice(2);
const i = args.indexOf("--tokens");
const TOKENS = i === -1 ? 20_000 : Number(args[i + 1]);
const PASSWORD = "correct horse battery";

const env = await startTestEnv();
const s = env.services;
const siteId = (await s.sites.publicSite()).id;
await s.users.create({ siteId, username: "root", password: PASSWORD, role: "admin" });
const csv = ["serial number,secret key,time interval"];
for (let n = 0; n < TOKENS; n++) csv.push(`BENCH-${String(n).padStart(6, "0")},${base32For(n)},30`);
let start = performance.now();
await s.hardware.importer.commit(chunksOf(csv.join("\n"), 65536), {
  fileName: "bench.csv",
  actor: { id: null, name: "bench" },
  siteId,
  skipBad: false,
});
console.log(`imported ${TOKENS} tokens in ${Math.round(performance.now() - start)} ms`);
const admin = new TestClient(env.app);
await admin.signIn("root", PASSWORD);

let lastTick = performance.now();
const gaps: number[] = [];
const probe = setInterval(() => {
  const now = performance.now();
  gaps.push(now - lastTick);
  lastTick = now;
}, 1);

start = performance.now();
const find = admin.get("/configure/mfa-hardware/find?code=000000").then((r) => {
  if (r.res.status !== 200) throw new Error(`find answered ${r.res.status}`);
  return performance.now() - start;
});
// The sign-in page, asked for 200 ms into the find: its wait counts from then (a blocked event loop
// runs the timer late).
const login = new Promise<number>((resolve, reject) =>
  setTimeout(() => {
    const sent = start + 200;
    Promise.resolve(env.app.request("/login"))
      .then((res) => {
        if (res.status !== 200) throw new Error(`login answered ${res.status}`);
        resolve(performance.now() - sent);
      })
      .catch(reject);
  }, 200),
);
const [findMs, loginMs] = await Promise.all([find, login]);
clearInterval(probe);
gaps.sort((a, b) => a - b);
const p99 = gaps[Math.floor(gaps.length * 0.99)] ?? 0;
console.log(
  `find over ${TOKENS} tokens: ${Math.round(findMs)} ms; GET /login sent meanwhile answered in ${Math.round(loginMs)} ms; ` +
    `event loop stalled at most ${Math.round(gaps.at(-1) ?? 0)} ms (99th percentile ${Math.round(p99)} ms; load ${loadavg()[0]!.toFixed(1)})`,
);
await env.close();
