import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import type { TestEnv } from "../helpers/app.js";
import { browserTestEnv, closeBrowserStage, hasChromium, openBrowser } from "../helpers/browser.js";
import { activatedUser, check, PASSWORD, signIn } from "../helpers/console.js";
import { skipSuite } from "../helpers/skip.js";

// Every page an administrator can reach, found by following the links of the pages themselves (so
// a page added later is toured without being listed here), visited at 1280 and 390 px with
// JavaScript on and off, under the real Content Security Policy (no bypassCSP): no error on the
// console (a blocked inline style or script, a failed asset, a script error), axe-core without a
// serious or critical violation and every button's text at 4.5:1 or more (JavaScript on), and no
// sideways scrolling at 390 px.

interface Ctx {
  env: TestEnv;
  browser: Browser;
  url: string;
  admin: MfaActor;
  siteId: string;
  stop(): Promise<void>;
}
const t = suite<Ctx>("browser: a tour of every page an administrator reaches");

/** Most pages of the same route are alike: the tour keeps this many of each route. */
const PER_ROUTE = 1;
/** A ceiling, so a page that links to endless variants cannot make the tour endless. */
const MAX_PAGES = 60;
/** Links the tour does not follow: downloads, machine-readable answers. */
const NOT_PAGES = /\.(csv|json|fgbackup|png|svg|css|js)(\?|$)|\/export|\/download|\/api\//;

t.before(async (ctx) => {
  ctx.env = await browserTestEnv();
  const s = ctx.env.services;
  ctx.siteId = (await s.sites.publicSite()).id;
  const root = await s.users.create({ siteId: ctx.siteId, username: "root", password: PASSWORD, role: "admin" });
  ctx.admin = { id: root.id, name: "root", siteId: ctx.siteId };
  // Something in every state, so the pages show their lists, badges and dialogs rather than empty ones.
  await activatedUser(ctx.env, ctx.siteId, ctx.admin, "ada");
  const pending = await s.users.create({ siteId: ctx.siteId, username: "nora", password: PASSWORD });
  await s.mfa.settings.applySettings(pending.id, { enabled: true, enforcementDelayDays: 7 }, ctx.admin);
  await s.users.create({ siteId: ctx.siteId, username: "zoe", password: PASSWORD, displayName: "Zoë ".repeat(50) });
  await openBrowser(ctx);
});
t.after(closeBrowserStage);

/** The route a path belongs to: ids and numbers replaced, the query's values dropped. */
function routeOf(path: string): string {
  const u = new URL(path, "http://x");
  const p = u.pathname
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, ":id")
    .replace(/\/\d+(?=\/|$)/g, "/:n")
    // One record, field, app or token stands for all of them.
    .replace(/\/(users|fields|apps|rollouts|backups|equipment-inspections)\/(?!new$)[^/]+/g, "/$1/:x");
  return `${p}?${[...u.searchParams.keys()].sort().join("&")}`;
}

/** Same-origin page links of the page, as paths with their query. */
async function linksOf(page: Page, origin: string): Promise<string[]> {
  const hrefs = await page.evaluate(() =>
    [...document.querySelectorAll("a[href]")].map((a) => (a as HTMLAnchorElement).href),
  );
  return hrefs
    .filter((h) => h.startsWith(origin))
    .map((h) => h.slice(origin.length).split("#")[0] || "/")
    .filter((p) => !NOT_PAGES.test(p));
}

/** Signs in as `username` in a new context (anonymous when null) and returns its page. */
async function signedIn(
  ctx: Ctx,
  js: boolean,
  username: string | null,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await ctx.browser.newContext({ javaScriptEnabled: js });
  const page = await context.newPage();
  if (username) {
    await signIn(page, ctx.url, username);
    await page.waitForURL((u) => u.pathname !== "/login");
  }
  return { context, page };
}

/** Breadth-first from the start page over the links of each page, PER_ROUTE pages per route. */
async function crawl(ctx: Ctx, username: string | null, start: string[]): Promise<string[]> {
  const { context, page } = await signedIn(ctx, false, username);
  const seen = new Map<string, number>();
  const queue = [...start];
  const pages: string[] = [];
  const queued = new Set(queue);
  while (queue.length && pages.length < MAX_PAGES) {
    const path = queue.shift()!;
    const route = routeOf(path);
    if ((seen.get(route) ?? 0) >= PER_ROUTE) continue;
    const response = await page.goto(`${ctx.url}${path}`);
    // A link that leads away (a redirect to another page) is toured as the page it lands on.
    if (!response || response.status() !== 200 || !page.url().startsWith(ctx.url)) continue;
    if (!(response.headers()["content-type"] ?? "").startsWith("text/html")) continue;
    seen.set(route, (seen.get(route) ?? 0) + 1);
    pages.push(path);
    for (const link of await linksOf(page, ctx.url)) {
      if (queued.has(link)) continue;
      queued.add(link);
      queue.push(link);
    }
  }
  await context.close();
  return pages;
}

/** Visits each page with JavaScript on and off, at 1280 and 390 px; returns what was wrong, one line each. */
async function visit(ctx: Ctx, username: string | null, pages: string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const js of [true, false]) {
    const { context, page } = await signedIn(ctx, js, username);
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    for (const path of pages) {
      const what = `${path} (${username ?? "anonymous"}, JavaScript ${js ? "on" : "off"})`;
      await page.setViewportSize({ width: 1280, height: 900 });
      errors.length = 0;
      await page.goto(`${ctx.url}${path}`);
      await page.waitForLoadState(js ? "networkidle" : "load");
      try {
        // axe and contrast with JavaScript on, 390 px either way.
        await check(page, js, what);
      } catch (e) {
        const { message, actual } = e as Error & { actual?: unknown };
        problems.push(`${message}: ${JSON.stringify(actual)}`);
      }
      if (errors.length) problems.push(`${what}: console: ${errors.join(" | ")}`);
    }
    await context.close();
  }
  for (const p of problems) console.log(p);
  return problems;
}

t("an administrator's pages: no console error, axe, contrast and 390 px, JavaScript on and off", async (ctx) => {
  const pages = await crawl(ctx, "root", ["/", "/account", "/configure"]);
  // The tour must reach the console's rooms, or it proves nothing about them.
  for (const must of [
    "/configure",
    "/configure/users",
    "/configure/mfa",
    "/configure/audit",
    "/configure/sites",
    "/account",
  ]) {
    assert.ok(
      pages.some((p) => p === must || p.startsWith(`${must}?`)),
      `the tour reached ${must} (it reached ${pages.join(", ")})`,
    );
  }
  assert.ok(pages.length >= 25, `the tour reached ${pages.length} pages: ${pages.join(", ")}`);
  const problems = await visit(ctx, "root", pages);
  assert.equal(problems.length, 0, `${problems.length} problems on ${pages.length} pages (listed above)`);
});

t("the sign-in pages and an end user's MFA setup: the same checks", async (ctx) => {
  const anonymous = await crawl(ctx, null, ["/login"]);
  const user = await crawl(ctx, "nora", ["/mfa/setup", "/account", "/"]);
  assert.ok(user.includes("/mfa/setup/app"), `the tour reached the app setup (it reached ${user.join(", ")})`);
  const problems = [...(await visit(ctx, null, anonymous)), ...(await visit(ctx, "nora", user))];
  assert.equal(problems.length, 0, `${problems.length} problems (listed above)`);
});

if (hasChromium) t.run();
else skipSuite("no Chromium at /usr/bin/chromium (apt-get install chromium, or set CHROMIUM_PATH)");
