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
import { screenshotDir } from "./browser.js";
import { appParams, codeAt } from "./totp.js";

export const PASSWORD = "correct horse battery";
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
let shots: string | undefined;

/** axe on the page (serious and critical only, with JavaScript on), and no sideways scrolling at 390 px. */
export async function check(page: Page, js: boolean, what: string): Promise<void> {
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
  await s.mfa.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, admin);
  const p = appParams(randomBytes(20));
  await s.mfa.activate(u.id, { method: "app", ...p }, codeAt(env.clock, p), { id: u.id, name: username, siteId: null });
  await s.sessions.create(u.id, siteId, "full", null);
  return u;
}

/** The one-time message of the page. */
export const flashText = (page: Page) => page.locator('[role="status"].flash').innerText();
