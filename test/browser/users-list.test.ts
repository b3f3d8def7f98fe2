import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Browser } from "playwright-core";
import type { TestEnv } from "../helpers/app.js";
import { browserTestEnv, closeBrowserStage, hasChromium, openBrowser } from "../helpers/browser.js";
import { check, PASSWORD, shot, signIn } from "../helpers/console.js";
import { skipSuite } from "../helpers/skip.js";

// The users list for thousands in Chromium, with JavaScript on and off: the range ("1–25 of 61"),
// the last page, the page size, ticks kept across pages and a save, the header checkbox, and a
// 200-character display name that keeps its row one line.

interface Ctx {
  env: TestEnv;
  browser: Browser;
  url: string;
  stop(): Promise<void>;
}
const t = suite<Ctx>("browser: the users list for thousands, with JavaScript on and off");
const LONG = "Bartholomew ".repeat(17).slice(0, 200);

t.before(async (ctx) => {
  ctx.env = await browserTestEnv();
  const s = ctx.env.services;
  const siteId = (await s.sites.publicSite()).id;
  await s.users.create({ siteId, username: "root", password: PASSWORD, role: "admin" });
  for (let i = 1; i <= 59; i++) await s.users.create({ siteId, username: `u${String(i).padStart(2, "0")}` });
  await s.users.create({ siteId, username: "u60", displayName: LONG });
  await openBrowser(ctx);
});
t.after(closeBrowserStage);

for (const js of [true, false]) {
  const mode = js ? "JavaScript on" : "JavaScript off";
  t(`${mode}: range, last page, page size, ticks across pages and after a save`, async (ctx) => {
    const context = await ctx.browser.newContext({ javaScriptEnabled: js });
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await signIn(page, ctx.url, "root");
    await page.waitForURL(`${ctx.url}/`);
    await page.goto(`${ctx.url}/configure/users`);
    const range = page.locator(".list-range");
    assert.is((await range.textContent())?.trim(), "1–25 of 61");
    await check(page, js, "users list, first page");
    // Tick u02, turn to the last page: the tick rides along.
    await page.locator('input[aria-label="Select u02"]').check();
    await page.locator('button[name="page"][value="last"]').click();
    await page.waitForFunction(() => document.querySelector(".list-range")?.textContent?.includes("37–61"));
    assert.match((await page.locator(".selected-count").textContent()) ?? "", /1 selected \(1 on other pages\)/);
    // The 200-character display name is on this page: its row stays one line, the title has it all.
    const cell = page.locator(`td[title="${LONG}"]`);
    assert.is(await cell.count(), 1);
    const height = await cell.evaluate((el) => el.closest("tr")!.getBoundingClientRect().height);
    assert.ok(height < 60, `one line, not ${height} px`);
    if (js) {
      // The header checkbox ticks the whole page.
      await page.locator('input[data-select-page="true"]').check();
      assert.is(await page.locator("tbody .row-select input:checked").count(), 25);
      assert.match(
        (await page.locator(".selected-count").textContent()) ?? "",
        /^26 selected \(1 on other pages\)/,
        "the count follows the ticks at once",
      );
      await shot(page, js, "users-list-paging");
      // Open u50 in the dialog and save: the list comes back on the same page with every tick.
      await page.click('a[aria-label="Edit u50"]');
      await page.locator("#record-dialog[open]").waitFor();
      await page.locator('form.record-form input[name="displayName"]').fill("Fifty");
      await page.locator('form.record-form button[name="_action"][value="save"]').click();
      await page
        .locator("#record-dialog[open]")
        .waitFor({ state: "detached" })
        .catch(() => undefined);
      await page.waitForFunction(() => document.querySelector("#record-list")?.textContent?.includes("Fifty"));
      assert.is((await range.textContent())?.trim(), "37–61 of 61");
      assert.is(await page.locator("tbody .row-select input:checked").count(), 25);
      assert.match((await page.locator(".selected-count").textContent()) ?? "", /26 selected/);
      // Sorting keeps every tick (this page's and the other pages').
      await page.locator('th a:has-text("Username")').click();
      await page.waitForFunction(() =>
        /^1–25 of 61/.test(document.querySelector(".list-range")?.textContent?.trim() ?? ""),
      );
      await page.waitForFunction(() =>
        document.querySelector(".selected-count")?.textContent?.startsWith("26 selected"),
      );
    } else {
      // Without JavaScript: open u50, save, and land on the same page of the list.
      await page.click('a[aria-label="Edit u50"]');
      await page.locator('form.record-form input[name="displayName"]').fill("Fifty");
      await page.locator('form.record-form button[name="_action"][value="save"]').click();
      await page.locator('[role="status"].flash').waitFor();
      assert.is((await range.textContent())?.trim(), "37–61 of 61");
      assert.is(await page.locator('input[aria-label="Select u02"]').count(), 0, "u02 is on the first page");
      assert.match((await page.locator(".selected-count").textContent()) ?? "", /1 selected/);
    }
    // Page size 50.
    await page.selectOption('select[name="size"]', "50");
    if (!js) await page.locator('.page-size-form button[name="page"][value="first"]').click();
    else await page.locator('.page-size-form button[name="page"][value="first"]').click();
    await page.waitForFunction(() => document.querySelector(".list-range")?.textContent?.trim() === "1–50 of 61");
    await check(page, js, "users list, 50 rows");
    await context.close();
  });
}

if (hasChromium) t.run();
else skipSuite("chromium not installed (apt-get install chromium)");
