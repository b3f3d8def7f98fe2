// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import { startTestEnv, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.js";

const t = suite<{ env: TestEnv; sink: SmtpSink; siteId: string; n: number }>(
  `e-mail outbox and sender, against a real SMTP server [${testBackend}]`,
);
const admin: MfaActor = { id: null, name: "test admin", siteId: null };

t.before(async (ctx) => {
  ctx.sink = await startSmtpSink();
  ctx.env = await startTestEnv({
    SMTP_URL: ctx.sink.url,
    MAIL_FROM: "Formgate <formgate@example.test>",
    PUBLIC_URL: "https://forms.example.test",
  });
  ctx.siteId = (await ctx.env.services.sites.list()).find((s) => s.isPublic)!.id;
  ctx.n = 0;
});
t.after(async (ctx) => {
  await ctx.env.close();
  await ctx.sink.stop();
});
t.before.each((ctx) => {
  ctx.sink.arrived.length = 0;
  ctx.sink.offered = 0;
  ctx.sink.answer = () => null;
});

async function newUser(ctx: { env: TestEnv; siteId: string; n: number }, email: string | null = "x") {
  const username = `user${++ctx.n}`;
  const u = await ctx.env.services.users.create({
    siteId: ctx.siteId,
    username,
    displayName: `User ${ctx.n}`,
    email: email === "x" ? `${username}@example.test` : email,
  });
  return u;
}

async function outboxRows(env: TestEnv, userId: string) {
  const { rows } = await env.db.query<{ kind: string; state: string; attempts: number; last_error: string | null }>(
    "SELECT kind, state, attempts, last_error FROM mail_outbox WHERE user_id = $1 ORDER BY id",
    [userId],
  );
  return rows;
}

t("MFA switched on: one mail to that user with the deadline, the site's name and a link to sign in", async (ctx) => {
  const { services: s } = ctx.env;
  const u = await newUser(ctx);
  await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 10 }, admin);
  assert.equal(await outboxRows(ctx.env, u.id), [
    { kind: "mfa_enabled", state: "queued", attempts: 0, last_error: null },
  ]);
  const run = await s.mail.runOnce();
  assert.is(run.sent, 1);
  assert.is(ctx.sink.arrived.length, 1);
  const mail = ctx.sink.arrived[0]!;
  assert.is(mail.to, u.username + "@example.test");
  assert.match(mail.from, "formgate@example.test");
  assert.is(mail.subject, "[Public Site] Set up two-step sign-in");
  // 09:00 UTC on 5 January + 10 days.
  assert.match(mail.text, "by Thursday, 15 January 2026, 09:00 (UTC)");
  assert.match(mail.text, "https://forms.example.test/login");
  assert.match(mail.html, 'href="https://forms.example.test/login"');
  // Sent once: another run sends nothing.
  assert.is((await s.mail.runOnce()).sent, 0);
  assert.is(ctx.sink.arrived.length, 1);
  // Findable for the user in the audit log, without a body.
  const { rows } = await ctx.env.db.query<{ details: Record<string, unknown> }>(
    "SELECT details FROM audit_log WHERE target_user_id = $1 AND action = 'mail.sent'",
    [u.id],
  );
  assert.is(rows.length, 1);
  assert.is(rows[0]!.details.kind, "mfa_enabled");
  assert.not.ok(JSON.stringify(rows[0]!.details).includes("Set up"));
});

t("MFA switched on: a hardware token reserved for the user is named by its serial number", async (ctx) => {
  const { services: s } = ctx.env;
  const holder = await newUser(ctx);
  const other = await newUser(ctx);
  await s.hardware.registry.register(
    { name: "Key", serialNumber: "HW-0042", timeInterval: "30", secretKey: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" },
    { id: null, name: "test" },
    ctx.siteId,
    { id: holder.id, username: holder.username, disabled: false },
  );
  for (const u of [holder, other]) {
    await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 10 }, admin);
  }
  await s.mail.runOnce();
  const text = (u: { username: string }) => ctx.sink.arrived.find((m) => m.to === `${u.username}@example.test`)!.text;
  assert.match(text(holder), "A hardware token is reserved for you: serial number HW-0042.");
  assert.not.match(text(other), "reserved");
});

t("a change that rolls back sends nothing", async (ctx) => {
  const { services: s, db } = ctx.env;
  const u = await newUser(ctx);
  await db
    .transaction(async (tx) => {
      await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 5 }, admin, tx);
      // The mail's row was written in this transaction...
      const { rows } = await tx.query("SELECT 1 FROM mail_outbox WHERE user_id = $1", [u.id]);
      assert.is(rows.length, 1);
      throw new Error("refused after the change: roll back");
    })
    .catch((err: Error) => assert.is(err.message, "refused after the change: roll back"));
  assert.equal(await outboxRows(ctx.env, u.id), []);
  await s.mail.runOnce();
  assert.is(ctx.sink.offered, 0);
});

t(
  "a server that answers 451 twice: the mail arrives on the third try, the first retry within a minute",
  async (ctx) => {
    const { services: s, clock } = ctx.env;
    const u = await newUser(ctx);
    ctx.sink.answer = (offer) => (offer <= 2 ? { code: 451, text: "4.3.0 Try again later" } : null);
    await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 3 }, admin);
    assert.is((await s.mail.runOnce()).retried, 1);
    const [row] = await outboxRows(ctx.env, u.id);
    assert.is(row!.state, "queued");
    assert.match(row!.last_error!, "451");
    // Not yet due again.
    assert.is((await s.mail.runOnce()).retried, 0);
    clock.advanceSeconds(60);
    assert.is((await s.mail.runOnce()).retried, 1);
    clock.advanceSeconds(60);
    assert.is((await s.mail.runOnce()).sent, 0, "the second retry waits longer than the first");
    clock.advanceSeconds(60);
    assert.is((await s.mail.runOnce()).sent, 1);
    assert.is(ctx.sink.offered, 3);
    assert.is(ctx.sink.arrived.length, 1);
    assert.equal(await outboxRows(ctx.env, u.id), [
      { kind: "mfa_enabled", state: "sent", attempts: 3, last_error: null },
    ]);
  },
);

t("a 550 fails the mail with the server's reason, shown in the outbox and the audit log", async (ctx) => {
  const { services: s } = ctx.env;
  const u = await newUser(ctx);
  ctx.sink.answer = () => ({ code: 550, text: "5.1.1 No such mailbox here" });
  await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 3 }, admin);
  assert.is((await s.mail.runOnce()).failed, 1);
  const rows = await outboxRows(ctx.env, u.id);
  assert.is(rows[0]!.state, "failed");
  assert.match(rows[0]!.last_error!, "550 5.1.1 No such mailbox here");
  const listed = await s.mail.outbox.list(ctx.siteId, { state: "failed" });
  assert.ok(listed.entries.some((e) => e.userId === u.id && e.lastError?.includes("No such mailbox")));
  const audit = await ctx.env.db.query<{ details: { reason: string } }>(
    "SELECT details FROM audit_log WHERE target_user_id = $1 AND action = 'mail.failed'",
    [u.id],
  );
  assert.match(audit.rows[0]!.details.reason, "No such mailbox");
});

t("SMTP down for a while: nothing is lost, everything arrives once it is back", async (ctx) => {
  const { services: s, clock } = ctx.env;
  await ctx.sink.stop();
  const users = [await newUser(ctx), await newUser(ctx), await newUser(ctx)];
  for (const u of users) await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 3 }, admin);
  assert.is((await s.mail.runOnce()).retried, 3);
  clock.advanceSeconds(20);
  assert.is((await s.mail.runOnce()).retried, 0, "not due again within 20 s");
  clock.advanceSeconds(20);
  assert.is((await s.mail.runOnce()).retried, 3, "the second try, refused too");
  const { rows } = await ctx.env.db.query<{ last_error: string }>(
    "SELECT last_error FROM mail_outbox WHERE user_id = ANY($1::uuid[])",
    [users.map((u) => u.id)],
  );
  assert.ok(
    rows.every((r) => /ECONNREFUSED|connect/i.test(r.last_error)),
    JSON.stringify(rows),
  );
  await ctx.sink.start();
  clock.advanceSeconds(120);
  assert.is((await s.mail.runOnce()).sent, 3);
  assert.equal(ctx.sink.arrived.map((m) => m.to).sort(), users.map((u) => `${u.username}@example.test`).sort());
});

t("a user without an e-mail address is skipped and counted; security notices reach the user", async (ctx) => {
  const { services: s } = ctx.env;
  const none = await newUser(ctx, null);
  await s.mfa.settings.applySettings(none.id, { enabled: true, enforcementDelayDays: 3 }, admin);
  assert.equal(await outboxRows(ctx.env, none.id), [
    { kind: "mfa_enabled", state: "skipped", attempts: 0, last_error: "no e-mail address" },
  ]);
  assert.ok((await s.mail.outbox.list(ctx.siteId)).counts.skipped >= 1);
  const u = await newUser(ctx);
  await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 3 }, admin);
  await s.mfa.settings.reset(u.id, admin);
  await s.mfa.settings.applySettings(u.id, { enabled: false, enforcementDelayDays: 3 }, admin);
  await s.users.setPassword(u.id, "a long new password 42", null);
  await s.mail.runOnce();
  assert.equal(
    // Sent side by side: the order they arrive in is not fixed.
    ctx.sink.arrived.map((m) => m.subject).sort(),
    [
      "[Public Site] Set up two-step sign-in",
      "[Public Site] Your two-step sign-in was reset",
      "[Public Site] Two-step sign-in was turned off",
      "[Public Site] Your password was changed",
    ].sort(),
  );
  for (const m of ctx.sink.arrived) assert.not.match(m.text, "a long new password");
});

t("MFA reset: a deadline already reached reads 'at your next sign-in'; the mail links to sign in", async (ctx) => {
  const { services: s, clock } = ctx.env;
  const resetMail = (u: { username: string }) => {
    const mails = ctx.sink.arrived.filter((m) => m.to === `${u.username}@example.test` && /was reset/.test(m.subject));
    assert.is(mails.length, 1, u.username);
    return mails[0]!.text;
  };
  const resetWith = async (enforcementDelayDays: number) => {
    const u = await newUser(ctx);
    await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays }, admin);
    await s.mfa.settings.reset(u.id, admin);
    return u;
  };
  // Delay 0 (as unassigning a hardware token resets): the deadline is the reset itself.
  const now = await resetWith(0);
  const ahead = await resetWith(3);
  await s.mail.runOnce();
  assert.match(resetMail(now), "Set it up again at your next sign-in.");
  assert.not.match(resetMail(now), "Set it up again by");
  assert.match(resetMail(ahead), /Set it up again by \w+day, \d+ \w+ \d{4}, \d\d:\d\d \(UTC\)\./);
  for (const u of [now, ahead]) assert.match(resetMail(u), "Sign in: https://forms.example.test/login");
  // Delay 1, written only after that day is over (SMTP was down): passed by then.
  ctx.sink.arrived.length = 0;
  const late = await resetWith(1);
  clock.advanceSeconds(2 * 86_400);
  await s.mail.runOnce();
  assert.match(resetMail(late), "Set it up again at your next sign-in.");
});

t(
  "a lock: the user's notice gives the lock's length; an administrator without an address is skipped and counted",
  async (ctx) => {
    const { services: s } = ctx.env;
    const u = await newUser(ctx);
    const boss = await s.users.create({ siteId: ctx.siteId, username: `boss${++ctx.n}`, role: "admin", email: null });
    const before = (await s.mail.outbox.list(ctx.siteId)).counts.skipped;
    const enqueued = await ctx.env.db.transaction((tx) =>
      s.mail.outbox.notify(tx, u.id, "mfa_locked", { lockSeconds: 30 }),
    );
    // Before: the administrator without an address left no row at all, not even a skipped one.
    assert.equal(await outboxRows(ctx.env, boss.id), [
      { kind: "admin_user_locked", state: "skipped", attempts: 0, last_error: "no e-mail address" },
    ]);
    assert.ok(enqueued.skipped >= 1);
    assert.is((await s.mail.outbox.list(ctx.siteId)).counts.skipped, before + enqueued.skipped);
    await s.mail.runOnce();
    const mail = ctx.sink.arrived.find((m) => m.to === `${u.username}@example.test`)!;
    assert.match(mail.text, `so it is locked for 30 seconds.`);
    assert.not.match(mail.text, "one minute");
  },
);

t("the set-up mails name the methods the site's policy allows", async (ctx) => {
  const { services: s } = ctx.env;
  const actor = { id: null, name: "test admin", siteId: ctx.siteId };
  const kept = await s.mfaPolicies.get(ctx.siteId);
  await s.mfaPolicies.set(
    ctx.siteId,
    { requiredRoles: [], defaultEnforcementDelayDays: 14, allowedMethods: ["passkey"], passkeySignIn: true },
    actor,
  );
  const u = await newUser(ctx);
  await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 10 }, admin);
  await s.mail.outbox.remindNow([u.id]);
  await s.mail.runOnce();
  const mails = ctx.sink.arrived.filter((m) => m.to === `${u.username}@example.test`);
  assert.is(mails.length, 2, "switched on and a reminder");
  for (const m of mails) {
    assert.match(
      m.text,
      "how to set up a second step: a passkey (your phone, computer or security key confirms it is you).",
    );
    assert.not.match(m.text, "authenticator app");
    assert.not.match(m.text, "hardware token");
  }
  await s.mfaPolicies.set(
    ctx.siteId,
    {
      requiredRoles: kept.requiredRoles,
      defaultEnforcementDelayDays: kept.defaultEnforcementDelayDays,
      allowedMethods: kept.allowedMethods,
      passkeySignIn: kept.passkeySignIn,
    },
    actor,
  );
});

t.run();
