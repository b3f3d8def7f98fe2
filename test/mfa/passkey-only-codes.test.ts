// @storage
// A user whose only factor is a passkey holds no code, yet /login/mfa and POST /api/device/mfa still
// take one (a form posted anyway, a lost phone's codes tried by whoever holds the password). Each
// such code is a wrong code: counted against the account's code lock before anything is checked,
// audited like an app user's wrong code (sign_in.code failure, per burst), and the fifth sets the
// lock (mfa.lock) that the passkey step meets too. No code is ever accepted. A user with no factor
// at all (MFA on, not set up) keeps the answer they always had: nothing counted, nothing audited.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { DeviceChallenges } from "../../engine/device/device-challenges.js";
import { ACCOUNT_POLICY } from "../../engine/auth/throttle.js";
import { codeThrottleKey } from "../../engine/mfa/mfa-model.js";
import { SESSION_COOKIE } from "../../engine/web/http/cookies.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { loudHook } from "../helpers/loud-hook.js";
import { signInEntries } from "../helpers/sign-in-entries.js";
import type { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { publicSiteAdmin, type PublicSiteAdmin } from "../helpers/users.js";
import { optionsIn, passkeyThroughSetup } from "../helpers/webauthn-page.js";
import { api, assertError } from "../device/client.js";

const PASSWORD = "correct horse battery";
interface Ctx {
  env: TestEnv;
  a: PublicSiteAdmin;
  challenges: DeviceChallenges;
}
const t = suite<Ctx>(`codes for a passkey-only account [${testBackend}]`);

t.before(
  loudHook(async (ctx) => {
    ctx.env = await startTestEnv();
    ctx.a = await publicSiteAdmin(ctx.env.services, PASSWORD);
    ctx.challenges = new DeviceChallenges(ctx.env.db, ctx.env.clock);
  }),
);
t.after(async (ctx) => ctx.env?.close());
// Past any lock a test before left, and in a fresh time step.
t.before.each((ctx) => ctx.env.clock.advanceSeconds(7200));

let n = 0;
/** A user (MFA on) whose one factor is a passkey, registered through /mfa/setup/passkey. */
async function passkeyOnly(
  { env, a }: Ctx,
  deviceAccess = false,
): Promise<{ id: string; username: string; auth: SoftAuthenticator }> {
  const username = `pko${++n}`;
  const u = await env.services.users.create({ siteId: a.siteId, username, password: PASSWORD, deviceAccess });
  await env.services.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, a.root);
  const { auth } = await passkeyThroughSetup(env, username, PASSWORD, "Laptop");
  assert.is((await env.services.mfa.statusOf(u.id)).activation?.method, "passkey", "passkeys only (control)");
  return { id: u.id, username, auth };
}

/** A browser at the second step of `userId`'s sign-in (a session made directly: no Argon2). */
async function atSecondStep({ env, a }: Ctx, userId: string): Promise<TestClient> {
  const made = await env.services.sessions.create(userId, a.siteId, "mfa", null);
  const c = new TestClient(env.app);
  c.cookies.set(SESSION_COOKIE, made.token);
  assert.is((await c.get("/login/mfa")).res.status, 200);
  return c;
}

/** The account's code lock as stored: the failures counted since the last lock, and its end. */
async function codeLock(env: TestEnv, userId: string) {
  const { rows } = await env.db.query<{ failures: number; locked_until: Date | null }>(
    "SELECT failures, locked_until FROM throttles WHERE key = $1",
    [codeThrottleKey(userId)],
  );
  return rows[0] ?? null;
}

const locks = async (env: TestEnv, userId: string) =>
  (
    await env.db.query<{ details: { surface: string; failures: number } }>(
      "SELECT details FROM audit_log WHERE action = 'mfa.lock' AND target_user_id = $1",
      [userId],
    )
  ).rows.map((r) => `${r.details.surface} ${r.details.failures}`);

const codeEntries = async (env: TestEnv, userId: string) =>
  (await signInEntries(env, userId)).filter((e) => e.startsWith("sign_in.code"));

t("web: codes posted to /login/mfa are wrong codes: audited, counted, the fifth locks the passkey too", async (ctx) => {
  const { env } = ctx;
  const u = await passkeyOnly(ctx);
  const c = await atSecondStep(ctx, u.id);
  const first = await c.post("/login/mfa", { code: "123456" });
  assert.is(first.res.status, 401);
  assert.equal(await codeEntries(env, u.id), ["sign_in.code failure web"]);
  assert.is((await codeLock(env, u.id))?.failures, 1, "counted against the code lock");
  for (let i = 2; i < ACCOUNT_POLICY.maxFailures; i++) {
    assert.is((await c.post("/login/mfa", { code: String(100000 + i) })).res.status, 401);
  }
  assert.is((await codeLock(env, u.id))?.locked_until ?? null, null, "not locked before the fifth");
  const fifth = await c.post("/login/mfa", { code: "654321" });
  assert.is(fifth.res.status, 401);
  assert.ok((await codeLock(env, u.id))!.locked_until! > env.clock.now(), "the fifth wrong code locks");
  assert.equal(await locks(env, u.id), [`web ${ACCOUNT_POLICY.maxFailures}`]);
  // One failure entry per burst, as for an app user; the lock is mfa.lock.
  assert.equal(await codeEntries(env, u.id), ["sign_in.code failure web"]);
  // Locked, a code answers as before; the passkey meets the same lock.
  assert.is((await c.post("/login/mfa", { code: "111111" })).res.status, 401);
  const page = await c.get("/login/mfa");
  const refused = await c.post("/login/mfa/passkey", { response: JSON.stringify(u.auth.assert(optionsIn(page.html))) });
  assert.is(refused.res.status, 401, "the passkey is locked out with the codes");
  // Once the lock is over the passkey signs in, and its success clears the count.
  env.clock.advanceSeconds(ACCOUNT_POLICY.baseLockSeconds + 1);
  const again = await c.get("/login/mfa");
  const done = await c.post("/login/mfa/passkey", { response: JSON.stringify(u.auth.assert(optionsIn(again.html))) });
  assert.is(done.res.status, 303);
  assert.is(done.res.headers.get("location"), "/");
  assert.is(await codeLock(env, u.id), null);
});

t(
  "device API: a code for a passkey-only account is a wrong code: 401, audited, counted, the fifth locks",
  async (ctx) => {
    const { env } = ctx;
    const u = await passkeyOnly(ctx, true);
    const post = async (code: string) => {
      const challenge = (await ctx.challenges.issue(u.id, "mfa", null)).challenge;
      return api(env.app, "POST", "/api/device/mfa", { challenge, code });
    };
    assertError(await post("123456"), 401, "invalid_code");
    assert.equal(await codeEntries(env, u.id), ["sign_in.code failure device"]);
    assert.is((await codeLock(env, u.id))?.failures, 1);
    for (let i = 2; i <= ACCOUNT_POLICY.maxFailures; i++)
      assertError(await post(String(200000 + i)), 401, "invalid_code");
    assert.ok((await codeLock(env, u.id))!.locked_until! > env.clock.now(), "the fifth wrong code locks");
    assert.equal(await locks(env, u.id), [`device ${ACCOUNT_POLICY.maxFailures}`]);
    // Locked: the same answer as a wrong code (no 429, no Retry-After).
    const locked = await post("333333");
    assertError(locked, 401, "invalid_code");
    assert.is(locked.headers.get("retry-after"), null);
  },
);

t("no code is ever accepted for a passkey-only account (six digits, eight, none), and each counts", async (ctx) => {
  const { env } = ctx;
  const u = await passkeyOnly(ctx);
  for (const code of ["000000", "12345678", ""]) {
    const r = await env.services.mfa.codes.verifyCode(u.id, code);
    assert.equal(r, { ok: false, reason: "invalid", retryAfterSeconds: 0 }, code);
  }
  assert.is((await codeLock(env, u.id))?.failures, 3, "each counted");
});

t("a burst of codes at once: five counted, one lock, as for an app user", async (ctx) => {
  const { env } = ctx;
  const u = await passkeyOnly(ctx);
  const codes = Array.from({ length: 20 }, (_, i) => String(300000 + i));
  const answers = await Promise.all(codes.map((code) => env.services.mfa.codes.verifyCode(u.id, code)));
  assert.ok(
    answers.every((r) => !r.ok && r.reason !== "not_enrolled"),
    "every one refused as wrong or locked",
  );
  const { rows } = await env.db.query<{ lock_count: number; total_failures: number }>(
    "SELECT lock_count, total_failures FROM throttles WHERE key = $1",
    [codeThrottleKey(u.id)],
  );
  assert.equal(rows[0], { lock_count: 1, total_failures: ACCOUNT_POLICY.maxFailures });
  assert.is((await locks(env, u.id)).length, 1);
});

t("the password step says a passkey is next, and the second step's page speaks of the passkey", async (ctx) => {
  const { env } = ctx;
  const u = await passkeyOnly(ctx, true);
  const c = new TestClient(env.app);
  assert.is((await c.signIn(u.username, PASSWORD)).res.headers.get("location"), "/login/mfa");
  const step = await c.get("/login/mfa");
  assert.match(step.html, /<title>Use your passkey · Formgate<\/title>/);
  const wrong = await c.post("/login/mfa", { code: "123456" });
  assert.is(wrong.res.status, 401);
  const notice = wrong.html.match(/<p class="notice error" role="alert" id="mfa-error">([\s\S]*?)<\/p>/)?.[1] ?? "";
  assert.match(notice, /passkey/);
  assert.not.match(notice, /authenticator/i);
  assert.match(step.html, /Lost your passkey, or it does not work\?/);
  assert.not.match(step.html, /Lost your phone or token/);
  // No code field to put it under: a malformed code's message is the page's notice.
  const malformed = await c.post("/login/mfa", { code: "12ab" });
  assert.is(malformed.res.status, 422);
  const malformedNotice =
    malformed.html.match(/<p class="notice error" role="alert" id="mfa-error">([\s\S]*?)<\/p>/)?.[1] ?? "";
  assert.match(malformedNotice, /passkey/);
  assert.not.match(malformedNotice, /authenticator/i);
  const login = await api(env.app, "POST", "/api/device/login", { username: u.username, password: PASSWORD });
  assert.is(login.json.method, "passkey");
  const { rows } = await env.db.query<{ details: { stage?: string; next?: string } }>(
    "SELECT details FROM audit_log WHERE target_user_id = $1 AND action = 'sign_in.password' ORDER BY id",
    [u.id],
  );
  // The first is the setup's sign-in (passkeyThroughSetup): MFA setup next.
  assert.equal(
    rows.map((r) => `${r.details.stage} ${r.details.next ?? "-"}`),
    ["mfa_setup -", "mfa passkey", "mfa passkey"],
  );
  const admin = new TestClient(env.app);
  await admin.signIn("root", PASSWORD);
  const audit = (await admin.get(`/configure/audit?user=${u.username}`)).html;
  assert.match(audit, new RegExp(`${u.username} signed in with the password \\(web; passkey next\\)`));
  assert.match(audit, new RegExp(`${u.username} signed in with the password \\(device API; passkey next\\)`));
  assert.not.match(audit, /code next/);
});

t("a user with no factor (MFA on, not set up) keeps today's answer: nothing counted, nothing audited", async (ctx) => {
  const { env, a } = ctx;
  const s = env.services;
  const u = await s.users.create({ siteId: a.siteId, username: `none${++n}`, password: PASSWORD, deviceAccess: true });
  await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, a.root);
  assert.equal(await s.mfa.codes.verifyCode(u.id, "123456"), {
    ok: false,
    reason: "not_enrolled",
    retryAfterSeconds: 0,
  });
  // A sign-in challenge from before a reset: the device API says so, as it always did.
  const challenge = (await ctx.challenges.issue(u.id, "mfa", null)).challenge;
  assertError(await api(env.app, "POST", "/api/device/mfa", { challenge, code: "123456" }), 409, "wrong_step");
  assert.is(await codeLock(env, u.id), null);
  assert.equal(await codeEntries(env, u.id), []);
});

t.run();
