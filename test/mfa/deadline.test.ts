// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ManualClock } from "../../engine/clock.js";
import type { Db } from "../../engine/db/db.js";
import { silentLogger } from "../../engine/log.js";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import { enforcementDeadline } from "../../engine/mfa/sign-in-flow.js";
import { createServices, type Services } from "../../engine/services.js";
import { TEST_SECRET_KEY, testConfig } from "../helpers/app.js";
import { openTestDb, testBackend } from "../helpers/db.js";

// Issue 9, fault 13: with a session time zone that has daylight saving, a delay of 120 days gave a
// deadline one hour earlier after the delay was changed 121 -> 120 than when it was first set
// (24-hour days at switch-on, calendar days in SQL on a delay change and a reset).
const ZONE = "America/New_York";
const t = suite<{ db: Db }>(`enforcement deadlines under a daylight-saving time zone [${testBackend}]`);

t.before(async (ctx) => {
  ctx.db = await openTestDb();
  // The database's own default, as in the report; sessions opened from now on start in New York time.
  const { rows } = await ctx.db.query<{ name: string }>("SELECT current_database() AS name");
  await ctx.db.exec(`ALTER DATABASE "${rows[0]!.name.replace(/"/g, '""')}" SET timezone = '${ZONE}'`);
});
t.after(async (ctx) => ctx.db.close());

/**
 * Runs fn with services bound to one transaction whose session time zone is New York, whatever
 * the pool's connections were opened with (a server may pin its sessions to UTC: the deadline
 * must not depend on that).
 */
async function inNewYork(db: Db, clock: ManualClock, fn: (s: Services) => Promise<void>): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`SET LOCAL TIME ZONE '${ZONE}'`);
    const { rows } = await tx.query<{ TimeZone: string }>("SHOW TimeZone");
    assert.is(rows[0]!.TimeZone, ZONE);
    await fn(createServices(tx, clock, testConfig(), silentLogger, Buffer.from(TEST_SECRET_KEY, "base64")));
  });
}

t(
  "the session really keeps calendar days that are not 24 hours long (else this suite proves nothing)",
  async ({ db }) => {
    await db.transaction(async (tx) => {
      await tx.query(`SET LOCAL TIME ZONE '${ZONE}'`);
      const { rows } = await tx.query<{ calendar: Date; hours: Date }>(
        `SELECT $1::timestamptz + make_interval(days => 120) AS calendar, $1::timestamptz + 120 * interval '24 hours' AS hours`,
        ["2026-01-01T12:00:00Z"],
      );
      assert.is(rows[0]!.hours.getTime() - rows[0]!.calendar.getTime(), 3_600_000);
    });
  },
);

t(
  "a delay changed 121 -> 120 gives the deadline first set with 120, across the switch to summer time",
  async ({ db }) => {
    const clock = new ManualClock(new Date("2026-01-01T12:00:00Z"));
    await inNewYork(db, clock, async (s) => {
      const site = await s.sites.publicSite();
      const admin = await s.users.create({ siteId: site.id, username: "root", role: "admin" });
      const actor: MfaActor = { id: admin.id, name: admin.username, siteId: site.id };
      const user = await s.users.create({ siteId: site.id, username: "dora" });

      const first = await s.mfa.settings.applySettings(user.id, { enabled: true, enforcementDelayDays: 120 }, actor);
      // Summer time starts in New York on 8 March 2026; 120 days of 24 hours still end at 12:00 UTC.
      assert.is(first.requiredFrom?.toISOString(), "2026-05-01T12:00:00.000Z");
      clock.advanceDays(3);
      const longer = await s.mfa.settings.applySettings(user.id, { enabled: true, enforcementDelayDays: 121 }, actor);
      assert.is(longer.requiredFrom?.toISOString(), "2026-05-02T12:00:00.000Z");
      const back = await s.mfa.settings.applySettings(user.id, { enabled: true, enforcementDelayDays: 120 }, actor);
      assert.is(back.requiredFrom?.toISOString(), first.requiredFrom?.toISOString());

      // The reset starts the grace period again from now, with the same arithmetic.
      clock.set("2026-02-20T15:30:00Z");
      const reset = await s.mfa.settings.reset(user.id, actor);
      assert.is(reset.requiredFrom?.toISOString(), enforcementDeadline(clock.now(), 120).toISOString());
      assert.is(reset.requiredFrom?.toISOString(), "2026-06-20T15:30:00.000Z");
      const again = await s.mfa.settings.applySettings(user.id, { enabled: true, enforcementDelayDays: 120 }, actor);
      assert.is(again.requiredFrom?.toISOString(), reset.requiredFrom?.toISOString(), "an unchanged delay keeps it");
    });
  },
);

t("across the switch back to winter time too (delay 10 -> 11 -> 10 over 1 November)", async ({ db }) => {
  const clock = new ManualClock(new Date("2026-10-25T04:30:00Z"));
  await inNewYork(db, clock, async (s) => {
    const site = await s.sites.publicSite();
    const actor: MfaActor = { id: null, name: "cli", siteId: null };
    const user = await s.users.create({ siteId: site.id, username: "erik" });
    const first = await s.mfa.settings.applySettings(user.id, { enabled: true, enforcementDelayDays: 10 }, actor);
    assert.is(first.requiredFrom?.toISOString(), "2026-11-04T04:30:00.000Z");
    await s.mfa.settings.applySettings(user.id, { enabled: true, enforcementDelayDays: 11 }, actor);
    const back = await s.mfa.settings.applySettings(user.id, { enabled: true, enforcementDelayDays: 10 }, actor);
    assert.is(back.requiredFrom?.toISOString(), first.requiredFrom?.toISOString());
  });
});

t.run();
