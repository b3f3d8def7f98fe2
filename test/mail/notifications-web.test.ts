// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { saveUser } from "../helpers/users.js";

const PASSWORD = "correct horse battery";
const t = suite<{ env: TestEnv; c: TestClient; siteId: string; ids: Record<string, string> }>(
  `Configure > Notifications, Send reminder now, Remind everyone pending [${testBackend}]`,
);
const admin: MfaActor = { id: null, name: "test admin", siteId: null };

t.before.each(async (ctx) => {
  ctx.env = await startTestEnv();
  const s = ctx.env.services;
  ctx.siteId = (await s.sites.publicSite()).id;
  await s.users.create({ siteId: ctx.siteId, username: "root", password: PASSWORD, role: "admin" });
  ctx.ids = {};
  for (const [name, email] of [
    ["nora", "nora@example.test"],
    ["omar", null],
    ["pia", "pia@example.test"],
  ] as const) {
    const u = await s.users.create({ siteId: ctx.siteId, username: name, email });
    ctx.ids[name] = u.id;
  }
  await s.mfa.settings.applySettings(ctx.ids.nora!, { enabled: true, enforcementDelayDays: 10 }, admin);
  await s.mfa.settings.applySettings(ctx.ids.omar!, { enabled: true, enforcementDelayDays: 10 }, admin);
  ctx.c = new TestClient(ctx.env.app);
  await ctx.c.signIn("root", PASSWORD);
});
t.after.each(async (ctx) => ctx.env.close());

const count = async (env: TestEnv, where = "true") =>
  (await env.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM mail_outbox WHERE ${where}`)).rows[0]!.n;

t("the page: reminder days (default 7, 3, 1), not configured, the outbox with its states", async ({ c }) => {
  const { res, html } = await c.get("/configure/notifications");
  assert.is(res.status, 200);
  assert.match(html, 'value="7, 3, 1"');
  assert.match(html, "E-mail is not configured");
  assert.match(html, "not sent: e-mail is not configured");
  assert.match(html, "1 skipped");
  assert.match(html, "no e-mail address");
  const failed = await c.get("/configure/notifications?state=failed");
  assert.match(failed.html, "No mail matches the filter");
});

t("reminder days are saved; bad ones are refused with a message in the field and change nothing", async (ctx) => {
  const { c, env } = ctx;
  const ok = await c.post("/configure/notifications", { reminderDays: "14,2 , 1" });
  assert.is(ok.res.status, 303);
  assert.equal(await env.services.mail.settings.reminderDays(ctx.siteId), [14, 2, 1]);
  for (const [bad, message] of [
    ["7, 3, x", "&quot;x&quot; is not a whole number of days from 0 to 90."],
    ["91", "&quot;91&quot; is not a whole number of days from 0 to 90."],
    ["1,2,3,4,5,6", "At most 5 reminder days, not 6."],
    ["2.5", "&quot;2.5&quot; is not a whole number"],
  ] as const) {
    const r = await c.post("/configure/notifications", { reminderDays: bad });
    assert.is(r.res.status, 422, bad);
    assert.match(r.html, message);
    assert.match(r.html, 'id="err-reminderDays"');
  }
  assert.equal(await env.services.mail.settings.reminderDays(ctx.siteId), [14, 2, 1]);
  const none = await c.post("/configure/notifications", { reminderDays: "" });
  assert.is(none.res.status, 303);
  assert.equal(await env.services.mail.settings.reminderDays(ctx.siteId), []);
});

t("Send a test mail: queued to the address; a bad address is a 422 that queues nothing", async ({ c, env }) => {
  const before = await count(env);
  const bad = await c.post("/configure/notifications/test", { address: "not an address" });
  assert.is(bad.res.status, 422);
  assert.match(bad.html, "Enter an e-mail address");
  assert.is(await count(env), before);
  const ok = await c.post("/configure/notifications/test", { address: "ops@example.test" });
  assert.is(ok.res.status, 303);
  assert.is(await count(env, "kind = 'test' AND to_address = 'ops@example.test'"), 1);
});

t("Send reminder now: in the dialog of a pending user; queued, audited, named when the last one went", async (ctx) => {
  const { c, env, ids } = ctx;
  const dialog = await c.get(`/configure/users/${ids.nora}`);
  assert.match(dialog.html, "No reminder has been sent yet.");
  assert.match(dialog.html, `formaction="/configure/users/${ids.nora}/remind"`);
  const r = await c.post(`/configure/users/${ids.nora}/remind`, {});
  assert.is(r.res.status, 303);
  assert.is(await count(env, `kind = 'mfa_reminder_now' AND user_id = '${ids.nora}'`), 1);
  // Sent: the dialog and the next click name when.
  await env.db.query("UPDATE mail_outbox SET state = 'sent', sent_at = $1 WHERE kind = 'mfa_reminder_now'", [
    env.clock.now(),
  ]);
  assert.match((await c.get(`/configure/users/${ids.nora}`)).html, "The last reminder went 2026-01-05 09:00 UTC.");
  const again = await c.post(`/configure/users/${ids.nora}/remind`, {}, { "hx-request": "true" });
  assert.is(again.res.status, 200);
  assert.match(again.html, "A reminder to nora is queued. The last reminder went 2026-01-05 09:00 UTC.");
  // Nothing pending for pia (MFA off): no button, and the route refuses with 409, writing nothing.
  assert.not.match((await c.get(`/configure/users/${ids.pia}`)).html, "Send reminder now");
  const before = await count(env);
  const refused = await c.post(`/configure/users/${ids.pia}/remind`, {});
  assert.is(refused.res.status, 409);
  assert.is(await count(env), before);
  const audit = await env.db.query("SELECT 1 FROM audit_log WHERE action = 'mail.remind' AND target_user_id = $1", [
    ids.nora,
  ]);
  assert.is(audit.rows.length, 2);
});

t("Send reminder now: the dialog and the click name when the last one went in the site's zone", async (ctx) => {
  const { c, env, ids } = ctx;
  await c.post(`/configure/users/${ids.nora}/remind`, {});
  await env.db.query("UPDATE mail_outbox SET state = 'sent', sent_at = $1 WHERE kind = 'mfa_reminder_now'", [
    new Date("2026-01-05T09:00:00Z"),
  ]);
  // 09:00 UTC is 18:00 the same day in Tokyo.
  await env.services.sites.setTimeZone(ctx.siteId, "Asia/Tokyo");
  const went = /MFA is not set up yet\.\s+The last reminder went 2026-01-05 18:00 Asia\/Tokyo\./;
  assert.match((await c.get(`/configure/users/${ids.nora}`)).html, went);
  const again = await c.post(`/configure/users/${ids.nora}/remind`, {}, { "hx-request": "true" });
  assert.match(again.html, went);
  assert.match(again.html, "A reminder to nora is queued. The last reminder went 2026-01-05 18:00 Asia/Tokyo.");
});

t("Remind everyone pending: one reminder per pending user; those without an address counted", async ({ c, env }) => {
  const progress = await c.get("/configure/mfa");
  assert.match(progress.html, "Remind everyone pending");
  const r = await c.post("/configure/mfa/remind", {});
  assert.is(r.res.status, 303);
  assert.is(await count(env, "kind = 'mfa_reminder_now' AND state = 'queued'"), 1);
  assert.is(await count(env, "kind = 'mfa_reminder_now' AND state = 'skipped'"), 1);
  const after = await c.get("/configure/mfa");
  assert.match(after.html, "A reminder to 1 pending user is queued. 1 user without an e-mail address was skipped.");
});

t("Remind everyone pending is for the site the console shows, and its count is what it queues", async (ctx) => {
  const { c, env } = ctx;
  const s = env.services;
  // A pending user of another site, and a disabled pending user here: neither is reminded.
  const acme = await s.sites.create("acme", "Acme Ltd");
  const far = await s.users.create({ siteId: acme.id, username: "far", email: "far@example.test" });
  await s.mfa.settings.applySettings(far.id, { enabled: true, enforcementDelayDays: 10 }, admin);
  const gone = await s.users.create({ siteId: ctx.siteId, username: "gone", email: "gone@example.test" });
  await s.mfa.settings.applySettings(gone.id, { enabled: true, enforcementDelayDays: 10 }, admin);
  await saveUser(s, gone.id, { disabled: true });
  const progress = await c.get("/configure/mfa");
  assert.match(progress.html, /data-count="remindable">\s*2 users of Public Site have MFA on and\s+not set up yet\./);
  assert.is((await c.post("/configure/mfa/remind", {})).res.status, 303);
  const reminded = await env.db.query<{ user_id: string }>(
    "SELECT user_id::text FROM mail_outbox WHERE kind = 'mfa_reminder_now' ORDER BY user_id",
  );
  assert.equal(reminded.rows.map((r) => r.user_id).sort(), [ctx.ids.nora!, ctx.ids.omar!].sort());
});

t.run();
