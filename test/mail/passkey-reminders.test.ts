// @storage
// A user who set up MFA with a passkey alone is activated (DESIGN.md: the first factor confirmed):
// no reminder reaches them — not "Remind everyone pending", not the scheduled day-by-day and
// overdue reminders — the same rule as the dialog's "Send reminder now" (409) and `?mfa=activated`.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { publicSiteAdmin, type PublicSiteAdmin } from "../helpers/users.js";
import { passkeyThroughSetup } from "../helpers/webauthn-page.js";

const PASSWORD = "correct horse battery";
const t = suite<{ env: TestEnv; a: PublicSiteAdmin }>(`no reminders for passkey-only users [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.a = await publicSiteAdmin(ctx.env.services, PASSWORD);
});
t.after(async (ctx) => ctx.env.close());

/** A user with MFA on (delay `delay` days) and an e-mail address. */
async function mfaOn({ env, a }: { env: TestEnv; a: PublicSiteAdmin }, username: string, delay: number) {
  const u = await env.services.users.create({
    siteId: a.siteId,
    username,
    password: PASSWORD,
    email: `${username}@example.test`,
  });
  await env.services.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: delay }, a.root);
  return u;
}

/** Reminders of `kind` queued for `userId`. */
async function reminders(env: TestEnv, userId: string, kind: "mfa_reminder" | "mfa_reminder_now") {
  const { rows } = await env.db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM mail_outbox WHERE user_id = $1 AND kind = $2",
    [userId, kind],
  );
  return rows[0]!.n;
}

t("Remind everyone pending and the scheduled reminders leave a passkey-only user out", async (ctx) => {
  const { env, a } = ctx;
  const keyOnly = await mfaOn(ctx, "pia", 10);
  const waiting = await mfaOn(ctx, "walt", 10);
  await passkeyThroughSetup(env, "pia", PASSWORD, "Laptop");
  assert.is((await env.services.mfa.statusOf(keyOnly.id)).activation?.method, "passkey");

  const root = new TestClient(env.app);
  await root.signIn("root", PASSWORD);
  // The per-user button's rule, which the bulk paths now share.
  assert.is((await root.post(`/configure/users/${keyOnly.id}/remind`, {})).res.status, 409);
  assert.is((await root.post("/configure/mfa/remind", {})).res.status, 303);
  assert.is(await reminders(env, keyOnly.id, "mfa_reminder_now"), 0, "bulk reminder: not to the passkey user");
  assert.is(await reminders(env, waiting.id, "mfa_reminder_now"), 1, "bulk reminder: to the pending user");

  // Day 3 (7 days left) and day 11 (overdue): the scheduler's reminders.
  for (const days of [3, 8]) {
    env.clock.advanceDays(days);
    await env.services.mail.runOnce();
  }
  assert.is(await reminders(env, keyOnly.id, "mfa_reminder"), 0, "scheduled reminders: none to the passkey user");
  assert.ok((await reminders(env, waiting.id, "mfa_reminder")) >= 2, "scheduled reminders: to the pending user");
  assert.is((await env.services.mail.outbox.remindPending(a.siteId)).queued, 1, "the service: only the pending user");
});

t.run();
