import { suite } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import type { TestEnv } from "../helpers/app.js";
import { browserTestEnv, closeBrowserStage, hasChromium, openBrowser, screenshotDir } from "../helpers/browser.js";
import { addDepartments } from "../helpers/rollout.js";
import { skipSuite } from "../helpers/skip.js";
import { appParams, codeAt, keyBytes } from "../helpers/totp.js";

/*
 * An administrator rolls MFA out to one department (the designer field "department", searchable)
 * with 14 days: preview (count and names), Confirm; then two of those users sign in and set up an
 * authenticator app (codes from otplib at the injected clock), and the progress page's figures
 * change accordingly. JavaScript on. Screenshots of the preview and the progress page.
 */
const PASSWORD = "correct horse battery";
const SHOTS = screenshotDir();
interface Ctx {
  env: TestEnv;
  browser: Browser;
  url: string;
  stop(): Promise<void>;
}
const t = suite<Ctx>("browser: MFA rollout to a department, then watching progress");

t.before(async (ctx) => {
  ctx.env = await browserTestEnv();
  const s = ctx.env.services;
  const site = await s.sites.publicSite();
  await s.users.create({ siteId: site.id, username: "root", password: PASSWORD, role: "admin" });
  const people = { ann: "Sales", bob: "Sales", cat: "Sales", dan: "Finance", fay: "Finance" };
  for (const name of Object.keys(people)) {
    await s.users.create({ siteId: site.id, username: name, password: PASSWORD, displayName: `${name} Example` });
  }
  await addDepartments(s, site.id, people);
  await openBrowser(ctx);
});
t.after(closeBrowserStage);

async function signIn(page: Page, url: string, username: string) {
  await page.goto(`${url}/login`);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', PASSWORD);
  await page.click('form[action="/login"] button[type="submit"]');
}

/** The progress row of the Public Site: count per state. */
async function figures(page: Page): Promise<Record<string, string>> {
  const row = page.locator('tr[data-site="public"]');
  const out: Record<string, string> = {};
  for (const k of ["users", "activated", "activatedApp", "pending", "off"]) {
    out[k] = (await row.locator(`[data-count="${k}"]`).innerText()).trim();
  }
  return out;
}

/** A user signs in (14 days of grace: setup is offered) and activates an authenticator app. */
async function setUp(ctx: Ctx, username: string): Promise<void> {
  const { browser, url, env } = ctx;
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, url, username);
  await page.waitForURL(`${url}/mfa/setup`);
  await page.goto(`${url}/mfa/setup/app`);
  const params = appParams(keyBytes(await page.locator("#totp-key").innerText()));
  await page.fill('input[name="code"]', codeAt(env.clock, params));
  await page.click('form[action="/mfa/setup/app"] button[type="submit"]');
  // The first activation shows the 10 recovery codes once; then on to the account page.
  assert.is(await page.locator("#recovery-codes li").count(), 10);
  await page.click("#codes-saved");
  await page.waitForURL(`${url}/account`);
  assert.match(await page.locator("[role=status]").innerText(), /MFA\) is now on/);
  await context.close();
}

t("the administrator rolls out to Sales with 14 days; two set up; the progress page follows", async (ctx) => {
  const { browser, url, env } = ctx;
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const scriptErrors: string[] = [];
  page.on("pageerror", (e) => scriptErrors.push(e.message));
  await signIn(page, url, "root");
  await page.waitForURL(`${url}/`);

  await page.goto(`${url}/configure/mfa/rollout`);
  await page.selectOption("#field-whereField", "department");
  await page.fill("#field-whereValue", "Sales");
  await page.fill("#field-enforcementDelayDays", "14");
  await page.click('button[name="preview"]');
  await page.waitForSelector("#preview-title");
  assert.is(await page.locator('[data-count="toEnable"]').innerText(), "3");
  const deadline = new Date(env.clock.now().getTime() + 14 * 86_400_000).toISOString().slice(0, 10);
  assert.is(await page.locator("[data-deadline]").getAttribute("data-deadline"), deadline);
  const names = await page.locator("table.rollout-users tbody tr td:first-child").allInnerTexts();
  assert.equal(names, ["ann", "bob", "cat"]);
  await page.screenshot({ path: join(SHOTS, "mfa-rollout-preview.png"), fullPage: true });
  // Nothing has changed yet.
  assert.is((await env.services.mfaStates.counts((await env.services.sites.publicSite()).id)).pending, 0);

  await page.click('form[action="/configure/mfa/rollout"][method="post"] button[type="submit"]');
  await page.waitForURL(`${url}/configure/mfa`);
  assert.match(await page.locator("[role=status]").innerText(), /MFA switched on for 3 users/);
  assert.equal(await figures(page), {
    users: "6",
    activated: "0 (0%)",
    activatedApp: "0",
    pending: "3 (50%)",
    off: "3 (50%)",
  });

  env.clock.advanceSeconds(60);
  await setUp(ctx, "ann");
  env.clock.advanceSeconds(60);
  await setUp(ctx, "bob");

  await page.reload();
  assert.equal(await figures(page), {
    users: "6",
    activated: "2 (33.3%)",
    activatedApp: "2",
    pending: "1 (16.7%)",
    off: "3 (50%)",
  });
  const today = env.clock.now().toISOString().slice(0, 10);
  assert.is(await page.locator(`.activations-chart [data-day="${today}"]`).first().getAttribute("data-count"), "2");
  await page.screenshot({ path: join(SHOTS, "mfa-rollout-progress.png"), fullPage: true });

  // Ticking rows in the users list (after an htmx search swapped the list in) and pressing the
  // button previews exactly those users.
  await page.goto(`${url}/configure/users`);
  await page.fill('input[name="q"][type="search"]', "Finance");
  await page.waitForFunction(() => document.querySelectorAll("#record-list tbody tr").length === 2);
  await page.check('input[name="ids"][aria-label="Select dan"]');
  await page.check('input[name="ids"][aria-label="Select fay"]');
  await page.click("text=Roll out MFA to selected");
  await page.waitForSelector("#preview-title");
  assert.is(await page.locator('[data-count="toEnable"]').innerText(), "2");
  assert.equal(await page.locator("table.rollout-users tbody tr td:first-child").allInnerTexts(), ["dan", "fay"]);
  assert.equal(scriptErrors, []);
  await page.close();
});

if (hasChromium) t.run();
else skipSuite("chromium not installed (apt-get install chromium)");
