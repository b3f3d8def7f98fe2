// @storage
import { createHash } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { DEVICE_BODY_LIMIT_BYTES } from "../../engine/web/device/body.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { saveUser } from "../helpers/users.js";
import { api, assertError, assertSchema, bearer } from "./client.js";

const PASSWORD = "correct horse battery";
const t = suite<{ env: TestEnv; siteId: string; ids: Record<string, string> }>(`device API sign-in [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
  ctx.ids = {};
  const users = ctx.env.services.users;
  const make = async (username: string, webAccess: boolean, deviceAccess: boolean) =>
    (ctx.ids[username] = (
      await users.create({ siteId: ctx.siteId, username, password: PASSWORD, webAccess, deviceAccess })
    ).id);
  await make("dora", false, true); // device only
  await make("wendy", true, false); // web only
  await make("bob", true, true); // both
  await make("dan", false, true);
  await make("eve", false, true);
  await make("fay", false, true);
});
t.after(async (ctx) => ctx.env.close());
t.before.each(async (ctx) => {
  await ctx.env.db.query("DELETE FROM throttles");
  ctx.env.clock.advanceSeconds(1);
});

const login = (env: TestEnv, username: string, password = PASSWORD, headers: Record<string, string> = {}) =>
  api(env.app, "POST", "/api/device/login", { username, password }, headers);

t("a device user with MFA off gets a bearer token, and me answers with their account", async ({ env, ids }) => {
  const r = await login(env, "dora");
  assert.is(r.status, 200);
  assertSchema("login-response", r.json);
  assert.is(r.json.status, "ok");
  assert.is(r.json.tokenType, "Bearer");
  assert.is(r.json.expiresAt, new Date(env.clock.now().getTime() + 30 * 86_400_000).toISOString());
  assert.is(r.headers.get("cache-control"), "no-store");
  const me = await api(env.app, "GET", "/api/device/me", undefined, bearer(r.json.token));
  assert.is(me.status, 200);
  assertSchema("me-response", me.json);
  assert.is(me.json.user.id, ids.dora);
  assert.is(me.json.user.username, "dora");
  assert.equal(me.json.mfa, { state: "off", requiredFrom: null, daysLeft: null, method: null });
  // Usernames are case-insensitive, as on the web.
  assert.is((await login(env, "DORA")).status, 200);
});

t("GET /api/device/me tells the MFA state and the days left to set it up", async ({ env, ids }) => {
  const s = env.services;
  const fay = ids.fay!;
  await s.mfa.settings.applySettings(
    fay,
    { enabled: true, enforcementDelayDays: 5 },
    { id: null, name: "t", siteId: null },
  );
  // A token issued while setup may still be put off (as after "Remind me later").
  const { token } = await s.deviceTokens.issue(fay, null);
  env.clock.advanceSeconds(36 * 3600);
  const me = await api(env.app, "GET", "/api/device/me", undefined, bearer(token));
  assertSchema("me-response", me.json);
  const requiredFrom = (await s.mfa.statusOf(fay)).requiredFrom!.toISOString();
  assert.equal(me.json.mfa, { state: "pending", requiredFrom, daysLeft: 4, method: null });
  env.clock.advanceSeconds(4 * 86_400);
  const late = await api(env.app, "GET", "/api/device/me", undefined, bearer(token));
  assert.equal(late.json.mfa, { state: "overdue", requiredFrom, daysLeft: 0, method: null });
});

t("only the SHA-256 of a bearer token is stored", async ({ env }) => {
  const { json } = await login(env, "dora");
  const digest = createHash("sha256").update(json.token).digest("hex");
  const { rows } = await env.db.query<{ h: string }>("SELECT encode(token_hash, 'hex') AS h FROM device_tokens");
  assert.ok(rows.some((r) => r.h === digest));
  const dump = JSON.stringify((await env.db.query("SELECT * FROM device_tokens")).rows);
  assert.not.ok(dump.includes(json.token));
});

t("a wrong password and an unknown user get the same 401", async ({ env }) => {
  const wrong = await login(env, "dora", "wrong password!!");
  const unknown = await login(env, "nobody", "wrong password!!");
  assertError(wrong, 401, "invalid_credentials");
  assertError(unknown, 401, "invalid_credentials");
  assert.equal(wrong.json, unknown.json);
});

t("a web-only user is refused with device_access_denied (after a correct password only)", async ({ env }) => {
  assertError(await login(env, "wendy"), 403, "device_access_denied");
  assertError(await login(env, "wendy", "wrong password!!"), 401, "invalid_credentials");
  assert.is(
    (await env.db.query("SELECT 1 FROM device_tokens t JOIN users u ON u.id = t.user_id WHERE u.username = 'wendy'"))
      .rowCount,
    0,
  );
});

t("a device-only user is refused by the web sign-in and gets no session", async ({ env }) => {
  const c = new TestClient(env.app);
  const { res, html } = await c.signIn("dora", PASSWORD);
  assert.is(res.status, 401);
  assert.match(html, /The username or password is incorrect/);
  assert.not.ok(c.cookies.has("fg_session"));
  const home = await c.request("/");
  assert.is(home.status, 303);
  assert.is(home.headers.get("location"), "/login");
  // The user with both kinds of access signs in on both.
  const both = new TestClient(env.app);
  assert.is((await both.signIn("bob", PASSWORD)).res.status, 303);
  assert.is((await login(env, "bob")).status, 200);
});

t("failed passwords are throttled together with the web sign-in (429 + Retry-After)", async ({ env }) => {
  const web = new TestClient(env.app);
  for (let i = 0; i < 4; i++) assert.is((await web.signIn("dora", "wrong password!!")).res.status, 401);
  assertError(await login(env, "dora", "wrong password!!"), 401, "invalid_credentials"); // the 5th failure locks
  const locked = await login(env, "dora");
  assertError(locked, 429, "too_many_attempts");
  assert.is(locked.headers.get("retry-after"), "30");
  assert.is((await web.signIn("dora", PASSWORD)).res.status, 429, "the web sees the same lock");
  env.clock.advanceSeconds(31);
  assert.is((await login(env, "dora")).status, 200);
});

t("malformed JSON and other content types are refused with 400", async ({ env }) => {
  assertError(await api(env.app, "POST", "/api/device/login", '{"username": "dora",'), 400, "malformed_json");
  assertError(await api(env.app, "POST", "/api/device/login", ""), 400, "malformed_json");
  // JSON that is not an object (null, a number) where a choice of fields is expected: 422, never a 500.
  for (const raw of ["null", "7", '"x"', "[]"]) {
    const r = await api(env.app, "POST", "/api/device/mfa", raw);
    assert.is(r.status, 422, raw);
  }
  const bytes = new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]); // {"\xff":1}
  const bad = await env.app.request("/api/device/login", {
    method: "POST",
    body: bytes,
    headers: { "content-type": "application/json" },
  });
  assert.is(bad.status, 400);
  assert.is(((await bad.json()) as { error: { code: string } }).error.code, "malformed_json");
  const body = JSON.stringify({ username: "dora", password: PASSWORD });
  for (const type of [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/json; charset=latin1",
  ]) {
    assertError(
      await api(env.app, "POST", "/api/device/login", body, { "content-type": type }),
      400,
      "unsupported_media_type",
    );
  }
  const none = await env.app.request("/api/device/login", { method: "POST", body });
  assert.is(none.status, 400);
  assert.ok((await login(env, "dora", PASSWORD, { "content-type": "application/json; charset=UTF-8" })).status === 200);
});

t("a cross-site form cannot sign in: no CSRF token is needed, but only JSON is read", async ({ env }) => {
  const res = await env.app.request("/api/device/login", {
    method: "POST",
    body: new URLSearchParams({ username: "dora", password: PASSWORD }),
    headers: { "sec-fetch-site": "cross-site", origin: "https://evil.example" },
  });
  assert.is(res.status, 400);
  assert.is(((await res.json()) as { error: { code: string } }).error.code, "unsupported_media_type");
});

t("oversized bodies are refused with 413 before they are parsed", async ({ env }) => {
  const big = JSON.stringify({ username: "dora", password: "x".repeat(DEVICE_BODY_LIMIT_BYTES) });
  const chunked = await api(env.app, "POST", "/api/device/login", big);
  assertError(chunked, 413, "body_too_large");
  const withLength = await api(env.app, "POST", "/api/device/login", big, { "content-length": String(big.length) });
  assertError(withLength, 413, "body_too_large");
  // Over the server's own limit (1 MiB), refused before the device API's routes: no-store all the same.
  const huge = JSON.stringify({ username: "dora", password: "x".repeat(2 * 1024 * 1024) });
  const overServer = await api(env.app, "POST", "/api/device/login", huge);
  assertError(overServer, 413, "body_too_large");
  for (const r of [chunked, withLength, overServer]) assert.is(r.headers.get("cache-control"), "no-store");
  assert.is((await env.db.query("SELECT 1 FROM throttles")).rowCount, 0, "nothing was counted");
});

t("an address refused before the device API's routes is not stored either", async ({ env }) => {
  const r = await api(env.app, "GET", "/api/device/me%00");
  assert.is(r.status, 400);
  assert.is(r.headers.get("cache-control"), "no-store");
});

t("invalid bodies get 422 with a message per field and change nothing", async ({ env }) => {
  const before = (await env.db.query("SELECT count(*)::int AS n FROM device_tokens")).rows[0];
  const r = await api(env.app, "POST", "/api/device/login", { username: "", extra: 1 });
  assertError(r, 422, "validation_failed");
  assert.equal(r.json.error.fields, {
    username: "must be at least 1 characters",
    password: "is required",
    extra: "is not a known property",
  });
  const arr = await api(env.app, "POST", "/api/device/login", [1]);
  assertError(arr, 422, "validation_failed");
  assert.match(arr.json.error.message, /must be a object|must be an object/);
  const mfa = await api(env.app, "POST", "/api/device/mfa", { challenge: "short", code: "12ab56" });
  assertError(mfa, 422, "validation_failed");
  assert.equal(mfa.json.error.fields, {
    challenge: "must be the challenge the previous answer returned",
    code: "must be the 6 or 8 digits the authenticator shows",
  });
  const setup = await api(env.app, "POST", "/api/device/mfa/setup", { challenge: "a".repeat(43), method: "sms" });
  assertError(setup, 422, "validation_failed");
  assert.match(setup.json.error.fields.method, /must be one of "app", "hardware", "later"/);
  const hw = await api(env.app, "POST", "/api/device/mfa/setup", { challenge: "a".repeat(43), method: "hardware" });
  assertError(hw, 422, "validation_failed");
  assert.equal(Object.keys(hw.json.error.fields).sort(), ["code", "serialNumber"]);
  assert.equal((await env.db.query("SELECT count(*)::int AS n FROM device_tokens")).rows[0], before);
  assert.is((await env.db.query("SELECT 1 FROM throttles")).rowCount, 0);
});

t("me and logout need a live bearer token; logout revokes it", async ({ env }) => {
  const none = await api(env.app, "GET", "/api/device/me");
  assertError(none, 401, "invalid_token");
  assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer /);
  assertError(await api(env.app, "GET", "/api/device/me", undefined, bearer("x".repeat(43))), 401, "invalid_token");
  assertError(
    await api(env.app, "GET", "/api/device/me", undefined, { authorization: "Basic Zm9vOmJhcg==" }),
    401,
    "invalid_token",
  );
  const { json } = await login(env, "dan");
  // A bearer token is not a session cookie.
  const asCookie = await env.app.request("/api/device/me", { headers: { cookie: `fg_session=${json.token}` } });
  assert.is(asCookie.status, 401);
  const out = await api(env.app, "POST", "/api/device/logout", undefined, bearer(json.token));
  assert.is(out.status, 204);
  assertError(await api(env.app, "GET", "/api/device/me", undefined, bearer(json.token)), 401, "invalid_token");
  assertError(await api(env.app, "POST", "/api/device/logout", undefined, bearer(json.token)), 401, "invalid_token");
});

t("a token expires after 30 days", async ({ env }) => {
  const { json } = await login(env, "dan");
  env.clock.advanceDays(29);
  assert.is((await api(env.app, "GET", "/api/device/me", undefined, bearer(json.token))).status, 200);
  env.clock.advanceDays(1);
  assertError(await api(env.app, "GET", "/api/device/me", undefined, bearer(json.token)), 401, "invalid_token");
});

t("expired tokens and used or expired challenges are purged", async ({ env }) => {
  const purge = async () =>
    (await env.services.deviceTokens.purgeExpired()) + (await env.services.deviceChallenges.purgeExpired());
  await purge(); // what earlier tests left behind
  const { json } = await login(env, "dan");
  await env.db.query(
    `INSERT INTO device_challenges (challenge_hash, user_id, kind, created_at, expires_at)
     SELECT 'x'::bytea, id, 'mfa', $1, $2 FROM users WHERE username = 'dan'`,
    [env.clock.now(), new Date(env.clock.now().getTime() + 300_000)],
  );
  assert.is(await purge(), 0, "nothing is due yet");
  env.clock.advanceDays(31);
  assert.ok((await purge()) >= 2);
  assert.is((await env.db.query("SELECT 1 FROM device_challenges")).rowCount, 0);
  assertError(await api(env.app, "GET", "/api/device/me", undefined, bearer(json.token)), 401, "invalid_token");
});

t("disabling the user revokes their tokens for good; so does taking device access away", async ({ env, ids }) => {
  const s = env.services;
  const a = (await login(env, "eve")).json.token;
  await saveUser(s, ids.eve!, { disabled: true });
  assertError(await api(env.app, "GET", "/api/device/me", undefined, bearer(a)), 401, "invalid_token");
  assertError(await login(env, "eve"), 401, "invalid_credentials");
  await saveUser(s, ids.eve!, { disabled: false });
  assertError(await api(env.app, "GET", "/api/device/me", undefined, bearer(a)), 401, "invalid_token");

  const b = (await login(env, "fay")).json.token;
  await saveUser(s, ids.fay!, { disabled: true });
  await saveUser(s, ids.fay!, { disabled: false });
  assertError(await api(env.app, "GET", "/api/device/me", undefined, bearer(b)), 401, "invalid_token");

  const c = (await login(env, "fay")).json.token;
  await saveUser(s, ids.fay!, { deviceAccess: false });
  assertError(await api(env.app, "GET", "/api/device/me", undefined, bearer(c)), 401, "invalid_token");
  await saveUser(s, ids.fay!, { deviceAccess: true });
  assertError(await api(env.app, "GET", "/api/device/me", undefined, bearer(c)), 401, "invalid_token");
  assert.is((await login(env, "fay")).status, 200);
});

t(
  "a token is refused while its user is disabled, even when the change bypassed the application",
  async ({ env, ids }) => {
    const a = (await login(env, "dan")).json.token;
    await env.db.query("UPDATE users SET disabled = true WHERE id = $1", [ids.dan]);
    assertError(await api(env.app, "GET", "/api/device/me", undefined, bearer(a)), 401, "invalid_token");
    await env.db.query("UPDATE users SET disabled = false WHERE id = $1", [ids.dan]);
    assertError(await api(env.app, "GET", "/api/device/me", undefined, bearer(a)), 401, "invalid_token");
  },
);

t("unknown device paths and wrong methods answer in the error format", async ({ env }) => {
  assertError(await api(env.app, "GET", "/api/device/nothing"), 404, "not_found");
  const wrong = await api(env.app, "GET", "/api/device/login");
  assertError(wrong, 405, "method_not_allowed");
  assert.is(wrong.headers.get("allow"), "POST");
});

t("no password or token reaches the log", async ({ env }) => {
  const { json } = await login(env, "dan");
  await api(env.app, "GET", "/api/device/me", undefined, bearer(json.token));
  const log = env.logLines.join("\n");
  assert.not.ok(log.includes(PASSWORD));
  assert.not.ok(log.includes(json.token));
});

t.run();
