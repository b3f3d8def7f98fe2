// @storage
import { randomBytes } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { appParams, codeAt } from "../helpers/totp.js";
import { api } from "../device/client.js";

// Issue 14: every statement of a sign-in step is a round trip to PostgreSQL on the hot path. A
// password step and a TOTP step each send at most MAX_STATEMENTS (Argon2 is not a statement), on
// the web and through the device API. Counted from the query log at debug, per request id: the
// statements the request ran, whatever module sent them (BEGIN and COMMIT count too).
const MAX_STATEMENTS = 3;
const PASSWORD = "correct horse battery";
const ADMIN: MfaActor = { id: null, name: "test admin", siteId: null };
const FROM = { "x-forwarded-for": "203.0.113.7" };
const t = suite<{ env: TestEnv; siteId: string }>(`statements per sign-in step [${testBackend}]`);

t.before(async (ctx) => {
  // Behind a trusted proxy every request has a client address, so the per-address throttle runs as in production.
  ctx.env = await startTestEnv({ TRUST_PROXY: true }, { queryLog: true });
  ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
});
t.after(async (ctx) => ctx.env.close());
t.before.each((ctx) => ctx.env.clock.advanceSeconds(60));

let n = 0;
async function user(env: TestEnv, siteId: string, mfa: boolean) {
  const username = `counted${++n}`;
  const u = await env.services.users.create({ siteId, username, password: PASSWORD, deviceAccess: true });
  if (!mfa) return { id: u.id, username, p: null };
  await env.services.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, ADMIN);
  const p = appParams(randomBytes(20));
  assert.equal(await env.services.mfa.activation.activate(u.id, { method: "app", ...p }, codeAt(env.clock, p), ADMIN), {
    ok: true,
  });
  env.clock.advanceSeconds(60);
  return { id: u.id, username, p };
}

/** The statements (first words) the request with this id sent, from the query log. */
function statementsOf(env: TestEnv, requestId: string): string[] {
  return env.logLines
    .map((l) => JSON.parse(l) as { msg: string; requestId?: string; sql?: string })
    .filter((l) => l.msg === "query" && l.requestId === requestId)
    .map((l) => l.sql!);
}

const ids = new Set<string>();
function requestId(): string {
  const id = `count-${randomBytes(6).toString("hex")}`;
  ids.add(id);
  return id;
}

/** Counts the request's statements; over the limit is a failure, reported when the test ends (so every step is measured). */
function count(env: TestEnv, id: string, step: string, over: string[]): number {
  const sent = statementsOf(env, id);
  assert.ok(sent.length > 0, `${step}: no statement logged for ${id}; is the query log at debug?`);
  console.log(`  ${step}: ${sent.length} statements`);
  if (sent.length > MAX_STATEMENTS) {
    over.push(`${step} sent ${sent.length} statements, at most ${MAX_STATEMENTS} allowed:\n  ${sent.join("\n  ")}`);
  }
  return sent.length;
}

t("device API: the password step and the TOTP step", async ({ env, siteId }) => {
  const over: string[] = [];
  const u = await user(env, siteId, true);
  const loginId = requestId();
  const login = await api(
    env.app,
    "POST",
    "/api/device/login",
    { username: u.username, password: PASSWORD },
    { ...FROM, "x-request-id": loginId },
  );
  assert.is(login.json.status, "mfa_required");
  count(env, loginId, "POST /api/device/login (MFA due)", over);

  const mfaId = requestId();
  const done = await api(
    env.app,
    "POST",
    "/api/device/mfa",
    { challenge: login.json.challenge, code: codeAt(env.clock, u.p!) },
    { ...FROM, "x-request-id": mfaId },
  );
  assert.is(done.status, 200);
  assert.is(done.json.status, "ok");
  count(env, mfaId, "POST /api/device/mfa", over);
  assert.ok(!over.length, over.join("\n"));
});

t("device API: the password step of a user without MFA", async ({ env, siteId }) => {
  const over: string[] = [];
  const u = await user(env, siteId, false);
  const id = requestId();
  const login = await api(
    env.app,
    "POST",
    "/api/device/login",
    { username: u.username, password: PASSWORD },
    { ...FROM, "x-request-id": id },
  );
  assert.is(login.json.status, "ok");
  count(env, id, "POST /api/device/login (no MFA)", over);
  assert.ok(!over.length, over.join("\n"));
});

t("web: the password step and the MFA code step", async ({ env, siteId }) => {
  const over: string[] = [];
  const u = await user(env, siteId, true);
  const loginId = requestId();
  const web = new TestClient(env.app, FROM);
  await web.get("/login");
  const login = await web.post("/login", { username: u.username, password: PASSWORD }, { "x-request-id": loginId });
  assert.is(login.res.headers.get("location"), "/login/mfa");
  count(env, loginId, "POST /login (MFA due)", over);

  await web.get("/login/mfa");
  const mfaId = requestId();
  const done = await web.post("/login/mfa", { code: codeAt(env.clock, u.p!) }, { "x-request-id": mfaId });
  assert.is(done.res.status, 303);
  assert.is(done.res.headers.get("location"), "/");
  count(env, mfaId, "POST /login/mfa", over);
  // The new session is a full one: the home page answers.
  assert.is((await web.get("/")).res.status, 200);
  assert.ok(!over.length, over.join("\n"));
});

t("web: the password step of a user without MFA", async ({ env, siteId }) => {
  const over: string[] = [];
  const u = await user(env, siteId, false);
  const id = requestId();
  const web = new TestClient(env.app, FROM);
  await web.get("/login");
  const login = await web.post("/login", { username: u.username, password: PASSWORD }, { "x-request-id": id });
  assert.is(login.res.headers.get("location"), "/");
  count(env, id, "POST /login (no MFA)", over);
  assert.ok(!over.length, over.join("\n"));
});

t("the count is per request: statements of other requests are not counted", async ({ env }) => {
  const id = requestId();
  await new TestClient(env.app, { "x-request-id": id }).get("/healthz");
  assert.is(statementsOf(env, id).length, 1, "GET /healthz runs SELECT 1 and nothing else");
});

t.run();
