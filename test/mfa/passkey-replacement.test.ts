// @storage
// A lost phone replaced by a passkey: after a recovery-code or access-pass sign-in, the passkey
// confirmed at /mfa/setup/passkey replaces the lost authenticator app exactly as a new app does —
// in the same transaction, audited as mfa.activate with `replaced`, the user's other sessions and
// remembered browsers ended (the acting one kept) — so the old phone's codes no longer sign in.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { appParams, codeAt } from "../helpers/totp.js";
import { publicSiteAdmin, type PublicSiteAdmin } from "../helpers/users.js";
import { addPasskeyAsSignedIn, optionsIn } from "../helpers/webauthn-page.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { SESSION_COOKIE } from "../../engine/web/http/cookies.js";
import type { TotpParams } from "../../engine/mfa/totp.js";

const PASSWORD = "correct horse battery";
const t = suite<{ env: TestEnv; a: PublicSiteAdmin }>(`lost phone replaced by a passkey [${testBackend}]`);
let n = 0;

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.a = await publicSiteAdmin(ctx.env.services, PASSWORD);
});
t.after(async (ctx) => ctx.env.close());
t.before.each((ctx) => ctx.env.clock.advanceSeconds(3600));

/** A user with an authenticator app activated through the service (fixed key); the parameters. */
async function withApp(env: TestEnv, a: PublicSiteAdmin) {
  const username = `lp${++n}`;
  const user = await env.services.users.create({ siteId: a.siteId, username, password: PASSWORD });
  await env.services.mfa.settings.applySettings(user.id, { enabled: true, enforcementDelayDays: 0 }, a.root);
  const p = appParams(Buffer.alloc(20, 40 + n));
  const self = { id: user.id, name: username, siteId: null };
  assert.ok(
    (await env.services.mfa.activation.activate(user.id, { method: "app", ...p }, codeAt(env.clock, p), self)).ok,
  );
  env.clock.advanceSeconds(60);
  return { id: user.id, username, p };
}

/** A client holding a session of `userId` at `stage`, made directly (no Argon2 per client). */
async function clientAt(env: TestEnv, userId: string, stage: "mfa" | "full") {
  const made = await env.services.sessions.create(userId, (await env.services.users.byId(userId))!.siteId, stage, null);
  const c = new TestClient(env.app);
  c.cookies.set(SESSION_COOKIE, made.token);
  return c;
}

/** Registers a passkey named `name` at /mfa/setup/passkey with client `c`; the answer. */
async function addPasskey(c: TestClient, name: string) {
  const page = await c.get("/mfa/setup/passkey");
  assert.is(page.res.status, 200);
  const auth = new SoftAuthenticator("localhost", "http://localhost:3000");
  return c.post("/mfa/setup/passkey", { name, response: JSON.stringify(auth.register(optionsIn(page.html))) });
}

/** The old phone's code, at the code step of a fresh sign-in: the status /login/mfa answers. */
async function oldCodeStatus(env: TestEnv, userId: string, p: TotpParams) {
  env.clock.advanceSeconds(60);
  const c = await clientAt(env, userId, "mfa");
  return (await c.post("/login/mfa", { code: codeAt(env.clock, p) })).res.status;
}

/** Checks what a replacement by the passkey "Replacement key" left: the factors, the audit entry. */
async function assertReplaced(env: TestEnv, userId: string) {
  const status = await env.services.mfa.statusOf(userId);
  assert.is(status.activation?.method, "passkey", "no code factor left");
  assert.equal(status.activation?.passkeys, ["Replacement key"]);
  const audit = await env.db.query<{ details: { method: string; replaced?: string } }>(
    "SELECT details FROM audit_log WHERE action = 'mfa.activate' AND target_user_id = $1 ORDER BY id DESC LIMIT 1",
    [userId],
  );
  assert.is(audit.rows[0]!.details.method, "passkey");
  assert.is(audit.rows[0]!.details.replaced, "app");
}

t("a recovery code, then a passkey: the lost app no longer signs in", async ({ env, a }) => {
  const u = await withApp(env, a);
  const codes = await env.services.recovery.codes.createSet(u.id, { id: u.id, name: u.username, siteId: null });
  const other = await clientAt(env, u.id, "full");
  await env.services.rememberedBrowsers.remember(u.id, "Firefox on Linux", 30);
  const c = await clientAt(env, u.id, "mfa");
  assert.is((await c.post("/login/recovery", { recoveryCode: codes[0]! })).res.status, 200);
  const choice = await c.get("/mfa/setup");
  assert.match(choice.html, /id="mfa-replacing"/);
  assert.not.match(choice.html, /confirm it with a code;/, "the words fit a passkey too");
  const done = await addPasskey(c, "Replacement key");
  assert.is(done.res.status, 303, "codes are left: on to the account page");
  assert.is(done.res.headers.get("location"), "/account");
  const account = await c.get("/account");
  assert.is(account.res.status, 200, "the acting session goes on");
  assert.match(account.html, /Your passkey replaces your authenticator app/);
  assert.not.match(account.html, /an authenticator app/i, "the lost app is not listed");
  await assertReplaced(env, u.id);
  assert.match((await other.get("/account")).res.headers.get("location") ?? "", /^\/login/, "the other session ended");
  assert.equal(await env.services.rememberedBrowsers.listOf(u.id), [], "remembered browsers forgotten");
  assert.is(await oldCodeStatus(env, u.id, u.p), 401, "the old phone's code is refused");
});

t("an access pass, then a passkey: the lost app no longer signs in", async ({ env, a }) => {
  const u = await withApp(env, a);
  const { pass } = await env.services.recovery.passes.issue(u.id, { validHours: 8, oneTime: true }, a.root);
  const c = await clientAt(env, u.id, "mfa");
  assert.is((await c.post("/login/recovery", { recoveryCode: pass })).res.headers.get("location"), "/mfa/setup");
  // Until the passkey is confirmed the app stays.
  await c.get("/mfa/setup/passkey");
  assert.is((await env.services.mfa.statusOf(u.id)).activation?.method, "app");
  const done = await addPasskey(c, "Replacement key");
  assert.is(done.res.status, 200, "no recovery codes were left: a new set is shown");
  assert.match(done.html, /id="recovery-codes"/);
  await assertReplaced(env, u.id);
  assert.is(await oldCodeStatus(env, u.id, u.p), 401, "the old phone's code is refused");
});

t("a passkey added by an ordinary signed-in session replaces nothing", async ({ env, a }) => {
  const u = await withApp(env, a);
  const c = await clientAt(env, u.id, "full");
  const done = await addPasskeyAsSignedIn(c, "Laptop", PASSWORD);
  assert.is(done.res.status, 303);
  const status = await env.services.mfa.statusOf(u.id);
  assert.is(status.activation?.method, "app", "the app stays beside the new passkey");
  assert.equal(status.activation?.passkeys, ["Laptop"]);
});

t.run();
