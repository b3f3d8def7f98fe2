// @storage
// Issue 21 on the device API: `recoveryCode` in place of `code` on POST /api/device/mfa. A good code
// signs in once and says how many are left; a used one is refused; wrong ones count against the code
// lock shared with the web; a malformed one is a 422 naming the field and counts as nothing.
// Challenges are issued directly (no Argon2 per test): the password step is device-login's business.
import * as assert from "uvu/assert";
import type { TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { appParams, codeAt } from "../helpers/totp.js";
import {
  api,
  assertError,
  assertSchema,
  bearer,
  DEVICE_PASSWORD,
  deviceFactorSuite,
  postDeviceMfa,
  signInChallenge,
  TEST_ADMIN,
  type DeviceCtx,
} from "./client.js";

const PASSWORD = DEVICE_PASSWORD;
const ADMIN = TEST_ADMIN;
type Ctx = DeviceCtx;
const t = deviceFactorSuite(`device API: recovery codes [${testBackend}]`);
let n = 0;

/** A device user with an activated authenticator app and a fresh set of recovery codes. */
async function withCodes({ env, siteId }: Ctx) {
  const s = env.services;
  const username = `rc${++n}`;
  const user = await s.users.create({ siteId, username, password: PASSWORD, deviceAccess: true });
  await s.mfa.settings.applySettings(user.id, { enabled: true, enforcementDelayDays: 0 }, ADMIN);
  const params = appParams(Buffer.alloc(20, n));
  const self = { id: user.id, name: username, siteId };
  assert.ok(
    (await s.mfa.activation.activate(user.id, { method: "app", ...params }, codeAt(env.clock, params), self)).ok,
  );
  env.clock.advanceSeconds(30);
  const codes = await s.recovery.codes.createSet(user.id, self);
  return { id: user.id, username, params, codes };
}

const challenge = signInChallenge;
const mfa = postDeviceMfa;
const failuresOf = async (env: TestEnv, userId: string) =>
  (
    await env.db.query<{ failures: number }>(
      "SELECT coalesce(sum(failures), 0)::int AS failures FROM throttles WHERE key = 'code:user:' || $1",
      [userId],
    )
  ).rows[0]!.failures;

t(
  "after the password, a recovery code signs in once, as typed on paper; the answer says how many are left",
  async (ctx) => {
    const { env } = ctx;
    const u = await withCodes(ctx);
    const login = await api(env.app, "POST", "/api/device/login", { username: u.username, password: PASSWORD });
    assert.is(login.json.status, "mfa_required");
    // Lower case, a space instead of the hyphen: as forgiving as the web.
    const typed = ` ${u.codes[0]!.toLowerCase().replace("-", " ")} `;
    const done = await mfa(env, { challenge: login.json.challenge, recoveryCode: typed });
    assert.is(done.status, 200, JSON.stringify(done.json));
    assertSchema("token-grant", done.json);
    assert.is(done.json.recoveryCodesLeft, 9);
    assert.is((await api(env.app, "GET", "/api/device/me", undefined, bearer(done.json.token))).json.user.id, u.id);
    const audit = await env.db.query<{ details: { left: number } }>(
      "SELECT details FROM audit_log WHERE action = 'mfa.recovery_code_used' AND target_user_id = $1",
      [u.id],
    );
    assert.equal(
      audit.rows.map((r) => r.details.left),
      [9],
    );
    assert.not.ok(env.logLines.join("\n").includes(u.codes[0]!.replace("-", "")), "the code is not logged");

    // The same code again, with a fresh challenge: refused like a wrong code; another code works.
    const again = await mfa(env, { challenge: await challenge(ctx, u.id), recoveryCode: u.codes[0] });
    assertError(again, 401, "invalid_code");
    const next = await mfa(env, { challenge: await challenge(ctx, u.id), recoveryCode: u.codes[1] });
    assert.is(next.status, 200);
    assert.is(next.json.recoveryCodesLeft, 8);
    // A code used on the device is spent for the web too (one table, one compare-and-set).
    assert.is((await env.services.recovery.codes.countOf(u.id)).left, 8);
  },
);

t("a recovery code uses up its challenge: one sign-in per challenge", async (ctx) => {
  const { env } = ctx;
  const u = await withCodes(ctx);
  const ch = await challenge(ctx, u.id);
  assert.is((await mfa(env, { challenge: ch, recoveryCode: u.codes[0] })).status, 200);
  assertError(await mfa(env, { challenge: ch, recoveryCode: u.codes[1] }), 401, "challenge_invalid");
  assert.is((await env.services.recovery.codes.countOf(u.id)).left, 9, "the second code was not spent");
});

t("wrong recovery codes count against the code lock shared with codes and the web", async (ctx) => {
  const { env } = ctx;
  const u = await withCodes(ctx);
  const wrong = "7K3QD-XM2PA";
  const ch = await challenge(ctx, u.id);
  const first = await mfa(env, { challenge: ch, recoveryCode: wrong });
  assertError(first, 401, "invalid_code");
  assert.is(await failuresOf(env, u.id), 1, "the wrong code was counted");
  for (let i = 0; i < 4; i++) assertError(await mfa(env, { challenge: ch, recoveryCode: wrong }), 401, "invalid_code");
  // Five wrong: locked. A good recovery code and the right TOTP code now get the answer of a wrong one.
  const locked = await mfa(env, { challenge: await challenge(ctx, u.id), recoveryCode: u.codes[0] });
  assert.equal([locked.status, locked.json, locked.headers.get("retry-after")], [401, first.json, null]);
  assertError(
    await mfa(env, { challenge: await challenge(ctx, u.id), code: codeAt(env.clock, u.params) }),
    401,
    "invalid_code",
  );
  assert.is((await env.services.recovery.codes.countOf(u.id)).left, 10, "nothing was spent while locked");
  const audit = await env.db.query("SELECT 1 FROM audit_log WHERE action = 'mfa.lock' AND target_user_id = $1", [u.id]);
  assert.is(audit.rowCount, 1, "the lock is audited like a lock from wrong codes");
  // The first challenge took five refusals: dead, even for a good code after the lock.
  env.clock.advanceSeconds(3600);
  assertError(await mfa(env, { challenge: ch, recoveryCode: u.codes[0] }), 401, "challenge_invalid");
  assert.is((await mfa(env, { challenge: await challenge(ctx, u.id), recoveryCode: u.codes[0] })).status, 200);
});

t("malformed: 422 with the field named, nothing counted, the challenge still good", async (ctx) => {
  const { env } = ctx;
  const u = await withCodes(ctx);
  const ch = await challenge(ctx, u.id);
  const cases: [Record<string, unknown>, Record<string, RegExp>][] = [
    [{ challenge: ch, recoveryCode: "not a code!" }, { recoveryCode: /10 characters like 7K3QD-XM2PA/ }],
    [{ challenge: ch, recoveryCode: "UUUUU-UUUUU" }, { recoveryCode: /recovery code/ }],
    // A temporary access pass is for the web sign-in (it leads to a setup there).
    [{ challenge: ch, recoveryCode: "7K3Q-DXM2-PA7K-3Q" }, { recoveryCode: /access pass works on the web only/ }],
    [{ challenge: ch, recoveryCode: 1234567890 }, { recoveryCode: /must be a string/ }],
    [{ challenge: ch, recoveryCode: "x".repeat(65) }, { recoveryCode: /at most 64/ }],
    [
      { challenge: ch, code: "123456", recoveryCode: u.codes[0] },
      { code: /together with recoveryCode/, recoveryCode: /together with code/ },
    ],
    [{ challenge: ch }, { code: /exactly one of code, recoveryCode/, recoveryCode: /exactly one of/ }],
  ];
  for (const [body, fields] of cases) {
    const r = await mfa(env, body);
    assertError(r, 422, "validation_failed");
    for (const [field, re] of Object.entries(fields)) {
      assert.match(r.json.error.fields?.[field] ?? "", re, `${JSON.stringify(body).slice(0, 80)}: ${field}`);
    }
  }
  assert.is(await failuresOf(env, u.id), 0);
  assert.is((await mfa(env, { challenge: ch, recoveryCode: u.codes[0] })).status, 200);
});

t("a setup challenge is the wrong step; an unknown challenge counts nothing", async (ctx) => {
  const { env } = ctx;
  const u = await withCodes(ctx);
  const setup = (await ctx.challenges.issue(u.id, "mfa_setup", null)).challenge;
  assertError(await mfa(env, { challenge: setup, recoveryCode: u.codes[0] }), 409, "wrong_step");
  assertError(await mfa(env, { challenge: "A".repeat(43), recoveryCode: u.codes[0] }), 401, "challenge_invalid");
  assert.is(await failuresOf(env, u.id), 0);
  assert.is((await env.services.recovery.codes.countOf(u.id)).left, 10);
});

t.run();
