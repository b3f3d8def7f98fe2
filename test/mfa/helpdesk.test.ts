// @storage
// Issue 21: the helpdesk path for administrators — Unlock, a reset that lifts the lock, and the
// temporary access pass (issued on the user's site only, once, expiring, one live per user, the
// pass session reaching nothing but the MFA setup) — and the one revocation path ending codes and passes.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { appParams, codeAt, keyBytes } from "../helpers/totp.js";
import { saveUser } from "../helpers/users.js";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import { SESSION_COOKIE } from "../../engine/web/http/cookies.js";

const PASSWORD = "correct horse battery";
interface Ctx {
  env: TestEnv;
  siteId: string;
  admin: MfaActor;
  root: TestClient;
  outsider: TestClient;
}
const t = suite<Ctx>(`helpdesk: unlock, reset, access pass [${testBackend}]`);
let n = 0;

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  const s = ctx.env.services;
  ctx.siteId = (await s.sites.publicSite()).id;
  const admin = await s.users.create({ siteId: ctx.siteId, username: "root", role: "admin", password: PASSWORD });
  ctx.admin = { id: admin.id, name: admin.username, siteId: ctx.siteId };
  const north = await s.sites.create("north", "North");
  await s.users.create({ siteId: north.id, username: "northadmin", role: "admin", password: PASSWORD });
});
t.after(async (ctx) => ctx.env.close());
t.before.each(async (ctx) => {
  ctx.env.clock.advanceSeconds(3600);
  // Fresh administrators' sessions each test (an hour of the clock ends idle ones).
  ctx.root = await signedIn(ctx.env, "root");
  ctx.outsider = await signedIn(ctx.env, "northadmin");
});

/** A client with a full session of `username`, made directly (no Argon2). */
async function signedIn(env: TestEnv, username: string) {
  const user = (await env.services.users.byUsername(username))!;
  const made = await env.services.sessions.create(user.id, user.siteId, "full", null);
  const c = new TestClient(env.app);
  c.cookies.set(SESSION_COOKIE, made.token);
  assert.is((await c.get("/account")).res.status, 200);
  return c;
}

/** A user with MFA activated (an app with a fixed key, through the service); the parameters. */
async function activated(env: TestEnv, siteId: string, admin: MfaActor) {
  const username = `hd${++n}`;
  const user = await env.services.users.create({ siteId, username, password: PASSWORD });
  await env.services.mfa.settings.applySettings(user.id, { enabled: true, enforcementDelayDays: 0 }, admin);
  const p = appParams(Buffer.alloc(20, n));
  const ok = await env.services.mfa.activation.activate(user.id, { method: "app", ...p }, codeAt(env.clock, p), {
    id: user.id,
    name: username,
    siteId: null,
  });
  assert.ok(ok.ok);
  env.clock.advanceSeconds(60);
  return { id: user.id, username, p };
}

/** A fresh client at the code step (a session at stage 'mfa', made directly). */
async function atCodeStep(env: TestEnv, userId: string) {
  const made = await env.services.sessions.create(userId, (await env.services.users.byId(userId))!.siteId, "mfa", null);
  const c = new TestClient(env.app);
  c.cookies.set(SESSION_COOKIE, made.token);
  await c.get("/login/recovery");
  return c;
}

async function lockWithWrongCodes(env: TestEnv, userId: string) {
  const c = await atCodeStep(env, userId);
  for (let i = 0; i < 5; i++) assert.is((await c.post("/login/mfa", { code: "000000" })).res.status, 401);
  assert.ok((await env.services.mfa.statusOf(userId)).lockedUntil, "locked");
}

t("lock → Unlock from the dialog → the next correct code works", async ({ env, siteId, admin, root, outsider }) => {
  const u = await activated(env, siteId, admin);
  await lockWithWrongCodes(env, u.id);
  const c = await atCodeStep(env, u.id);
  assert.is((await c.post("/login/mfa", { code: codeAt(env.clock, u.p) })).res.status, 401, "locked: refused");
  assert.is((await outsider.post(`/configure/users/${u.id}/unlock`, {})).res.status, 404, "another site's admin");
  assert.ok((await env.services.mfa.statusOf(u.id)).lockedUntil, "still locked");
  const dialog = await root.get(`/configure/users/${u.id}`);
  assert.match(dialog.html, /<button type="submit" id="unlock">Unlock<\/button>/);
  assert.is((await root.post(`/configure/users/${u.id}/unlock`, {})).res.status, 303);
  env.clock.advanceSeconds(30);
  assert.is((await c.post("/login/mfa", { code: codeAt(env.clock, u.p) })).res.headers.get("location"), "/");
});

t("Unlock of a user who is not locked says so and writes no mfa.unlock entry", async (ctx) => {
  const { env, siteId, admin, root } = ctx;
  const u = await activated(env, siteId, admin);
  const entries = async () =>
    (await env.db.query("SELECT 1 FROM audit_log WHERE action = 'mfa.unlock' AND target_user_id = $1", [u.id])).rows
      .length;
  const flashOf = async (r: { res: Response }) =>
    (await root.get(r.res.headers.get("location")!)).html.match(/class="flash">\s*([^<]*)</)?.[1] ?? "";
  // Failures below the lock: cleared, but nothing was locked.
  const c = await atCodeStep(env, u.id);
  assert.is((await c.post("/login/mfa", { code: "000000" })).res.status, 401);
  assert.match(await flashOf(await root.post(`/configure/users/${u.id}/unlock`, {})), /was not locked\./);
  assert.is(await entries(), 0, "nothing lifted, nothing audited");
  await lockWithWrongCodes(env, u.id);
  assert.match(await flashOf(await root.post(`/configure/users/${u.id}/unlock`, {})), /^Unlocked /);
  assert.is(await entries(), 1);
  assert.match(await flashOf(await root.post(`/configure/users/${u.id}/unlock`, {})), /was not locked\./);
  assert.is(await entries(), 1, "the second Unlock writes no entry");
  // A lock that ran out by itself is no lock to lift.
  await lockWithWrongCodes(env, u.id);
  env.clock.advanceSeconds(86_400);
  assert.not.ok(await env.services.mfa.settings.unlock(u.id, admin));
  assert.is(await entries(), 1);
});

t(
  "lock → reset (off + Save, on + Save) → the new authenticator's first correct code works",
  async ({ env, siteId, admin }) => {
    const u = await activated(env, siteId, admin);
    await lockWithWrongCodes(env, u.id);
    await saveUser(env.services, u.id, { mfaEnabled: false });
    await saveUser(env.services, u.id, { mfaEnabled: true, mfaEnforcementDelayDays: 0 });
    assert.is((await env.services.mfa.statusOf(u.id)).lockedUntil, null, "the reset lifted the lock");
    const c = new TestClient(env.app);
    assert.is((await c.signIn(u.username, PASSWORD)).res.headers.get("location"), "/mfa/setup");
    const page = await c.get("/mfa/setup/app");
    const p = appParams(keyBytes(page.html.match(/id="totp-key">([A-Z2-7 ]+)</)![1]!));
    const done = await c.post("/mfa/setup/app", { code: codeAt(env.clock, p) });
    assert.is(done.res.status, 200, "activated at the first correct code");
    assert.is((await env.services.mfa.statusOf(u.id)).state, "active");
  },
);

/** Issues a pass through the dialog's form; the pass shown. */
async function issuePass(root: TestClient, userId: string, fields: Record<string, string> = {}) {
  const r = await root.post(`/configure/users/${userId}/access-pass`, { validHours: "8", oneTime: "true", ...fields });
  assert.is(r.res.status, 200);
  return r.html.match(/<code id="access-pass" class="access-pass">([0-9A-Z-]{17})<\/code>/)![1]!;
}

t(
  "a pass: another site's admin gets 404; it works once; the pass session reaches only MFA setup",
  async ({ env, siteId, admin, root, outsider }) => {
    const u = await activated(env, siteId, admin);
    const refused = await outsider.post(`/configure/users/${u.id}/access-pass`, { validHours: "8", oneTime: "true" });
    assert.is(refused.res.status, 404);
    assert.is(await env.services.recovery.passes.liveOf(u.id), null, "nothing issued");
    const pass = await issuePass(root, u.id);
    const audit = await env.db.query<{ actor_name: string; details: { validUntil: string } }>(
      "SELECT actor_name, details FROM audit_log WHERE action = 'mfa.access_pass' AND target_user_id = $1",
      [u.id],
    );
    assert.is(audit.rows[0]!.actor_name, "root");
    assert.ok(audit.rows[0]!.details.validUntil);
    assert.not.match(JSON.stringify(audit.rows), new RegExp(pass.replace(/-/g, "")));
    assert.match((await root.get(`/configure/users/${u.id}`)).html, /A temporary access pass is valid until/);
    // The user hears of it by e-mail (a queued notice), which never holds the pass.
    const mails = await env.db.query<{ details: unknown }>(
      "SELECT details FROM mail_outbox WHERE user_id = $1 AND kind = 'access_pass_issued'",
      [u.id],
    );
    assert.is(mails.rows.length, 1);
    assert.not.match(JSON.stringify(mails.rows), new RegExp(pass.replace(/-/g, "").slice(0, 8)));

    const c = await atCodeStep(env, u.id);
    const used = await c.post("/login/recovery", { recoveryCode: pass.toLowerCase() });
    assert.is(used.res.headers.get("location"), "/mfa/setup");
    for (const path of ["/configure", "/configure/users", "/apps", "/account", "/"]) {
      const r = await c.get(path);
      assert.is(r.res.headers.get("location"), "/mfa/setup", `${path} stays closed`);
    }
    const choice = await c.get("/mfa/setup");
    assert.match(choice.html, /Set up a new authenticator/);
    const page = await c.get("/mfa/setup/app");
    const p = appParams(keyBytes(page.html.match(/id="totp-key">([A-Z2-7 ]+)</)![1]!));
    const done = await c.post("/mfa/setup/app", { code: codeAt(env.clock, p) });
    assert.is(done.res.status, 200, "no codes were left: a new set is shown");
    assert.match(done.html, /id="recovery-codes"/);
    const account = await c.get("/account");
    assert.is(account.res.status, 200, "signed in now");
    // A replacement says so (it read "MFA is now on: from now on every sign-in asks for a code.").
    assert.match(account.html, /Your new authenticator app replaced the one you had/);
    assert.not.match(account.html, /MFA\) is now on/);

    const again = await atCodeStep(env, u.id);
    assert.is(
      (await again.post("/login/recovery", { recoveryCode: pass })).res.status,
      401,
      "a one-time pass works once",
    );
    const usedAudit = await env.db.query(
      "SELECT 1 FROM audit_log WHERE action = 'mfa.access_pass_used' AND target_user_id = $1",
      [u.id],
    );
    assert.is(usedAudit.rows.length, 1);
  },
);

t("a pass expires (injected clock); a second pass voids the first", async ({ env, siteId, admin, root }) => {
  // (The administrator's session is made again after the clock moved an hour.)
  const u = await activated(env, siteId, admin);
  const first = await issuePass(root, u.id, { validHours: "1", oneTime: "" });
  const second = await issuePass(root, u.id, { validHours: "1" });
  const c = await atCodeStep(env, u.id);
  assert.is((await c.post("/login/recovery", { recoveryCode: first })).res.status, 401, "voided by the second");
  env.clock.advanceSeconds(3601);
  const late = await atCodeStep(env, u.id);
  assert.is((await late.post("/login/recovery", { recoveryCode: second })).res.status, 401, "expired");
  await env.services.mfa.settings.unlock(u.id, admin);
  const third = await issuePass(await signedIn(env, "root"), u.id, { validHours: "2", oneTime: "" });
  env.clock.advanceSeconds(7199);
  const inTime = await atCodeStep(env, u.id);
  assert.is((await inTime.post("/login/recovery", { recoveryCode: third })).res.headers.get("location"), "/mfa/setup");
  const twice = await atCodeStep(env, u.id);
  assert.is(
    (await twice.post("/login/recovery", { recoveryCode: third })).res.headers.get("location"),
    "/mfa/setup",
    "a pass that is not one-time works until it expires",
  );
});

t(
  "a replayed pass form (reload, Back and send again) issues no second pass and says when it issued one",
  async (ctx) => {
    const { env, siteId, admin, root } = ctx;
    const u = await activated(env, siteId, admin);
    const dialog = await root.get(`/configure/users/${u.id}`);
    const token = dialog.html.match(/id="access-pass-form"[\s\S]*?name="_submission" value="([^"]+)"/)![1]!;
    const pass = await issuePass(root, u.id, { _submission: token });
    env.clock.advanceSeconds(120);
    const again = await root.post(`/configure/users/${u.id}/access-pass`, {
      validHours: "8",
      oneTime: "true",
      _submission: token,
    });
    assert.is(again.res.status, 200);
    assert.not.match(again.html, /id="access-pass"/, "the pass is not shown again");
    assert.match(again.html, /id="access-pass-replayed"[^>]*>This form already issued a temporary access pass for/);
    assert.match(again.html, /It is valid until .*, once\./);
    const fresh = again.html.match(/name="_submission" value="([^"]+)"/)![1]!;
    assert.is.not(fresh, token, "the new-pass button is a new form");
    const audits = await env.db.query(
      "SELECT 1 FROM audit_log WHERE action = 'mfa.access_pass' AND target_user_id = $1",
      [u.id],
    );
    assert.is(audits.rows.length, 1, "one pass issued, one audit entry");
    const c = await atCodeStep(env, u.id);
    assert.is((await c.post("/login/recovery", { recoveryCode: pass })).res.headers.get("location"), "/mfa/setup");

    // The new-pass button issues one that voids the first; the first form's replay then says so.
    const second = await issuePass(root, u.id, { _submission: fresh });
    assert.is.not(second, pass);
    const replaced = await root.post(`/configure/users/${u.id}/access-pass`, { validHours: "8", _submission: token });
    assert.match(replaced.html, /A newer pass has replaced it since\./);
    const bad = await root.post(`/configure/users/${u.id}/access-pass`, { validHours: "8", _submission: "x" });
    assert.is(bad.res.status, 422);
  },
);

t("a replayed pass form offers the new pass with the replayed pass's hours and once/until it expires", async (ctx) => {
  const { env, siteId, admin, root } = ctx;
  const u = await activated(env, siteId, admin);
  const tokenOf = (html: string) => html.match(/id="access-pass-form"[\s\S]*?name="_submission" value="([^"]+)"/)![1]!;
  const token = tokenOf((await root.get(`/configure/users/${u.id}`)).html);
  // A pass for 24 hours that works until it expires (not once).
  await issuePass(root, u.id, { validHours: "24", oneTime: "", _submission: token });
  env.clock.advanceSeconds(120);
  const form = (html: string) => {
    assert.match(html, /id="access-pass-replayed"/);
    const f = html.match(/<form[^>]*id="access-pass-form"[\s\S]*?<\/form>/)![0];
    return {
      hours: f.match(/<input[^>]*name="validHours"[^>]*value="([^"]*)"/)?.[1],
      once: /<input[^>]*name="oneTime"[^>]*checked/.test(f),
    };
  };
  const reload = await root.post(`/configure/users/${u.id}/access-pass`, { validHours: "24", _submission: token });
  assert.equal(form(reload.html), { hours: "24", once: false }, "a reload: the pass's 24 hours, not the default 8");
  // Back, other values, sent again: the form still offers what the replayed pass was.
  const edited = await root.post(`/configure/users/${u.id}/access-pass`, {
    validHours: "48",
    oneTime: "true",
    _submission: token,
  });
  assert.equal(form(edited.html), { hours: "24", once: false }, "the replayed pass's values, not the edited ones");
  // Once a newer pass has replaced it, the replayed form's own values are what is left of it.
  await issuePass(root, u.id, { validHours: "2", _submission: tokenOf(reload.html) });
  const replaced = await root.post(`/configure/users/${u.id}/access-pass`, { validHours: "24", _submission: token });
  assert.match(replaced.html, /A newer pass has replaced it since\./);
  assert.equal(form(replaced.html), { hours: "24", once: false });
});

t("bad pass requests get a 4xx with the field's message and change nothing", async ({ env, siteId, admin, root }) => {
  const u = await activated(env, siteId, admin);
  for (const validHours of ["0", "169", "1.5", "", "abc"]) {
    const r = await root.post(`/configure/users/${u.id}/access-pass`, { validHours, oneTime: "true" });
    assert.is(r.res.status, 422, validHours);
    assert.match(r.html, /id="err-validHours"[^>]*>Enter whole hours from 1 to 168/);
  }
  const off = await env.services.users.create({ siteId, username: `off${++n}`, password: PASSWORD });
  assert.is((await root.post(`/configure/users/${off.id}/access-pass`, { validHours: "8" })).res.status, 409);
  const { rows } = await env.db.query("SELECT 1 FROM mfa_access_passes WHERE user_id = ANY($1::uuid[])", [
    [u.id, off.id],
  ]);
  assert.is(rows.length, 0);
});

t("a pass for a user who has not set up MFA (pending) is refused with a 409 and its reason", async (ctx) => {
  const { env, siteId, admin, root } = ctx;
  const pending = await env.services.users.create({ siteId, username: `pend${++n}`, password: PASSWORD });
  await env.services.mfa.settings.applySettings(pending.id, { enabled: true, enforcementDelayDays: 7 }, admin);
  const dialog = await root.get(`/configure/users/${pending.id}`);
  assert.not.match(dialog.html, /id="access-pass-form"/, "the dialog offers no pass");
  assert.match(dialog.html, /id="access-pass-state"[^>]*>\s*No temporary access pass is needed/);
  const r = await root.post(`/configure/users/${pending.id}/access-pass`, { validHours: "8", oneTime: "true" });
  assert.is(r.res.status, 409);
  assert.match(r.html, /has not set up MFA yet/);
  assert.not.match(r.html, /id="access-pass"/, "no pass shown");
  assert.is(await env.services.recovery.passes.liveOf(pending.id), null, "nothing stored");
  const side = await env.db.query(
    `SELECT (SELECT count(*)::int FROM audit_log WHERE action = 'mfa.access_pass' AND target_user_id = $1) AS audits,
       (SELECT count(*)::int FROM mail_outbox WHERE user_id = $1 AND kind = 'access_pass_issued') AS mails`,
    [pending.id],
  );
  assert.equal(side.rows[0], { audits: 0, mails: 0 }, "neither audited nor mailed");
});

/** Deletes a user the way Configure > Users does (the users store, through the revocation path). */
async function deleteUser(env: TestEnv, userId: string) {
  const s = env.services;
  const user = (await s.users.byId(userId))!;
  const app = (await s.apps.get(user.siteId, "user-accounts"))!;
  const ctx = { siteId: user.siteId, actor: { id: null, name: "test admin" } };
  const current = (await s.apps.storeFor(app).get(app, ctx, userId))!;
  await s.apps.storeFor(app).delete(app, ctx, userId, current.version);
}

/** Counts of a user's recovery codes and passes. */
async function held(env: TestEnv, userId: string) {
  const { rows } = await env.db.query<{ codes: number; passes: number }>(
    `SELECT (SELECT count(*)::int FROM mfa_recovery_codes WHERE user_id = $1) AS codes,
            (SELECT count(*)::int FROM mfa_access_passes WHERE user_id = $1) AS passes`,
    [userId],
  );
  return rows[0]!;
}

t(
  "codes and passes end with a reset, an administrator's password change, disabling and deleting — not by being issued",
  async ({ env, siteId, admin, root }) => {
    const changes: [string, (id: string) => Promise<unknown>][] = [
      ["reset", (id) => env.services.mfa.settings.reset(id, admin)],
      ["password by an administrator", (id) => saveUser(env.services, id, { password: "a brand new password" })],
      ["disabled", (id) => saveUser(env.services, id, { disabled: true })],
      ["deleted", (id) => deleteUser(env, id)],
    ];
    for (const [what, change] of changes) {
      const u = await activated(env, siteId, admin);
      const web = await atCodeStep(env, u.id);
      await env.services.recovery.codes.createSet(u.id, admin);
      await issuePass(root, u.id);
      assert.equal(await held(env, u.id), { codes: 10, passes: 1 });
      assert.is((await web.get("/login/mfa")).res.status, 200, `issuing ended nothing (${what})`);
      await change(u.id);
      assert.equal(await held(env, u.id), { codes: 0, passes: 0 }, what);
    }
    // A user's own password change keeps them.
    const own = await activated(env, siteId, admin);
    await env.services.recovery.codes.createSet(own.id, admin);
    await env.services.users.setPassword(own.id, "my own new password", own.id);
    assert.equal(await held(env, own.id), { codes: 10, passes: 0 });
  },
);

t.run();
