// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "node:crypto";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import { codeThrottleKey } from "../../engine/mfa/mfa-model.js";
import { isMfaState, MFA_STATE_JOINS, MFA_STATES, mfaStateRank, type MfaState } from "../../engine/mfa/mfa-states.js";
import { isOverdue, mfaBadges } from "../../engine/mfa/status.js";
import { startTestEnv, type TestEnv } from "../helpers/app.js";
import { appParams, codeAt } from "../helpers/totp.js";
import { testBackend } from "../helpers/db.js";
import { hexFor } from "../hardware/fixtures.js";

const t = suite<{ env: TestEnv; siteId: string; otherSiteId: string; admin: MfaActor; ids: Record<string, string> }>(
  `MFA states as SQL [${testBackend}]`,
);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  const s = ctx.env.services;
  ctx.env.clock.set("2026-06-01T09:00:00Z");
  ctx.siteId = (await s.sites.publicSite()).id;
  ctx.otherSiteId = (await s.sites.create("other", "Other Site")).id;
  const admin = await s.users.create({ siteId: ctx.siteId, username: "root", role: "admin" });
  ctx.admin = { id: admin.id, name: admin.username, siteId: ctx.siteId };
  const ids: Record<string, string> = { root: admin.id };
  const user = async (username: string, siteId = ctx.siteId) =>
    (ids[username] = (await s.users.create({ siteId, username })).id);
  const on = (id: string, days: number, actor: MfaActor = ctx.admin) =>
    s.mfa.settings.applySettings(id, { enabled: true, enforcementDelayDays: days }, actor);

  await user("off-never");
  await on(await user("off-again"), 1);
  await s.mfa.settings.applySettings(ids["off-again"]!, { enabled: false, enforcementDelayDays: 1 }, ctx.admin);
  await on(await user("pending-late"), 10);
  await on(await user("pending-soon"), 2);
  // Switched on with delay 0: due at the next sign-in, pending (no grace period to have missed).
  await on(await user("due-now"), 0);
  // Switched on a week ago with 3 days' grace: that ran out 4 days ago.
  ctx.env.clock.set("2026-05-25T09:00:00Z");
  await on(await user("overdue-late"), 3);
  ctx.env.clock.set("2026-06-01T09:00:00Z");
  await on(await user("app"), 0);
  const p = appParams(randomBytes(20));
  const me = { id: ids.app!, name: "app", siteId: null };
  assert.equal(await s.mfa.activation.activate(ids.app!, { method: "app", ...p }, codeAt(ctx.env.clock, p), me), {
    ok: true,
  });
  await on(await user("hw"), 0);
  const token = (
    await s.hardware.registry.register(
      { serialNumber: "HW-1", timeInterval: "30", secretKey: hexFor(1) },
      { id: null, name: "t" },
      null,
    )
  ).token;
  const hp = await s.hardware.registry.params(token);
  const input = { method: "hardware" as const, ...hp, tokenId: token.id, tokenSerial: token.serialNumber };
  assert.equal(await s.mfa.activation.activate(ids.hw!, input, codeAt(ctx.env.clock, hp), me), { ok: true });
  // Another site's users never count here.
  await on(await user("elsewhere", ctx.otherSiteId), 5, { ...ctx.admin, siteId: ctx.otherSiteId });
  ctx.ids = ids;
});
t.after(async (ctx) => ctx.env.close());

const sorted = (xs: string[]) => [...xs].sort();

t("off, pending, overdue and activated split the site's users; each filter lists its part", async (ctx) => {
  const s = ctx.env.services.mfaStates;
  const names = async (state: MfaState) => {
    const ids = await s.userIds(ctx.siteId, state);
    return sorted(ids.map((id) => Object.entries(ctx.ids).find(([, v]) => v === id)![0]));
  };
  assert.equal(await names("off"), ["off-again", "off-never", "root"]);
  assert.equal(await names("pending"), ["due-now", "pending-late", "pending-soon"]);
  assert.equal(await names("overdue"), ["overdue-late"]);
  assert.equal(await names("activated"), ["app", "hw"]);
  assert.equal(await names("locked"), []);
  assert.equal(await s.counts(ctx.siteId), {
    users: 9,
    off: 3,
    pending: 3,
    overdue: 1,
    activated: 2,
    activatedApp: 1,
    activatedHardware: 1,
    activatedPasskey: 0,
    locked: 0,
    cannotSignIn: 0,
  });
});

t("pending lists the nearest deadline first, and moves to overdue as the clock passes it", async (ctx) => {
  const s = ctx.env.services.mfaStates;
  const first = await s.nearestDeadlines(ctx.siteId);
  assert.equal(
    first.map((d) => [d.username, d.requiredFrom.toISOString()]),
    [
      ["due-now", "2026-06-01T09:00:00.000Z"],
      ["pending-soon", "2026-06-03T09:00:00.000Z"],
      ["pending-late", "2026-06-11T09:00:00.000Z"],
    ],
  );
  assert.equal((await s.nearestDeadlines(ctx.siteId, 1)).length, 1);
  ctx.env.clock.set("2026-06-03T09:00:00Z"); // the deadline itself: setup can no longer be put off
  try {
    assert.equal(
      (await s.nearestDeadlines(ctx.siteId)).map((d) => d.username),
      ["due-now", "pending-late"],
    );
    const c = await s.counts(ctx.siteId);
    assert.equal([c.pending, c.overdue], [2, 2], "delay 0 stays pending (due at next sign-in) days later");
    assert.equal((await s.counts(ctx.otherSiteId)).pending, 1);
  } finally {
    ctx.env.clock.set("2026-06-01T09:00:00Z");
  }
});

t("delay 0: pending in SQL and in words (due at next sign-in), and the sort puts it with pending", async (ctx) => {
  const s = ctx.env.services;
  const now = ctx.env.clock.now();
  const due = await s.mfa.statusOf(ctx.ids["due-now"]!);
  assert.equal(mfaBadges(due, now), [{ kind: "pending", text: "Pending — due at next sign-in" }]);
  assert.is(isOverdue(due, now), false);
  assert.is(due.message, "On — required at next sign-in", "the DESIGN.md sentence stays");
  const late = await s.mfa.statusOf(ctx.ids["overdue-late"]!);
  assert.is(isOverdue(late, now), true);
  assert.equal(mfaBadges(late, now), [
    { kind: "overdue", text: "Overdue — due 28 May 2026, 09:00 (UTC)", short: "Overdue — due 28 May 2026" },
  ]);
  const { rows } = await ctx.env.db.query<{ username: string; rank: number }>(
    `SELECT u.username, ${mfaStateRank("$2")} AS rank FROM users u ${MFA_STATE_JOINS}
     WHERE u.site_id = $1 AND u.username IN ('due-now', 'overdue-late', 'pending-soon') ORDER BY u.username`,
    [ctx.siteId, now],
  );
  assert.equal(
    rows.map((r) => [r.username, r.rank]),
    [
      ["due-now", 1],
      ["overdue-late", 2],
      ["pending-soon", 1],
    ],
  );
});

t("locked: a code lock or a password lock that has not run out; Unlock clears it", async (ctx) => {
  const { db, services: s, clock } = ctx.env;
  const until = new Date(clock.now().getTime() + 60_000);
  await db.query("INSERT INTO throttles (key, failures, locked_until) VALUES ($1, 0, $2), ($3, 0, $2)", [
    codeThrottleKey(ctx.ids.app!),
    until,
    "password:account:pending-soon",
  ]);
  assert.equal((await s.mfaStates.counts(ctx.siteId)).locked, 2);
  assert.equal(
    sorted(await s.mfaStates.userIds(ctx.siteId, "locked")),
    sorted([ctx.ids.app!, ctx.ids["pending-soon"]!]),
  );
  clock.advanceSeconds(61);
  assert.equal((await s.mfaStates.counts(ctx.siteId)).locked, 0, "a lock that ran out is not locked now");
  clock.set("2026-06-01T09:00:00Z");
  await s.mfa.settings.unlock(ctx.ids.app!, ctx.admin);
  assert.equal(await s.mfaStates.userIds(ctx.siteId, "locked"), [ctx.ids["pending-soon"]!]);
});

t("only the five names are states; limits outside 1–100 are refused", async (ctx) => {
  assert.equal(MFA_STATES.filter(isMfaState).length, 5);
  for (const bad of ["", "OFF", "active", "required", "off ", null, 1]) assert.not.ok(isMfaState(bad));
  for (const limit of [0, 101, 1.5]) {
    try {
      await ctx.env.services.mfaStates.nearestDeadlines(ctx.siteId, limit);
      assert.unreachable();
    } catch (err) {
      assert.instance(err, RangeError);
    }
  }
});

t.run();
