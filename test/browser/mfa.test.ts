import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Browser, Page } from "playwright-core";
import { generateTotp, totpStep, type TotpParams } from "../../engine/mfa/totp.js";
import type { TestEnv } from "../helpers/app.js";
import { browserTestEnv, closeBrowserStage, hasChromium, openBrowser } from "../helpers/browser.js";
import { keyBytes } from "../helpers/totp.js";
import { skipSuite } from "../helpers/skip.js";
import { shot } from "../helpers/console.js";

const PASSWORD = "correct horse battery";
interface Ctx {
  env: TestEnv;
  browser: Browser;
  url: string;
  stop(): Promise<void>;
}
const t = suite<Ctx>("browser: MFA activation and sign-in");

t.before(async (ctx) => {
  ctx.env = await browserTestEnv();
  const s = ctx.env.services;
  const site = await s.sites.publicSite();
  const admin = await s.users.create({ siteId: site.id, username: "root", password: PASSWORD, role: "admin" });
  const user = await s.users.create({ siteId: site.id, username: "dana", password: PASSWORD });
  await s.mfa.settings.applySettings(
    user.id,
    { enabled: true, enforcementDelayDays: 0 },
    { id: admin.id, name: admin.username, siteId: site.id },
  );
  await openBrowser(ctx);
});
t.after(closeBrowserStage);

async function signIn(page: Page, url: string) {
  await page.goto(`${url}/login`);
  await page.fill('input[name="username"]', "dana");
  await page.fill('input[name="password"]', PASSWORD);
  await page.click('button[type="submit"]');
}

t("a user activates an authenticator app from the QR page, then every sign-in needs a fresh code", async (ctx) => {
  const { browser, url, env } = ctx;
  const page = await browser.newPage();
  const scriptErrors: string[] = [];
  page.on("pageerror", (e) => scriptErrors.push(e.message));
  page.on(
    "console",
    (m) => m.type() === "error" && /Content Security Policy/.test(m.text()) && scriptErrors.push(m.text()),
  );

  await signIn(page, url);
  await page.waitForURL(`${url}/mfa/setup`);
  assert.ok(await page.locator("#mfa-required").isVisible(), "delay 0: setup is required");
  assert.is(await page.locator("#remind-later").count(), 0, "no way to put it off");
  // The methods are the page's actions: each a card that is one link.
  assert.ok(await page.getByRole("link", { name: /^An authenticator app on your phone/ }).isVisible());
  await shot(page, true, "mfa-setup-choice");

  // Half signed in: other pages send the user back to sign-in.
  await page.goto(`${url}/configure`);
  assert.ok(page.url().startsWith(`${url}/login`) || page.url().startsWith(`${url}/mfa`), page.url());

  await page.goto(`${url}/mfa/setup/app`);
  const qr = page.locator("#totp-qr");
  assert.ok(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), "the QR image renders");
  const key = (await page.locator("#totp-key").innerText()).replace(/\s+/g, "");
  const params: TotpParams = {
    secret: keyBytes(key),
    algorithm: "SHA1",
    digits: 6,
    periodInSeconds: 30,
  };
  const codeNow = () => generateTotp(params, totpStep(env.clock.now(), 30));

  await page.fill('input[name="code"]', "000000" === codeNow() ? "111111" : "000000");
  await page.click('form[action="/mfa/setup/app"] button[type="submit"]');
  assert.ok(await page.locator("#mfa-error, #err-code").first().isVisible(), "a wrong code is refused");

  const first = codeNow();
  await page.fill('input[name="code"]', first);
  await page.click('form[action="/mfa/setup/app"] button[type="submit"]');
  // The first activation shows the 10 recovery codes once; then on to the account page.
  assert.is(await page.locator("#recovery-codes li").count(), 10);
  await page.click("#codes-saved");
  await page.waitForURL(`${url}/account`);
  assert.match(await page.locator("[role=status]").innerText(), /MFA\) is now on/);

  await page.click('form[action="/logout"] button');
  await page.waitForURL(`${url}/login`);
  await signIn(page, url);
  await page.waitForURL(`${url}/login/mfa`);
  await page.fill('input[name="code"]', first);
  await page.click('form[action="/login/mfa"] button[type="submit"]');
  assert.match(page.url(), /\/login\/mfa$/, "the code used for activation is not accepted again");

  env.clock.advanceSeconds(30);
  await page.fill('input[name="code"]', codeNow());
  await page.click('form[action="/login/mfa"] button[type="submit"]');
  await page.waitForURL(`${url}/`);
  assert.equal(scriptErrors, []);
  await page.close();
});

if (hasChromium) t.run();
else skipSuite("chromium not installed (apt-get install chromium)");
