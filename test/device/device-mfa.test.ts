// @storage
import { randomBytes } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { saveUser } from "../helpers/users.js";
import { keyBytes } from "../helpers/totp.js";
import { api, assertError, assertSchema, bearer, codeFor } from "./client.js";

const PASSWORD = "correct horse battery";
const ADMIN: MfaActor = { id: null, name: "test admin", siteId: null };
const t = suite<{ env: TestEnv; siteId: string }>(`device API with MFA [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
});
t.after(async (ctx) => ctx.env.close());
t.before.each((ctx) => {
  // Each test starts in a fresh time step, so a code of the last test is not a replay here.
  ctx.env.clock.advanceSeconds(60);
});

let n = 0;
/** A new device user; with MFA on after `delayDays` when given. */
async function user(env: TestEnv, siteId: string, mfa?: { delayDays: number }, webAccess = false) {
  const username = `user${++n}`;
  const u = await env.services.users.create({ siteId, username, password: PASSWORD, webAccess, deviceAccess: true });
  if (mfa)
    await env.services.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: mfa.delayDays }, ADMIN);
  return { id: u.id, username };
}

/** A user with an activated authenticator app; the clock then moves on a step, past the activation code. */
async function activatedUser(env: TestEnv, siteId: string, webAccess = false) {
  const u = await user(env, siteId, { delayDays: 0 }, webAccess);
  const secret = randomBytes(20);
  const r = await env.services.mfa.activation.activate(
    u.id,
    { method: "app", secret, algorithm: "SHA1", digits: 6, periodInSeconds: 30 },
    codeFor(secret, env.clock),
    ADMIN,
  );
  assert.ok(r.ok);
  env.clock.advanceSeconds(30);
  return { ...u, secret };
}

const login = (env: TestEnv, username: string) =>
  api(env.app, "POST", "/api/device/login", { username, password: PASSWORD });
const mfa = (env: TestEnv, challenge: string, code: string) =>
  api(env.app, "POST", "/api/device/mfa", { challenge, code });
const setup = (env: TestEnv, body: Record<string, unknown>) => api(env.app, "POST", "/api/device/mfa/setup", body);
const me = (env: TestEnv, token: string) => api(env.app, "GET", "/api/device/me", undefined, bearer(token));

t("activated MFA: login asks for a code with a challenge; the code gives a token", async ({ env, siteId }) => {
  const u = await activatedUser(env, siteId);
  const first = await login(env, u.username);
  assert.is(first.status, 200);
  assertSchema("login-response", first.json);
  assert.is(first.json.status, "mfa_required");
  assert.is(first.json.method, "app");
  assert.is(first.json.expiresAt, new Date(env.clock.now().getTime() + 300_000).toISOString());
  const done = await mfa(env, first.json.challenge, codeFor(u.secret, env.clock));
  assert.is(done.status, 200);
  assertSchema("token-grant", done.json);
  assert.is((await me(env, done.json.token)).json.user.id, u.id);
});

t("a challenge is single-use", async ({ env, siteId }) => {
  const u = await activatedUser(env, siteId);
  const { json } = await login(env, u.username);
  assert.is((await mfa(env, json.challenge, codeFor(u.secret, env.clock))).status, 200);
  env.clock.advanceSeconds(30); // a fresh code, so only the challenge can be the reason
  assertError(await mfa(env, json.challenge, codeFor(u.secret, env.clock)), 401, "challenge_invalid");
});

t("a challenge expires after five minutes", async ({ env, siteId }) => {
  const u = await activatedUser(env, siteId);
  const { json } = await login(env, u.username);
  env.clock.advanceSeconds(301);
  assertError(await mfa(env, json.challenge, codeFor(u.secret, env.clock)), 401, "challenge_invalid");
  assert.is((await env.db.query("SELECT 1 FROM device_tokens WHERE user_id = $1", [u.id])).rowCount, 0);
});

t("two requests with one challenge and one code: exactly one token", async ({ env, siteId }) => {
  const u = await activatedUser(env, siteId);
  const { json } = await login(env, u.username);
  const code = codeFor(u.secret, env.clock);
  const results = await Promise.all([mfa(env, json.challenge, code), mfa(env, json.challenge, code)]);
  assert.equal(results.map((r) => r.status).sort(), [200, 401]);
  assert.is((await env.db.query("SELECT 1 FROM device_tokens WHERE user_id = $1", [u.id])).rowCount, 1);
});

t(
  "a wrong code is 401; five lock the account for web and device alike, and the lock answers like a wrong code",
  async ({ env, siteId }) => {
    const u = await activatedUser(env, siteId, true);
    const { json } = await login(env, u.username);
    const wrong = await mfa(env, json.challenge, "000000");
    assertError(wrong, 401, "invalid_code");
    for (let i = 0; i < 3; i++) assertError(await mfa(env, json.challenge, "000000"), 401, "invalid_code");
    // The fifth locks the account (and wears the challenge out): still the answer to a wrong code.
    const fifth = await mfa(env, json.challenge, "000000");
    assert.equal([fifth.status, fifth.json, fifth.headers.get("retry-after")], [401, wrong.json, null]);
    const second = await login(env, u.username);
    const right = await mfa(env, second.json.challenge, codeFor(u.secret, env.clock));
    assert.equal([right.status, right.json, right.headers.get("retry-after")], [401, wrong.json, null]);
    // The web sign-in of the same user is locked too.
    const web = new TestClient(env.app);
    await web.signIn(u.username, PASSWORD);
    const page = await web.post("/login/mfa", { code: codeFor(u.secret, env.clock) });
    assert.is(page.res.status, 401);
    env.clock.advanceSeconds(31);
    // The second challenge took one refusal and is still alive.
    const ok = await mfa(env, second.json.challenge, codeFor(u.secret, env.clock));
    assert.is(ok.status, 200);
  },
);

t("a challenge dies after five wrong codes even without a lock", async ({ env, siteId }) => {
  const u = await activatedUser(env, siteId);
  const { json } = await login(env, u.username);
  for (let i = 0; i < 4; i++) assertError(await mfa(env, json.challenge, "000000"), 401, "invalid_code");
  await env.db.query("DELETE FROM throttles"); // as if an administrator unlocked in between
  assertError(await mfa(env, json.challenge, "000000"), 401, "invalid_code");
  assertError(await mfa(env, json.challenge, codeFor(u.secret, env.clock)), 401, "challenge_invalid");
});

t("a code used on the web cannot be used again on the device API, nor the other way", async ({ env, siteId }) => {
  const u = await activatedUser(env, siteId, true);
  const code = codeFor(u.secret, env.clock);
  const web = new TestClient(env.app);
  const signIn = await web.signIn(u.username, PASSWORD);
  assert.is(signIn.res.headers.get("location"), "/login/mfa");
  const used = await web.post("/login/mfa", { code });
  assert.is(used.res.status, 303, "the web accepts the code");
  const { json } = await login(env, u.username);
  assertError(await mfa(env, json.challenge, code), 401, "invalid_code");

  env.clock.advanceSeconds(30);
  const next = codeFor(u.secret, env.clock);
  assert.is((await mfa(env, json.challenge, next)).status, 200);
  const web2 = new TestClient(env.app);
  await web2.signIn(u.username, PASSWORD);
  assert.is((await web2.post("/login/mfa", { code: next })).res.status, 401, "the web refuses the device's code");
});

t("a bearer token dies with an MFA reset (OFF+Save, ON+Save) and with the CLI reset", async ({ env, siteId }) => {
  const u = await activatedUser(env, siteId);
  const grant = async () => {
    const { json } = await login(env, u.username);
    const r = await mfa(env, json.challenge, codeFor(u.secret, env.clock));
    env.clock.advanceSeconds(30);
    return r.json.token as string;
  };
  const a = await grant();
  assert.is((await me(env, a)).status, 200);
  env.clock.advanceSeconds(1);
  await env.services.mfa.settings.applySettings(u.id, { enabled: false, enforcementDelayDays: 0 }, ADMIN);
  assertError(await me(env, a), 401, "invalid_token");
  env.clock.advanceSeconds(1);
  await env.services.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, ADMIN);
  assertError(await me(env, a), 401, "invalid_token");
  const after = await login(env, u.username);
  assert.is(after.json.status, "mfa_setup_required", "the next sign-in asks for a new setup");

  const v = await activatedUser(env, siteId);
  const { json } = await login(env, v.username);
  const b = (await mfa(env, json.challenge, codeFor(v.secret, env.clock))).json.token;
  assert.is((await me(env, b)).status, 200);
  env.clock.advanceSeconds(1);
  await env.services.mfa.settings.reset(v.id, ADMIN);
  assertError(await me(env, b), 401, "invalid_token");
});

t("a token obtained without a code dies when an administrator turns MFA on", async ({ env, siteId }) => {
  const u = await user(env, siteId);
  const { json } = await login(env, u.username);
  assert.is(json.status, "ok");
  env.clock.advanceSeconds(1);
  await env.services.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 7 }, ADMIN);
  assertError(await me(env, json.token), 401, "invalid_token");
});

t("within the delay setup is optional, with the days left; 'later' gives a token", async ({ env, siteId }) => {
  const u = await user(env, siteId, { delayDays: 3 });
  env.clock.advanceDays(1);
  const r = await login(env, u.username);
  assertSchema("login-response", r.json);
  assert.is(r.json.status, "mfa_setup_required");
  assert.is(r.json.optional, true);
  assert.is(r.json.daysLeft, 2);
  assert.equal(r.json.methods, ["app"]);
  const later = await setup(env, { challenge: r.json.challenge, method: "later" });
  assert.is(later.status, 200);
  assertSchema("mfa-setup-response", later.json);
  assert.is(later.json.status, "ok");
  assert.is((await me(env, later.json.token)).status, 200);
  assertError(await setup(env, { challenge: r.json.challenge, method: "later" }), 401, "challenge_invalid");
  // The token got without a code does not outlive an activation (here: on the web, through the same service).
  const secret = randomBytes(20);
  const app = { method: "app" as const, secret, algorithm: "SHA1" as const, digits: 6 as const, periodInSeconds: 30 };
  const keep = (await login(env, u.username)).json.challenge;
  const laterToken = (await setup(env, { challenge: keep, method: "later" })).json.token;
  assert.ok((await env.services.mfa.activation.activate(u.id, app, codeFor(secret, env.clock), ADMIN)).ok);
  assertError(await me(env, laterToken), 401, "invalid_token");
  await env.services.mfa.settings.reset(u.id, ADMIN);

  env.clock.advanceDays(3); // day 4: past the deadline
  const past = await login(env, u.username);
  assert.is(past.json.status, "mfa_setup_required");
  assert.is(past.json.optional, false);
  assert.is(past.json.daysLeft, undefined);
  assertError(await setup(env, { challenge: past.json.challenge, method: "later" }), 409, "setup_required");
});

t("delay 0: setup is required at the first sign-in", async ({ env, siteId }) => {
  const u = await user(env, siteId, { delayDays: 0 });
  const r = await login(env, u.username);
  assert.is(r.json.status, "mfa_setup_required");
  assert.is(r.json.optional, false);
  assertError(await setup(env, { challenge: r.json.challenge, method: "later" }), 409, "setup_required");
});

t("authenticator-app setup: the key and otpauth URI, then a code activates and signs in", async ({ env, siteId }) => {
  const u = await user(env, siteId, { delayDays: 0 });
  const { json } = await login(env, u.username);
  const started = await setup(env, { challenge: json.challenge, method: "app" });
  assert.is(started.status, 200);
  assertSchema("mfa-setup-response", started.json);
  assert.is(started.json.status, "setup_started");
  assert.match(started.json.key, /^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
  const secret = keyBytes(started.json.key);
  assert.is(secret.length, 20);
  const uri = new URL(started.json.otpauthUri);
  assert.is(uri.protocol, "otpauth:");
  assert.ok(started.json.otpauthUri.startsWith(`otpauth://totp/Formgate:${u.username}?`));
  assert.is(uri.searchParams.get("secret"), started.json.key.replace(/ /g, ""));
  assert.is(uri.searchParams.get("issuer"), "Formgate");
  assert.is.not(started.json.challenge, json.challenge, "a new challenge for the next step");
  assertError(await setup(env, { challenge: json.challenge, method: "app" }), 401, "challenge_invalid");

  assertError(
    await setup(env, { challenge: started.json.challenge, method: "app", code: "000000" }),
    401,
    "invalid_code",
  );
  const done = await setup(env, { challenge: started.json.challenge, method: "app", code: codeFor(secret, env.clock) });
  assert.is(done.status, 200);
  assert.is(done.json.status, "ok");
  assert.is((await me(env, done.json.token)).status, 200);
  const status = await env.services.mfa.statusOf(u.id);
  assert.is(status.state, "active");
  assert.is(status.activation?.method, "app");

  env.clock.advanceSeconds(30);
  const again = await login(env, u.username);
  assert.is(again.json.status, "mfa_required");
  assert.is((await mfa(env, again.json.challenge, codeFor(secret, env.clock))).status, 200);
  assert.is((await me(env, done.json.token)).status, 200, "the activation token outlives later sign-ins");
  const log = env.logLines.join("\n");
  assert.not.ok(log.includes(started.json.key.replace(/ /g, "")), "the key is not logged");
});

t("a challenge of one step is refused at the other (409 wrong_step)", async ({ env, siteId }) => {
  const a = await activatedUser(env, siteId);
  const codeChallenge = (await login(env, a.username)).json.challenge;
  assertError(await setup(env, { challenge: codeChallenge, method: "app" }), 409, "wrong_step");
  const b = await user(env, siteId, { delayDays: 0 });
  const setupChallenge = (await login(env, b.username)).json.challenge;
  assertError(await mfa(env, setupChallenge, "123456"), 409, "wrong_step");
  // Neither was used up by the mistake.
  assert.is((await mfa(env, codeChallenge, codeFor(a.secret, env.clock))).status, 200);
  assert.is((await setup(env, { challenge: setupChallenge, method: "app" })).status, 200);
});

t(
  "confirming an app that was never started is 409; after MFA was turned off the sign-in is over",
  async ({ env, siteId }) => {
    const u = await user(env, siteId, { delayDays: 0 });
    const { json } = await login(env, u.username);
    assertError(await setup(env, { challenge: json.challenge, method: "app", code: "123456" }), 409, "wrong_step");
    const started = await setup(env, { challenge: json.challenge, method: "app" });
    await env.services.mfa.settings.applySettings(u.id, { enabled: false, enforcementDelayDays: 0 }, ADMIN);
    const secret = keyBytes(started.json.key);
    const r = await setup(env, { challenge: started.json.challenge, method: "app", code: codeFor(secret, env.clock) });
    // Turning MFA off is a credential change: the pending sign-in ended with it (was 409 wrong_step).
    assertError(r, 401, "challenge_invalid");
    assert.is((await env.services.mfa.statusOf(u.id)).state, "off");
  },
);

t("an MFA challenge dies when the user is disabled", async ({ env, siteId }) => {
  const u = await activatedUser(env, siteId);
  const { json } = await login(env, u.username);
  await saveUser(env.services, u.id, { disabled: true });
  await saveUser(env.services, u.id, { disabled: false });
  assertError(await mfa(env, json.challenge, codeFor(u.secret, env.clock)), 401, "challenge_invalid");
});

t.run();
