// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "node:crypto";
import { startTestEnv, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { publicSiteAdmin, type PublicSiteAdmin } from "../helpers/users.js";
import { appParams, codeAt } from "../helpers/totp.js";
import { hashToken } from "../../engine/util/opaque-tokens.js";
import { passkeyThroughSetup } from "../helpers/webauthn-page.js";

// /account's factors (passkeys registered through the web pages with a software authenticator, an
// authenticator app), never the last one while MFA is on (also two removals at once), rename, and
// the signed-in browsers and devices with their End buttons.

const PASSWORD = "correct horse battery";
type Ctx = PublicSiteAdmin & { env: TestEnv };
const t = suite<Ctx>(`account factors [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  Object.assign(ctx, await publicSiteAdmin(ctx.env.services, PASSWORD));
});
t.after(async (ctx) => ctx.env.close());

async function mfaUser(ctx: Ctx, username: string) {
  const s = ctx.env.services;
  const u = await s.users.create({ siteId: ctx.siteId, username, password: PASSWORD, deviceAccess: true });
  await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, ctx.root);
  return u;
}

t("a factor is removed only with the current password: a session alone removes nothing", async (ctx) => {
  const { env } = ctx;
  const s = env.services;
  const u = await mfaUser(ctx, "rhea");
  const { c } = await passkeyThroughSetup(env, "rhea", PASSWORD, "Laptop");
  const p = appParams(randomBytes(20));
  const activated = await s.mfa.activation.activate(u.id, { method: "app", ...p }, codeAt(env.clock, p), {
    id: u.id,
    name: "rhea",
    siteId: null,
    credential: hashToken(c.cookies.get("fg_session")!),
  });
  assert.ok(activated.ok, "an app beside the passkey");
  const [pk] = await s.passkeys.store.listOf(u.id);
  const other = await s.sessions.create(u.id, ctx.siteId, "full", "10.0.0.9");

  const account = await c.get("/account");
  assert.match(account.html, /name="currentPassword"[^>]*type="password"|type="password"[^>]*name="currentPassword"/);
  for (const [path, body, words] of [
    ["/account/factors/totp/remove", {}, /Enter your current password/],
    ["/account/factors/totp/remove", { currentPassword: "not the password" }, /not correct/],
    [`/account/passkeys/${pk!.id}/remove`, {}, /Enter your current password/],
    [`/account/passkeys/${pk!.id}/remove`, { currentPassword: "not the password" }, /not correct/],
  ] as const) {
    const refused = await c.post(path, { ...body });
    assert.is(refused.res.status, 422, path);
    assert.match(refused.html, words);
  }
  assert.is((await s.passkeys.store.listOf(u.id)).length, 1, "the passkey is still there");
  assert.is((await s.mfa.statusOf(u.id)).activation?.method, "app", "the app is still there");
  assert.ok(await s.sessions.validate(other.token), "nothing was revoked");

  const removed = await c.post("/account/factors/totp/remove", { currentPassword: PASSWORD });
  assert.is(removed.res.status, 303);
  assert.is((await s.mfa.statusOf(u.id)).activation?.method, "passkey");
});

t("the last factor cannot be removed; with an app beside it the passkey can, then the app cannot", async (ctx) => {
  const { env } = ctx;
  const s = env.services;
  const u = await mfaUser(ctx, "lena");
  const { c } = await passkeyThroughSetup(env, "lena", PASSWORD, "Laptop");
  const [pk] = await s.passkeys.store.listOf(u.id);
  assert.match((await s.mfa.statusOf(u.id)).message, /with a passkey \(Laptop\) · Recovery codes: 10 of 10 left$/);

  const account = await c.get("/account");
  assert.match(account.html, /Passkey Laptop/);
  assert.not.match(account.html, /passkeys\/[0-9a-f-]+\/remove/, "no Remove for the only factor");
  assert.match(account.html, /id="last-factor-note"/);
  const refused = await c.post(`/account/passkeys/${pk!.id}/remove`, { currentPassword: PASSWORD });
  assert.is(refused.res.status, 409);
  assert.match(refused.html, /only sign-in method/);
  assert.is((await s.passkeys.store.listOf(u.id)).length, 1, "still there");

  const p = appParams(randomBytes(20));
  // Activated from this browser's session, which goes on.
  const activated = await s.mfa.activation.activate(u.id, { method: "app", ...p }, codeAt(env.clock, p), {
    id: u.id,
    name: "lena",
    siteId: null,
    credential: hashToken(c.cookies.get("fg_session")!),
  });
  assert.ok(activated.ok, "an app beside the passkey");
  const other = await s.sessions.create(u.id, ctx.siteId, "full", "10.0.0.9");
  assert.match(
    (await s.mfa.statusOf(u.id)).message,
    /with a passkey \(Laptop\), an authenticator app · Recovery codes: 10 of 10 left$/,
  );

  const removed = await c.post(`/account/passkeys/${pk!.id}/remove`, { currentPassword: PASSWORD });
  assert.is(removed.res.status, 303);
  assert.equal(await s.passkeys.store.listOf(u.id), []);
  assert.is(await s.sessions.validate(other.token), null, "a removal ends the other sessions");
  assert.match((await c.get("/account")).html, /Removed: passkey Laptop/);
  const last = await c.post("/account/factors/totp/remove", { currentPassword: PASSWORD });
  assert.is(last.res.status, 409);
  assert.is((await s.mfa.statusOf(u.id)).activation?.method, "app");
  const audit = await env.db.query<{ action: string }>(
    "SELECT action FROM audit_log WHERE target_user_id = $1 ORDER BY id",
    [u.id],
  );
  assert.ok(audit.rows.some((r) => r.action === "mfa.factor_remove"));
});

t("two removals at once leave one factor", async (ctx) => {
  const s = ctx.env.services;
  const u = await mfaUser(ctx, "mira");
  await passkeyThroughSetup(ctx.env, "mira", PASSWORD, "Phone");
  const p = appParams(randomBytes(20));
  await s.mfa.activation.activate(u.id, { method: "app", ...p }, codeAt(ctx.env.clock, p), {
    id: u.id,
    name: "mira",
    siteId: null,
  });
  const [pk] = await s.passkeys.store.listOf(u.id);
  const actor = { id: u.id, name: "mira", siteId: null };
  const results = await Promise.all([
    s.factors.remove(u.id, { kind: "passkey", id: pk!.id }, actor),
    s.factors.remove(u.id, { kind: "totp" }, actor),
  ]);
  assert.is(results.filter((r) => r.ok).length, 1, JSON.stringify(results));
  const status = await s.mfa.statusOf(u.id);
  assert.is(status.state, "active", "one factor is left");
});

t("rename a passkey; bad names are refused; end another browser and a device token", async (ctx) => {
  const s = ctx.env.services;
  const u = await mfaUser(ctx, "omar");
  const { c } = await passkeyThroughSetup(ctx.env, "omar", PASSWORD, "Key");
  const [pk] = await s.passkeys.store.listOf(u.id);
  assert.is((await c.post(`/account/passkeys/${pk!.id}/rename`, { name: "YubiKey 5" })).res.status, 303);
  assert.is((await s.passkeys.store.listOf(u.id))[0]!.name, "YubiKey 5");
  assert.is((await c.post(`/account/passkeys/${pk!.id}/rename`, { name: "  " })).res.status, 422);
  assert.is((await c.post(`/account/passkeys/${pk!.id}/rename`, { name: "x".repeat(65) })).res.status, 422);
  assert.is((await s.passkeys.store.listOf(u.id))[0]!.name, "YubiKey 5", "unchanged");

  const other = await s.sessions.create(u.id, ctx.siteId, "full", "192.0.2.7");
  const device = await s.deviceTokens.issue(u.id, "192.0.2.8");
  const page = await c.get("/account");
  assert.match(page.html, /<strong>Browser<\/strong>, from 192\.0\.2\.7; signed in/);
  assert.match(page.html, /<strong>Device<\/strong>, from 192\.0\.2\.8; signed in/);
  assert.match(page.html, /\(this browser\)/);
  const sessionId = page.html.match(/\/account\/sessions\/([0-9a-f]{32})\/end/)![1]!;
  const deviceId = page.html.match(/\/account\/devices\/([0-9a-f]{32})\/end/)![1]!;
  assert.is((await c.post(`/account/sessions/${sessionId}/end`, {})).res.status, 303);
  assert.is(await s.sessions.validate(other.token), null);
  assert.is((await c.post(`/account/devices/${deviceId}/end`, {})).res.status, 303);
  assert.is(await s.deviceTokens.validate(device.token), null);
  assert.is((await c.post(`/account/sessions/${sessionId}/end`, {})).res.status, 404, "already ended");
  assert.is((await c.get("/account")).res.status, 200, "this browser is still signed in");
});

t("a user cannot end another user's browser or device by its id; each shows its client", async (ctx) => {
  const s = ctx.env.services;
  const u = await mfaUser(ctx, "tess");
  const { c } = await passkeyThroughSetup(ctx.env, "tess", PASSWORD, "Key");
  const stranger = await s.users.create({
    siteId: ctx.siteId,
    username: "sven2",
    password: "a long password 12",
    deviceAccess: true,
  });
  const theirs = await s.sessions.create(stranger.id, ctx.siteId, "full", "192.0.2.20");
  const theirDevice = await s.deviceTokens.issue(stranger.id, "192.0.2.21");
  // Their first requests describe their clients (written with the first last-seen update).
  assert.ok(await s.sessions.validate(theirs.token, "Firefox on Linux"));
  assert.ok(await s.deviceTokens.validate(theirDevice.token, "FieldApp/2.1 (Android 14)"));
  const idOf = async (table: "sessions" | "device_tokens", userId: string) =>
    (
      await ctx.env.db.query<{ id: string }>(
        `SELECT substr(encode(sha256(token_hash), 'hex'), 1, 32) AS id FROM ${table} WHERE user_id = $1`,
        [userId],
      )
    ).rows[0]!.id;
  const sessionId = await idOf("sessions", stranger.id);
  const deviceId = await idOf("device_tokens", stranger.id);
  assert.is((await c.post(`/account/sessions/${sessionId}/end`, {})).res.status, 404);
  assert.is((await c.post(`/account/devices/${deviceId}/end`, {})).res.status, 404);
  assert.ok(await s.sessions.validate(theirs.token), "their browser is still signed in");
  assert.ok(await s.deviceTokens.validate(theirDevice.token), "their device is still signed in");
  // The stranger's own page names the clients, each with Sign out.
  const mine = await s.deviceTokens.issue(u.id, "192.0.2.22");
  await s.deviceTokens.validate(mine.token, "FieldApp/2.1 (Android 14)");
  const page = await c.get("/account");
  assert.match(page.html, /<strong>FieldApp\/2\.1 \(Android 14\)<\/strong>, from 192\.0\.2\.22; signed in/);
  assert.match(page.html, /aria-label="Sign out FieldApp\/2\.1 \(Android 14\) [0-9a-f]{6}"/);
});

t("sign out everywhere else: every other session and device token ends, this browser stays", async (ctx) => {
  const s = ctx.env.services;
  const u = await mfaUser(ctx, "pia");
  const { c } = await passkeyThroughSetup(ctx.env, "pia", PASSWORD, "Key");
  const others = [
    await s.sessions.create(u.id, ctx.siteId, "full", "192.0.2.9"),
    await s.sessions.create(u.id, ctx.siteId, "mfa", "192.0.2.10"),
  ];
  const device = await s.deviceTokens.issue(u.id, "192.0.2.11");
  // Someone else's session is not theirs to end.
  const stranger = await s.users.create({ siteId: ctx.siteId, username: "quinn", password: "a long password 12" });
  const strangers = await s.sessions.create(stranger.id, ctx.siteId, "full", "192.0.2.12");
  const page = await c.get("/account");
  assert.match(page.html, /action="\/account\/sign-out-others"/);
  const done = await c.post("/account/sign-out-others", {});
  assert.is(done.res.status, 303);
  for (const o of others) assert.is(await s.sessions.validate(o.token), null);
  assert.is(await s.deviceTokens.validate(device.token), null);
  assert.ok(await s.sessions.validate(strangers.token), "another user's session is untouched");
  const after = await c.get("/account");
  assert.is(after.res.status, 200, "this browser is still signed in");
  assert.match(after.html, /Signed out everywhere else: 2 browsers and 1 device\./);
  assert.not.match(after.html, /action="\/account\/sign-out-others"/, "nothing else left to sign out");
  const { rows } = await ctx.env.db.query<{ details: { sessions: number; devices: number } }>(
    "SELECT details FROM audit_log WHERE action = 'user.sign_out_others' AND target_user_id = $1",
    [u.id],
  );
  assert.equal(
    rows.map((r) => r.details),
    [{ sessions: 2, devices: 1 }],
  );
});

t.run();
