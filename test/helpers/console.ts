// What the console's browser suites share: signing in, axe-core and the 390 px check on every page
// visited, screenshots for the README and guides, an activated user.
import { join } from "node:path";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import * as assert from "uvu/assert";
import type { Page } from "playwright-core";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import type { TestEnv } from "./app.js";
import { screenshotDir, takeConsoleErrors } from "./browser.js";
import { appParams, codeAt } from "./totp.js";

export const PASSWORD = "correct horse battery";
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
let shots: string | undefined;

/**
 * The visible buttons (and links styled as buttons) whose text is under WCAG's 4.5:1 contrast with
 * what is behind it, as "TEXT: RATIO". Colours are the rendered ones: each is painted on a canvas
 * and read back (so any CSS colour syntax works), backgrounds composited up the ancestors over white.
 * WCAG 2.2 §1.4.3; relative luminance and contrast ratio as WCAG defines them.
 */
export async function lowContrastButtons(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(CONTRAST_SCRIPT);
}

// Plain JavaScript run in the page: a string, because the TypeScript loader would add helpers
// (`__name`) to functions that page.evaluate serialises, and the page does not have them.
const CONTRAST_SCRIPT = `(() => {
  const ctx = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
  function rgba(css) {
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = "#000";
    ctx.fillStyle = css;
    ctx.fillRect(0, 0, 1, 1);
    const d = ctx.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2], d[3] / 255];
  }
  function over(top, under) {
    return under.map((u, i) => top[i] * top[3] + u * (1 - top[3]));
  }
  function background(el) {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    return layers.reverse().reduce((under, top) => over(top, under), [255, 255, 255]);
  }
  function channel(v) {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }
  function luminance(c) {
    return 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2]);
  }
  const out = [];
  for (const b of document.querySelectorAll('button, [role="button"], input[type="submit"], input[type="button"]')) {
    const box = b.getBoundingClientRect();
    const style = getComputedStyle(b);
    if (box.width < 2 || box.height < 2 || style.visibility === "hidden" || !b.checkVisibility()) continue;
    const text = (b.innerText || b.value || "").trim();
    if (!text) continue;
    const bg = background(b);
    const fg = over(rgba(style.color), bg);
    const l = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
    const ratio = (l[0] + 0.05) / (l[1] + 0.05);
    if (ratio < 4.5) out.push(text + ": " + ratio.toFixed(2));
  }
  return out;
})()`;

/**
 * axe on the page (serious and critical only, with JavaScript on), button contrast at least 4.5:1,
 * no sideways scrolling at 390 px, and no error on the console since the last check
 * (takeConsoleErrors: script errors, CSP violations, missing assets).
 */
export async function check(page: Page, js: boolean, what: string): Promise<void> {
  assert.equal(takeConsoleErrors(page), [], `console errors on ${what}`);
  if (js) {
    await page.evaluate(AXE);
    const bad = await page.evaluate(async () => {
      const axe = (
        window as unknown as {
          axe: {
            run(d: Document): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }>;
          };
        }
      ).axe;
      const r = await axe.run(document);
      return r.violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    });
    assert.equal(bad, [], `axe on ${what}`);
    assert.equal(await lowContrastButtons(page), [], `buttons under 4.5:1 on ${what}`);
  }
  const size = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `${what} is ${width} px wide at 390 px`);
  if (size) await page.setViewportSize(size);
}

/** A full-page screenshot NAME.png (with JavaScript on only) into screenshotDir(). */
export async function shot(page: Page, js: boolean, name: string): Promise<void> {
  shots ??= screenshotDir();
  if (js) await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/** Signs in through /login with PASSWORD (the caller waits for where it lands). */
export async function signIn(page: Page, url: string, username: string, password = PASSWORD) {
  await page.goto(`${url}/login`);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await page.click('form[action="/login"] button[type="submit"]');
}

/** An activated user (authenticator app) with one live web session (theirs, elsewhere). */
export async function activatedUser(env: TestEnv, siteId: string, admin: MfaActor, username: string) {
  const s = env.services;
  const u = await s.users.create({ siteId, username, password: PASSWORD, displayName: `${username} D.` });
  await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, admin);
  const p = appParams(randomBytes(20));
  await s.mfa.activation.activate(u.id, { method: "app", ...p }, codeAt(env.clock, p), {
    id: u.id,
    name: username,
    siteId: null,
  });
  await s.sessions.create(u.id, siteId, "full", null);
  return u;
}

/** The one-time message of the page. */
export const flashText = (page: Page) => page.locator('[role="status"].flash').innerText();
