// Sign-in benchmark on PostgreSQL: password + TOTP for distinct users (each code used once),
//   - through the device API (POST /api/device/login, POST /api/device/mfa) and through the web
//     forms (GET /login, POST /login, GET /login/mfa, POST /login/mfa): sign-ins per second, p50
//     and p99 of a whole sign-in, the server's CPU per sign-in and the share of it that is Argon2id
//     (the CPU of the server's libuv pool threads, where @node-rs/argon2 verifies: threadPoolCpuMs;
//     a verification timed alone in this process is printed beside it, and under load costs less);
//   - the TOTP step alone (POST /api/device/mfa, challenges fetched beforehand) beside a bare Hono
//     route running the same compare-and-set `UPDATE … RETURNING` on a pool of the same size
//     (test/bench/servers/cas-route.mjs);
//   - PostgreSQL's CPU per sign-in: the CPU time of the client backends connected to the
//     benchmark's database, from /proc, over the measurement (other databases' backends are not
//     counted, nor are PostgreSQL's background writers and autovacuum workers: the database is
//     vacuumed between rounds);
//   - the TOTP step on an instance with /metrics on (METRICS_TOKEN set: prom-client counts every
//     request, sign-in and code) beside a twin instance with metrics off, both started together and
//     used alike (the instance that serves the other measurements is not comparable: with metrics
//     off on both it measured 0.78 of it), the order alternating by round: their throughput ratio;
//   - two instances behind nginx (/usr/sbin/nginx, started with a temporary configuration)
//     beside one instance behind the same nginx: device sign-ins per second and their ratio.
// The server is the built one (`node bin/start.js`, LOG_LEVEL=warn) in a process of its own, the
// bare route another, the load generator this process: N concurrent clients on keep-alive
// connections. Every round runs each measurement once (interleaved); the table shows medians.
//
//   TEST_DATABASE_URL=postgres://… npx tsx test/bench/sign-in-bench.ts [--users 2000] [--rounds 3] [--clients 16] [--cpu-prof DIR]
//
// Users are made directly in the database (one Argon2id hash for all, a TOTP secret of their own
// each, sealed as the engine seals it): ROUNDS × 5 × USERS of them, in a database of its own.
import { randomBytes, randomUUID } from "node:crypto";
import { Agent, request } from "node:http";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { migrate } from "../../engine/db/migrate.js";
import { openPgDb } from "../../engine/db/pg-db.js";
import { hashPassword, verifyPassword } from "../../engine/auth/passwords.js";
import { silentLogger } from "../../engine/log.js";
import { SecretBox } from "../../engine/mfa/secret-box.js";
import { generateTotp, totpStep, type TotpParams } from "../../engine/mfa/totp.js";
import { createDatabase } from "../helpers/db.js";
import { clientBackendPids } from "./client-backends.js";
import { insertActivatedUsers } from "./seed-activated-users.js";
import {
  median,
  processCpuMs,
  startServer,
  stopServer,
  threadIds,
  threadPoolCpuMs,
} from "../helpers/server-process.js";
import { existsSync } from "node:fs";
import { NGINX, startNginx, type Proxy } from "./servers/nginx.js";

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const USERS = arg("--users", 2000);
const ROUNDS = arg("--rounds", 3);
const CLIENTS = arg("--clients", 16);
// --cpu-prof DIR: the engine processes write a V8 CPU profile there when they stop
// (open one in the Performance panel of Chromium's DevTools to see where the time went).
const profileDir = args.includes("--cpu-prof") ? args[args.indexOf("--cpu-prof") + 1] : undefined;
const profile = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
/** openDb's pool size for DATABASE_URL (engine/db/pg-db.ts); the bare route gets the same. */
const POOL_SIZE = 10;
/** Passes over the warm-up users (CLIENTS × 4) through the bare route before the rounds. */
const BARE_WARM_PASSES = 100;
const PASSWORD = "correct horse battery staple";
const KEY = randomBytes(32);
const root = fileURLToPath(new URL("../../", import.meta.url));

interface BenchUser {
  id: string;
  username: string;
  totp: TotpParams;
}

const codeNow = (u: BenchUser) => generateTotp(u.totp, totpStep(new Date(), u.totp.periodInSeconds));

/** Users with web and device access, MFA on and activated with an authenticator app; none signed in yet. */
async function makeUsers(db: ReturnType<typeof openPgDb>, prefix: string, count: number): Promise<BenchUser[]> {
  const hash = await hashPassword(PASSWORD);
  const box = new SecretBox(KEY);
  const { rows } = await db.query<{ id: string }>("SELECT id FROM sites WHERE is_public");
  const site = rows[0]!.id;
  const users: BenchUser[] = Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    username: `${prefix}-${i}`,
    totp: { secret: randomBytes(20), algorithm: "SHA1", digits: 6, periodInSeconds: 30 },
  }));
  const now = new Date();
  for (let i = 0; i < users.length; i += 1000) {
    const batch = users.slice(i, i + 1000);
    await insertActivatedUsers(
      db,
      box,
      site,
      hash,
      now,
      batch.map((u) => ({ id: u.id, username: u.username, secret: u.totp.secret })),
    );
  }
  return users;
}

// ---- HTTP client: keep-alive connections, one per concurrent client ----

interface Answer {
  status: number;
  body: string;
  cookies: Map<string, string>;
}

function makeClient(port: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const origin = `http://127.0.0.1:${port}`;
  return function send(
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
    retried = false,
  ): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      // A form post carries the Origin a browser sends (the CSRF check compares it with this site's).
      const sent: Record<string, string> = method === "POST" ? { origin, ...headers } : { ...headers };
      // A declared length, as browsers and mobile HTTP clients send a small body (not chunked).
      if (body !== undefined) sent["content-length"] = String(Buffer.byteLength(body));
      const req = request({ host: "127.0.0.1", port, method, path, agent, headers: sent }, (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (data += d));
        res.on("end", () => {
          const cookies = new Map<string, string>();
          for (const line of res.headers["set-cookie"] ?? []) {
            const [pair] = line.split(";");
            const eq = pair!.indexOf("=");
            cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
          }
          resolve({ status: res.statusCode ?? 0, body: data, cookies });
        });
      });
      req.on("error", (err: NodeJS.ErrnoException) => {
        // A kept-alive socket the server closed as idle just as it was reused (a long pause between
        // measurements on a loaded machine): the request never reached the server; sent again once,
        // as Node's documentation for http.Agent advises.
        if (req.reusedSocket && err.code === "ECONNRESET" && !retried)
          send(method, path, body, headers, true).then(resolve, reject);
        else reject(err);
      });
      if (body !== undefined) req.write(body);
      req.end();
    });
  };
}
type Send = ReturnType<typeof makeClient>;

const json = (send: Send, path: string, body: unknown) =>
  send("POST", path, JSON.stringify(body), { "content-type": "application/json" });

function expect(a: Answer, status: number, what: string): Answer {
  if (a.status !== status) throw new Error(`${what}: ${a.status} ${a.body.slice(0, 300)}`);
  return a;
}

async function deviceSignIn(send: Send, u: BenchUser): Promise<void> {
  const login = expect(
    await json(send, "/api/device/login", { username: u.username, password: PASSWORD }),
    200,
    "login",
  );
  const { challenge, status } = JSON.parse(login.body);
  if (status !== "mfa_required") throw new Error(`login: ${login.body}`);
  const mfa = expect(await json(send, "/api/device/mfa", { challenge, code: codeNow(u) }), 200, "mfa");
  if (JSON.parse(mfa.body).status !== "ok") throw new Error(`mfa: ${mfa.body}`);
}

async function webSignIn(send: Send, u: BenchUser): Promise<void> {
  // The form's token is signed for the browser's cookie and the signed-in user: read it from each page.
  const tokenOf = (page: Answer, what: string) => {
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
    if (!token) throw new Error(`${what}: no CSRF field`);
    return token;
  };
  const page = expect(await send("GET", "/login"), 200, "GET /login");
  const cookie = page.cookies.get("fg_csrf")!;
  const form = (fields: Record<string, string>, token: string) =>
    new URLSearchParams({ ...fields, _csrf: token }).toString();
  const headers = (session?: string) => ({
    "content-type": "application/x-www-form-urlencoded",
    cookie: `fg_csrf=${cookie}${session ? `; fg_session=${session}` : ""}`,
  });
  const login = expect(
    await send(
      "POST",
      "/login",
      form({ username: u.username, password: PASSWORD }, tokenOf(page, "GET /login")),
      headers(),
    ),
    303,
    "POST /login",
  );
  const half = login.cookies.get("fg_session")!;
  const codePage = expect(await send("GET", "/login/mfa", undefined, headers(half)), 200, "GET /login/mfa");
  const done = expect(
    await send("POST", "/login/mfa", form({ code: codeNow(u) }, tokenOf(codePage, "GET /login/mfa")), headers(half)),
    303,
    "POST /login/mfa",
  );
  if (!done.cookies.get("fg_session")) throw new Error("POST /login/mfa: no session");
}

/** Runs `one` for every item with CLIENTS concurrent clients; each item's milliseconds and the total. */
async function drive<T>(items: T[], one: (item: T) => Promise<void>): Promise<{ times: number[]; seconds: number }> {
  const times: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < items.length) {
        const item = items[next++]!;
        const t = performance.now();
        await one(item);
        times.push(performance.now() - t);
      }
    }),
  );
  return { times, seconds: (performance.now() - start) / 1000 };
}

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

interface Row {
  rate: number[];
  p50: number[];
  p99: number[];
  cpuMs: number[];
  pgCpuMs: number[];
  /** The servers' libuv thread pool's CPU per request or sign-in: Argon2id's, where it runs. */
  poolCpuMs: number[];
}
const newRow = (): Row => ({ rate: [], p50: [], p99: [], cpuMs: [], pgCpuMs: [], poolCpuMs: [] });

async function main() {
  if (!process.env.TEST_DATABASE_URL)
    throw new Error("set TEST_DATABASE_URL (a PostgreSQL server the benchmark may create a database on)");
  const database = await createDatabase();
  const db = openPgDb(database.url, silentLogger, POOL_SIZE);
  let engine: Awaited<ReturnType<typeof startServer>> | undefined;
  let bare: Awaited<ReturnType<typeof startServer>> | undefined;
  let second: Awaited<ReturnType<typeof startServer>> | undefined;
  let withMetrics: Awaited<ReturnType<typeof startServer>> | undefined;
  let twin: Awaited<ReturnType<typeof startServer>> | undefined;
  let proxyOne: Proxy | undefined;
  let proxyTwo: Proxy | undefined;
  try {
    await migrate(db);
    const sets: Record<
      "device" | "web" | "totp" | "totpMetrics" | "totpTwin" | "proxyOne" | "proxyTwo",
      BenchUser[]
    >[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      sets.push({
        device: await makeUsers(db, `d${r}`, USERS),
        web: await makeUsers(db, `w${r}`, USERS),
        totp: await makeUsers(db, `t${r}`, USERS),
        totpMetrics: await makeUsers(db, `m${r}`, USERS),
        totpTwin: await makeUsers(db, `n${r}`, USERS),
        proxyOne: await makeUsers(db, `p${r}`, USERS),
        proxyTwo: await makeUsers(db, `q${r}`, USERS),
      });
    }
    await db.query("CREATE TABLE bench_cas (LIKE mfa_enrollments INCLUDING ALL)");
    await db.query("INSERT INTO bench_cas SELECT * FROM mfa_enrollments");
    await db.query("VACUUM ANALYZE");
    process.stderr.write(`${(ROUNDS * 7 * USERS).toLocaleString("en")} users ready\n`);

    // One Argon2id verification's CPU, as the server runs it (engine/auth/passwords.ts).
    const hash = await hashPassword(PASSWORD);
    for (let i = 0; i < 5; i++) await verifyPassword(hash, PASSWORD);
    const before = process.cpuUsage();
    const VERIFIES = 40;
    for (let i = 0; i < VERIFIES; i++) await verifyPassword(hash, PASSWORD);
    const spent = process.cpuUsage(before);
    const argon2Ms = (spent.user + spent.system) / 1000 / VERIFIES;

    const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: database.url, LOG_LEVEL: "warn" };
    const startEngine = (extra: Record<string, string> = {}) =>
      startServer([process.execPath, ...profile, "bin/start.js"], {
        cwd: root,
        env: { ...env, FORMGATE_SECRET_KEY: KEY.toString("base64"), ...extra },
      });
    engine = await startEngine();
    second = await startEngine();
    withMetrics = await startEngine({ METRICS_TOKEN: "bench-metrics-token-0123456789" });
    twin = await startEngine();
    if (!existsSync(NGINX)) throw new Error(`${NGINX} is not installed (apt-get install nginx)`);
    proxyOne = await startNginx([engine.port]);
    proxyTwo = await startNginx([engine.port, second.port]);
    bare = await startServer([process.execPath, "test/bench/servers/cas-route.mjs"], {
      cwd: root,
      env: { ...env, POOL_SIZE: String(POOL_SIZE) },
    });
    const toEngine = makeClient(engine.port);
    const toMetrics = makeClient(withMetrics.port);
    const toTwin = makeClient(twin.port);
    const toBare = makeClient(bare.port);
    const toProxyOne = makeClient(proxyOne.port);
    const toProxyTwo = makeClient(proxyTwo.port);
    const server = engine.child.pid!;
    const bothServers = [server, second.child.pid!];

    const rows = {
      device: newRow(),
      web: newRow(),
      totp: newRow(),
      totpMetrics: newRow(),
      totpTwin: newRow(),
      bare: newRow(),
      passwordStep: newRow(),
      proxyOne: newRow(),
      proxyTwo: newRow(),
    };
    const record = (
      row: Row,
      r: { times: number[]; seconds: number },
      cpuMs: number,
      pgCpuMs: number,
      poolCpuMs: number,
    ) => {
      row.rate.push(r.times.length / r.seconds);
      row.p50.push(percentile(r.times, 0.5));
      row.p99.push(percentile(r.times, 0.99));
      row.cpuMs.push(cpuMs / r.times.length);
      row.pgCpuMs.push(pgCpuMs / r.times.length);
      row.poolCpuMs.push(poolCpuMs / r.times.length);
    };
    /** CPU milliseconds of each client backend of the benchmark's database now (round's writes: vacuumed between rounds). */
    const backends = async () =>
      new Map((await clientBackendPids(db, { exceptThisConnection: true })).map((pid) => [pid, processCpuMs(pid)]));
    const measured = async (
      row: Row,
      items: BenchUser[],
      one: (u: BenchUser) => Promise<void>,
      pids: number[] = [server],
    ) => {
      const pgBefore = await backends();
      const cpu = pids.reduce((sum, pid) => sum + processCpuMs(pid), 0);
      const pool = pids.reduce((sum, pid) => sum + threadPoolCpuMs(pid), 0);
      const r = await drive(items, one);
      const spent = pids.reduce((sum, pid) => sum + processCpuMs(pid), 0) - cpu;
      const poolSpent = pids.reduce((sum, pid) => sum + threadPoolCpuMs(pid), 0) - pool;
      // A backend that started during the measurement counts from zero; one that ended is lost (rare: pools stay busy).
      let pgSpent = 0;
      for (const [pid, ms] of await backends()) pgSpent += ms - (pgBefore.get(pid) ?? 0);
      record(row, r, spent, pgSpent, poolSpent);
    };

    // Warm both servers up (JIT, pools) on users of their own.
    const warm = await makeUsers(db, "warm", CLIENTS * 4);
    await db.query("INSERT INTO bench_cas SELECT * FROM mfa_enrollments WHERE user_id = ANY($1::uuid[])", [
      warm.map((u) => u.id),
    ]);
    await drive(warm.slice(0, CLIENTS * 2), (u) => deviceSignIn(toEngine, u));
    await drive(warm.slice(CLIENTS * 2), (u) => webSignIn(toEngine, u));
    const warmMetrics = await makeUsers(db, "warm-metrics", CLIENTS * 4);
    await drive(warmMetrics.slice(0, CLIENTS * 2), (u) => deviceSignIn(toMetrics, u));
    await drive(warmMetrics.slice(CLIENTS * 2), (u) => deviceSignIn(toTwin, u));
    const warmProxied = await makeUsers(db, "warm-proxied", CLIENTS * 4);
    await drive(warmProxied.slice(0, CLIENTS * 2), (u) => deviceSignIn(toProxyOne, u));
    await drive(warmProxied.slice(CLIENTS * 2), (u) => deviceSignIn(toProxyTwo, u));
    // The bare route is warmed up until its JIT settles (its CPU per request fell from 0.41 to 0.14 ms
    // over its first 6,000 requests): a step per pass, each user's compare-and-set wins every pass.
    for (let pass = 1; pass <= BARE_WARM_PASSES; pass++) {
      await drive(warm, (u) =>
        json(toBare, "/cas", { userId: u.id, step: pass }).then((a) => void expect(a, 200, "warm-up")),
      );
    }

    const startLoad = loadavg()[0]!;
    // threadPoolCpuMs takes a server's newest threads for its libuv pool: none may start meanwhile.
    const engines = [engine, second, withMetrics, twin].map((e) => e.child.pid!);
    const threadsAtStart = engines.map((pid) => threadIds(pid).join());
    for (let r = 0; r < ROUNDS; r++) {
      const set = sets[r]!;
      await measured(rows.device, set.device, (u) => deviceSignIn(toEngine, u));
      await measured(rows.web, set.web, (u) => webSignIn(toEngine, u));
      // The TOTP step alone: challenges first (the password step, measured on its own), then the codes.
      const challenges = new Map<BenchUser, string>();
      const challengeOf = async (to: Send, u: BenchUser) => {
        const a = expect(
          await json(to, "/api/device/login", { username: u.username, password: PASSWORD }),
          200,
          "login",
        );
        challenges.set(u, JSON.parse(a.body).challenge);
      };
      await measured(rows.passwordStep, set.totp, (u) => challengeOf(toEngine, u));
      await drive(set.totpMetrics, (u) => challengeOf(toMetrics, u));
      await drive(set.totpTwin, (u) => challengeOf(toTwin, u));
      const totpStepOn = (to: Send) => async (u: BenchUser) => {
        const a = await json(to, "/api/device/mfa", { challenge: challenges.get(u), code: codeNow(u) });
        expect(a, 200, "mfa");
      };
      // Each user once per round, past the warm-up passes' steps: every compare-and-set wins.
      const step = totpStep(new Date(), 30) + BARE_WARM_PASSES + r;
      // Its pool's connections are opened again first: it idles for a round between its measurements,
      // as long as a pool keeps an idle connection (a minute), where the engine's serves every one.
      const bareRoute = async () => {
        await drive(warm, (u) =>
          json(toBare, "/cas", { userId: u.id, step: 0 }).then((a) => void expect(a, 401, "reconnect")),
        );
        await measured(
          rows.bare,
          set.totp,
          async (u) => void expect(await json(toBare, "/cas", { userId: u.id, step }), 200, "cas"),
          [bare!.child.pid!],
        );
      };
      // The TOTP step and the bare route back to back, the order alternating by round.
      if (r % 2) {
        await bareRoute();
        await measured(rows.totp, set.totp, totpStepOn(toEngine));
      } else {
        await measured(rows.totp, set.totp, totpStepOn(toEngine));
        await bareRoute();
      }
      // Metrics off and on, on twin instances back to back, the order alternating by round.
      const off = () => measured(rows.totpTwin, set.totpTwin, totpStepOn(toTwin), [twin!.child.pid!]);
      const on = () => measured(rows.totpMetrics, set.totpMetrics, totpStepOn(toMetrics), [withMetrics!.child.pid!]);
      if (r % 2) {
        await on();
        await off();
      } else {
        await off();
        await on();
      }
      await measured(rows.proxyOne, set.proxyOne, (u) => deviceSignIn(toProxyOne, u));
      await measured(rows.proxyTwo, set.proxyTwo, (u) => deviceSignIn(toProxyTwo, u), bothServers);
      // The round's dead rows (claims deleted, steps and sessions rewritten) are vacuumed now rather
      // than by an autovacuum worker during the next round's measurements.
      await db.query("VACUUM");
      process.stderr.write(
        `round ${r + 1} of ${ROUNDS}: device ${rows.device.rate.at(-1)!.toFixed(0)}/s, web ${rows.web.rate.at(-1)!.toFixed(0)}/s, ` +
          `TOTP step ${rows.totp.rate.at(-1)!.toFixed(0)}/s, bare route ${rows.bare.rate.at(-1)!.toFixed(0)}/s, ` +
          `nginx + 1 instance ${rows.proxyOne.rate.at(-1)!.toFixed(0)}/s, nginx + 2 instances ${rows.proxyTwo.rate.at(-1)!.toFixed(0)}/s\n`,
      );
    }

    const m = (row: Row) => ({
      rate: median(row.rate),
      p50: median(row.p50),
      p99: median(row.p99),
      cpuMs: median(row.cpuMs),
      pgCpuMs: median(row.pgCpuMs),
      poolCpuMs: median(row.poolCpuMs),
    });
    const line = (label: string, row: Row, argon2 = false) => {
      const x = m(row);
      const share = argon2 ? `${((100 * x.poolCpuMs) / x.cpuMs).toFixed(0)}%`.padStart(8) : "".padStart(8);
      console.log(
        `  ${label.padEnd(44)} ${x.rate.toFixed(0).padStart(7)} ${`${x.p50.toFixed(1)} ms`.padStart(10)} ${`${x.p99.toFixed(1)} ms`.padStart(10)} ${`${x.cpuMs.toFixed(2)} ms`.padStart(10)} ${share} ${`${x.pgCpuMs.toFixed(2)} ms`.padStart(10)}`,
      );
    };
    console.log(`\nsign-in, load average (1 min) at the start: ${startLoad.toFixed(2)}`);
    console.log(
      `sign-in, ${USERS.toLocaleString("en")} distinct users per measurement, ${CLIENTS} concurrent clients, PostgreSQL (pool ${POOL_SIZE}), medians of ${ROUNDS} interleaved rounds`,
    );
    console.log(
      `  ${"".padEnd(44)} ${"per s".padStart(7)} ${"p50".padStart(10)} ${"p99".padStart(10)} ${"CPU each".padStart(10)} ${"Argon2".padStart(8)} ${"PG CPU".padStart(10)}`,
    );
    line("device API: password + TOTP", rows.device, true);
    line("web forms: password + TOTP (4 requests)", rows.web, true);
    line("password step alone (POST /api/device/login)", rows.passwordStep, true);
    line("TOTP step alone (POST /api/device/mfa)", rows.totp);
    line("TOTP step alone, twin instance, metrics off", rows.totpTwin);
    line("TOTP step alone, twin instance, metrics on", rows.totpMetrics);
    line("bare Hono route, the same UPDATE … RETURNING", rows.bare);
    line("device API via nginx, 1 instance", rows.proxyOne, true);
    line("device API via nginx, 2 instances (CPU: both)", rows.proxyTwo, true);
    // Each round's ratio pairs measurements taken seconds apart; their median cancels load that comes and goes.
    const ratios = rows.totp.rate.map((t, i) => t / rows.bare.rate[i]!);
    const list = ratios.map((x) => x.toFixed(2)).join(", ");
    console.log(
      `  ratio TOTP step / bare route (median of the rounds') ${median(ratios).toFixed(2)} (rounds: ${list})`,
    );
    const metricsRatios = rows.totpMetrics.rate.map((t, i) => t / rows.totpTwin.rate[i]!);
    console.log(
      `  ratio TOTP step metrics on / off (median of the rounds') ${median(metricsRatios).toFixed(2)} ` +
        `(rounds: ${metricsRatios.map((x) => x.toFixed(2)).join(", ")})`,
    );
    const scale = rows.proxyTwo.rate.map((t, i) => t / rows.proxyOne.rate[i]!);
    console.log(
      `  ratio 2 instances / 1 instance behind nginx (median of the rounds') ${median(scale).toFixed(2)} ` +
        `(rounds: ${scale.map((x) => x.toFixed(2)).join(", ")}; ${cpus().length} cores shared by load, nginx, servers and PostgreSQL)`,
    );
    // Said before the figures that rest on it (threadPoolCpuMs).
    const threadsNow = engines.map((pid) => threadIds(pid).join());
    if (threadsNow.some((t, i) => t !== threadsAtStart[i])) {
      console.log(
        "  NOT VALID: a server started or ended a thread during the rounds, so its newest threads may not be its libuv pool",
      );
    }
    const nonArgon = (row: Row) => `${(100 - (100 * m(row).poolCpuMs) / m(row).cpuMs).toFixed(0)}%`;
    console.log(
      `  Argon2id verification: ${argon2Ms.toFixed(1)} ms CPU alone (${VERIFIES}× in this process); everything but the libuv pool (Argon2id): ${nonArgon(rows.device)} of a device sign-in's server CPU, ${nonArgon(rows.web)} of a web one`,
    );
    // Issue 26's figure: what a device sign-in costs besides its one Argon2id verification, measured
    // where Argon2id runs (the server's libuv pool threads, threadPoolCpuMs) ...
    const device = m(rows.device);
    const outsideServer = median(rows.device.cpuMs.map((c, i) => c - rows.device.poolCpuMs[i]!));
    console.log(
      `  CPU outside Argon2 per device sign-in (server + PostgreSQL): ${(outsideServer + device.pgCpuMs).toFixed(2)} ms ` +
        `(server outside its libuv pool ${outsideServer.toFixed(2)} ms + PostgreSQL ${device.pgCpuMs.toFixed(2)} ms; target ≤ 6 ms)`,
    );
    console.log(
      `  Argon2id where it runs (the server's libuv pool threads): ${device.poolCpuMs.toFixed(2)} ms per device sign-in, ` +
        `${m(rows.passwordStep).poolCpuMs.toFixed(2)} ms per password step; ${m(rows.totp).poolCpuMs.toFixed(3)} ms per TOTP step (no Argon2id: the pool's other work)`,
    );
    // ... and, as earlier passes printed it, with one verification timed alone in this process subtracted.
    console.log(
      `  … with Argon2id timed alone subtracted instead: ${(device.cpuMs - argon2Ms + device.pgCpuMs).toFixed(2)} ms ` +
        `(server ${(device.cpuMs - argon2Ms).toFixed(2)} ms + PostgreSQL ${device.pgCpuMs.toFixed(2)} ms)`,
    );
    const pgRatios = rows.totp.pgCpuMs.map((t, i) => t / rows.bare.pgCpuMs[i]!);
    // The ratio of the sums over all rounds is printed beside the rounds' (a round of few users is short).
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    console.log(
      `  ratio PostgreSQL CPU per TOTP step / bare route (median of the rounds') ${median(pgRatios).toFixed(2)} ` +
        `(rounds: ${pgRatios.map((x) => x.toFixed(2)).join(", ")}; all rounds together ` +
        `${(sum(rows.totp.pgCpuMs) / sum(rows.bare.pgCpuMs)).toFixed(2)}; target ≤ 2)`,
    );
    console.log(`  load average (1 min) at the end: ${loadavg()[0]!.toFixed(2)}`);
    console.log(
      `  (CPU each: the server processes' user + system time over the measurement / requests or sign-ins; ` +
        `PG CPU: the same for the PostgreSQL backends of the benchmark's database)`,
    );
  } finally {
    if (engine) await stopServer(engine.child);
    if (bare) await stopServer(bare.child);
    if (proxyOne) await proxyOne.stop();
    if (proxyTwo) await proxyTwo.stop();
    if (second) await stopServer(second.child);
    if (withMetrics) await stopServer(withMetrics.child);
    if (twin) await stopServer(twin.child);
    await db.close();
    await database.drop();
  }
}

await main();
