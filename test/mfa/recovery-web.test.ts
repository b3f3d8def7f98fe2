// @storage
// Issue 21: recovery codes on the web — shown once after the first activation, single use,
// counted against the code lock, a new set voids the old, and a recovery-code sign-in may set up
// a new authenticator that replaces the lost one.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { whatHappened } from "../../engine/audit/audit-words.js";
import { SESSION_COOKIE } from "../../engine/web/http/cookies.js";
import { appParams, codeAt, keyBytes } from "../helpers/totp.js";
import type { TotpParams } from "../../engine/mfa/totp.js";

const PASSWORD = "correct horse battery";
const t = suite<{ env: TestEnv; siteId: string; admin: MfaActor }>(`recovery codes on the web [${testBackend}]`);
let n = 0;

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
  const admin = await ctx.env.services.users.create({
    siteId: ctx.siteId,
    username: "root",
    role: "admin",
    password: PASSWORD,
  });
  ctx.admin = { id: admin.id, name: admin.username, siteId: ctx.siteId };
});
t.after(async (ctx) => ctx.env.close());
t.before.each((ctx) => ctx.env.clock.advanceSeconds(3600));

/** The codes of a RecoveryCodesPage. */
export const shownCodes = (html: string) =>
  [...html.matchAll(/<li><code>([0-9A-Z]{5}-[0-9A-Z]{5})<\/code><\/li>/g)].map((m) => m[1]!);

/** A user with MFA on who activates an app through the pages; the codes shown and the TOTP parameters. */
async function activatedUser(env: TestEnv, siteId: string, admin: MfaActor) {
  const username = `rc${++n}`;
  const user = await env.services.users.create({ siteId, username, password: PASSWORD });
  await env.services.mfa.settings.applySettings(user.id, { enabled: true, enforcementDelayDays: 0 }, admin);
  const c = new TestClient(env.app);
  assert.is((await c.signIn(username, PASSWORD)).res.headers.get("location"), "/mfa/setup");
  const page = await c.get("/mfa/setup/app");
  const p = appParams(keyBytes(page.html.match(/id="totp-key">([A-Z2-7 ]+)</)![1]!));
  const done = await c.post("/mfa/setup/app", { code: codeAt(env.clock, p) });
  assert.is(done.res.status, 200, "the first activation shows the recovery codes");
  const codes = shownCodes(done.html);
  assert.match(done.html, /download="formgate-recovery-codes.txt"/);
  assert.match(done.html, /href="\/account"/);
  env.clock.advanceSeconds(60);
  return { username, id: user.id, codes, p, client: c };
}

/** A fresh client past the password step (a session at stage 'mfa', made directly: no Argon2 per client). */
export async function atCodeStep(env: TestEnv, username: string) {
  const user = (await env.services.users.byUsername(username))!;
  const made = await env.services.sessions.create(user.id, user.siteId, "mfa", null);
  const c = new TestClient(env.app);
  c.cookies.set(SESSION_COOKIE, made.token);
  assert.is((await c.get("/login/recovery")).res.status, 200);
  return c;
}

t("the first activation shows 10 codes once; only keyed hashes are stored", async ({ env, siteId, admin }) => {
  const u = await activatedUser(env, siteId, admin);
  assert.is(u.codes.length, 10);
  assert.is(new Set(u.codes).size, 10);
  const { rows } = await env.db.query<{ code_hash: Uint8Array }>(
    "SELECT code_hash FROM mfa_recovery_codes WHERE user_id = $1",
    [u.id],
  );
  assert.is(rows.length, 10);
  for (const r of rows) assert.is(Buffer.from(r.code_hash).length, 32);
  // The account page says how many are left; it never shows a code again.
  const account = await u.client.get("/account");
  assert.match(account.html, /10 of 10 recovery codes left/);
  for (const code of u.codes) assert.not.match(account.html, new RegExp(code));
  // The administrator's status message has the count, never a code.
  assert.match((await env.services.mfa.statusOf(u.id)).message, /Recovery codes: 10 of 10 left/);
});

t("a recovery code signs in once, case, spaces and hyphens forgiven", async ({ env, siteId, admin }) => {
  const u = await activatedUser(env, siteId, admin);
  const c = new TestClient(env.app);
  assert.is((await c.signIn(u.username, PASSWORD)).res.headers.get("location"), "/login/mfa");
  assert.match((await c.get("/login/mfa")).html, /href="\/login\/recovery"/);
  const sloppy = ` ${u.codes[0]!.toLowerCase().replace("-", " ")} `;
  const ok = await c.post("/login/recovery", { recoveryCode: sloppy });
  assert.is(ok.res.status, 200);
  assert.match(ok.html, /9 recovery codes left/);
  assert.match(ok.html, /Set up a new authenticator/);
  assert.is((await c.get("/")).res.status, 200, "fully signed in");
  const again = await atCodeStep(env, u.username);
  const reused = await again.post("/login/recovery", { recoveryCode: u.codes[0]! });
  assert.is(reused.res.status, 401);
  assert.match(reused.html, /not valid/);
  assert.is((await again.get("/")).res.headers.get("location"), "/login/mfa");
  const audits = await env.db.query(
    "SELECT 1 FROM audit_log WHERE action = 'mfa.recovery_code_used' AND target_user_id = $1",
    [u.id],
  );
  assert.is(audits.rows.length, 1);
});

t("a malformed entry is a 422 that counts as nothing", async ({ env, siteId, admin }) => {
  const u = await activatedUser(env, siteId, admin);
  const c = await atCodeStep(env, u.username);
  for (let i = 0; i < 7; i++) {
    const bad = await c.post("/login/recovery", { recoveryCode: "not a code!" });
    assert.is(bad.res.status, 422);
    assert.match(bad.html, /id="err-recoveryCode"[^>]*>Enter a recovery code/);
  }
  assert.is((await c.post("/login/recovery", { recoveryCode: u.codes[1]! })).res.status, 200);
});

t(
  "6 wrong recovery codes lock like wrong codes; Unlock in the dialog lets the next correct code work",
  async ({ env, siteId, admin }) => {
    const u = await activatedUser(env, siteId, admin);
    const c = await atCodeStep(env, u.username);
    const answers: number[] = [];
    for (let i = 0; i < 6; i++)
      answers.push((await c.post("/login/recovery", { recoveryCode: "00000-00000" })).res.status);
    assert.equal(answers, [401, 401, 401, 401, 401, 401]);
    const locked = await c.post("/login/recovery", { recoveryCode: u.codes[2]! });
    assert.is(locked.res.status, 401, "the right code is refused while locked");
    const wrong = await c.post("/login/mfa", { code: codeAt(env.clock, u.p) });
    assert.is(wrong.res.status, 401, "the lock is the code lock: the right TOTP code is refused too");
    assert.ok((await env.services.mfa.statusOf(u.id)).lockedUntil);
    // The administrator sees the lock in the dialog and unlocks it there.
    const root = new TestClient(env.app);
    assert.is((await root.signIn("root", PASSWORD)).res.headers.get("location"), "/");
    const dialog = await root.get(`/configure/users/${u.id}`);
    assert.match(dialog.html, /id="lock-state">Locked after failed sign-in attempts until/);
    const unlocked = await root.post(`/configure/users/${u.id}/unlock`, {});
    assert.is(unlocked.res.status, 303);
    assert.is(unlocked.res.headers.get("location"), `/configure/users/${u.id}`);
    const next = await root.get(`/configure/users/${u.id}`);
    assert.match(next.html, /role="status"[^>]*>[^<]*Unlocked rc\d+/);
    assert.not.match(next.html, /id="unlock"/);
    const audit = await env.db.query("SELECT 1 FROM audit_log WHERE action = 'mfa.unlock' AND target_user_id = $1", [
      u.id,
    ]);
    assert.is(audit.rows.length, 1);
    const after = await c.post("/login/recovery", { recoveryCode: u.codes[2]! });
    assert.is(after.res.status, 200);
  },
);

t("20 concurrent sign-ins with one code: exactly one succeeds", async ({ env, siteId, admin }) => {
  const u = await activatedUser(env, siteId, admin);
  const clients: TestClient[] = [];
  for (let i = 0; i < 20; i++) clients.push(await atCodeStep(env, u.username));
  const results = await Promise.all(clients.map((c) => c.post("/login/recovery", { recoveryCode: u.codes[3]! })));
  const statuses = results.map((r) => r.res.status);
  assert.is(statuses.filter((s) => s === 200).length, 1, statuses.join(","));
  assert.is(statuses.filter((s) => s === 401).length, 19);
  const { rows } = await env.db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NOT NULL",
    [u.id],
  );
  assert.is(rows[0]!.n, 1);
});

t("a new set on /account (after the current password) voids the old one", async ({ env, siteId, admin }) => {
  const u = await activatedUser(env, siteId, admin);
  const wrongPw = await u.client.post("/account/recovery-codes", { currentPassword: "not the password" });
  assert.is(wrongPw.res.status, 422);
  assert.match(wrongPw.html, /id="err-recoveryCurrentPassword"[^>]*>[^<]*password/i);
  const made = await u.client.post("/account/recovery-codes", { currentPassword: PASSWORD });
  assert.is(made.res.status, 200);
  const fresh = shownCodes(made.html);
  assert.is(fresh.length, 10);
  const c = await atCodeStep(env, u.username);
  assert.is((await c.post("/login/recovery", { recoveryCode: u.codes[4]! })).res.status, 401, "old set void");
  assert.is((await c.post("/login/recovery", { recoveryCode: fresh[0]! })).res.status, 200, "new set works");
});

t(
  "the first set mails no 'new recovery codes' notice and is audited as a first set; a new set is both",
  async (ctx) => {
    const { env, siteId, admin } = ctx;
    const u = await activatedUser(env, siteId, admin);
    const mails = async () =>
      (
        await env.db.query<{ kind: string }>("SELECT kind FROM mail_outbox WHERE user_id = $1 ORDER BY id", [u.id])
      ).rows.map((r) => r.kind);
    const said = async () =>
      (await env.services.auditSearch.list({ siteId, action: "mfa.recovery_codes" })).rows
        .filter((r) => r.targetId === u.id)
        .map((r) => whatHappened(r))
        .reverse();
    assert.equal(await mails(), ["mfa_enabled", "mfa_activated"], "no old codes to void: no notice");
    assert.equal(await said(), ["made a first set of 10 recovery codes"]);
    assert.is((await u.client.post("/account/recovery-codes", { currentPassword: PASSWORD })).res.status, 200);
    assert.equal(await mails(), ["mfa_enabled", "mfa_activated", "recovery_codes_new"]);
    assert.equal(await said(), ["made a first set of 10 recovery codes", "made a new set of 10 recovery codes"]);
  },
);

t("the account page warns at 3 codes or fewer", async ({ env, siteId, admin }) => {
  const u = await activatedUser(env, siteId, admin);
  for (const code of u.codes.slice(0, 7)) {
    const c = await atCodeStep(env, u.username);
    assert.is((await c.post("/login/recovery", { recoveryCode: code })).res.status, 200);
  }
  const account = await u.client.get("/account");
  assert.match(account.html, /3 of 10 recovery codes left/);
  assert.match(account.html, /id="recovery-low"/);
  assert.match((await env.services.mfa.statusOf(u.id)).message, /Recovery codes: 3 of 10 left/);
});

/** Sets up a new app in replacement mode with client `c` (signed in with a code or a pass). */
async function replaceApp(env: TestEnv, c: TestClient): Promise<{ p: TotpParams; html: string; status: number }> {
  const choice = await c.get("/mfa/setup");
  assert.is(choice.res.status, 200);
  assert.match(choice.html, /replaces your current app or hardware token/);
  const page = await c.get("/mfa/setup/app");
  const p = appParams(keyBytes(page.html.match(/id="totp-key">([A-Z2-7 ]+)</)![1]!));
  const done = await c.post("/mfa/setup/app", { code: codeAt(env.clock, p) });
  return { p, html: done.html, status: done.res.status };
}

t(
  "lost phone: a recovery code, then a new authenticator replaces the old one; old codes are refused",
  async ({ env, siteId, admin }) => {
    const u = await activatedUser(env, siteId, admin);
    const c = await atCodeStep(env, u.username);
    assert.is((await c.post("/login/recovery", { recoveryCode: u.codes[5]! })).res.status, 200);
    // Until the new one is confirmed the old one stays.
    await c.get("/mfa/setup/app");
    assert.is((await env.services.mfa.statusOf(u.id)).activation?.method, "app");
    const { p, status } = await replaceApp(env, c);
    assert.is(status, 303, "codes are left, so no new set: on to the account page");
    env.clock.advanceSeconds(60);
    const oldCode = await atCodeStep(env, u.username);
    assert.is(
      (await oldCode.post("/login/mfa", { code: codeAt(env.clock, u.p) })).res.status,
      401,
      "old secret refused",
    );
    const newCode = await atCodeStep(env, u.username);
    assert.is((await newCode.post("/login/mfa", { code: codeAt(env.clock, p) })).res.headers.get("location"), "/");
    // A session signed in with the TOTP code cannot replace the factor.
    assert.is((await newCode.get("/mfa/setup")).res.headers.get("location"), "/");
  },
);

t.run();
