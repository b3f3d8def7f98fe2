// Configure > MFA Hardware's token list in Chromium: at 1280 px the table fits its box (the
// actions were behind a horizontal scroll: 1341 px of table in 1200 px), and at 390 px it scrolls
// inside its own box, never the page. Screenshots of both go to screenshotDir().
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import type { TestEnv } from "../helpers/app.js";
import { browserTestEnv, closeBrowserStage, hasChromium, openBrowser, screenshotDir } from "../helpers/browser.js";
import { PASSWORD, signIn } from "../helpers/console.js";
import { codeAt } from "../helpers/totp.js";
import { skipSuite } from "../helpers/skip.js";
import { base32For } from "../hardware/fixtures.js";

interface Ctx {
  env: TestEnv;
  browser: Browser;
  url: string;
  stop(): Promise<void>;
}
const t = suite<Ctx>("browser: the hardware token list fits the page");

t.before(async (ctx) => {
  ctx.env = await browserTestEnv();
  const s = ctx.env.services;
  const pub = (await s.sites.publicSite()).id;
  await s.users.create({ siteId: pub, username: "root", password: PASSWORD, role: "admin" });
  const actor = { id: null, name: "t" };
  const long = await s.users.create({
    siteId: pub,
    username: "maximiliane.oberhuber-schwarzenfeld",
    password: PASSWORD,
  });
  const held = await s.users.create({ siteId: pub, username: "bartholomew.featherstonehaugh", password: PASSWORD });
  const register = (
    n: number,
    serialNumber: string,
    name: string,
    assignTo?: { id: string; username: string; disabled: boolean },
  ) =>
    s.hardware.registry.register(
      {
        name,
        serialNumber,
        timeInterval: n % 2 ? "30" : "60",
        model: "OTP c200 (SHA-1, 6 digits)",
        secretKey: base32For(n),
      },
      actor,
      pub,
      assignTo,
    );
  await register(1, "TW-2026-000001", "Front desk token with a long label");
  await register(2, "TW-2026-000002", "Reserved", { id: long.id, username: long.username, disabled: false });
  const disabled = await register(3, "TW-2026-000003", "Broken");
  await s.hardware.registry.setDisabled(disabled.token.id, true, actor, pub);
  const assigned = await register(4, "TW-2026-000004", "Warehouse");
  const mfaActor = { id: null, name: "t", siteId: pub };
  await s.mfa.settings.applySettings(held.id, { enabled: true, enforcementDelayDays: 0 }, mfaActor);
  const code = codeAt(ctx.env.clock, await s.hardware.registry.params(assigned.token));
  assert.ok((await s.hardware.activation.activateHardware(held.id, "TW-2026-000004", code, mfaActor)).ok);
  await openBrowser(ctx);
});
t.after(closeBrowserStage);

for (const js of [true, false]) {
  t(
    `JavaScript ${js ? "on" : "off"}: at 1280 px every action is in view; at 390 px the table scrolls in its box`,
    async (ctx) => {
      const context = await ctx.browser.newContext({ javaScriptEnabled: js });
      const page = await context.newPage();
      await page.setViewportSize({ width: 1280, height: 800 });
      await signIn(page, ctx.url, "root");
      await page.waitForURL(`${ctx.url}/`);
      await page.goto(`${ctx.url}/configure/mfa-hardware`);
      const box = page.locator("#token-list .table-scroll");
      const widths = () =>
        box.evaluate((el) => ({
          scroll: el.scrollWidth,
          client: el.clientWidth,
          page: document.documentElement.scrollWidth,
        }));
      const dir = screenshotDir();
      if (js) await page.screenshot({ path: join(dir, "hardware-token-list-1280.png"), fullPage: true });
      const wide = await widths();
      assert.ok(wide.scroll <= wide.client, `at 1280 px the table is ${wide.scroll} px in a ${wide.client} px box`);
      for (const label of ["Delete…", "Release…", "Unassign", "Enable"]) {
        const button = page.getByRole("button", { name: label }).first();
        const b = (await button.boundingBox())!;
        assert.ok(b.x + b.width <= 1280, `${label} ends at ${b.x + b.width} px`);
      }
      await page.setViewportSize({ width: 390, height: 800 });
      const narrow = await widths();
      assert.ok(narrow.page <= 390, `at 390 px the page is ${narrow.page} px wide`);
      if (js) await page.screenshot({ path: join(dir, "hardware-token-list-390.png"), fullPage: true });
      if (js) console.log(`screenshots in ${dir}`);
      await context.close();
    },
  );
}

if (hasChromium) t.run();
else skipSuite("chromium not installed (apt-get install chromium)");
