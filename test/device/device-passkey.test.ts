// @storage
// Issue 23 on the device API: a passkey as the second step. POST /api/device/mfa/passkey/options hands
// out WebAuthn request options for the sign-in challenge's user; POST /api/device/mfa takes
// `{challenge, passkey}`. A software authenticator (test/helpers/soft-authenticator.ts: ES256 key,
// authenticator data, client data) answers; each refusal is checked for its reason in the log, so a
// tampered answer is refused because of what was tampered with and not for something else.
import * as assert from "uvu/assert";
import type { TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
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
import { signInEntries } from "../helpers/sign-in-entries.js";

const PASSWORD = DEVICE_PASSWORD;
const ADMIN = TEST_ADMIN;
type Ctx = DeviceCtx;
const t = deviceFactorSuite(`device API: passkeys [${testBackend}]`);
let n = 0;

/** A device user whose MFA was activated with a passkey on a software authenticator. */
async function withPasskey({ env, siteId }: Ctx) {
  const s = env.services;
  const username = `pk${++n}`;
  const user = await s.users.create({ siteId, username, password: PASSWORD, deviceAccess: true });
  await s.mfa.settings.applySettings(user.id, { enabled: true, enforcementDelayDays: 0 }, ADMIN);
  const rp = s.passkeys.rp();
  const soft = new SoftAuthenticator(rp.id, rp.origin);
  const options = await s.passkeys.registration.options({ id: user.id, username, displayName: username });
  const self = { id: user.id, name: username, siteId };
  const registered = await s.passkeys.registration.register(user.id, soft.register(options), "Phone", self);
  assert.ok(registered.ok, JSON.stringify(registered));
  return { id: user.id, username, soft };
}

const optionsFor = (env: TestEnv, challenge: string) =>
  api(env.app, "POST", "/api/device/mfa/passkey/options", { challenge });
const mfa = postDeviceMfa;

/** A fresh sign-in challenge and options for it. */
async function fresh(ctx: Ctx, userId: string) {
  const challenge = await signInChallenge(ctx, userId);
  const options = await optionsFor(ctx.env, challenge);
  assert.is(options.status, 200, JSON.stringify(options.json));
  return { challenge, options: options.json };
}

/** The reason and detail the last refusal of a second factor was logged with. */
function lastRefusal(env: TestEnv): { reason?: string; detail?: string; factor?: string } {
  const line = [...env.logLines].reverse().find((l) => l.includes("second factor refused"));
  assert.ok(line, "a refusal was logged");
  return JSON.parse(line);
}

const codeFailures = async (env: TestEnv, userId: string) =>
  (
    await env.db.query<{ failures: number }>(
      "SELECT coalesce(sum(failures), 0)::int AS failures FROM throttles WHERE key = 'code:user:' || $1",
      [userId],
    )
  ).rows[0]?.failures ?? 0;

t("a good assertion signs in: login names the passkey, the options are the user's, the token works", async (ctx) => {
  const { env } = ctx;
  const u = await withPasskey(ctx);
  const login = await api(env.app, "POST", "/api/device/login", { username: u.username, password: PASSWORD });
  assertSchema("login-response", login.json);
  assert.is(login.json.status, "mfa_required");
  assert.is(login.json.method, "passkey");
  const options = await optionsFor(env, login.json.challenge);
  assert.is(options.status, 200);
  assertSchema("passkey-options-response", options.json);
  assert.is(options.json.rpId, env.services.passkeys.rp().id);
  assert.equal(
    options.json.allowCredentials.map((c: { id: string }) => c.id),
    [u.soft.id],
  );
  assert.is(options.headers.get("cache-control"), "no-store");
  const done = await mfa(env, { challenge: login.json.challenge, passkey: u.soft.assert(options.json) });
  assert.is(done.status, 200, JSON.stringify(done.json));
  assertSchema("token-grant", done.json);
  assert.is((await api(env.app, "GET", "/api/device/me", undefined, bearer(done.json.token))).json.user.id, u.id);
  const row = await env.db.query<{ sign_count: string; last_used_at: Date | null }>(
    "SELECT sign_count, last_used_at FROM passkeys WHERE user_id = $1",
    [u.id],
  );
  assert.is(Number(row.rows[0]!.sign_count), 1);
  assert.ok(row.rows[0]!.last_used_at, "last used is recorded");
  // Audited as a passkey step, in the statement that issued the token; the refusal below adds none.
  const signIns = () => signInEntries(env, u.id);
  assert.equal(await signIns(), ["sign_in.password success device mfa", "sign_in.passkey success device"]);
  // The sign-in challenge is used up: the same request again is over.
  assertError(
    await mfa(env, { challenge: login.json.challenge, passkey: u.soft.assert(options.json) }),
    401,
    "challenge_invalid",
  );
  assert.equal(await signIns(), ["sign_in.password success device mfa", "sign_in.passkey success device"]);
});

t("a replayed assertion is refused: its WebAuthn challenge was spent", async (ctx) => {
  const { env } = ctx;
  const u = await withPasskey(ctx);
  const first = await fresh(ctx, u.id);
  const assertion = u.soft.assert(first.options);
  assert.is((await mfa(env, { challenge: first.challenge, passkey: assertion })).status, 200);
  // The captured answer, with a new sign-in challenge (and even with new options handed out meanwhile).
  const second = await fresh(ctx, u.id);
  assertError(await mfa(env, { challenge: second.challenge, passkey: assertion }), 401, "invalid_passkey");
  assert.equal(lastRefusal(env), { ...lastRefusal(env), factor: "passkey", reason: "invalid", detail: "challenge" });
  assert.is(await codeFailures(env, u.id), 1, "counted against the code lock");
  assert.is((await env.db.query("SELECT 1 FROM device_tokens WHERE user_id = $1", [u.id])).rowCount, 1);
  // Audited as a failed passkey step, as a wrong code is.
  const passkeySteps = (await signInEntries(env, u.id)).filter((e) => e.startsWith("sign_in.passkey"));
  assert.equal(passkeySteps, ["sign_in.passkey success device", "sign_in.passkey failure device"]);
});

t("an assertion for another origin or another relying party id is refused for that reason", async (ctx) => {
  const { env } = ctx;
  const u = await withPasskey(ctx);
  const cases = [
    { tamper: { origin: "https://login.evil.example" }, detail: "origin" },
    { tamper: { rpId: "evil.example" }, detail: "rp_id" },
  ];
  for (const { tamper, detail } of cases) {
    const { challenge, options } = await fresh(ctx, u.id);
    const r = await mfa(env, { challenge, passkey: u.soft.assert(options, tamper) });
    assertError(r, 401, "invalid_passkey");
    assert.is(r.json.error.message, "The passkey was not accepted. Ask for new options and try again, or use a code.");
    const logged = lastRefusal(env);
    assert.equal([logged.reason, logged.detail], ["invalid", detail], JSON.stringify(tamper));
  }
  assert.is(await codeFailures(env, u.id), 2);
  // The same authenticator, untampered, is accepted (so the refusals above were the tampering).
  const ok = await fresh(ctx, u.id);
  assert.is((await mfa(env, { challenge: ok.challenge, passkey: u.soft.assert(ok.options) })).status, 200);
  assert.is(await codeFailures(env, u.id), 0, "a success clears the count");
});

t("a signature counter that goes backwards (or stands still) is refused and audited", async (ctx) => {
  const { env } = ctx;
  const u = await withPasskey(ctx);
  const a = await fresh(ctx, u.id);
  assert.is(
    (await mfa(env, { challenge: a.challenge, passkey: u.soft.assert(a.options, { counter: 5 }) })).status,
    200,
  );
  for (const counter of [3, 5]) {
    const b = await fresh(ctx, u.id);
    const r = await mfa(env, { challenge: b.challenge, passkey: u.soft.assert(b.options, { counter }) });
    assertError(r, 401, "invalid_passkey");
    assert.is(lastRefusal(env).reason, "counter");
  }
  const audit = await env.db.query<{ details: { storedCounter: number; receivedCounter: number } }>(
    "SELECT details FROM audit_log WHERE action = 'mfa.passkey_counter' AND target_user_id = $1 ORDER BY id",
    [u.id],
  );
  assert.equal(
    audit.rows.map((r) => [r.details.storedCounter, r.details.receivedCounter]),
    [
      [5, 3],
      [5, 5],
    ],
  );
  const row = await env.db.query<{ sign_count: string }>("SELECT sign_count FROM passkeys WHERE user_id = $1", [u.id]);
  assert.is(Number(row.rows[0]!.sign_count), 5, "the stored counter did not move back");
  const c = await fresh(ctx, u.id);
  assert.is(
    (await mfa(env, { challenge: c.challenge, passkey: u.soft.assert(c.options, { counter: 6 }) })).status,
    200,
  );
});

t("failed assertions lock like wrong codes; the lock answers like any refusal", async (ctx) => {
  const { env } = ctx;
  const u = await withPasskey(ctx);
  for (let i = 0; i < 5; i++) {
    const { challenge, options } = await fresh(ctx, u.id);
    assertError(
      await mfa(env, { challenge, passkey: u.soft.assert(options, { origin: "https://x.example" }) }),
      401,
      "invalid_passkey",
    );
  }
  const locked = await fresh(ctx, u.id);
  const r = await mfa(env, { challenge: locked.challenge, passkey: u.soft.assert(locked.options) });
  assertError(r, 401, "invalid_passkey");
  assert.is(r.headers.get("retry-after"), null);
  assert.is(lastRefusal(env).reason, "locked");
  assert.is(
    (await env.db.query("SELECT 1 FROM audit_log WHERE action = 'mfa.lock' AND target_user_id = $1", [u.id])).rowCount,
    1,
  );
});

t(
  "options: a user without a passkey is 409 no_passkey; a setup challenge is the wrong step; malformed is 422",
  async (ctx) => {
    const { env, siteId } = ctx;
    const s = env.services;
    const plain = await s.users.create({ siteId, username: `nopk${++n}`, password: PASSWORD, deviceAccess: true });
    assertError(await optionsFor(env, await signInChallenge(ctx, plain.id)), 409, "no_passkey");
    const u = await withPasskey(ctx);
    const setup = (await ctx.challenges.issue(u.id, "mfa_setup", null)).challenge;
    assertError(await optionsFor(env, setup), 409, "wrong_step");
    assertError(await optionsFor(env, "A".repeat(43)), 401, "challenge_invalid");
    const bad = await optionsFor(env, "short");
    assertError(bad, 422, "validation_failed");
    assert.match(bad.json.error.fields.challenge, /challenge the previous answer returned/);

    const { challenge, options } = await fresh(ctx, u.id);
    const good = u.soft.assert(options) as { response: Record<string, unknown> };
    const cases: [unknown, string, RegExp][] = [
      [{ ...good, response: { ...good.response, signature: undefined } }, "passkey.response.signature", /is required/],
      [{ ...good, type: "password" }, "passkey.type", /.+/],
      [
        { ...good, response: { ...good.response, clientDataJSON: "not base64url!" } },
        "passkey.response.clientDataJSON",
        /invalid format/,
      ],
      ["a string", "passkey", /must be a object|must be an object/],
    ];
    for (const [passkey, field, re] of cases) {
      const r = await mfa(env, { challenge, passkey });
      assertError(r, 422, "validation_failed");
      assert.match(r.json.error.fields?.[field] ?? "", re, `${field}: ${JSON.stringify(r.json.error.fields)}`);
    }
    assertError(await mfa(env, { challenge, passkey: good, code: "123456" }), 422, "validation_failed");
    assert.is(await codeFailures(env, u.id), 0, "malformed answers count nothing");
    assert.is((await mfa(env, { challenge, passkey: good })).status, 200, "the challenge and options were still good");
  },
);

t.run();
