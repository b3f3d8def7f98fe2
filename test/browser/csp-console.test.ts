import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Browser, Page } from "playwright-core";
import type { TestEnv } from "../helpers/app.js";
import { browserTestEnv, closeBrowserStage, hasChromium, openBrowser } from "../helpers/browser.js";
import { PASSWORD, signIn } from "../helpers/console.js";
import { skipSuite } from "../helpers/skip.js";

// The pages run under the real Content Security Policy (no bypassCSP): nothing on them, our markup
// or a library (htmx's indicator styles, SortableJS), may need an inline style or script. The
// browser reports every blocked one on the console; this suite collects the console's errors.

interface Ctx {
  env: TestEnv;
  browser: Browser;
  url: string;
  stop(): Promise<void>;
}
const t = suite<Ctx>("browser: no Content Security Policy errors on the console");

t.before(async (ctx) => {
  ctx.env = await browserTestEnv();
  const pub = await ctx.env.services.sites.publicSite();
  await ctx.env.services.users.create({ siteId: pub.id, username: "root", password: PASSWORD, role: "admin" });
  await ctx.env.services.users.create({ siteId: pub.id, username: "nora", password: PASSWORD });
  await openBrowser(ctx);
});
t.after(closeBrowserStage);

/** Opens `path` signed in as root and returns every console error and page error seen until it settled. */
async function consoleErrors(ctx: Ctx, page: Page, path: string, act?: (page: Page) => Promise<void>) {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${ctx.url}${path}`);
  await page.waitForLoadState("networkidle");
  await act?.(page);
  await page.waitForLoadState("networkidle");
  return errors;
}

t("the user dialog and the new-record page log no blocked inline style or script", async (ctx) => {
  const context = await ctx.browser.newContext();
  const page = await context.newPage();
  await signIn(page, ctx.url, "root");
  await page.waitForURL(`${ctx.url}/`);
  const nora = (await ctx.env.services.users.byUsername("nora"))!;
  for (const [path, act] of [
    ["/configure/users/new", async (p: Page) => void (await p.fill('input[name="username"]', "x"))],
    [`/configure/users/${nora.id}`, undefined],
    ["/apps/equipment-inspections/new", async (p: Page) => void (await p.locator("input").first().focus())],
    [
      "/apps/equipment-inspections",
      async (p: Page) => {
        // The new-record form in the list's dialog, loaded by htmx.
        await p.getByRole("button", { name: "New record" }).click();
        await p.locator("#record-dialog[open] input:not([type=hidden])").first().waitFor();
      },
    ],
  ] as const) {
    const errors = await consoleErrors(ctx, page, path, act);
    assert.is(page.url().startsWith(`${ctx.url}${path}`), true, `${path} opened (${page.url()})`);
    const csp = errors.filter((e) => /Content Security Policy|Content-Security-Policy/i.test(e));
    assert.equal(csp, [], `${path}: ${csp.join("\n")}`);
    // Nothing adds a style at run time that a stricter browser's CSP check could block: no style
    // attribute, no <style> element, no style sheet made by a script (htmx's indicator rules).
    const injected = await page.evaluate(() => ({
      attributes: document.querySelectorAll("[style]").length,
      elements: document.querySelectorAll("style").length,
      adopted: document.adoptedStyleSheets.length,
    }));
    assert.equal(injected, { attributes: 0, elements: 0, adopted: 0 }, path);
    // The indicator rules still apply, from public/app.css.
    const indicator = await page.evaluate(() => {
      const el = document.createElement("span");
      el.className = "htmx-indicator";
      document.body.append(el);
      const hidden = getComputedStyle(el).visibility;
      el.remove();
      return hidden;
    });
    assert.is(indicator, "hidden", `${path}: .htmx-indicator is hidden until a request`);
    page.removeAllListeners("console");
    page.removeAllListeners("pageerror");
  }
  await context.close();
});

if (hasChromium) t.run();
else skipSuite("no Chromium at /usr/bin/chromium (apt-get install chromium, or set CHROMIUM_PATH)");
