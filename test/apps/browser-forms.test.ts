import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Browser, Page } from "playwright-core";
import type { TestEnv } from "../helpers/app.js";
import { browserTestEnv, closeBrowserStage, hasChromium, openBrowser } from "../helpers/browser.js";
import { skipSuite } from "../helpers/skip.js";

const PASSWORD = "correct horse battery";

interface Ctx {
  env: TestEnv;
  browser: Browser;
  page: Page;
  url: string;
  problems: string[];
  stop(): Promise<void>;
}

const t = suite<Ctx>("browser: forms, dialog and htmx");

t.before(async (ctx) => {
  ctx.env = await browserTestEnv();
  const site = await ctx.env.services.sites.publicSite();
  await ctx.env.services.users.create({ siteId: site.id, username: "alice", password: PASSWORD, role: "admin" });
  await openBrowser(ctx);
  ctx.page = await ctx.browser.newPage();
  ctx.problems = [];
  // 422/409 answers are expected "failed resources"; CSP violations and script errors are not.
  ctx.page.on("console", (m) => {
    if (m.type() === "error" && !/status of 4(22|09)/.test(m.text())) ctx.problems.push(m.text());
  });
  ctx.page.on("pageerror", (e) => ctx.problems.push(e.message));
  await ctx.page.goto(`${ctx.url}/login`);
  await ctx.page.fill('input[name="username"]', "alice");
  await ctx.page.fill('input[name="password"]', PASSWORD);
  await ctx.page.click('button[type="submit"]');
  await ctx.page.waitForURL(`${ctx.url}/`);
});
t.after(closeBrowserStage);

t(
  "a new record in the dialog: conditional field, inline check, save closes the dialog and reloads the list",
  async ({ page, url }) => {
    await page.goto(`${url}/apps/equipment-inspections`);
    await page.click("text=New record");
    const dialog = page.locator("#record-dialog");
    await dialog.locator('input[name="equipment"]').waitFor();
    assert.ok(await dialog.evaluate((d) => (d as HTMLDialogElement).open), "the dialog opened");

    assert.ok(await page.locator("#field-failureReason").isHidden());
    await dialog.locator('input[name="result"][value="fail"]').check();
    await dialog.locator('textarea[name="failureReason"]').waitFor();

    await dialog.locator('input[name="serialNumber"]').fill("bad serial");
    await dialog.locator('input[name="equipment"]').click(); // leave the field: change fires
    await page
      .waitForFunction(() => document.getElementById("err-serialNumber")?.textContent !== "", null, { timeout: 10000 })
      .catch(() => {
        throw new Error("no inline message for the serial number");
      });
    assert.is(
      await page.locator("#err-serialNumber").innerText(),
      "Serial number does not have the expected format: Capital letters, digits and dashes, as printed on the rating plate.",
    );

    await dialog.locator('input[name="equipment"]').fill("Band saw");
    await dialog.locator('input[name="serialNumber"]').fill("BS-1");
    await dialog.locator('input[name="inspectedOn"]').fill("2026-01-02");
    await dialog.locator('textarea[name="failureReason"]').fill("Blade guard missing");
    await dialog.locator('button[value="add:checklist"]').click();
    await dialog.locator('input[name="checklist.0.item"]').fill("Guard");
    const statuses: string[] = [];
    page.on("response", (r) => statuses.push(`${r.status()} ${r.request().method()} ${r.url()}`));
    await dialog.locator('button[value="save"]').click();
    await page
      .waitForFunction(() => !(document.getElementById("record-dialog") as HTMLDialogElement).open, null, {
        timeout: 10000,
      })
      .catch(async () => {
        const errors = await page.locator("#record-dialog .field-error:not(:empty), #err-form").allInnerTexts();
        throw new Error(`dialog stayed open; responses: ${statuses.join(" | ")}; errors: ${errors.join(", ")}`);
      });
    await page.locator("#record-list").getByText("BS-1").waitFor();
  },
);

t("search as you type, then edit in the dialog and delete with a confirmation", async ({ page, url }) => {
  await page.goto(`${url}/apps/equipment-inspections`);
  await page.fill('input[name="q"]', "nothing-like-this");
  await page.getByText("No records match your search.").waitFor();
  await page.fill('input[name="q"]', "band");
  await page.locator("#record-list").getByText("BS-1").click();
  const dialog = page.locator("#record-dialog");
  await dialog.locator('input[name="equipment"]').waitFor();
  assert.is(await dialog.locator('input[name="equipment"]').inputValue(), "Band saw");
  page.once("dialog", (d) => void d.accept());
  await dialog.locator("button.delete").click();
  await page.waitForFunction(() => !(document.getElementById("record-dialog") as HTMLDialogElement).open);
  await page.getByText("No records match your search.").waitFor();
});

t("Add user: the MFA slider shows the delay, and the list shows the status", async ({ page, url }) => {
  await page.goto(`${url}/configure/users`);
  await page.click("text=Add user");
  const dialog = page.locator("#record-dialog");
  await dialog.locator('input[name="username"]').waitFor();
  assert.not.ok(await dialog.locator('input[name="mfaEnabled"]').isChecked(), "off by default");
  await dialog.locator('input[name="username"]').fill("bob");
  await dialog.locator('input[name="password"]').fill("a long enough password");
  await dialog.locator('input[name="mfaEnabled"]').check();
  const delay = dialog.locator('input[name="mfaEnforcementDelayDays"]');
  await delay.waitFor();
  assert.is(await delay.inputValue(), "0");
  await delay.fill("3");
  await dialog.locator('button[value="save"]').click();
  await page.waitForFunction(() => !(document.getElementById("record-dialog") as HTMLDialogElement).open);
  await page
    .locator("#record-list")
    .getByText(/Pending — due \d+ \w+ \d{4}/)
    .waitFor();
});

t(
  "the dialog's sticky Create bar is its bottom edge: nothing of the form shows below it (1280 and 390 px)",
  async (ctx) => {
    const { page, url } = ctx;
    for (const [width, height] of [
      [1280, 900],
      [390, 844],
    ] as const) {
      await page.setViewportSize({ width, height });
      await page.goto(`${url}/apps/equipment-inspections`);
      await page.click("text=New record");
      const dialog = page.locator("#record-dialog");
      await dialog.locator('input[name="equipment"]').waitFor();
      const gap = await dialog.evaluate((d) => {
        const article = d.querySelector("article")!;
        const bar = article.querySelector(".form-actions")!.getBoundingClientRect();
        const box = article.getBoundingClientRect();
        const inner = box.bottom - parseFloat(getComputedStyle(article).borderBottomWidth);
        return { scrolls: article.scrollHeight > article.clientHeight, below: inner - bar.bottom };
      });
      assert.ok(gap.scrolls, `the form is longer than the dialog at ${width} px`);
      assert.ok(gap.below <= 0.5, `${gap.below} px of the form show below the action bar at ${width} px`);
      await page.keyboard.press("Escape");
    }
    await page.setViewportSize({ width: 1280, height: 720 });
  },
);

t("no script errors or CSP violations along the way", ({ problems }) => {
  assert.equal(problems, [], problems.join("; "));
});

if (hasChromium) t.run();
else skipSuite("chromium not installed (apt-get install chromium)");
