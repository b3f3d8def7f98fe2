// The plan of every statement a sign-in sends on PostgreSQL (issue 26): a device sign-in (password
// step, TOTP step) and a web one (POST /login, GET /login/mfa, POST /login/mfa, then GET /) in an
// in-process server on a fresh database. Each planned statement is first run under
// EXPLAIN (ANALYZE, BUFFERS) with the same parameters on the same connection, inside a transaction
// that is rolled back, then for real: the plans see the data the statement meets. Prints each
// statement's opening, its planning and execution time, and the plan.
//
//   TEST_DATABASE_URL=postgres://… npx tsx test/bench/explain-sign-in.ts [--plans]
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import type pg from "pg";

process.env.FORMGATE_TEST_BACKEND = "pg";
if (!process.env.TEST_DATABASE_URL) throw new Error("set TEST_DATABASE_URL");
const showPlans = process.argv.includes("--plans");
const { startTestEnv, TestClient } = await import("../helpers/app.js");
const { appParams, codeAt } = await import("../helpers/totp.js");
const { api } = await import("../device/client.js");

type Callback = (err: Error | null, res?: pg.QueryResult) => void;
const pgModule = createRequire(import.meta.url)("pg") as typeof pg;
// eslint-disable-next-line @typescript-eslint/unbound-method -- called with the client as `this` (original.call)
const original = pgModule.Client.prototype.query as unknown as (this: pg.Client, ...a: unknown[]) => unknown;
const run = (client: pg.Client, text: string, values?: unknown[]) =>
  original.call(client, { text, values }) as Promise<pg.QueryResult>;
const UTILITY = /^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|EXPLAIN)\b/i;
let step: string | null = null;
const report: string[] = [];

async function explain(client: pg.Client, text: string, values: unknown[] | undefined, inTransaction: boolean) {
  const sp = inTransaction ? "SAVEPOINT explain_sp" : "BEGIN";
  await run(client, sp);
  try {
    const r = await run(client, `EXPLAIN (ANALYZE, BUFFERS) ${text}`, values);
    const lines = r.rows.map((row: Record<string, string>) => row["QUERY PLAN"]!);
    const time = (what: string) => lines.find((l) => l.startsWith(what))?.replace(/^.*: /, "") ?? "?";
    report.push(
      `${step}: planning ${time("Planning Time")}, execution ${time("Execution Time")}  ${text.replace(/\s+/g, " ").slice(0, 110)}`,
    );
    if (showPlans) report.push(...lines.map((l) => `      ${l}`));
  } finally {
    await run(client, inTransaction ? "ROLLBACK TO SAVEPOINT explain_sp" : "ROLLBACK");
  }
}

const inTx = new WeakSet<pg.Client>();
pgModule.Client.prototype.query = function (this: pg.Client, config: unknown, ...rest: unknown[]) {
  const c = typeof config === "string" ? { text: config, values: rest[0] as unknown[] } : (config as pg.QueryConfig);
  if (/^\s*BEGIN\b/i.test(c.text)) inTx.add(this);
  if (/^\s*(COMMIT|ROLLBACK)\s*$/i.test(c.text)) inTx.delete(this);
  if (!step || UTILITY.test(c.text)) return original.call(this, config, ...rest);
  const callback = typeof rest.at(-1) === "function" ? (rest.at(-1) as Callback) : undefined;
  const done = explain(
    this,
    c.text,
    c.values ?? (Array.isArray(rest[0]) ? (rest[0] as unknown[]) : undefined),
    inTx.has(this),
  );
  if (callback) {
    done.then(
      () => original.call(this, config, ...rest),
      (err: Error) => callback(err),
    );
    return undefined;
  }
  return done.then(() => original.call(this, config, ...rest));
} as typeof pgModule.Client.prototype.query;

const env = await startTestEnv({ TRUST_PROXY: true });
try {
  const siteId = (await env.services.sites.publicSite()).id;
  const admin = { id: null, name: "bench", siteId: null };
  const user = async (username: string) => {
    const u = await env.services.users.create({
      siteId,
      username,
      password: "correct horse battery",
      deviceAccess: true,
    });
    await env.services.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, admin);
    const p = appParams(randomBytes(20));
    await env.services.mfa.activation.activate(u.id, { method: "app", ...p }, codeAt(env.clock, p), admin);
    env.clock.advanceSeconds(60);
    return { username, p };
  };
  const FROM = { "x-forwarded-for": "203.0.113.10" };
  const d = await user("explained-device");
  step = "POST /api/device/login";
  const login = await api(
    env.app,
    "POST",
    "/api/device/login",
    { username: d.username, password: "correct horse battery" },
    FROM,
  );
  step = "POST /api/device/mfa";
  const mfa = await api(
    env.app,
    "POST",
    "/api/device/mfa",
    { challenge: login.json.challenge, code: codeAt(env.clock, d.p) },
    FROM,
  );
  if (mfa.json.status !== "ok") throw new Error(`device sign-in: ${JSON.stringify(mfa.json)}`);
  step = null;
  const w = await user("explained-web");
  const web = new TestClient(env.app, FROM);
  await web.get("/login");
  step = "POST /login";
  await web.post("/login", { username: w.username, password: "correct horse battery" });
  step = "GET /login/mfa";
  await web.get("/login/mfa");
  step = "POST /login/mfa";
  const done = await web.post("/login/mfa", { code: codeAt(env.clock, w.p) });
  if (done.res.headers.get("location") !== "/") throw new Error(`web sign-in: ${done.res.status}`);
  step = "GET / (session read)";
  await web.get("/");
  step = null;
  console.log(report.join("\n"));
} finally {
  step = null;
  await env.close();
}
