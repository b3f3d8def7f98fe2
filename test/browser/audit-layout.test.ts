import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Browser, Page } from "playwright-core";
import type { TestEnv } from "../helpers/app.js";
import { browserTestEnv, closeBrowserStage, hasChromium, openBrowser } from "../helpers/browser.js";
import { check, PASSWORD, shot, signIn } from "../helpers/console.js";
import { skipSuite } from "../helpers/skip.js";

// The audit log's filter form in Chromium at 1280 and 390 px: the Filter button keeps its own
// size (it once stretched across a grid cell), the fields wrap, errors sit in the fields' slots.

interface Ctx {
  env: TestEnv;
  browser: Browser;
  url: string;
  stop(): Promise<void>;
}
const t = suite<Ctx>("browser: the audit log's filters");

t.before(async (ctx) => {
  ctx.env = await browserTestEnv();
  const s = ctx.env.services;
  const siteId = (await s.sites.publicSite()).id;
  await s.users.create({ siteId, username: "root", password: PASSWORD, role: "admin" });
  await openBrowser(ctx);
});
t.after(closeBrowserStage);

const box = async (page: Page, selector: string) => (await page.locator(selector).boundingBox())!;

t(
  "the Filter button keeps its size at 1280, 1100 and 390 px (the fields in one row on a wide screen); a bad date is shown in its field's slot",
  async (ctx) => {
    const context = await ctx.browser.newContext();
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await signIn(page, ctx.url, "root");
    await page.waitForURL(`${ctx.url}/`);
    for (const width of [1280, 1100, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${ctx.url}/configure/audit`);
      const form = await box(page, "form.audit-filters");
      const button = await box(page, 'form.audit-filters button[type="submit"]');
      assert.ok(button.width < 200, `Filter is ${button.width} px wide at ${width} px`);
      assert.ok(button.height < 80, `Filter is ${button.height} px high at ${width} px`);
      const input = await box(page, "#audit-user");
      assert.ok(button.y >= input.y + input.height, "the button sits below the fields");
      assert.ok(form.width <= width, "the form fits the screen");
      if (width >= 1100) {
        // Six filters (user, as, action, surface, from, to): at most two rows of fields, never a column of six.
        const fields = ["#audit-user", "#audit-role", "#audit-action", "#audit-surface", "#audit-from", "#audit-to"];
        const tops = await Promise.all(fields.map((f) => box(page, f)));
        const rows = new Set(tops.map((b) => Math.round(b.y)));
        assert.ok(rows.size <= 2, `the six fields in at most two rows (${rows.size})`);
        assert.is(Math.round(tops[1]!.y), Math.round(tops[0]!.y), "user and as side by side");
      }
      await shot(page, true, `audit-filters-${width}`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${ctx.url}/configure/audit?from=2026-12-01&to=2026-11-01`);
    assert.match(await page.locator("#err-to").innerText(), /To must be the same day as From or later/);
    assert.is(await page.locator("#audit-to").getAttribute("aria-describedby"), "err-to");
    assert.is(await page.locator("#audit-user").getAttribute("aria-describedby"), "help-user err-user");
    await check(page, true, "audit log with a filter error");
    await shot(page, true, "audit-filters-error");
    await context.close();
  },
);

if (hasChromium) t.run();
else skipSuite("chromium not installed (apt-get install chromium)");
