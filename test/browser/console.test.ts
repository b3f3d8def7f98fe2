import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Browser, BrowserContext } from "playwright-core";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import type { TestEnv } from "../helpers/app.js";
import { browserTestEnv, closeBrowserStage, hasChromium, openBrowser } from "../helpers/browser.js";
import { activatedUser as activated, check, flashText, PASSWORD, shot, signIn } from "../helpers/console.js";
import { skipSuite } from "../helpers/skip.js";

// The console as an administrator and an end user meet it, with JavaScript on and off: every page
// visited is checked with axe-core (no serious or critical violation) and at 390 px (no sideways
// scrolling). With JavaScript on, the pages of the README are photographed
// (into docs/screenshots/ with SCREENSHOTS=update).

interface Ctx {
  env: TestEnv;
  browser: Browser;
  url: string;
  admin: MfaActor;
  siteId: string;
  stop(): Promise<void>;
}
const t = suite<Ctx>("browser: the administrator's console, with JavaScript on and off");

t.before(async (ctx) => {
  ctx.env = await browserTestEnv();
  const s = ctx.env.services;
  ctx.siteId = (await s.sites.publicSite()).id;
  const root = await s.users.create({ siteId: ctx.siteId, username: "root", password: PASSWORD, role: "admin" });
  ctx.admin = { id: root.id, name: "root", siteId: ctx.siteId };
  await openBrowser(ctx);
});
t.after(closeBrowserStage);

const activatedUser = (ctx: Ctx, username: string) => activated(ctx.env, ctx.siteId, ctx.admin, username);

for (const js of [true, false]) {
  const mode = js ? "JavaScript on" : "JavaScript off";
  t(`${mode}: add a user with MFA on and delay 3 in one save; the message names the user`, async (ctx) => {
    const context: BrowserContext = await ctx.browser.newContext({ javaScriptEnabled: js });
    const page = await context.newPage();
    await page.setViewportSize({ width: 1100, height: 900 });
    await signIn(page, ctx.url, "root");
    await page.waitForURL(`${ctx.url}/`);
    await check(page, js, "home");
    await page.goto(`${ctx.url}/configure`);
    await check(page, js, "overview");
    const name = js ? "nora-js" : "nora-nojs";
    if (js) {
      await page.goto(`${ctx.url}/configure/users`);
      await page.click('a[href="/configure/users/new"]');
      await page.locator("#record-dialog[open]").waitFor();
      assert.is(
        await page.evaluate(() => document.activeElement?.getAttribute("name")),
        "username",
        "focus on the first field",
      );
    } else {
      await page.goto(`${ctx.url}/configure/users/new`);
    }
    const form = page.locator("form.record-form");
    await form.locator('input[name="username"]').fill(name);
    await form.locator('input[name="displayName"]').fill("Nora Example");
    await form.locator('input[name="password"]').fill(PASSWORD);
    await form.locator('input[name="mfaEnabled"]').check();
    const delay = form.locator('input[name="mfaEnforcementDelayDays"]');
    await delay.waitFor({ state: "visible" });
    await delay.fill("3");
    if (js) {
      await shot(page, js, "user-dialog");
      await check(page, js, "user dialog");
    }
    await form.locator('input[name="displayName"]').press("Enter");
    await page.waitForURL(`${ctx.url}/configure/users`);
    await page.locator('[role="status"].flash').waitFor();
    assert.match(await flashText(page), new RegExp(`^Added ${name}\\. MFA on: required from `));
    const user = await ctx.env.services.users.byUsername(name);
    const status = await ctx.env.services.mfa.statusOf(user!.id);
    assert.is(status.enforcementDelayDays, 3, "the delay arrived in the same save");
    await check(page, js, "users list");
    await shot(page, js, "users-list");
    await context.close();
  });

  t(`${mode}: MFA off for an activated user asks first; only Confirm resets and ends the sessions`, async (ctx) => {
    const s = ctx.env.services;
    const ada = await activatedUser(ctx, js ? "ada-js" : "ada-nojs");
    const context = await ctx.browser.newContext({ javaScriptEnabled: js });
    const page = await context.newPage();
    await page.setViewportSize({ width: 1100, height: 900 });
    await signIn(page, ctx.url, "root");
    await page.waitForURL(`${ctx.url}/`);
    if (js) {
      await page.goto(`${ctx.url}/configure/users?q=${ada.username}`);
      await page.click(`a[aria-label="Edit ${ada.username}"]`);
      await page.locator("#record-dialog[open]").waitFor();
    } else {
      await page.goto(`${ctx.url}/configure/users/${ada.id}`);
    }
    await page.locator('form.record-form input[name="mfaEnabled"]').uncheck();
    await page.locator('form.record-form button[value="save"]').click();
    const confirm = page.getByRole("button", { name: "Confirm" });
    await confirm.waitFor();
    assert.match(await page.locator(".reset-confirm").innerText(), /1 web session and 0 device tokens end/);
    assert.is((await s.mfa.statusOf(ada.id)).state, "active", "nothing changed before Confirm");
    assert.is((await s.credentialCounts.of(ada.id)).webSessions, 1, "the sessions still live");
    await check(page, js, "reset confirmation");
    await confirm.click();
    // With htmx the dialog closes and the list reloads in place, bringing the message with it.
    if (!js) await page.waitForURL(`${ctx.url}/configure/users`);
    await page.locator('[role="status"].flash').waitFor();
    assert.match(await flashText(page), new RegExp(`Saved ${ada.username}\\. MFA off\\. MFA reset`));
    assert.is((await s.mfa.statusOf(ada.id)).state, "off");
    assert.is((await s.credentialCounts.of(ada.id)).webSessions, 0, "ended at Confirm");
    await context.close();
  });

  t(`${mode}: the overview's figures follow an activation and link to ?mfa= filters`, async (ctx) => {
    const context = await ctx.browser.newContext({ javaScriptEnabled: js });
    const page = await context.newPage();
    await page.setViewportSize({ width: 1100, height: 900 });
    await signIn(page, ctx.url, "root");
    await page.waitForURL(`${ctx.url}/`);
    await page.goto(`${ctx.url}/configure`);
    const activated = async () =>
      Number(await page.locator('a[href="/configure/users?mfa=activated"] .figure-count').innerText());
    const before = await activated();
    await activatedUser(ctx, js ? "otto-js" : "otto-nojs");
    await page.reload();
    assert.is(await activated(), before + 1);
    await shot(page, js, "overview");
    await page.click('a[href="/configure/users?mfa=activated"]');
    await page.waitForURL(`${ctx.url}/configure/users?mfa=activated`);
    const rows = await page.locator("#record-list tbody th").allInnerTexts();
    assert.ok(rows.includes(js ? "otto-js" : "otto-nojs"), rows.join());
    assert.not.ok(rows.includes("root"));
    await check(page, js, "filtered users list");
    for (const path of ["/configure/mfa-hardware", "/configure/audit", "/configure/sites"]) {
      await page.goto(`${ctx.url}${path}`);
      assert.is(await page.locator('nav[aria-label="Configure"] a[aria-current="page"]').count(), 1, path);
      await check(page, js, path);
    }
    await page.goto(`${ctx.url}/configure/mfa-hardware`);
    await shot(page, js, "hardware-list");
    await page.goto(`${ctx.url}/configure/audit`);
    await shot(page, js, "audit");
    await context.close();
  });

  t(`${mode}: a user in the grace period sees the banner and sets up from /account`, async (ctx) => {
    const s = ctx.env.services;
    const name = js ? "gina-js" : "gina-nojs";
    const u = await s.users.create({ siteId: ctx.siteId, username: name, password: PASSWORD });
    await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 5 }, ctx.admin);
    const context = await ctx.browser.newContext({ javaScriptEnabled: js });
    const page = await context.newPage();
    await page.setViewportSize({ width: 1100, height: 900 });
    await page.goto(`${ctx.url}/login`);
    await shot(page, js, "sign-in");
    await check(page, js, "sign-in");
    await signIn(page, ctx.url, name);
    await page.waitForURL(`${ctx.url}/mfa/setup`);
    await check(page, js, "MFA setup choice");
    await page.getByRole("button", { name: "Remind me later" }).click();
    await page.waitForURL(`${ctx.url}/`);
    assert.match(
      await page.locator(".mfa-banner").innerText(),
      /Set up multi-factor authentication \(MFA\) — 5 days left/,
    );
    await page.goto(`${ctx.url}/account`);
    assert.match(await page.locator("#account-mfa + p").innerText(), /5 days left/);
    await check(page, js, "account");
    await shot(page, js, "account");
    await page.getByRole("button", { name: "Set up now" }).click();
    await page.waitForURL(`${ctx.url}/mfa/setup`);
    await page.click('a[href="/mfa/setup/app"]');
    await page.waitForURL(`${ctx.url}/mfa/setup/app`);
    await check(page, js, "authenticator app setup");
    await shot(page, js, "mfa-setup-qr");
    await context.close();
  });
}

if (hasChromium) t.run();
else skipSuite("chromium not installed (apt-get install chromium)");
