// Issue 21, end to end in Chromium with JavaScript on and off: a user who lost their phone signs in
// with a recovery code, sets up a new authenticator app (confirmed with an otplib code at the
// injected clock), and the old secret's codes are refused afterwards. With JavaScript on the pages
// are checked with axe and photographed for docs/admin-guide.md ("A user lost their phone").
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "node:crypto";
import type { Browser } from "playwright-core";
import type { TestEnv } from "../helpers/app.js";
import { browserTestEnv, closeBrowserStage, hasChromium, openBrowser } from "../helpers/browser.js";
import { check, PASSWORD, shot, signIn } from "../helpers/console.js";
import { skipSuite } from "../helpers/skip.js";
import { appParams, codeAt, keyBytes } from "../helpers/totp.js";
import { publicSiteAdmin } from "../helpers/users.js";

interface Ctx {
  env: TestEnv;
  browser: Browser;
  url: string;
  stop(): Promise<void>;
  siteId: string;
  adminId: string;
}
const t = suite<Ctx>("browser: a lost phone, recovered with a recovery code");

t.before(async (ctx) => {
  ctx.env = await browserTestEnv();
  const s = ctx.env.services;
  const admin = await publicSiteAdmin(s, PASSWORD);
  ctx.siteId = admin.siteId;
  ctx.adminId = admin.rootId;
  await openBrowser(ctx);
});
t.after(closeBrowserStage);

for (const js of [true, false]) {
  const mode = js ? "JavaScript on" : "JavaScript off";
  t(
    `${mode}: recovery code → Set up a new authenticator → new app confirmed → the old secret is refused`,
    async (ctx) => {
      const { env, url } = ctx;
      const s = env.services;
      const username = js ? "lena" : "omar";
      const admin = { id: ctx.adminId, name: "root", siteId: ctx.siteId };
      const user = await s.users.create({ siteId: ctx.siteId, username, password: PASSWORD });
      await s.mfa.settings.applySettings(user.id, { enabled: true, enforcementDelayDays: 0 }, admin);
      const lost = appParams(randomBytes(20));
      const self = { id: user.id, name: username, siteId: null };
      assert.ok(
        (await s.mfa.activation.activate(user.id, { method: "app", ...lost }, codeAt(env.clock, lost), self)).ok,
      );
      const codes = await s.recovery.codes.createSet(user.id, self);
      env.clock.advanceSeconds(60);

      const context = await ctx.browser.newContext({ javaScriptEnabled: js });
      const page = await context.newPage();
      await page.setViewportSize({ width: 1000, height: 800 });
      await signIn(page, url, username);
      await page.waitForURL(`${url}/login/mfa`);
      assert.match(await page.locator("#lost-device").innerText(), /Lost your phone/);
      await check(page, js, "/login/mfa with the lost-device link");
      await shot(page, js, "login-mfa-lost-device");
      await page.click("#use-recovery");
      await page.waitForURL(`${url}/login/recovery`);
      await check(page, js, "/login/recovery");
      await page.fill('input[name="recoveryCode"]', codes[0]!.toLowerCase());
      await shot(page, js, "login-recovery");
      await page.click('form[action="/login/recovery"] button[type="submit"]');
      assert.match(await page.locator("#codes-left").innerText(), /9 recovery codes left/);
      await check(page, js, "signed in with a recovery code");
      await shot(page, js, "recovery-signed-in");

      await page.click("#setup-new");
      await page.waitForURL(`${url}/mfa/setup`);
      assert.match(await page.locator("#mfa-replacing").innerText(), /replaces your current app or hardware token/);
      await page.click("#setup-app");
      await page.waitForURL(`${url}/mfa/setup/app`);
      const fresh = appParams(keyBytes(await page.locator("#totp-key").innerText()));
      assert.is((await s.mfa.statusOf(user.id)).activation?.method, "app", "the old factor stays until confirmed");
      await page.fill('input[name="code"]', codeAt(env.clock, fresh));
      await page.click('form[action="/mfa/setup/app"] button[type="submit"]');
      await page.waitForURL(`${url}/account`);
      assert.match(await page.locator("#recovery-count").innerText(), /9 of 10 recovery codes left/);
      await check(page, js, "/account after the replacement");
      await shot(page, js, "account-recovery-codes");

      // Signed out and in again: the lost phone's codes no longer work, the new app's do.
      env.clock.advanceSeconds(60);
      await page.click('form[action="/logout"] button');
      await signIn(page, url, username);
      await page.waitForURL(`${url}/login/mfa`);
      await page.fill('input[name="code"]', codeAt(env.clock, lost));
      await page.click('form[action="/login/mfa"] button[type="submit"]');
      assert.match(await page.locator("#mfa-error").innerText(), /not valid/);
      assert.is(new URL(page.url()).pathname, "/login/mfa");
      await page.fill('input[name="code"]', codeAt(env.clock, fresh));
      await page.click('form[action="/login/mfa"] button[type="submit"]');
      await page.waitForURL(`${url}/`);
      await context.close();
    },
  );
}

t("JavaScript on: the administrator unlocks a locked user and issues a temporary access pass", async (ctx) => {
  const { env, url } = ctx;
  const s = env.services;
  const admin = { id: ctx.adminId, name: "root", siteId: ctx.siteId };
  const user = await s.users.create({
    siteId: ctx.siteId,
    username: "nora",
    password: PASSWORD,
    displayName: "Nora N.",
  });
  await s.mfa.settings.applySettings(user.id, { enabled: true, enforcementDelayDays: 0 }, admin);
  const p = appParams(randomBytes(20));
  assert.ok(
    (
      await s.mfa.activation.activate(user.id, { method: "app", ...p }, codeAt(env.clock, p), {
        id: user.id,
        name: "nora",
        siteId: null,
      })
    ).ok,
  );
  const half = await s.sessions.create(user.id, ctx.siteId, "mfa", null);
  for (let i = 0; i < 5; i++) await s.mfa.codes.verifyCode(user.id, "000000");
  void half;
  const context = await ctx.browser.newContext();
  const page = await context.newPage();
  await page.setViewportSize({ width: 1000, height: 900 });
  await signIn(page, url, "root");
  await page.waitForURL(`${url}/`);
  await page.goto(`${url}/configure/users/${user.id}`);
  assert.match(await page.locator("#lock-state").innerText(), /Locked after failed sign-in attempts/);
  await check(page, true, "the user dialog of a locked user");
  await shot(page, true, "user-dialog-locked");
  await page.click("#unlock");
  await page.waitForURL(`${url}/configure/users/${user.id}`);
  assert.is(await page.locator("#unlock").count(), 0);
  assert.is((await s.mfa.statusOf(user.id)).lockedUntil, null);
  await page.fill('input[name="validHours"]', "24");
  await page.click("#issue-access-pass");
  const pass = await page.locator("code#access-pass").innerText();
  assert.match(pass, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}$/);
  await check(page, true, "the pass, shown once");
  await shot(page, true, "access-pass-issued");
  await context.close();
});

if (hasChromium) t.run();
else skipSuite("chromium not installed (apt-get install chromium)");
