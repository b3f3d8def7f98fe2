// @storage
import { randomBytes } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import { startTestEnv, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { api, assertError, assertSchema, bearer, codeFor } from "./client.js";

const PASSWORD = "correct horse battery";
const ADMIN: MfaActor = { id: null, name: "test admin", siteId: null };
const t = suite<{ env: TestEnv; siteId: string }>(`device API with hardware tokens [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
});
t.after(async (ctx) => ctx.env.close());
t.before.each((ctx) => ctx.env.clock.advanceSeconds(120));

let n = 0;
async function mfaUser(env: TestEnv, siteId: string) {
  const username = `hw${++n}`;
  const u = await env.services.users.create({
    siteId,
    username,
    password: PASSWORD,
    webAccess: false,
    deviceAccess: true,
  });
  await env.services.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, ADMIN);
  return { id: u.id, username };
}

async function registerToken(env: TestEnv, siteId: string, periodInSeconds: 30 | 60) {
  const secret = randomBytes(20);
  const serialNumber = `SN${++n}${randomBytes(3).toString("hex")}`.toUpperCase();
  await env.services.hardware.registry.register(
    { name: `Token ${serialNumber}`, serialNumber, timeInterval: periodInSeconds, secretKey: secret.toString("hex") },
    { id: null, name: "test admin" },
    siteId,
  );
  return { serialNumber, secret, code: (offset = 0) => codeFor(secret, env.clock, offset, periodInSeconds) };
}

const login = (env: TestEnv, username: string) =>
  api(env.app, "POST", "/api/device/login", { username, password: PASSWORD });
const setup = (env: TestEnv, body: Record<string, unknown>) => api(env.app, "POST", "/api/device/mfa/setup", body);

t("a 60-second hardware token activates over the device API and then signs in", async ({ env, siteId }) => {
  const u = await mfaUser(env, siteId);
  const tok = await registerToken(env, siteId, 60);
  const first = await login(env, u.username);
  assertSchema("login-response", first.json);
  assert.equal(first.json.methods, ["app", "hardware"]);
  const done = await setup(env, {
    challenge: first.json.challenge,
    method: "hardware",
    serialNumber: tok.serialNumber,
    code: tok.code(),
  });
  assert.is(done.status, 200, JSON.stringify(done.json));
  assertSchema("mfa-setup-response", done.json);
  assert.is((await api(env.app, "GET", "/api/device/me", undefined, bearer(done.json.token))).status, 200);
  const status = await env.services.mfa.statusOf(u.id);
  assert.is(status.activation?.method, "hardware");
  assert.is(status.activation?.tokenSerial, tok.serialNumber);

  env.clock.advanceSeconds(60);
  const again = await login(env, u.username);
  assert.is(again.json.status, "mfa_required");
  assert.is(again.json.method, "hardware");
  const signedIn = await api(env.app, "POST", "/api/device/mfa", { challenge: again.json.challenge, code: tok.code() });
  assert.is(signedIn.status, 200);
});

t("an unknown, assigned or wrongly coded token is refused and nothing is bound", async ({ env, siteId }) => {
  const owner = await mfaUser(env, siteId);
  const other = await mfaUser(env, siteId);
  const tok = await registerToken(env, siteId, 30);
  const { json } = await login(env, other.username);
  const unknown = await setup(env, {
    challenge: json.challenge,
    method: "hardware",
    serialNumber: "NOPE",
    code: "123456",
  });
  // An unknown serial number is answered as a wrong code is (and counts as one): nothing to enumerate.
  assertError(unknown, 401, "invalid_code");
  const wrong = await setup(env, {
    challenge: json.challenge,
    method: "hardware",
    serialNumber: tok.serialNumber,
    code: tok.code(20),
  });
  assertError(wrong, 401, "invalid_code");
  assert.is(wrong.json.error.message, unknown.json.error.message);
  assert.is((await env.services.mfa.statusOf(other.id)).activation, null);

  const ownerLogin = await login(env, owner.username);
  const bound = await setup(env, {
    challenge: ownerLogin.json.challenge,
    method: "hardware",
    serialNumber: tok.serialNumber,
    code: tok.code(),
  });
  assert.is(bound.status, 200);
  env.clock.advanceSeconds(30);
  const taken = await setup(env, {
    challenge: json.challenge,
    method: "hardware",
    serialNumber: tok.serialNumber,
    code: tok.code(),
  });
  assertError(taken, 401, "invalid_code");
  assert.is((await env.services.mfa.statusOf(other.id)).activation, null);
});

t("two users activating one token at the same moment: exactly one gets it", async ({ env, siteId }) => {
  const a = await mfaUser(env, siteId);
  const b = await mfaUser(env, siteId);
  const tok = await registerToken(env, siteId, 30);
  const [ca, cb] = await Promise.all([login(env, a.username), login(env, b.username)]);
  const body = (challenge: string) => ({
    challenge,
    method: "hardware",
    serialNumber: tok.serialNumber,
    code: tok.code(),
  });
  const results = await Promise.all([setup(env, body(ca.json.challenge)), setup(env, body(cb.json.challenge))]);
  const statuses = results.map((r) => r.status).sort();
  assert.is(statuses[0], 200, JSON.stringify(results.map((r) => r.json)));
  assert.ok([409, 422].includes(statuses[1]!), `the loser gets ${statuses[1]}`);
  const bound = [await env.services.mfa.statusOf(a.id), await env.services.mfa.statusOf(b.id)].filter(
    (s) => s.activation,
  );
  assert.is(bound.length, 1);
});

t("an MFA reset returns the token to the pool and revokes the bearer token", async ({ env, siteId }) => {
  const u = await mfaUser(env, siteId);
  const tok = await registerToken(env, siteId, 30);
  const { json } = await login(env, u.username);
  const done = await setup(env, {
    challenge: json.challenge,
    method: "hardware",
    serialNumber: tok.serialNumber,
    code: tok.code(),
  });
  assert.is(done.status, 200);
  env.clock.advanceSeconds(1);
  await env.services.mfa.settings.reset(u.id, ADMIN);
  assertError(await api(env.app, "GET", "/api/device/me", undefined, bearer(done.json.token)), 401, "invalid_token");
  const token = await env.services.hardware.registry.bySerial(tok.serialNumber);
  assert.is(token?.state.kind, "available");
});

t.run();
