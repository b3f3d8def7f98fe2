// @storage
import { randomBytes } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { hashToken } from "../../engine/util/opaque-tokens.js";
import { codeThrottleKey, type MfaActor } from "../../engine/mfa/mfa-model.js";
import { startTestEnv, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { appParams, codeAt } from "../helpers/totp.js";

// The TOTP step's second statement spends the step, clears the failure count and finishes the
// sign-in (a full session, or the challenge used up and a token issued) together. These cases
// prove the parts are gated on each other: a code spends its step even when the sign-in it was
// for ended meanwhile, and a replayed step finishes nothing.
const PASSWORD = "correct horse battery";
const ADMIN: MfaActor = { id: null, name: "test admin", siteId: null };
const t = suite<{ env: TestEnv; siteId: string }>(
  `the TOTP step's compare-and-set and what it finishes [${testBackend}]`,
);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
});
t.after(async (ctx) => ctx.env.close());
t.before.each((ctx) => ctx.env.clock.advanceSeconds(120));

let n = 0;
async function activatedUser(env: TestEnv, siteId: string) {
  const u = await env.services.users.create({ siteId, username: `finish${++n}`, password: PASSWORD });
  await env.services.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, ADMIN);
  const p = appParams(randomBytes(20));
  assert.equal(await env.services.mfa.activation.activate(u.id, { method: "app", ...p }, codeAt(env.clock, p), ADMIN), {
    ok: true,
  });
  env.clock.advanceSeconds(60);
  return { id: u.id, siteId, p };
}

const count = async (env: TestEnv, sql: string, params: unknown[]) =>
  (await env.db.query<{ n: number }>(sql, params)).rows[0]!.n;

t("a right code replaces the half-signed-in session with a full one and clears the failures", async (ctx) => {
  const { env } = ctx;
  const u = await activatedUser(env, ctx.siteId);
  assert.equal((await env.services.mfa.codes.verifyCode(u.id, "000000")).ok, false);
  const half = await env.services.sessions.create(u.id, u.siteId, "mfa", null);
  const session = (await env.services.sessions.validate(half.token))!;
  const r = await env.services.mfa.codes.verifyCode(
    u.id,
    codeAt(env.clock, u.p),
    env.services.sessions.rotatePart(session, { stage: "full" }, null),
  );
  assert.ok(r.ok && r.finished);
  assert.is(await env.services.sessions.validate(half.token), null, "the half-signed-in token is worth nothing");
  assert.is((await env.services.sessions.validate(r.finished.token))?.stage, "full");
  assert.is(await count(env, "SELECT count(*)::int AS n FROM throttles WHERE key = $1", [codeThrottleKey(u.id)]), 0);
});

t("a session revoked before the code arrives: the step is spent, no session is made", async (ctx) => {
  const { env } = ctx;
  const u = await activatedUser(env, ctx.siteId);
  const half = await env.services.sessions.create(u.id, u.siteId, "mfa", null);
  const session = (await env.services.sessions.validate(half.token))!;
  // What CredentialRevocation does at a credential change, between the session read and the code.
  await env.services.sessions.revoke(session.tokenHash);
  const code = codeAt(env.clock, u.p);
  const r = await env.services.mfa.codes.verifyCode(
    u.id,
    code,
    env.services.sessions.rotatePart(session, { stage: "full" }, null),
  );
  assert.ok(r.ok);
  assert.is(r.finished, null);
  assert.is(await count(env, "SELECT count(*)::int AS n FROM sessions WHERE user_id = $1", [u.id]), 0);
  // The step was spent all the same: the code cannot be used again.
  assert.equal((await env.services.mfa.codes.verifyCode(u.id, code)).ok, false);
});

t("a replayed step finishes nothing and stays counted as a failure", async (ctx) => {
  const { env } = ctx;
  const u = await activatedUser(env, ctx.siteId);
  const code = codeAt(env.clock, u.p);
  assert.ok((await env.services.mfa.codes.verifyCode(u.id, code)).ok);
  const half = await env.services.sessions.create(u.id, u.siteId, "mfa", null);
  const session = (await env.services.sessions.validate(half.token))!;
  const r = await env.services.mfa.codes.verifyCode(
    u.id,
    code,
    env.services.sessions.rotatePart(session, { stage: "full" }, null),
  );
  assert.equal(r, { ok: false, reason: "invalid", retryAfterSeconds: 0 });
  assert.is((await env.services.sessions.validate(half.token))?.stage, "mfa", "the session is left as it was");
  const { rows } = await env.db.query<{ failures: number }>("SELECT failures FROM throttles WHERE key = $1", [
    codeThrottleKey(u.id),
  ]);
  assert.is(rows[0]?.failures, 1);
});

t("device: a challenge revoked before the code arrives gives no token", async (ctx) => {
  const { env } = ctx;
  const u = await activatedUser(env, ctx.siteId);
  await env.db.query("UPDATE users SET device_access = true WHERE id = $1", [u.id]);
  const login = await env.services.deviceSignIn.login({ username: `finish${n}`, password: PASSWORD }, null);
  assert.is(login.status, "mfa_required");
  const challenge = (login as { challenge: string }).challenge;
  const tokensBefore = await count(env, "SELECT count(*)::int AS n FROM device_tokens WHERE user_id = $1", [u.id]);
  // The challenge dies after the step's first statement read it (a credential change revokes it):
  // the second statement must spend the step and issue no token.
  const mfa = env.services.mfa.codes;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with `apply(mfa)`, then put back
  const finish = mfa.finishCodeCheck;
  mfa.finishCodeCheck = async function (...args: Parameters<typeof finish>) {
    await env.db.query("DELETE FROM device_challenges WHERE challenge_hash = $1", [hashToken(challenge)]);
    return finish.apply(mfa, args);
  } as typeof finish;
  const code = codeAt(env.clock, u.p);
  try {
    await env.services.deviceSignIn.mfa({ challenge, code }, null);
    assert.unreachable("a dead challenge finished a sign-in");
  } catch (err) {
    assert.is((err as { code?: string }).code, "challenge_invalid");
  } finally {
    delete (mfa as { finishCodeCheck?: unknown }).finishCodeCheck;
  }
  // eslint-disable-next-line @typescript-eslint/unbound-method -- compared, not called
  assert.is(mfa.finishCodeCheck, finish, "the service is as it was");
  assert.is(await count(env, "SELECT count(*)::int AS n FROM device_tokens WHERE user_id = $1", [u.id]), tokensBefore);
  assert.equal((await mfa.verifyCode(u.id, code)).ok, false, "the step was spent");
});

t.run();
