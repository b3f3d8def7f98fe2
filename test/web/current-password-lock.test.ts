// @storage
// The current password a signed-in session is asked again — a new password (/account), removing a
// factor, new recovery codes, adding a passkey — counts against the account's password lock, the
// one the sign-in form counts against (engine/auth/password-confirmation.ts): five wrong ones lock
// (then even the right one is refused, nothing done, and the sign-in form is locked too), a right
// one before the lock clears the count, and guesses here and on the sign-in form add up.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { whatHappened } from "../../engine/audit/audit-words.js";
import { verifyPassword } from "../../engine/auth/passwords.js";
import { accountKey } from "../../engine/auth/throttle.js";
import { SESSION_COOKIE } from "../../engine/web/http/cookies.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { loudHook } from "../helpers/loud-hook.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { appParams, codeAt } from "../helpers/totp.js";
import { optionsIn } from "../helpers/webauthn-page.js";

const PASSWORD = "correct horse battery";
const WRONG = "not the password at all";
const NEW_PASSWORD = "a brand new passphrase";
/** The sign-in form's words for a lock; the first lock lasts 30 seconds (ACCOUNT_POLICY). */
const LOCKED = "Too many failed attempts\\. Try again in 30 seconds\\.";

const t = suite<{ env: TestEnv; siteId: string }>(`the current password asked again is throttled [${testBackend}]`);

t.before(
  loudHook(async (ctx) => {
    ctx.env = await startTestEnv();
    ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
  }),
);
t.after(async (ctx) => ctx.env?.close());

/** A signed-in user (a full session, no device cookie) with MFA on and an authenticator app. */
interface SignedIn {
  id: string;
  username: string;
  c: TestClient;
}

/** `username` with MFA on, an authenticator app (and a passkey beside it), signed in with a session made directly. */
async function signedIn(env: TestEnv, siteId: string, username: string, passkey: boolean): Promise<SignedIn> {
  const s = env.services;
  const u = await s.users.create({ siteId, username, password: PASSWORD });
  const self = { id: u.id, name: username, siteId };
  await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, self);
  const params = appParams(Buffer.alloc(20, 9));
  assert.ok((await s.mfa.activation.activate(u.id, { method: "app", ...params }, codeAt(env.clock, params), self)).ok);
  if (passkey) {
    const auth = new SoftAuthenticator("localhost", "http://localhost:3000");
    const response = auth.register(await s.passkeys.registration.options(u));
    assert.ok((await s.passkeys.registration.register(u.id, response, "Laptop", self)).ok);
  }
  env.clock.advanceSeconds(30);
  const made = await s.sessions.create(u.id, siteId, "full", null);
  const c = new TestClient(env.app);
  c.cookies.set(SESSION_COOKIE, made.token);
  assert.is((await c.get("/account")).res.status, 200);
  return { id: u.id, username, c };
}

/** One place that asks for the current password. */
interface Place {
  name: string;
  /** The place's user holds a passkey beside the app (so the app may be removed). */
  passkey?: boolean;
  /** The id of the element that shows a wrong password's words (and a lock's). */
  slot: string;
  /** The status of a wrong password, and of a right one (the work done). */
  wrong: number;
  ok: number;
  /** Posts `password` once, with whatever else the form needs. */
  attempt(env: TestEnv, u: SignedIn, password: string): Promise<{ res: Response; html: string }>;
  /** Whether the work was done: the password changed, the app removed, codes made, a passkey added. */
  done(env: TestEnv, u: SignedIn): Promise<boolean>;
}

const PLACES: Place[] = [
  {
    name: "password change (POST /account)",
    slot: "err-currentPassword",
    wrong: 422,
    ok: 303,
    attempt: (_env, u, password) => u.c.post("/account", { currentPassword: password, newPassword: NEW_PASSWORD }),
    done: async (env, u) => verifyPassword((await env.services.users.byId(u.id))!.passwordHash, NEW_PASSWORD),
  },
  {
    name: "factor removal (POST /account/factors/totp/remove)",
    slot: "account-error",
    passkey: true,
    wrong: 422,
    ok: 303,
    attempt: (_env, u, password) => u.c.post("/account/factors/totp/remove", { currentPassword: password }),
    done: async (env, u) => (await env.services.mfa.statusOf(u.id)).activation?.method === "passkey",
  },
  {
    name: "new recovery codes (POST /account/recovery-codes)",
    slot: "err-recoveryCurrentPassword",
    wrong: 422,
    ok: 200,
    attempt: (_env, u, password) => u.c.post("/account/recovery-codes", { currentPassword: password }),
    done: async (env, u) => (await env.services.recovery.codes.countOf(u.id)).total > 0,
  },
  {
    name: "adding a passkey (POST /mfa/setup/passkey)",
    slot: "err-currentPassword",
    wrong: 401,
    ok: 303,
    attempt: async (_env, u, password) => {
      const page = await u.c.get("/mfa/setup/passkey");
      assert.is(page.res.status, 200);
      const auth = new SoftAuthenticator("localhost", "http://localhost:3000");
      const response = JSON.stringify(auth.register(optionsIn(page.html)));
      return u.c.post("/mfa/setup/passkey", { name: "Phone", response, currentPassword: password });
    },
    done: async (env, u) => (await env.services.passkeys.store.listOf(u.id)).length > 0,
  },
];

/** The sign-in form's status for `password`, from a browser the account does not know (the shared lock). */
async function signInForm(env: TestEnv, username: string, password: string): Promise<number> {
  return (await new TestClient(env.app).signIn(username, password)).res.status;
}

/** Failures counted against the account's shared password lock (0 when it has no row). */
async function failures(env: TestEnv, username: string): Promise<number | null> {
  const { rows } = await env.db.query<{ failures: number }>("SELECT failures FROM throttles WHERE key = $1", [
    accountKey("password", username),
  ]);
  return rows[0]?.failures ?? null;
}

/** The user's sign_in.password audit entries, oldest first: outcome, surface and a lock's length. */
async function passwordEntries(env: TestEnv, userId: string): Promise<string[]> {
  const { rows } = await env.db.query<{
    details: { outcome: string; surface: string; lockSeconds?: number; currentPassword?: boolean };
  }>("SELECT details FROM audit_log WHERE target_user_id = $1 AND action = 'sign_in.password' ORDER BY id", [userId]);
  return rows.map((r) =>
    [r.details.outcome, r.details.surface, r.details.lockSeconds, r.details.currentPassword ? "current" : undefined]
      .filter((x) => x !== undefined)
      .join(" "),
  );
}

/** Tries `password` and expects a wrong-password answer (not a lock). */
async function wrongOnce(env: TestEnv, place: Place, u: SignedIn, what: string) {
  const r = await place.attempt(env, u, WRONG);
  assert.is(r.res.status, place.wrong, `${what}: ${r.html.slice(0, 200)}`);
  assert.not.match(r.html, /Too many failed attempts/, what);
}

/** Expects the lock's answer for `password`: 429, Retry-After, the sign-in form's words. */
async function lockedOnce(env: TestEnv, place: Place, u: SignedIn, password: string, what: string) {
  const r = await place.attempt(env, u, password);
  assert.is(r.res.status, 429, what);
  assert.is(r.res.headers.get("retry-after"), "30", what);
  assert.match(r.html, new RegExp(`id="${place.slot}"[^>]*>${LOCKED}`), what);
  assert.not.match(r.html, /not correct/, `${what}: a lock does not say whether the password was right`);
}

PLACES.forEach((place, i) => {
  t(`${place.name}: five wrong passwords lock; then the right one is refused too and nothing is done`, async (ctx) => {
    const { env } = ctx;
    const u = await signedIn(env, ctx.siteId, `lock${i}`, !!place.passkey);
    for (let n = 1; n <= 5; n++) await wrongOnce(env, place, u, `wrong password ${n}`);
    await lockedOnce(env, place, u, PASSWORD, "the right password while locked");
    await lockedOnce(env, place, u, WRONG, "a wrong password while locked");
    assert.not.ok(await place.done(env, u), "nothing was done");
    // Audited as the sign-in form's failures are (one failure per burst, the lock with its length),
    // marked as the current password asked again.
    assert.equal(await passwordEntries(env, u.id), ["failure web current", "locked web 30 current"]);
    const words = (await env.services.auditSearch.list({ siteId: ctx.siteId, action: "sign_in.password" })).rows
      .filter((r) => r.targetId === u.id)
      .map((r) => whatHappened(r));
    assert.equal(words.sort(), [
      "entered a wrong current password (web; more in the next 15 minutes are not listed)",
      "was locked after wrong current passwords (web; 30 s)",
    ]);
    assert.is(await signInForm(env, u.username, PASSWORD), 429, "the sign-in form is locked as well");
    env.clock.advanceSeconds(31);
    const after = await place.attempt(env, u, PASSWORD);
    assert.is(after.res.status, place.ok, "after the lock the right password works");
    assert.ok(await place.done(env, u));
  });

  t(`${place.name}: the right password after four wrong ones works and clears the count`, async (ctx) => {
    const { env } = ctx;
    const u = await signedIn(env, ctx.siteId, `clear${i}`, !!place.passkey);
    for (let n = 1; n <= 4; n++) await wrongOnce(env, place, u, `wrong password ${n}`);
    assert.is(await failures(env, u.username), 4);
    const right = await place.attempt(env, u, PASSWORD);
    assert.is(right.res.status, place.ok, right.html.slice(0, 300));
    assert.ok(await place.done(env, u));
    assert.is(await failures(env, u.username), null, "the count is cleared");
    // Five more wrong ones are each checked (the fifth sets the lock); only then is it locked.
    for (let n = 1; n <= 5; n++) await wrongOnce(env, place, u, `wrong password ${n} after the success`);
    await lockedOnce(env, place, u, WRONG, "the sixth");
  });

  t(`${place.name}: failures here and on the sign-in form add up to one lock`, async (ctx) => {
    const { env } = ctx;
    const u = await signedIn(env, ctx.siteId, `shared${i}`, !!place.passkey);
    assert.is(await signInForm(env, u.username, WRONG), 401);
    assert.is(await signInForm(env, u.username, WRONG), 401);
    await wrongOnce(env, place, u, "wrong password 3 (here)");
    await wrongOnce(env, place, u, "wrong password 4 (here)");
    // The sign-in form's burst does not hide the session's guesses: each kind has its entry.
    assert.equal(await passwordEntries(env, u.id), ["failure web", "failure web current"]);
    assert.is(await signInForm(env, u.username, WRONG), 401, "the fifth, on the sign-in form, sets the lock");
    await lockedOnce(env, place, u, PASSWORD, "the right password here after the form's fifth failure");
    assert.not.ok(await place.done(env, u), "nothing was done");
    env.clock.advanceSeconds(31);
    await wrongOnce(env, place, u, "a wrong password once the lock has lifted");
    assert.is(await signInForm(env, u.username, PASSWORD), 303, "a right sign-in clears the count");
    assert.is(await failures(env, u.username), null);
  });
});

t.run();
