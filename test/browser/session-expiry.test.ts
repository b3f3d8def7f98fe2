import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { TestEnv } from "../helpers/app.js";
import { browserTestEnv, closeBrowserStage, hasChromium, openBrowser } from "../helpers/browser.js";
import { check, PASSWORD, shot, signIn } from "../helpers/console.js";
import { skipSuite } from "../helpers/skip.js";
import type { Browser } from "playwright-core";

// Issue 25 in Chromium, JavaScript on (the user dialog, htmx) and off (the edit page): the session
// ends while the administrator edits a user; Save opens the sign-in as a full page (never inside the
// dialog), and after signing in again the kept form is sent with one click: the change is saved.

interface Ctx {
  env: TestEnv;
  browser: Browser;
  url: string;
  stop(): Promise<void>;
}
const t = suite<Ctx>("browser: an expired session during a user save keeps the work");

t.before(async (ctx) => {
  ctx.env = await browserTestEnv();
  const s = ctx.env.services;
  const siteId = (await s.sites.publicSite()).id;
  await s.users.create({ siteId, username: "root", password: PASSWORD, role: "admin" });
  for (const name of ["kim-js", "kim-nojs"]) {
    await s.users.create({ siteId, username: name, password: PASSWORD, displayName: "Kim" });
  }
  await openBrowser(ctx);
});
t.after(closeBrowserStage);

for (const js of [true, false]) {
  t(
    `JavaScript ${js ? "on" : "off"}: Save after the session ended, sign in again, the change is saved`,
    async (ctx) => {
      const s = ctx.env.services;
      const username = js ? "kim-js" : "kim-nojs";
      const user = (await s.users.byUsername(username))!;
      const context = await ctx.browser.newContext({ javaScriptEnabled: js });
      const page = await context.newPage();
      await page.setViewportSize({ width: 1100, height: 900 });
      await signIn(page, ctx.url, "root");
      await page.waitForURL(`${ctx.url}/`);
      if (js) {
        await page.goto(`${ctx.url}/configure/users?q=${username}`);
        await page.click(`a[aria-label="Edit ${username}"]`);
        await page.locator("#record-dialog[open]").waitFor();
      } else {
        await page.goto(`${ctx.url}/configure/users/${user.id}`);
      }
      const form = page.locator("form.record-form");
      await form.locator('input[name="displayName"]').fill("Kim Renamed");
      // The session ends while the form is open (idle timeout).
      ctx.env.clock.advanceSeconds(31 * 60);
      await form.locator('button[value="save"]').click();
      await page.waitForURL(`${ctx.url}/login?next=%2Fresume`);
      assert.is(await page.locator("#record-dialog").count(), 0, "the sign-in is a full page, not inside the dialog");
      assert.match(await page.locator("main").innerText(), /Your session ended before this was saved/);
      assert.is((await s.users.byId(user.id))!.displayName, "Kim", "nothing saved yet");
      await check(page, js, "sign-in after the session ended");
      await page.fill('input[name="username"]', "root");
      await page.fill('input[name="password"]', PASSWORD);
      await page.click('form[action="/login"] button[type="submit"]');
      await page.waitForURL(`${ctx.url}/resume`);
      await check(page, js, "finish saving");
      await shot(page, js, "resume");
      await page.click('#resume-form button[type="submit"]');
      // Back to the list as it was left (with JavaScript, the search it was opened from).
      await page.waitForURL((u) => u.pathname === "/configure/users");
      assert.is((await s.users.byId(user.id))!.displayName, "Kim Renamed", "the change is saved");
      await context.close();
    },
  );
}

if (hasChromium) t.run();
else skipSuite("chromium not installed (apt-get install chromium)");
