// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { generateTotp, totpStep, type TotpParams } from "../../engine/mfa/totp.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { codeAt } from "../helpers/totp.js";
import { hexFor, keyFor } from "./fixtures.js";

const PASSWORD = "correct horse battery";
const ADMIN = { id: null, name: "test-admin", siteId: null };
interface Ctx {
  env: TestEnv;
  siteId: string;
}
const t = suite<Ctx>(`hardware token activation [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
});
t.after(async (ctx) => ctx.env.close());
t.before.each(async (ctx) => {
  await ctx.env.db.query("DELETE FROM throttles");
  ctx.env.clock.advanceSeconds(600);
});

async function userWithMfa(env: TestEnv, siteId: string, username: string) {
  const u = await env.services.users.create({ siteId, username, password: PASSWORD });
  await env.services.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, ADMIN);
  return u;
}

async function register(env: TestEnv, serialNumber: string, n: number, extra: Record<string, string> = {}) {
  return (
    await env.services.hardware.registry.register(
      { serialNumber, timeInterval: "30", secretKey: hexFor(n), ...extra },
      { id: null, name: "test-admin" },
      null,
    )
  ).token;
}

t(
  "a 60-second token activates at sign-in and then signs in with codes from its own interval",
  async ({ env, siteId }) => {
    await register(env, "SIXTY-1", 1, { timeInterval: "60", digits: "8", algorithm: "SHA256", name: "Blue key fob" });
    const p: TotpParams = { secret: keyFor(1), algorithm: "SHA256", digits: 8, periodInSeconds: 60 };
    await userWithMfa(env, siteId, "sixty");
    const c = new TestClient(env.app);
    const login = await c.signIn("sixty", PASSWORD);
    assert.is(login.res.headers.get("location"), "/mfa/setup");
    const page = await c.get("/mfa/setup/hardware");
    assert.is(page.res.status, 200);
    // The serial is typed (a text field): the pool is never listed, not even the token's name.
    assert.match(page.html, /<input[^>]* type="text" name="serialNumber" value=""/);
    assert.not.match(page.html, /<option|Blue key fob|SIXTY-1/);

    const wrong = await c.post("/mfa/setup/hardware", { serialNumber: "SIXTY-1", code: "00000000" });
    assert.is(wrong.res.status, 422);
    assert.match(wrong.html, /The code is not valid/);
    const ok = await c.post("/mfa/setup/hardware", { serialNumber: "SIXTY-1", code: codeAt(env.clock, p) });
    assert.is(ok.res.status, 200, "the first activation shows the recovery codes");
    assert.match(ok.html, /id="recovery-codes"/);
    assert.is((await c.get("/")).res.status, 200);

    const token = (await env.services.hardware.registry.bySerial("SIXTY-1"))!;
    assert.equal(
      { ...token.state, userId: undefined, since: undefined },
      {
        kind: "assigned",
        userId: undefined,
        username: "sixty",
        siteId: siteId,
        siteName: "Public Site",
        since: undefined,
      },
    );
    const audit = await env.db.query<{ action: string }>(
      "SELECT action FROM audit_log WHERE target_name = 'sixty' AND action IN ('mfa.activate', 'hardware_token.assign') ORDER BY id",
    );
    assert.equal(
      audit.rows.map((r) => r.action),
      ["mfa.activate", "hardware_token.assign"],
    );

    // 60 s later is the next step of this token; a 30-second code of the same key is not accepted.
    env.clock.advanceSeconds(60);
    const again = new TestClient(env.app);
    const second = await again.signIn("sixty", PASSWORD);
    assert.is(second.res.headers.get("location"), "/login/mfa");
    await again.get("/login/mfa");
    const thirty = generateTotp({ ...p, periodInSeconds: 30 }, totpStep(env.clock.now(), 30));
    assert.is((await again.post("/login/mfa", { code: thirty })).res.status, 401);
    const good = await again.post("/login/mfa", { code: codeAt(env.clock, p) });
    assert.is(good.res.status, 303);
    assert.is(good.res.headers.get("location"), "/");
  },
);

t(
  "a token that drifted 2 steps keeps working after one success: the window is centred on its drift",
  async ({ env, siteId }) => {
    await register(env, "DRIFT-1", 2);
    const p: TotpParams = { secret: keyFor(2), algorithm: "SHA1", digits: 6, periodInSeconds: 30 };
    const u = await userWithMfa(env, siteId, "drifter");
    // Activation allows a wide window (the token may have drifted on the shelf) and remembers the offset.
    const r = await env.services.hardware.activation.activateHardware(u.id, "DRIFT-1", codeAt(env.clock, p, 2), ADMIN);
    assert.ok(r.ok);
    const drift = await env.db.query<{ drift_steps: number }>(
      "SELECT drift_steps FROM mfa_enrollments WHERE user_id = $1",
      [u.id],
    );
    assert.is(drift.rows[0]!.drift_steps, 2);
    for (let i = 0; i < 3; i++) {
      env.clock.advanceSeconds(30);
      assert.ok(
        (await env.services.mfa.codes.verifyCode(u.id, codeAt(env.clock, p, 2))).ok,
        `sign-in ${i + 1} at +2 steps`,
      );
    }
    // The token's own clock is 2 steps ahead: a code for our clock's step is outside ±1 around +2.
    env.clock.advanceSeconds(30);
    assert.not.ok((await env.services.mfa.codes.verifyCode(u.id, codeAt(env.clock, p, 0))).ok);
  },
);

t("reset (unassign) returns the token to the pool and signs the user out", async ({ env, siteId }) => {
  await register(env, "POOL-1", 3);
  const p: TotpParams = { secret: keyFor(3), algorithm: "SHA1", digits: 6, periodInSeconds: 30 };
  const u = await userWithMfa(env, siteId, "pooled");
  const c = new TestClient(env.app);
  await c.signIn("pooled", PASSWORD);
  await c.get("/mfa/setup/hardware");
  assert.is(
    (await c.post("/mfa/setup/hardware", { serialNumber: "POOL-1", code: codeAt(env.clock, p) })).res.status,
    200,
  );
  assert.is((await c.get("/")).res.status, 200);

  const token = (await env.services.hardware.registry.bySerial("POOL-1"))!;
  await env.services.users.create({ siteId, username: "root", password: PASSWORD, role: "admin" });
  const admin = new TestClient(env.app);
  await admin.signIn("root", PASSWORD);
  const listed = await admin.get("/configure/mfa-hardware?q=POOL-1");
  // The token's user links to their record (same site as the administrator).
  assert.match(listed.html, new RegExp(`assigned to <a href="/configure/users/${u.id}">pooled</a> on`));
  // The first press only asks: what unassigning ends, with Confirm and Cancel; nothing changes yet.
  const ask = await admin.post(`/configure/mfa-hardware/${token.id}/unassign`, {});
  assert.is(ask.res.status, 200);
  assert.match(ask.html, /<h1>Unassign token POOL-1\?<\/h1>/);
  assert.match(ask.html, /Hardware token POOL-1 goes back to the pool/);
  assert.match(ask.html, /1 web session and 0 device tokens end/);
  assert.match(ask.html, /The multi-factor authentication \(MFA\) of pooled is reset/);
  assert.match(ask.html, /<input type="hidden" name="confirm" value="mfa-reset"\/>/);
  assert.match(ask.html, /<button type="submit" class="delete">\s*Confirm\s*<\/button>/);
  assert.match(ask.html, /href="\/configure\/mfa-hardware\?q=POOL-1"[^>]*>\s*Cancel/);
  assert.is((await env.services.hardware.registry.bySerial("POOL-1"))!.state.kind, "assigned");
  assert.is((await c.get("/")).res.status, 200, "the user is still signed in");

  const r = await admin.post(`/configure/mfa-hardware/${token.id}/unassign`, { confirm: "mfa-reset" });
  assert.is(r.res.status, 303);
  const list = await admin.get(r.res.headers.get("location")!);
  assert.match(list.html, /<td class="token-status">available<\/td>/);
  assert.match(
    list.html,
    /role="status"[^>]*>[^<]*Unassigned token POOL-1 from pooled: the token is back in the pool, pooled&#39;s MFA was reset and 1 web session and 0 device tokens ended\./,
  );
  assert.not.match((await admin.get("/configure/mfa-hardware")).html, /Unassigned token POOL-1/, "shown once");

  assert.equal((await env.services.hardware.registry.bySerial("POOL-1"))!.state, { kind: "available" });
  assert.is((await c.get("/")).res.status, 303, "the user's sessions were revoked");
  const relogin = await new TestClient(env.app).signIn("pooled", PASSWORD);
  assert.is(relogin.res.headers.get("location"), "/mfa/setup", "the next sign-in asks for a new setup");
  const audit = await env.db.query<{ action: string }>(
    "SELECT action FROM audit_log WHERE target_user_id = $1 AND action IN ('mfa.reset', 'hardware_token.unassign') ORDER BY id",
    [u.id],
  );
  assert.equal(
    audit.rows.map((a) => a.action),
    ["mfa.reset", "hardware_token.unassign"],
  );
  // Back in the pool: another user can take it.
  const other = await userWithMfa(env, siteId, "second");
  env.clock.advanceSeconds(30);
  assert.ok(
    (await env.services.hardware.activation.activateHardware(other.id, "POOL-1", codeAt(env.clock, p), ADMIN)).ok,
  );
});

t("assigned, disabled and others' reserved tokens are not offered and cannot be activated", async ({ env, siteId }) => {
  const mine = await userWithMfa(env, siteId, "picker");
  const other = await userWithMfa(env, siteId, "someone");
  await register(env, "OFF-1", 4);
  const off = (await env.services.hardware.registry.bySerial("OFF-1"))!;
  await env.services.hardware.registry.setDisabled(off.id, true, { id: null, name: "t" }, null);
  await env.db.query("UPDATE hardware_tokens SET reserved_for_user_id = $1 WHERE serial_number = 'POOL-1'", [other.id]);
  await register(env, "RES-1", 5);
  await env.db.query("UPDATE hardware_tokens SET reserved_for_user_id = $1 WHERE serial_number = 'RES-1'", [mine.id]);
  await register(env, "RES-2", 6);
  await env.db.query("UPDATE hardware_tokens SET reserved_for_user_id = $1 WHERE serial_number = 'RES-2'", [other.id]);

  const offered = (await env.services.hardware.registry.availableFor(mine.id)).map((t) => t.serialNumber);
  assert.ok(offered.includes("RES-1"));
  assert.equal(
    offered.filter((s) => ["OFF-1", "RES-2", "SIXTY-1", "DRIFT-1", "POOL-1"].includes(s)),
    [],
  );
  const code = codeAt(env.clock, { secret: keyFor(4), algorithm: "SHA1", digits: 6, periodInSeconds: 30 });
  // A token this user may not activate answers as a wrong code does, even with its right code.
  const r = await env.services.hardware.activation.activateHardware(mine.id, "OFF-1", code, ADMIN);
  assert.equal(r, { ok: false, reason: "invalid", retryAfterSeconds: 0 });
  const c = new TestClient(env.app);
  await c.signIn("picker", PASSWORD);
  const setup = await c.get("/mfa/setup/hardware");
  // The token reserved for this user is filled in, and nothing else is shown.
  assert.match(setup.html, /name="serialNumber" value="RES-1"/);
  assert.match(setup.html, /Token <code>RES-1<\/code> is reserved for you/);
  assert.not.match(setup.html, /RES-2|POOL-1|OFF-1|SIXTY-1/);
  const taken = await c.post("/mfa/setup/hardware", { serialNumber: "SIXTY-1", code: "12345678" });
  const unknown = await c.post("/mfa/setup/hardware", { serialNumber: "NO-SUCH-1", code: "12345678" });
  const wrongCode = await c.post("/mfa/setup/hardware", { serialNumber: "RES-1", code: "000000" });
  const error = (html: string) => /<p class="notice error" role="alert" id="mfa-error">([^<]+)<\/p>/.exec(html)?.[1];
  for (const res of [taken, unknown, wrongCode]) assert.is(res.res.status, 422);
  // One message for an assigned token, an unknown serial and a wrong code: nothing to enumerate.
  assert.ok(error(unknown.html));
  assert.is(error(taken.html), error(unknown.html));
  assert.is(error(wrongCode.html), error(unknown.html));
  assert.match(error(unknown.html)!, /The code is not valid\./);
  assert.match(unknown.html, /name="serialNumber" value="NO-SUCH-1"/, "what was typed is kept");
  // An assigned token cannot be disabled or deleted.
  const sixty = (await env.services.hardware.registry.bySerial("SIXTY-1"))!;
  try {
    await env.services.hardware.registry.delete(sixty.id, { id: null, name: "t" }, null);
    assert.unreachable();
  } catch (err) {
    assert.match(String(err), /assigned to sixty: unassign it before deleting it/);
  }
});

t(
  "guessing serial numbers spends code attempts: after five the account locks, right serial or not",
  async ({ env, siteId }) => {
    await register(env, "GUESS-1", 9);
    await userWithMfa(env, siteId, "guesser");
    const c = new TestClient(env.app);
    await c.signIn("guesser", PASSWORD);
    const p: TotpParams = { secret: keyFor(9), algorithm: "SHA1", digits: 6, periodInSeconds: 30 };
    for (let i = 0; i < 5; i++) {
      const r = await c.post("/mfa/setup/hardware", { serialNumber: `GUESS-${i + 2}`, code: codeAt(env.clock, p) });
      assert.is(r.res.status, 422);
    }
    const { rows } = await env.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_log WHERE action = 'mfa.lock' AND target_name = 'guesser'",
    );
    assert.is(rows[0]!.n, 1, "the fifth unknown serial locked the account, as a fifth wrong code would");
    const right = await c.post("/mfa/setup/hardware", { serialNumber: "GUESS-1", code: codeAt(env.clock, p) });
    assert.is(right.res.status, 422, "locked: even the right serial and code wait");
    assert.is((await env.services.hardware.registry.bySerial("GUESS-1"))!.state.kind, "available");
  },
);

t("two users activating one token at once: exactly one gets it", async ({ env, siteId }) => {
  await register(env, "RACE-1", 7);
  const p: TotpParams = { secret: keyFor(7), algorithm: "SHA1", digits: 6, periodInSeconds: 30 };
  const a = await userWithMfa(env, siteId, "racer-a");
  const b = await userWithMfa(env, siteId, "racer-b");
  const code = codeAt(env.clock, p);
  const results = await Promise.all([
    env.services.hardware.activation.activateHardware(a.id, "RACE-1", code, ADMIN),
    env.services.hardware.activation.activateHardware(b.id, "RACE-1", code, ADMIN),
  ]);
  assert.is(results.filter((r) => r.ok).length, 1, JSON.stringify(results));
  const loser = results.find((r) => !r.ok)!;
  assert.ok(!loser.ok && (loser.reason === "token_taken" || loser.reason === "invalid"), JSON.stringify(loser));
  const n = await env.db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM mfa_enrollments e JOIN hardware_tokens t ON t.id = e.token_id WHERE t.serial_number = 'RACE-1'",
  );
  assert.is(n.rows[0]!.n, 1);

  // Past the pool check (as when both requests read the token as free): the unique index decides.
  await register(env, "RACE-2", 8);
  const token = (await env.services.hardware.registry.bySerial("RACE-2"))!;
  const c = await userWithMfa(env, siteId, "racer-c");
  const d = await userWithMfa(env, siteId, "racer-d");
  const params = await env.services.hardware.registry.params(token);
  const input = { method: "hardware" as const, ...params, tokenId: token.id, tokenSerial: token.serialNumber };
  const code2 = codeAt(env.clock, params);
  const both = await Promise.all([
    env.services.mfa.activation.activate(c.id, input, code2, ADMIN),
    env.services.mfa.activation.activate(d.id, input, code2, ADMIN),
  ]);
  assert.equal(both.map((r) => (r.ok ? "ok" : r.reason)).sort(), ["ok", "token_taken"]);
});

t("unassigning a token reserved for its user says it stays reserved (a reset ends no reservation)", async (ctx) => {
  const { env, siteId } = ctx;
  const token = await register(env, "KEEP-1", 41);
  const u = await userWithMfa(env, siteId, "keeper");
  await env.db.query("UPDATE hardware_tokens SET reserved_for_user_id = $1 WHERE id = $2", [u.id, token.id]);
  const p: TotpParams = { secret: keyFor(41), algorithm: "SHA1", digits: 6, periodInSeconds: 30 };
  const activated = await env.services.hardware.activation.activateHardware(
    u.id,
    "KEEP-1",
    codeAt(env.clock, p),
    ADMIN,
  );
  assert.ok(activated.ok, JSON.stringify(activated));
  await env.services.users.create({ siteId, username: "root2", password: PASSWORD, role: "admin" });
  const admin = new TestClient(env.app);
  await admin.signIn("root2", PASSWORD);
  const ask = await admin.post(`/configure/mfa-hardware/${token.id}/unassign`, {});
  assert.match(ask.html, /Hardware token KEEP-1 is taken back and stays reserved for this user/);
  assert.not.match(ask.html, /KEEP-1 goes back to the pool/);
  const r = await admin.post(`/configure/mfa-hardware/${token.id}/unassign`, { confirm: "mfa-reset" });
  assert.is(r.res.status, 303);
  const list = await admin.get(r.res.headers.get("location")!);
  const audit = await admin.get("/configure/audit?user=keeper");
  assert.match(audit.html, /reset MFA for keeper \(hardware token unassigned\)/);
  assert.match(
    list.html,
    /Unassigned token KEEP-1 from keeper: the token stays reserved for keeper \(Release… ends that\)/,
  );
  assert.not.match(list.html, /KEEP-1 from keeper: the token is back in the pool/);
  assert.is((await env.services.hardware.registry.byId(token.id))!.reservedForUserId, u.id);
});

t.run();
