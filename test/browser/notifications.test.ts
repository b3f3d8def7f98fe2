// Issue 22 in Chromium, with JavaScript on and off: Configure > Notifications (reminder days saved
// and a bad value shown in its field), Send reminder now in the user dialog, Remind everyone
// pending on the MFA page, and a named rollout's own page with Extend the deadline. Every page is
// checked with axe and at 390 px; with JavaScript on they are photographed for the admin guide.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import type { TestEnv } from "../helpers/app.js";
import { browserTestEnv, closeBrowserStage, hasChromium, openBrowser, type BrowserStage } from "../helpers/browser.js";
import { check, flashText, PASSWORD, shot, signIn } from "../helpers/console.js";
import { skipSuite } from "../helpers/skip.js";

type Ctx = BrowserStage & { admin: MfaActor; siteId: string };
const t = suite<Ctx>("browser: notifications, reminders and a rollout's own page");

t.before(async (ctx) => {
  ctx.env = await browserTestEnv();
  const s = ctx.env.services;
  ctx.siteId = (await s.sites.publicSite()).id;
  const root = await s.users.create({ siteId: ctx.siteId, username: "root", password: PASSWORD, role: "admin" });
  ctx.admin = { id: root.id, name: "root", siteId: ctx.siteId };
  await openBrowser(ctx);
});
t.after(closeBrowserStage);

/** Mails queued for `username` of `kind`. */
async function queued(env: TestEnv, username: string, kind: string): Promise<number> {
  const { rows } = await env.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM mail_outbox o JOIN users u ON u.id = o.user_id WHERE u.username = $1 AND o.kind = $2`,
    [username, kind],
  );
  return rows[0]!.n;
}

for (const js of [true, false]) {
  const mode = js ? "JavaScript on" : "JavaScript off";
  const tag = js ? "js" : "nojs";

  t(`${mode}: reminder days saved and refused; Send reminder now; Remind everyone pending`, async (ctx) => {
    const s = ctx.env.services;
    const pia = await s.users.create({ siteId: ctx.siteId, username: `pia-${tag}`, email: `pia-${tag}@example.org` });
    await s.mfa.settings.applySettings(pia.id, { enabled: true, enforcementDelayDays: 14 }, ctx.admin);
    const context = await ctx.browser.newContext({ javaScriptEnabled: js });
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await signIn(page, ctx.url, "root");
    await page.waitForURL(`${ctx.url}/`);

    await page.goto(`${ctx.url}/configure/notifications`);
    await page.fill("#field-reminderDays", "10, 2");
    await page.click('form[action="/configure/notifications"] button[type="submit"]');
    await page.locator('[role="status"].flash').waitFor();
    assert.equal(await s.mail.settings.reminderDays(ctx.siteId), [10, 2]);
    await page.fill("#field-reminderDays", "7, 91");
    await page.click('form[action="/configure/notifications"] button[type="submit"]');
    await page.locator("#err-reminderDays").waitFor();
    assert.match(await page.locator("#err-reminderDays").innerText(), /0 to 90/);
    assert.equal(await s.mail.settings.reminderDays(ctx.siteId), [10, 2], "a refused value changes nothing");
    await check(page, js, "notifications with an error");
    await page.goto(`${ctx.url}/configure/notifications`);
    await check(page, js, "notifications");
    await shot(page, js, "notifications");

    // Send reminder now: with htmx the region answers in place, without it the page after the post says it.
    await page.goto(`${ctx.url}/configure/users/${pia.id}`);
    await check(page, js, "user with a reminder button");
    await page.click("#remind-region button");
    if (js) {
      await page.locator('#remind-region [role="status"]').waitFor();
      assert.match(await page.locator('#remind-region [role="status"]').innerText(), /Reminder .*queued|pia-js/);
    } else {
      await page.locator('[role="status"].flash').waitFor();
      assert.match(await flashText(page), /pia-nojs/);
    }
    assert.is(await queued(ctx.env, pia.username, "mfa_reminder_now"), 1);

    await page.goto(`${ctx.url}/configure/mfa`);
    await check(page, js, "MFA progress");
    await page.click('form[action="/configure/mfa/remind"] button[type="submit"]');
    await page.waitForURL(`${ctx.url}/configure/mfa`);
    assert.match(
      await flashText(page),
      /^(Reminders to \d+ pending users are|A reminder to 1 pending user is) queued\./,
    );
    assert.is(await queued(ctx.env, pia.username, "mfa_reminder_now"), 2);
    await context.close();
  });

  t(`${mode}: a named rollout's page shows its progress and extends its deadline after a preview`, async (ctx) => {
    const s = ctx.env.services;
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const u = await s.users.create({ siteId: ctx.siteId, username: `ro${n}-${tag}`, email: `ro${n}@example.org` });
      ids.push(u.id);
    }
    const { rolloutId } = await s.rollouts.apply(
      { siteId: ctx.siteId, ids },
      { enforcementDelayDays: 5, moveDeadlines: false, name: `Warehouse ${tag}` },
      ctx.admin,
    );
    const context = await ctx.browser.newContext({ javaScriptEnabled: js });
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await signIn(page, ctx.url, "root");
    await page.waitForURL(`${ctx.url}/`);
    await page.goto(`${ctx.url}/configure/mfa`);
    await page.click(`a[href="/configure/mfa/rollouts/${rolloutId}"]`);
    await page.waitForURL(`${ctx.url}/configure/mfa/rollouts/${rolloutId}`);
    assert.is(await page.locator("h1").innerText(), `Warehouse ${tag}`);
    assert.is(await page.locator('.rollout-progress [data-count="pending"]').innerText(), "3");
    await page.fill("#field-days", "30");
    await page.click('form[aria-labelledby="extend-title"] button[type="submit"]');
    await page.locator('[data-count="toExtend"]').waitFor();
    assert.match(await page.locator('[data-count="toExtend"]').innerText(), /^3 users get the deadline/);
    await check(page, js, "rollout page with the extension preview");
    await shot(page, js, "mfa-rollout-extend");
    await page.click('form[aria-label="Confirm the new deadline"] button[type="submit"]');
    await page.waitForURL(`${ctx.url}/configure/mfa/rollouts/${rolloutId}`);
    assert.match(
      await flashText(page),
      new RegExp(`^3 users of Warehouse ${tag} now have until .*; a mail tells each of them the new date\\.$`),
    );
    const { rows } = await ctx.env.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM mfa_settings WHERE rollout_id = $1 AND required_from > $2",
      [rolloutId, new Date(ctx.env.clock.now().getTime() + 29 * 86_400_000)],
    );
    assert.is(rows[0]!.n, 3);
    await context.close();
  });
}

if (hasChromium) t.run();
else skipSuite("chromium not installed (apt-get install chromium)");
