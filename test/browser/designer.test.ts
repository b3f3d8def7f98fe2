import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Browser, Page } from "playwright-core";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { browserTestEnv, closeBrowserStage, hasChromium, openBrowser, screenshotDir } from "../helpers/browser.js";
import { skipSuite } from "../helpers/skip.js";
import { buildVisitorLogByPosts, VISITOR_FIELDS, VISITOR_LIST } from "../helpers/visitor-log.js";
import { check } from "../helpers/console.js";

/*
 * docs/designer-guide.md, step by step, in Chromium: a designer builds
 * "Visitor log" without typing JSON, publishes it; an administrator adds,
 * finds and edits a visitor; the designer adds a Department to User accounts
 * and the user dialog shows and stores it. The screenshots of the guide
 * (docs/screenshots/designer-*.png) are taken here.
 */

const PASSWORD = "correct horse battery";
const SHOTS = screenshotDir();
interface Ctx {
  env: TestEnv;
  browser: Browser;
  page: Page;
  url: string;
  siteId: string;
  stop(): Promise<void>;
}
const t = suite<Ctx>("browser: the visual app designer");

if (!hasChromium) skipSuite("no Chromium at /usr/bin/chromium (set CHROMIUM_PATH)");

t.before(async (ctx) => {
  ctx.env = await browserTestEnv();
  const s = ctx.env.services;
  ctx.siteId = (await s.sites.publicSite()).id;
  await s.users.create({ siteId: ctx.siteId, username: "dora", password: PASSWORD, role: "designer" });
  await s.users.create({ siteId: ctx.siteId, username: "alice", password: PASSWORD, role: "admin" });
  await openBrowser(ctx);
  ctx.page = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  ctx.page.on("pageerror", (e) => errors.push(e.message));
  mkdirSync(SHOTS, { recursive: true });
});
t.after(closeBrowserStage);

async function signIn(page: Page, url: string, username: string) {
  await page.context().clearCookies();
  await page.goto(`${url}/login`);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', PASSWORD);
  await page.click('button[type="submit"]');
  await page.waitForURL(`${url}/`);
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SHOTS, `designer-${name}.png`), fullPage: true, animations: "disabled" });

/**
 * Submits the properties panel and waits for the designer to show the saved draft (or fails with
 * the messages). A field's panel saves through htmx (the work area is swapped, no page load); the
 * section form is a plain POST: either way the new message appears.
 */
async function submitPanel(page: Page, button: string) {
  await page.evaluate(() => document.querySelectorAll(".flash").forEach((e) => e.remove()));
  await page.locator("#field-form").getByRole("button", { name: button }).click();
  await page.locator(".flash, #field-form .field-error:not(:empty), #err-_:not([hidden])").first().waitFor();
  const errors = await page.locator("#field-form .field-error:not(:empty), #err-_:not([hidden])").allInnerTexts();
  assert.equal(errors, [], `the panel refused: ${errors.join(" | ")}`);
}

async function addField(page: Page, f: Record<string, string>) {
  await page.selectOption("form.add-field select[name=type]", f.type!);
  await page.click("form.add-field button[type=submit]");
  const form = page.locator("#field-form");
  await form.waitFor();
  await form.locator('input[name="title"]').fill(f.title!);
  if (f.required) await form.locator('input[type=checkbox][name="required"]').check();
  if (f.options) await form.locator('textarea[name="options"]').fill(f.options);
  for (const k of ["maxLength", "minimum", "maximum", "default", "placeholder"]) {
    if (f[k]) await form.locator(`input[name="${k}"]`).fill(f[k]);
  }
  if (f.visibleField) {
    await form.locator('select[name="visibleField"]').selectOption(f.visibleField);
    await form.locator('input[name="visibleValue"]').fill(f.visibleValue!);
  }
  await submitPanel(page, "Add field");
}

t("a designer builds Visitor log without typing JSON, and publishes it", async ({ page, url, env, siteId }) => {
  await signIn(page, url, "dora");
  await page.goto(`${url}/configure/apps`);
  await shot(page, "1-apps");
  await page.click("text=New app");
  await page.fill('input[name="title"]', "Visitor log");
  assert.is(await page.inputValue('input[name="id"]'), "visitor-log", "the id is suggested from the title");
  await shot(page, "2-new-app");
  await check(page, true, "New app");
  await page.click("text=Create app");
  await page.waitForURL(`${url}/configure/apps/visitor-log`);
  // A new app is a draft until its first Publish: nobody else sees it yet.
  await page.locator("#published-version").getByText("Not published yet").waitFor();
  assert.is(await env.services.apps.get(siteId, "visitor-log"), null, "a new app is not live");
  // The guide publishes the starter form as version 1, so History can compare it with the app built below.
  await page.click(".draft-actions >> text=Publish");
  await page.locator(".flash").getByText("Published Visitor log version 1.").waitFor();

  // The starter field becomes "Visitor name": htmx swaps the outline, panel and preview in place.
  await page.click("#outline-name a.field-label");
  await page.evaluate(() => ((window as unknown as { unloaded: boolean }).unloaded = false));
  await page.locator('#field-form input[name="title"]').fill("Visitor name");
  await submitPanel(page, "Save field");
  assert.is(await page.evaluate(() => (window as unknown as { unloaded?: boolean }).unloaded), false, "no page load");
  assert.is(await page.locator("#outline-name a.field-label").innerText(), "Visitor name", "the outline");
  assert.is(await page.locator("#designer-feedback #f-name").count(), 1, "the preview");
  assert.ok(
    await page.locator("#designer-feedback").getByText("Visitor name").first().isVisible(),
    "the preview shows the new label",
  );
  assert.is(await page.evaluate(() => document.activeElement?.id), "field-form-submit", "focus stays on Save");

  for (const f of VISITOR_FIELDS) await addField(page, f);
  await page.click("text=Add a field to Companions");
  await page.locator('#field-form input[name="title"]').fill("Phone");
  await submitPanel(page, "Add field");

  // Up without JavaScript's help, and a drag by the handle.
  await page.click('button[aria-label="Move email up"]');
  await page.locator(".flash").waitFor();
  await page.locator("#outline-badgeNumber").scrollIntoViewIfNeeded();
  const handle = page.locator("#outline-badgeNumber .drag-handle");
  const target = page.locator("#outline-purpose");
  const from = (await handle.boundingBox())!;
  const to = (await target.boundingBox())!;
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) {
    await page.mouse.move(from.x + from.width / 2 + i, from.y + ((to.y + 4 - from.y) * i) / 10);
  }
  await page.mouse.up();
  await page.locator(".flash").getByText('Moved "Badge number".').waitFor();

  // Sections: "Visitor" with the first three fields, "Visit" with the rest.
  await page.selectOption("form.add-field select[name=type]", "section");
  await page.click("form.add-field button[type=submit]");
  await page.locator('#field-form input[name="title"]').fill("Visitor");
  for (const n of ["name", "email", "company"]) await page.check(`#field-form input[name="fields"][value="${n}"]`);
  await submitPanel(page, "Add section");
  await page.selectOption("form.add-field select[name=type]", "section");
  await page.click("form.add-field button[type=submit]");
  await page.locator('#field-form input[name="title"]').fill("Visit");
  await submitPanel(page, "Add section");

  await page.click("#outline-escort a.field-label");
  await shot(page, "3-designer");
  await check(page, true, "the designer's Form tab");

  // List: columns, searchable fields, default sort.
  await page.click(".designer-tabs >> text=List");
  for (const c of VISITOR_LIST.columns) await page.check(`input[name="columns"][value="${c}"]`);
  for (const c of VISITOR_LIST.searchable) await page.check(`input[name="searchable"][value="${c}"]`);
  await page.selectOption('select[name="sort"]', VISITOR_LIST.sort);
  await shot(page, "4-list");
  await page.click("text=Save list");
  await page.locator(".flash").waitFor();

  // Settings: who may open the app, by role; Visitor log stays open to every signed-in user.
  await page.click(".designer-tabs >> text=Settings");
  assert.equal(
    await page
      .locator('#settings-form input[name="openTo"]')
      .evaluateAll((es) => es.map((e) => [(e as HTMLInputElement).value, (e as HTMLInputElement).checked])),
    [
      ["user", true],
      ["designer", false],
      ["admin", false],
    ],
  );
  await shot(page, "settings");
  await check(page, true, "the Settings tab");

  assert.is((await env.services.apps.get(siteId, "visitor-log"))!.version, 1, "nothing is live before Publish");
  await page.click(".draft-actions >> text=Publish");
  await page.locator(".flash").getByText("Published Visitor log version 2.").waitFor();
  await shot(page, "5-published");

  // History: what changed from version 1 to 2, field by field.
  await page.click(".designer-tabs >> text=History");
  await page.click("#compare button[type=submit]");
  await page.locator("#field-changes").waitFor();
  assert.match(
    await page.locator('#field-changes tr[data-path="name"]').innerText(),
    /Label:\s*Name\s*→\s*Visitor name/,
  );
  assert.match(await page.locator('#field-changes tr[data-path="company"]').innerText(), /added/);
  assert.ok(await page.locator("#json-diff pre").isHidden(), "the JSON diff is folded away");
  await shot(page, "history");
  await check(page, true, "the History tab");
});

t("the administrator adds, finds and edits a visitor", async ({ page, url }) => {
  await signIn(page, url, "alice");
  await page.goto(`${url}/apps/visitor-log`);
  await page.click("text=New record");
  const dialog = page.locator("#record-dialog");
  await dialog.locator('input[name="name"]').waitFor();
  assert.ok(await page.locator("#field-escort").isHidden(), "Escort is shown only when an escort is needed");
  await dialog.locator('input[name="name"]').fill("Vera Visitor");
  await dialog.locator('input[name="email"]').fill("vera@example.org");
  await dialog.locator('input[name="company"]').fill("Acme");
  await dialog.locator('input[name="visitDate"]').fill("2026-12-01");
  await dialog.locator('select[name="purpose"]').selectOption("meeting");
  await dialog.locator('input[name="escortNeeded"]').check();
  await dialog.locator('input[name="escort"]').waitFor();
  await dialog.locator('input[name="escort"]').fill("Sam");
  await shot(page, "6-add-visitor");
  await dialog.locator('button[value="save"]').click();
  await page.waitForFunction(() => !(document.getElementById("record-dialog") as HTMLDialogElement).open);
  await page.fill('input[name="q"]', "acme");
  await page.locator("#record-list").getByText("Vera Visitor").click();
  await dialog.locator('input[name="company"]').waitFor();
  await dialog.locator('input[name="company"]').fill("Acme Ltd");
  await dialog.locator('button[value="save"]').click();
  await page.waitForFunction(() => !(document.getElementById("record-dialog") as HTMLDialogElement).open);
  await page.locator("#record-list").getByText("Acme Ltd").waitFor();
  await shot(page, "7-visitors");
});

t("the designer adds a Department choice to User accounts; the user dialog shows and stores it", async (ctx) => {
  const { page, url, env } = ctx;
  await signIn(page, url, "dora");
  await page.goto(`${url}/configure/apps/user-accounts`);
  assert.ok((await page.locator("#outline-username .flag.system").count()) > 0, "system fields are marked");
  await page.click("#outline-username a.field-label");
  assert.is(await page.locator("form.delete-field").count(), 0, "a system field has no Delete");
  await addField(page, { type: "choice", title: "Department", options: "sales|Sales\nit|IT\nfacilities|Facilities" });
  await shot(page, "8-department");
  await page.click(".draft-actions >> text=Publish");
  await page
    .locator(".flash")
    .getByText(/Published User accounts version/)
    .waitFor();

  await signIn(page, url, "alice");
  await page.goto(`${url}/configure/users`);
  await page.click("text=Add user");
  const dialog = page.locator("#record-dialog");
  await dialog.locator('select[name="department"]').waitFor();
  await dialog.locator('input[name="username"]').fill("dept-user");
  await dialog.locator('input[name="password"]').fill("a long enough password");
  await dialog.locator('select[name="department"]').selectOption("it");
  await shot(page, "9-user-dialog");
  await dialog.locator('button[value="save"]').click();
  await page.waitForFunction(() => !(document.getElementById("record-dialog") as HTMLDialogElement).open);
  const user = (await env.services.users.byUsername("dept-user"))!;
  const app = (await env.services.apps.get(ctx.siteId, "user-accounts"))!;
  const stored = await env.services.apps
    .storeFor(app)
    .get(app, { siteId: ctx.siteId, actor: { id: null, name: "test" } }, user.id);
  assert.is(stored?.values.department, "it");
});

t("the same app built through plain POSTs, without JavaScript, has the same definition", async ({ env, siteId }) => {
  const other = await startTestEnv();
  try {
    const s = other.services;
    const site = (await s.sites.publicSite()).id;
    await s.users.create({ siteId: site, username: "dora", password: PASSWORD, role: "designer" });
    const dora = new TestClient(other.app);
    await dora.signIn("dora", PASSWORD);
    await buildVisitorLogByPosts(dora);
    const byPosts = (await s.apps.get(site, "visitor-log"))!.definition;
    const inBrowser = (await env.services.apps.get(siteId, "visitor-log"))!.definition;
    assert.equal(inBrowser, byPosts);
  } finally {
    await other.close();
  }
});

t(
  "drag handles and their hint only where dragging works (JavaScript); Up and Down always, where they move",
  async (ctx) => {
    for (const js of [true, false]) {
      const context = await ctx.browser.newContext({ javaScriptEnabled: js, viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      try {
        await signIn(page, ctx.url, "dora");
        await page.goto(`${ctx.url}/configure/apps/visitor-log`);
        const outline = page.locator("#field-outline");
        assert.is(await outline.locator(".drag-handle").first().isVisible(), js, `a handle, JavaScript ${js}`);
        assert.is(
          await page.getByText("Drag a field by its handle").isVisible(),
          js,
          `the drag hint, JavaScript ${js}`,
        );
        assert.is(await page.getByText("Use Up and Down to move a field").isVisible(), !js);
        // The first field has no Up, the last no Down; the other button keeps its place.
        assert.is(await outline.locator('button[aria-label="Move name up"]').count(), 0);
        assert.is(await outline.locator('button[aria-label="Move companions down"]').count(), 0);
        const down = (name: string) => outline.locator(`button[aria-label="Move ${name} down"]`).boundingBox();
        assert.is((await down("name"))!.x, (await down("email"))!.x, "Down stands where it stands in every row");
        await check(page, js, `the designer's outline, JavaScript ${js}`);
      } finally {
        await context.close();
      }
    }
  },
);

t(
  "at 390 px the Form tab stacks: Add a field and the properties panel stay usable, headings do not break mid-word",
  async (ctx) => {
    const page = await ctx.browser.newPage({ viewport: { width: 390, height: 844 } });
    try {
      await signIn(page, ctx.url, "dora");
      await page.goto(`${ctx.url}/configure/apps/visitor-log/fields/company`);
      const box = async (sel: string) => (await page.locator(sel).first().boundingBox())!;
      const work = await box("#designer-work");
      const select = await box(".add-field select");
      const button = await box(".add-field button");
      const preview = await box("#designer-work > :last-child");
      assert.ok(select.width >= 150, `the type select keeps its width (${select.width}px)`);
      assert.ok(button.x + button.width <= work.x + work.width + 1, "Add a field stays inside the work area");
      assert.ok(preview.y >= button.y + button.height, "the preview column comes below, not beside");
      const h2 = await page.locator("#field-form h2").evaluate((e) => ({
        height: e.getBoundingClientRect().height,
        line: parseFloat(getComputedStyle(e).lineHeight) || parseFloat(getComputedStyle(e).fontSize) * 1.3,
      }));
      assert.ok(h2.height < h2.line * 1.9, `"Company" on one line (${h2.height}px, line ${h2.line}px)`);
      await page.screenshot({ path: join(SHOTS, "designer-form-390.png"), fullPage: true, animations: "disabled" });
      await page.setViewportSize({ width: 1280, height: 900 });
      const wide = await box("#designer-work > :last-child");
      assert.ok(wide.y < (await box("#field-form")).y + 50, "at 1280 px the preview sits beside the panel");
      await page.screenshot({ path: join(SHOTS, "designer-form-1280.png"), fullPage: false, animations: "disabled" });
    } finally {
      await page.close();
    }
  },
);

t("a removed option records hold: Publish's question reads in full at 1280 and 390 px", async (ctx) => {
  const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
  try {
    await signIn(page, ctx.url, "dora");
    // Vera Visitor's purpose is Meeting (the administrator's test): take that option away.
    await page.goto(`${ctx.url}/configure/apps/visitor-log/fields/purpose`);
    await page.locator('#field-form textarea[name="options"]').fill("delivery|Delivery\ninterview|Interview");
    await submitPanel(page, "Save field");
    await page.click(".draft-actions >> text=Publish");
    await page.locator("#removed-options").waitFor();
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      // Each option's words fit the select's box (its padding holds the arrow): none is cut.
      const cut = await page.locator("#removed-options select").evaluateAll((selects) => {
        const ctx2d = document.createElement("canvas").getContext("2d")!;
        return selects.flatMap((s) => {
          const style = getComputedStyle(s);
          ctx2d.font = style.font;
          const room = s.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
          return [...(s as HTMLSelectElement).options]
            .filter((o) => ctx2d.measureText(o.text).width > room)
            .map((o) => `${o.text} (${Math.round(ctx2d.measureText(o.text).width)} px in ${room} px)`);
        });
      });
      assert.equal(cut, [], `choices cut at ${width} px`);
      const label = page.getByText("Purpose: 1 record with “Meeting”");
      const shown = ((await label.boundingBox())?.width ?? 0) > 1; // visually hidden: 1 px, for screen readers
      assert.is(shown, width === 390, "the label says what the row says: shown where the row is not");
      await page.screenshot({ path: join(SHOTS, `designer-publish-options-${width}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await check(page, true, "Publish's question about removed options");
  } finally {
    await page.close();
    await ctx.env.services.drafts.discard(ctx.siteId, "visitor-log");
  }
});

t.run();
