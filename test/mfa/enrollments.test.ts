// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "node:crypto";
import { codeThrottleKey, MfaAccessError, MfaInputError, type MfaActor } from "../../engine/mfa/mfa-model.js";
import type { TotpParams } from "../../engine/mfa/totp.js";
import { startTestEnv, type TestEnv } from "../helpers/app.js";
import { appParams, codeAt } from "../helpers/totp.js";
import { rejects } from "../helpers/assert.js";
import { testBackend } from "../helpers/db.js";

const t = suite<{ env: TestEnv; siteId: string; admin: MfaActor }>(`MFA service [${testBackend}]`);
let n = 0;

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
  const admin = await ctx.env.services.users.create({ siteId: ctx.siteId, username: "root", role: "admin" });
  ctx.admin = { id: admin.id, name: admin.username, siteId: ctx.siteId };
});
t.after(async (ctx) => ctx.env.close());
t.before.each((ctx) => ctx.env.clock.advanceSeconds(3600));

async function newUser(env: TestEnv, siteId: string): Promise<string> {
  return (await env.services.users.create({ siteId, username: `u${++n}` })).id;
}

/** A user with MFA on and an activated authenticator app; returns its parameters. */
async function activatedUser(env: TestEnv, siteId: string, admin: MfaActor) {
  const userId = await newUser(env, siteId);
  await env.services.mfa.settings.applySettings(userId, { enabled: true, enforcementDelayDays: 0 }, admin);
  const p = appParams(randomBytes(20));
  const r = await env.services.mfa.activation.activate(userId, { method: "app", ...p }, codeAt(env.clock, p), {
    id: userId,
    name: "self",
    siteId: null,
  });
  assert.equal(r, { ok: true });
  // The activation used this step; sign-in tests start two later, so one step back is unused.
  env.clock.advanceSeconds(60);
  return { userId, p };
}

t("MFA off: the password is enough; status Off", async ({ env, siteId }) => {
  const id = await newUser(env, siteId);
  assert.equal(await env.services.mfa.afterPassword(id), { status: "ok" });
  const s = await env.services.mfa.statusOf(id);
  assert.is(s.state, "off");
  assert.is(s.message, "Off");
});

t("delay 0 forces setup at the next sign-in", async ({ env, siteId, admin }) => {
  const id = await newUser(env, siteId);
  const s = await env.services.mfa.settings.applySettings(id, { enabled: true, enforcementDelayDays: 0 }, admin);
  assert.is(s.state, "required");
  assert.is(s.message, "On — required at next sign-in");
  const d = await env.services.mfa.afterPassword(id);
  assert.is(d.status, "mfa_setup_required");
  assert.is(d.status === "mfa_setup_required" && d.optional, false);
});

t("delay 3: optional on day 2 with the days left, compulsory on day 4", async ({ env, siteId, admin }) => {
  env.clock.set("2026-02-01T09:00:00Z");
  const id = await newUser(env, siteId);
  const s = await env.services.mfa.settings.applySettings(id, { enabled: true, enforcementDelayDays: 3 }, admin);
  assert.is(s.message, "On — not activated, required from 4 February 2026, 09:00 (UTC)");
  env.clock.advanceDays(2);
  assert.equal(await env.services.mfa.afterPassword(id), {
    status: "mfa_setup_required",
    optional: true,
    daysLeft: 1,
    requiredFrom: new Date("2026-02-04T09:00:00Z"),
  });
  env.clock.advanceDays(2);
  const d = await env.services.mfa.afterPassword(id);
  assert.is(d.status === "mfa_setup_required" && d.optional, false);
  assert.is((await env.services.mfa.statusOf(id)).message, "On — required at next sign-in");
});

t(
  "changing the delay from 3 to 0 forces setup; back to 3 recomputes from enabled_at",
  async ({ env, siteId, admin }) => {
    env.clock.set("2026-03-01T09:00:00Z");
    const id = await newUser(env, siteId);
    await env.services.mfa.settings.applySettings(id, { enabled: true, enforcementDelayDays: 3 }, admin);
    env.clock.advanceDays(1);
    const zero = await env.services.mfa.settings.applySettings(id, { enabled: true, enforcementDelayDays: 0 }, admin);
    assert.is(zero.requiredFrom?.toISOString(), "2026-03-01T09:00:00.000Z");
    const d = await env.services.mfa.afterPassword(id);
    assert.is(d.status === "mfa_setup_required" && d.optional, false);
    const three = await env.services.mfa.settings.applySettings(id, { enabled: true, enforcementDelayDays: 3 }, admin);
    assert.is(three.requiredFrom?.toISOString(), "2026-03-04T09:00:00.000Z", "from enabled_at, not from now");
    const { rows } = await env.db.query<{ action: string; details: Record<string, unknown> }>(
      "SELECT action, details FROM audit_log WHERE target_user_id = $1 ORDER BY id",
      [id],
    );
    assert.equal(
      rows.map((r) => [r.action, r.details]),
      [
        ["mfa.enable", { enforcementDelayDays: 3 }],
        ["mfa.delay_change", { from: 3, to: 0 }],
        ["mfa.delay_change", { from: 0, to: 3 }],
      ],
    );
  },
);

t("bad settings are refused and change nothing", async ({ env, siteId, admin }) => {
  const id = await newUser(env, siteId);
  for (const bad of [-1, 1.5, NaN, 100000]) {
    await rejects(
      env.services.mfa.settings.applySettings(id, { enabled: true, enforcementDelayDays: bad }, admin),
      (e) => e instanceof MfaInputError && e.field === "enforcementDelayDays",
    );
  }
  await rejects(
    env.services.mfa.settings.applySettings(
      id,
      { enabled: "yes" as unknown as boolean, enforcementDelayDays: 1 },
      admin,
    ),
    (e) => e instanceof MfaInputError && e.field === "enabled",
  );
  assert.is((await env.services.mfa.statusOf(id)).state, "off");
});

t(
  "activation needs a correct current code; then status says so and sign-in needs a code",
  async ({ env, siteId, admin }) => {
    env.clock.set("2026-04-01T10:00:00Z");
    const id = await newUser(env, siteId);
    const self = { id, name: "self", siteId: null };
    const p = appParams(randomBytes(20));
    const off = await env.services.mfa.activation.activate(id, { method: "app", ...p }, codeAt(env.clock, p), self);
    assert.equal(off, { ok: false, reason: "not_enabled", retryAfterSeconds: 0 });
    await env.services.mfa.settings.applySettings(id, { enabled: true, enforcementDelayDays: 0 }, admin);
    const wrong = await env.services.mfa.activation.activate(
      id,
      { method: "app", ...p },
      codeAt(env.clock, p, 5),
      self,
    );
    assert.equal(wrong, { ok: false, reason: "invalid", retryAfterSeconds: 0 });
    assert.equal(await env.services.mfa.activation.activate(id, { method: "app", ...p }, codeAt(env.clock, p), self), {
      ok: true,
    });
    const again = await env.services.mfa.activation.activate(
      id,
      { method: "app", ...p },
      codeAt(env.clock, p, 1),
      self,
    );
    assert.is(again.ok === false && again.reason, "already_active");
    const s = await env.services.mfa.statusOf(id);
    assert.is(s.state, "active");
    assert.is(s.message, "Activated on 1 April 2026 with an authenticator app");
    assert.equal(await env.services.mfa.afterPassword(id), { status: "mfa_required" });
  },
);

t("a code is accepted one step early and one late, not two", async ({ env, siteId, admin }) => {
  for (const [offset, ok] of [
    [-2, false],
    [2, false],
    [-1, true],
    [1, true],
  ] as const) {
    const { userId, p } = await activatedUser(env, siteId, admin);
    const r = await env.services.mfa.codes.verifyCode(userId, codeAt(env.clock, p, offset));
    assert.is(r.ok, ok, `offset ${offset}`);
  }
});

t("the same code twice is refused, and an older step after a newer one", async ({ env, siteId, admin }) => {
  const { userId, p } = await activatedUser(env, siteId, admin);
  const code = codeAt(env.clock, p);
  assert.is((await env.services.mfa.codes.verifyCode(userId, code)).ok, true);
  assert.equal(await env.services.mfa.codes.verifyCode(userId, code), {
    ok: false,
    reason: "invalid",
    retryAfterSeconds: 0,
  });
  env.clock.advanceSeconds(30);
  assert.is((await env.services.mfa.codes.verifyCode(userId, codeAt(env.clock, p, 1))).ok, true);
  assert.is(
    (await env.services.mfa.codes.verifyCode(userId, codeAt(env.clock, p))).ok,
    false,
    "step before the last used one",
  );
});

t("two verifications of the same code at the same moment: exactly one wins", async ({ env, siteId, admin }) => {
  for (let round = 0; round < 5; round++) {
    const { userId, p } = await activatedUser(env, siteId, admin);
    const code = codeAt(env.clock, p);
    const results = await Promise.all(Array.from({ length: 4 }, () => env.services.mfa.codes.verifyCode(userId, code)));
    assert.is(results.filter((r) => r.ok).length, 1, `round ${round}: ${JSON.stringify(results)}`);
  }
});

t("the drift is remembered and the window follows it", async ({ env, siteId, admin }) => {
  const { userId, p } = await activatedUser(env, siteId, admin);
  assert.is((await env.services.mfa.codes.verifyCode(userId, codeAt(env.clock, p, 1))).ok, true);
  env.clock.advanceSeconds(60);
  // Centred at +1 now: +2 is inside the window.
  assert.is((await env.services.mfa.codes.verifyCode(userId, codeAt(env.clock, p, 2))).ok, true);
  const { rows } = await env.db.query<{ drift_steps: number }>(
    "SELECT drift_steps FROM mfa_enrollments WHERE user_id = $1",
    [userId],
  );
  assert.is(rows[0]!.drift_steps, 2);
});

t(
  "five wrong codes lock the account: the right code is refused, the lock is audited and shown, unlock lifts it",
  async ({ env, siteId, admin }) => {
    const { userId, p } = await activatedUser(env, siteId, admin);
    for (let i = 0; i < 4; i++) {
      assert.is((await env.services.mfa.codes.verifyCode(userId, "000000")).ok === false, true);
    }
    const fifth = await env.services.mfa.codes.verifyCode(userId, "000001");
    assert.is(fifth.ok === false && fifth.reason, "locked");
    const right = await env.services.mfa.codes.verifyCode(userId, codeAt(env.clock, p));
    assert.is(right.ok === false && right.reason, "locked");
    const s = await env.services.mfa.statusOf(userId);
    assert.match(
      s.message,
      /^Activated on \d{1,2} [A-Z][a-z]+ \d{4} with .* · locked after failed codes until \d{1,2} [A-Z][a-z]+ \d{4}, \d\d:\d\d \(UTC\)$/,
    );
    const { rows } = await env.db.query<{ action: string; details: { failures: number } }>(
      "SELECT action, details FROM audit_log WHERE target_user_id = $1 AND action = 'mfa.lock'",
      [userId],
    );
    assert.is(rows.length, 1);
    assert.is(rows[0]!.details.failures, 5);
    assert.is(await env.services.mfa.settings.unlock(userId, admin), true);
    assert.is((await env.services.mfa.codes.verifyCode(userId, codeAt(env.clock, p))).ok, true);
  },
);

t("lock times grow, and a lock always comes within 100 failures", async ({ env, siteId, admin }) => {
  const { userId } = await activatedUser(env, siteId, admin);
  const locks: number[] = [];
  let attempts = 0;
  while (attempts < 100 && locks.length < 4) {
    const r = await env.services.mfa.codes.verifyCode(userId, "999999");
    attempts++;
    if (r.ok === false && r.reason === "locked") {
      locks.push(r.retryAfterSeconds);
      env.clock.advanceSeconds(r.retryAfterSeconds + 1);
    }
  }
  assert.is(attempts, 20);
  assert.equal(locks, [30, 60, 120, 240]);
  const { rows } = await env.db.query<{ failures: number }>("SELECT failures FROM throttles WHERE key = $1", [
    codeThrottleKey(userId),
  ]);
  assert.is(rows[0]!.failures, 0);
});

t(
  "reset (OFF then ON) deletes the enrollment, revokes sessions; the old secret is worthless",
  async ({ env, siteId, admin }) => {
    const { userId, p } = await activatedUser(env, siteId, admin);
    await env.services.sessions.create(userId, siteId, "full", null);
    const off = await env.services.mfa.settings.applySettings(
      userId,
      { enabled: false, enforcementDelayDays: 0 },
      admin,
    );
    assert.is(off.state, "off");
    assert.match(off.message, /^Off — turned off on \d{1,2} [A-Z][a-z]+ \d{4} by root$/);
    const { rows: sessions } = await env.db.query("SELECT 1 FROM sessions WHERE user_id = $1", [userId]);
    assert.is(sessions.length, 0);
    await env.services.mfa.settings.applySettings(userId, { enabled: true, enforcementDelayDays: 0 }, admin);
    const d = await env.services.mfa.afterPassword(userId);
    assert.is(d.status, "mfa_setup_required");
    const r = await env.services.mfa.codes.verifyCode(userId, codeAt(env.clock, p));
    assert.is(r.ok === false && r.reason, "not_enrolled");
    const { rows } = await env.db.query<{ action: string }>(
      "SELECT action FROM audit_log WHERE target_user_id = $1 ORDER BY id",
      [userId],
    );
    assert.equal(
      rows.map((x) => x.action),
      ["mfa.enable", "mfa.activate", "mfa.disable", "mfa.reset", "mfa.enable"],
    );
  },
);

t("the CLI reset keeps MFA on and asks for a new setup", async ({ env, siteId, admin }) => {
  const { userId } = await activatedUser(env, siteId, admin);
  const s = await env.services.mfa.settings.reset(userId, { id: null, name: "cli", siteId: null });
  assert.is(s.state, "required");
  assert.is(s.activation, null);
});

t("a user of one site cannot be changed from another", async ({ env, siteId, admin }) => {
  const other = await env.services.sites.create(`other-${++n}`, "Other");
  const outsider = await newUser(env, other.id);
  const otherAdmin: MfaActor = { id: null, name: "other-admin", siteId: other.id };
  const insider = await newUser(env, siteId);
  await rejects(
    env.services.mfa.settings.applySettings(insider, { enabled: true, enforcementDelayDays: 0 }, otherAdmin),
    (e) => e instanceof MfaAccessError,
  );
  await rejects(env.services.mfa.settings.unlock(insider, otherAdmin), (e) => e instanceof MfaAccessError);
  await rejects(env.services.mfa.settings.reset(insider, otherAdmin), (e) => e instanceof MfaAccessError);
  assert.is((await env.services.mfa.statusOf(insider)).state, "off");
  // The same admin works on their own site's users.
  const s = await env.services.mfa.settings.applySettings(
    outsider,
    { enabled: true, enforcementDelayDays: 0 },
    otherAdmin,
  );
  assert.is(s.state, "required");
  void admin;
});

t(
  "hardware: one token cannot be activated by two users; the status names its serial",
  async ({ env, siteId, admin }) => {
    let tokenId = "7b0c6c2e-5d57-4b44-9a3f-0f0d1c1e2a3b";
    const p: TotpParams = { secret: randomBytes(20), algorithm: "SHA256", digits: 8, periodInSeconds: 60 };
    // Once the hardware registry exists (migration 004), token_id must name a registered token.
    const { rows: registry } = await env.db.query<{ t: string | null }>(
      "SELECT to_regclass('hardware_tokens')::text AS t",
    );
    if (registry[0]!.t) {
      const { rows } = await env.db.query<{ id: string }>(
        `INSERT INTO hardware_tokens (serial_number, name, secret_sealed, algorithm, digits, period_seconds, created_at)
         VALUES ('HW-0001', 'test token', 'v1:sealed-elsewhere', 'SHA256', 8, 60, $1) RETURNING id`,
        [env.clock.now()],
      );
      tokenId = rows[0]!.id;
    }
    const a = await newUser(env, siteId);
    const b = await newUser(env, siteId);
    for (const id of [a, b]) {
      await env.services.mfa.settings.applySettings(id, { enabled: true, enforcementDelayDays: 0 }, admin);
    }
    const input = { method: "hardware" as const, ...p, tokenId, tokenSerial: "HW-0001" };
    // A token left on the shelf drifted 4 steps: activation still finds it.
    assert.equal(await env.services.mfa.activation.activate(a, input, codeAt(env.clock, p, 4), admin), { ok: true });
    const s = await env.services.mfa.statusOf(a);
    assert.match(s.message, /with hardware token HW-0001$/);
    const taken = await env.services.mfa.activation.activate(b, input, codeAt(env.clock, p, 5), admin);
    assert.is(taken.ok === false && taken.reason, "token_taken");
    // Reset returns it to the pool.
    await env.services.mfa.settings.applySettings(a, { enabled: false, enforcementDelayDays: 0 }, admin);
    assert.equal(await env.services.mfa.activation.activate(b, input, codeAt(env.clock, p, 5), admin), { ok: true });
  },
);

t("statusesOf answers for many users at once", async ({ env, siteId, admin }) => {
  const { userId } = await activatedUser(env, siteId, admin);
  const off = await newUser(env, siteId);
  const map = await env.services.mfa.statusesOf([userId, off, "not-a-uuid"]);
  assert.is(map.size, 2);
  assert.is(map.get(userId)!.state, "active");
  assert.is(map.get(off)!.state, "off");
});

t.run();
