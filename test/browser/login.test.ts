import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Browser } from "playwright-core";
import type { TestEnv } from "../helpers/app.js";
import { browserTestEnv, closeBrowserStage, hasChromium, openBrowser } from "../helpers/browser.js";
import { skipSuite } from "../helpers/skip.js";

const PASSWORD = "correct horse battery";
const t = suite<{ env: TestEnv; browser: Browser; url: string; stop(): Promise<void> }>("browser: sign-in");

t.before(async (ctx) => {
  ctx.env = await browserTestEnv();
  const site = await ctx.env.services.sites.publicSite();
  await ctx.env.services.users.create({ siteId: site.id, username: "alice", password: PASSWORD, role: "admin" });
  await openBrowser(ctx);
});
t.after(closeBrowserStage);

t("signs in and out in a real browser, with htmx loaded under the CSP", async ({ browser, url }) => {
  const page = await browser.newPage();
  const problems: string[] = [];
  // A 401 page is an expected "failed resource"; CSP violations and script errors are not.
  page.on("console", (m) => m.type() === "error" && !/status of 401/.test(m.text()) && problems.push(m.text()));
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(`${url}/login`);
  assert.is(await page.title(), "Sign in · Formgate");
  assert.ok(
    await page.evaluate(() => typeof (window as unknown as { htmx?: unknown }).htmx === "object"),
    "htmx loaded",
  );

  await page.fill('input[name="username"]', "alice");
  await page.fill('input[name="password"]', "wrong password!!");
  await page.click('button[type="submit"]');
  assert.match(await page.locator("#login-error").innerText(), /username or password is incorrect/);
  assert.is(await page.inputValue('input[name="username"]'), "alice", "the username is kept");
  assert.is(await page.inputValue('input[name="password"]'), "", "the password is not echoed");

  await page.fill('input[name="password"]', PASSWORD);
  await page.click('button[type="submit"]');
  await page.waitForURL(`${url}/`);
  assert.match(await page.locator("h1").innerText(), /Welcome/);
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === "fg_session");
  assert.ok(session?.httpOnly);
  assert.is(session?.sameSite, "Lax");

  await page.click('form[action="/logout"] button');
  await page.waitForURL(`${url}/login`);
  assert.equal(problems, [], `no console errors: ${problems.join("; ")}`);
  await page.close();
});

if (hasChromium) t.run();
else skipSuite("chromium not installed (apt-get install chromium)");
