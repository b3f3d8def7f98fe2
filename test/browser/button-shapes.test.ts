import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Browser, Page } from "playwright-core";
import type { TestEnv } from "../helpers/app.js";
import { browserTestEnv, closeBrowserStage, hasChromium, openBrowser } from "../helpers/browser.js";
import { PASSWORD, signIn } from "../helpers/console.js";
import { skipSuite } from "../helpers/skip.js";

// docs/ui.md at 1280 px, where Pico scales the root font to 20 px: forms at most 720 px wide, one
// button size and shape (the list's Search beside Add user and Export CSV, the pager), and the
// button that opens a danger step outlined, not solid.

interface Ctx {
  env: TestEnv;
  browser: Browser;
  url: string;
  stop(): Promise<void>;
}
const t = suite<Ctx>("browser: form width and button shapes at 1280 px");

t.before(async (ctx) => {
  ctx.env = await browserTestEnv();
  const s = ctx.env.services;
  const siteId = (await s.sites.publicSite()).id;
  await s.users.create({ siteId, username: "root", password: PASSWORD, role: "admin" });
  for (let i = 1; i <= 30; i++) await s.users.create({ siteId, username: `u${String(i).padStart(2, "0")}` });
  await openBrowser(ctx);
});
t.after(closeBrowserStage);

/** Height, padding and corner radius of the first element matching `selector`. */
async function shape(page: Page, selector: string) {
  return page
    .locator(selector)
    .first()
    .evaluate((el) => {
      const st = getComputedStyle(el);
      return {
        height: Math.round(el.getBoundingClientRect().height),
        padding: `${st.paddingTop} ${st.paddingRight}`,
        radius: `${st.borderTopLeftRadius} ${st.borderTopRightRadius} ${st.borderBottomRightRadius}`,
      };
    });
}

t("forms are at most 720 px, the list's buttons share one size and shape, Delete… is outlined", async (ctx) => {
  const context = await ctx.browser.newContext();
  const page = await context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  await signIn(page, ctx.url, "root");
  await page.waitForURL(`${ctx.url}/`);

  await page.goto(`${ctx.url}/configure/sites`);
  const formWidth = await page
    .locator('main form[action="/configure/sites"]')
    .evaluate((el) => el.getBoundingClientRect().width);
  assert.ok(formWidth <= 720, `the add-site form is ${formWidth} px wide`);

  await page.goto(`${ctx.url}/configure/users`);
  const search = await shape(page, '.list-search button[type="submit"]');
  const add = await shape(page, '.list-actions a[href="/configure/users/new"]');
  const csv = await shape(page, ".list-actions a[download]");
  const next = await shape(page, '.pager button[name="after"]');
  assert.equal(search, add, "Search and Add user");
  assert.equal(csv, add, "Export CSV and Add user");
  assert.equal(next, add, "Next page and Add user");
  assert.not.match(search.radius, /\d{2,}px/, `not a pill: ${search.radius}`);
  const input = await shape(page, '.list-search input[type="search"]');
  assert.is(input.radius, add.radius, "the search field has the buttons' corners");

  await page.click('a[aria-label="Edit u05"]');
  await page.locator("#record-dialog[open]").waitFor();
  const dialogWidth = await page.locator("#record-dialog article").evaluate((el) => el.getBoundingClientRect().width);
  assert.ok(dialogWidth <= 720, `the dialog is ${dialogWidth} px wide`);
  const opener = page.locator("#record-dialog .form-danger button");
  assert.is((await opener.textContent())?.trim(), "Delete…");
  const look = await opener.evaluate((el) => {
    const st = getComputedStyle(el);
    return { background: st.backgroundColor, color: st.color, border: st.borderTopColor };
  });
  assert.is(look.background, "rgba(0, 0, 0, 0)", `outlined, not solid: ${JSON.stringify(look)}`);
  assert.is(look.color, look.border, "text and border in the danger colour");
  await context.close();
});

if (hasChromium) t.run();
else skipSuite("chromium not installed (apt-get install chromium)");
