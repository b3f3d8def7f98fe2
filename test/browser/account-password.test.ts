import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Browser, Page } from "playwright-core";
import type { TestEnv } from "../helpers/app.js";
import { browserTestEnv, closeBrowserStage, hasChromium, openBrowser } from "../helpers/browser.js";
import { check, flashText, PASSWORD, signIn } from "../helpers/console.js";
import { skipSuite } from "../helpers/skip.js";

// Changing one's own password on /account in Chromium, with JavaScript on and off: signed in in
// two browsers and on a device (a bearer token from the device API), a change in one browser ends
// the other browser's session and the device token and keeps this browser signed in; a wrong
// current password is a 422 with the message in that field's slot. axe and 390 px on the pages.

interface Ctx {
  env: TestEnv;
  browser: Browser;
  url: string;
  siteId: string;
  stop(): Promise<void>;
}
const t = suite<Ctx>("browser: changing the password on /account ends the other sessions");

t.before(async (ctx) => {
  ctx.env = await browserTestEnv();
  ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
  await openBrowser(ctx);
});
t.after(closeBrowserStage);

/** A bearer token through the device API, as the mobile app gets one. */
async function deviceToken(url: string, username: string, password = PASSWORD): Promise<string> {
  const res = await fetch(`${url}/api/device/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  assert.is(res.status, 200, "device sign-in");
  return ((await res.json()) as { token: string }).token;
}

const deviceMe = async (url: string, token: string) =>
  (await fetch(`${url}/api/device/me`, { headers: { authorization: `Bearer ${token}` } })).status;

async function signedInPage(ctx: Ctx, js: boolean, username: string): Promise<Page> {
  const context = await ctx.browser.newContext({ javaScriptEnabled: js });
  const page = await context.newPage();
  await page.setViewportSize({ width: 1100, height: 900 });
  await signIn(page, ctx.url, username);
  await page.waitForURL(`${ctx.url}/`);
  return page;
}

/** Fills the password form and submits it; the answer's status. */
async function changePassword(page: Page, current: string, next: string): Promise<number> {
  await page.fill('input[name="currentPassword"]', current);
  await page.fill('input[name="newPassword"]', next);
  const answer = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/account"));
  await page.getByRole("button", { name: "Change password" }).click();
  const status = (await answer).status();
  await page.waitForLoadState();
  return status;
}

for (const js of [true, false]) {
  const mode = js ? "JavaScript on" : "JavaScript off";
  t(`${mode}: a password change on /account ends the other browser's session and the device token`, async (ctx) => {
    const s = ctx.env.services;
    const username = js ? "pia-js" : "pia-nojs";
    await s.users.create({ siteId: ctx.siteId, username, password: PASSWORD, deviceAccess: true });
    const here = await signedInPage(ctx, js, username);
    const there = await signedInPage(ctx, js, username);
    const token = await deviceToken(ctx.url, username);
    assert.is(await deviceMe(ctx.url, token), 200);

    await here.goto(`${ctx.url}/account`);
    const next = "a brand new passphrase 77";
    assert.is(await changePassword(here, "not my password at all", next), 422, "wrong current password");
    assert.is(await here.locator("#err-currentPassword").innerText(), "The current password is not correct.");
    assert.is(await here.locator("#currentPassword").getAttribute("aria-invalid"), "true");
    assert.is(await here.locator("#err-newPassword").innerText(), "");
    await check(here, js, "account with a wrong current password");
    assert.is(await deviceMe(ctx.url, token), 200, "a refused change ends nothing");
    await there.goto(`${ctx.url}/account`);
    assert.is(new URL(there.url()).pathname, "/account", "the other browser is still signed in");

    assert.is(await changePassword(here, PASSWORD, next), 303, "changed: See Other to /account");
    assert.is(new URL(here.url()).pathname, "/account");
    assert.match(await flashText(here), /Your password was changed\. You were signed out everywhere else\./);
    await here.goto(`${ctx.url}/`);
    assert.is(new URL(here.url()).pathname, "/", "this browser stays signed in");
    await check(here, js, "home after the password change");

    await there.goto(`${ctx.url}/account`);
    assert.is(new URL(there.url()).pathname, "/login", "the other browser's next page is the sign-in");
    assert.is(await deviceMe(ctx.url, token), 401, "the device token ended");
    assert.is(await deviceMe(ctx.url, await deviceToken(ctx.url, username, next)), 200, "the new password works");
    await here.context().close();
    await there.context().close();
  });
}

if (hasChromium) t.run();
else skipSuite("chromium not installed (apt-get install chromium)");
