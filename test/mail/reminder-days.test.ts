// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import { startTestEnv, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.js";

const t = suite<{ env: TestEnv; sink: SmtpSink; siteId: string; n: number }>(
  `MFA reminders day by day, to a real SMTP server [${testBackend}]`,
);
const admin: MfaActor = { id: null, name: "test admin", siteId: null };

t.before(async (ctx) => {
  ctx.sink = await startSmtpSink();
  ctx.env = await startTestEnv({ SMTP_URL: ctx.sink.url, MAIL_FROM: "formgate@example.test" });
  ctx.siteId = (await ctx.env.services.sites.list()).find((s) => s.isPublic)!.id;
  ctx.n = 0;
});
t.after(async (ctx) => {
  await ctx.env.close();
  await ctx.sink.stop();
});
t.before.each((ctx) => {
  ctx.sink.arrived.length = 0;
});

async function pendingUser(ctx: { env: TestEnv; siteId: string; n: number }, delay = 10) {
  const username = `pending${++ctx.n}`;
  const u = await ctx.env.services.users.create({ siteId: ctx.siteId, username, email: `${username}@example.test` });
  await ctx.env.services.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: delay }, admin);
  return u;
}

/** Moves the clock a day at a time for `days` days, running the mail loop each day; what arrived, by day. */
async function dayByDay(env: TestEnv, sink: SmtpSink, days: number, onDay?: (day: number) => Promise<void>) {
  const log: string[] = [];
  for (let day = 0; day <= days; day++) {
    if (day) env.clock.advanceDays(1);
    await onDay?.(day);
    const before = sink.arrived.length;
    await env.services.mail.runOnce();
    for (const m of sink.arrived.slice(before)) log.push(`day ${day}: ${m.subject.replace("[Public Site] ", "")}`);
  }
  return log;
}

t("reminder days 7, 3, 1 and a deadline 10 days out, day by day to 2 days after: each reminder once", async (ctx) => {
  const { env, sink } = ctx;
  await pendingUser(ctx);
  const log = await dayByDay(env, sink, 12);
  assert.equal(log, [
    "day 0: Set up two-step sign-in",
    "day 3: Reminder: set up two-step sign-in",
    "day 7: Reminder: set up two-step sign-in",
    "day 9: Reminder: set up two-step sign-in",
    "day 10: Two-step sign-in is now required",
  ]);
  assert.match(sink.arrived[1]!.text, "7 days are left");
  assert.match(sink.arrived[2]!.text, "3 days are left");
  assert.match(sink.arrived[3]!.text, "One day is left");
  assert.match(sink.arrived[4]!.text, "has passed");
});

t("activating in between stops the rest", async (ctx) => {
  const { env, sink } = ctx;
  const u = await pendingUser(ctx);
  const log = await dayByDay(env, sink, 12, async (day) => {
    if (day !== 5) return;
    // What an activation leaves: an enrollment row (the code check itself is tested elsewhere).
    await env.db.query(
      `INSERT INTO mfa_enrollments (user_id, method, secret_sealed, algorithm, digits, period_seconds, activated_at)
       VALUES ($1, 'app', 'x', 'SHA1', 6, 30, $2)`,
      [u.id, env.clock.now()],
    );
  });
  assert.equal(log, ["day 0: Set up two-step sign-in", "day 3: Reminder: set up two-step sign-in"]);
});

t("a moved deadline starts over", async (ctx) => {
  const { env, sink } = ctx;
  const u = await pendingUser(ctx);
  const log = await dayByDay(env, sink, 22, async (day) => {
    // Day 8, after the 7- and 3-day reminders: the delay goes from 10 to 20 days (deadline day 20).
    if (day === 8)
      await env.services.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 20 }, admin);
  });
  assert.equal(log, [
    "day 0: Set up two-step sign-in",
    "day 3: Reminder: set up two-step sign-in",
    "day 7: Reminder: set up two-step sign-in",
    // The old deadline (day 10) sends nothing more; the new one starts over: 7, 3, 1 days before day 20.
    "day 13: Reminder: set up two-step sign-in",
    "day 17: Reminder: set up two-step sign-in",
    "day 19: Reminder: set up two-step sign-in",
    "day 20: Two-step sign-in is now required",
  ]);
  assert.match(sink.arrived[3]!.text, "7 days are left");
});

t.run();
