import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Browser, BrowserContext, CDPSession, Page } from "playwright-core";
import type { TestEnv } from "../helpers/app.js";
import { browserTestEnv, closeBrowserStage, hasChromium, openBrowser } from "../helpers/browser.js";
import { check, flashText, PASSWORD, shot, signIn } from "../helpers/console.js";
import { skipSuite } from "../helpers/skip.js";
import { randomBytes } from "node:crypto";
import { hashToken } from "../../engine/util/opaque-tokens.js";
import { appParams, codeAt } from "../helpers/totp.js";
import { publicSiteAdmin } from "../helpers/users.js";

// Passkeys in Chromium with the DevTools virtual authenticator (CTAP2, internal transport,
// resident keys, user verification): setup at /mfa/setup/passkey, the second step with "Use a
// passkey", a second authenticator that does not hold the credential, axe and 390 px. The
// server's PUBLIC_URL is http://localhost:PORT: WebAuthn refuses an IP address as RP id.

interface Ctx {
  env: TestEnv;
  browser: Browser;
  url: string;
  siteId: string;
  adminId: string;
  stop(): Promise<void>;
}
const t = suite<Ctx>("browser: passkeys with a virtual authenticator");

t.before(async (ctx) => {
  ctx.env = await browserTestEnv();
  const s = ctx.env.services;
  const admin = await publicSiteAdmin(s, PASSWORD);
  ctx.siteId = admin.siteId;
  ctx.adminId = admin.rootId;
  await openBrowser(ctx);
  ctx.url = ctx.url.replace("127.0.0.1", "localhost");
  s.config.PUBLIC_URL = ctx.url;
});
t.after(closeBrowserStage);

/** A virtual platform authenticator in `page`'s browser (user verification on unless `uv` is false). */
async function virtualAuthenticator(page: Page, uv = true): Promise<{ cdp: CDPSession; id: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable", { enableUI: false });
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: uv,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, id: authenticatorId };
}

async function userWithMfa(ctx: Ctx, username: string) {
  const s = ctx.env.services;
  const u = await s.users.create({ siteId: ctx.siteId, username, password: PASSWORD });
  await s.mfa.settings.applySettings(
    u.id,
    { enabled: true, enforcementDelayDays: 0 },
    { id: ctx.adminId, name: "root", siteId: ctx.siteId },
  );
  return u;
}

async function newPage(ctx: Ctx): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await ctx.browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && /Content Security Policy/.test(m.text()) && errors.push(m.text()));
  await page.setViewportSize({ width: 1100, height: 900 });
  return { context, page, errors };
}

/** Sets up a passkey named `name` from /mfa/setup (the page the password step leads to). */
async function setUpPasskey(page: Page, url: string, name: string) {
  await page.waitForURL(`${url}/mfa/setup`);
  await page.click("#setup-passkey");
  await page.waitForURL(`${url}/mfa/setup/passkey`);
  await page.fill('input[name="name"]', name);
  await page.click("#create-passkey");
  // The first factor: the recovery codes are shown once, then on to the account page.
  await page.locator("#recovery-codes").waitFor();
  await page.click("#codes-saved");
  await page.waitForURL(`${url}/account`);
}

t("a passkey set up at /mfa/setup signs in as the second step; another authenticator cannot", async (ctx) => {
  const { url } = ctx;
  const s = ctx.env.services;
  const user = await userWithMfa(ctx, "pat");
  const { context, page, errors } = await newPage(ctx);
  const auth = await virtualAuthenticator(page);

  await signIn(page, url, "pat");
  await page.waitForURL(`${url}/mfa/setup`);
  await check(page, true, "/mfa/setup with a passkey");
  await page.click("#setup-passkey");
  await check(page, true, "/mfa/setup/passkey");
  await shot(page, true, "passkey-setup");
  await page.fill('input[name="name"]', "Work laptop");
  await page.click("#create-passkey");
  await page.locator("#recovery-codes").waitFor();
  assert.is(await page.locator("#recovery-codes li").count(), 10, "the first factor brings 10 recovery codes");
  await page.click("#codes-saved");
  await page.waitForURL(`${url}/account`);
  assert.match(await flashText(page), /MFA\) is now on/);
  const status = await s.mfa.statusOf(user.id);
  assert.is(status.state, "active");
  assert.match(status.message, /^Activated on .* with a passkey \(Work laptop\) · Recovery codes: 10 of 10 left$/);
  const { rows } = await ctx.env.db.query<{ sign_count: string; device_type: string }>(
    "SELECT sign_count, device_type FROM passkeys WHERE user_id = $1",
    [user.id],
  );
  assert.is(rows.length, 1, "one passkey stored");

  // Sign out, then password + passkey.
  await page.click('form[action="/logout"] button');
  await signIn(page, url, "pat");
  await page.waitForURL(`${url}/login/mfa`);
  assert.is(await page.locator('input[name="code"]').count(), 0, "no code field for a passkey-only user");
  await check(page, true, "/login/mfa with a passkey");
  await shot(page, true, "passkey-login-mfa");
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await page.waitForURL(`${url}/`);
  const used = await s.passkeys.store.listOf(user.id);
  assert.ok(used[0]!.lastUsedAt, "last used is recorded");

  // The only factor: /account lists it with Rename but no Remove.
  await page.goto(`${url}/account`);
  assert.match(await page.locator("#factors").innerText(), /Passkey Work laptop/);
  assert.is(await page.locator('#factors form[action$="/remove"]').count(), 0, "the last factor has no Remove");
  assert.ok(await page.locator("#last-factor-note").isVisible());
  await check(page, true, "/account with a passkey");
  await shot(page, true, "account-factors");

  // Another authenticator that does not hold the credential: the browser finds no passkey to use.
  await page.click('form[action="/logout"] button');
  await auth.cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId: auth.id });
  await virtualAuthenticator(page);
  // The browser waits for the options' timeout for a passkey that is not there (Chromium's least is 10 s).
  s.passkeys.assertion.timeoutMs = 1000;
  await signIn(page, url, "pat");
  await page.waitForURL(`${url}/login/mfa`);
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await page
    .locator("[data-passkey-error]")
    .filter({ hasText: /not used/ })
    .waitFor();
  assert.is(new URL(page.url()).pathname, "/login/mfa", "still at the second step");
  assert.equal(errors, []);
  s.passkeys.assertion.timeoutMs = 120_000;
  await context.close();
});

t("with an authenticator app beside it, the passkey is removed from /account", async (ctx) => {
  const { url, env } = ctx;
  const s = env.services;
  const user = await userWithMfa(ctx, "rae");
  const { context, page } = await newPage(ctx);
  await virtualAuthenticator(page);
  await signIn(page, url, "rae");
  await setUpPasskey(page, url, "Tablet");
  const token = (await context.cookies()).find((k) => k.name === "fg_session")!.value;
  const p = appParams(randomBytes(20));
  const actor = { id: user.id, name: "rae", siteId: null, credential: hashToken(token) };
  assert.ok((await s.mfa.activation.activate(user.id, { method: "app", ...p }, codeAt(env.clock, p), actor)).ok);
  await page.goto(`${url}/account`);
  // A wrong password removes nothing (422, the page says so); the right one removes the passkey.
  const password = page.getByLabel("Your current password, to remove the passkey Tablet");
  await password.fill("not the password");
  await page.getByRole("button", { name: "Remove passkey Tablet" }).click();
  await page.getByText("The current password is not correct").waitFor();
  assert.is((await s.passkeys.store.listOf(user.id)).length, 1, "a wrong password removes nothing");
  await shot(page, true, "account-remove-factor");
  await page.getByLabel("Your current password, to remove the passkey Tablet").fill(PASSWORD);
  await page.getByRole("button", { name: "Remove passkey Tablet" }).click();
  await page.waitForURL(`${url}/account`);
  assert.match(await flashText(page), /Removed: passkey Tablet/);
  assert.equal(await s.passkeys.store.listOf(user.id), []);
  assert.is(await page.locator('#factors form[action$="/remove"]').count(), 0, "the app is now the last factor");
  await context.close();
});

t(
  "passwordless: signs in where the policy allows it, refused when it does not and without user verification",
  async (ctx) => {
    const { url, env } = ctx;
    const s = env.services;
    const admin = { id: ctx.adminId, name: "root", siteId: ctx.siteId };
    const policy = (passkeySignIn: boolean) =>
      s.mfaPolicies.set(ctx.siteId, { requiredRoles: [], defaultEnforcementDelayDays: 14, passkeySignIn }, admin);
    const user = await userWithMfa(ctx, "sam");
    const { context, page, errors } = await newPage(ctx);
    const auth = await virtualAuthenticator(page);
    await signIn(page, url, "sam");
    await setUpPasskey(page, url, "Phone");
    await page.click('form[action="/logout"] button');

    await page.goto(`${url}/login`);
    assert.is(await page.locator("#passkey-sign-in").count(), 0, "no passwordless sign-in without the policy");

    await policy(true);
    await page.goto(`${url}/login`);
    await check(page, true, "/login with a passkey");
    await shot(page, true, "passkey-login");
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await page.waitForURL(`${url}/`);
    assert.ok((await s.passkeys.store.listOf(user.id))[0]!.lastUsedAt);

    // The policy is switched off while the page is open: the answer is refused.
    await page.click('form[action="/logout"] button');
    await page.goto(`${url}/login`);
    await policy(false);
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await page.waitForURL(`${url}/login/passkey`);
    assert.match(await page.locator("#login-error").innerText(), /did not sign you in/);

    // User verification off: refused for passwordless.
    await policy(true);
    await auth.cdp.send("WebAuthn.setUserVerified", { authenticatorId: auth.id, isUserVerified: false });
    s.passkeys.assertion.timeoutMs = 1000;
    await page.goto(`${url}/login`);
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await page.waitForLoadState();
    await page.locator("#login-error, [data-passkey-error]:not(:empty)").first().waitFor();
    assert.ok(!(await context.cookies()).some((k) => k.name === "fg_session"), "not signed in");
    s.passkeys.assertion.timeoutMs = 120_000;
    await policy(false);
    assert.equal(errors, []);
    await context.close();
  },
);

t("without JavaScript the passkey page says it needs it and links the other methods", async (ctx) => {
  await userWithMfa(ctx, "nojs");
  const context = await ctx.browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signIn(page, ctx.url, "nojs");
  await page.waitForURL(`${ctx.url}/mfa/setup`);
  await page.goto(`${ctx.url}/mfa/setup/passkey`);
  assert.match(await page.locator("#passkey-needs-js").innerText(), /needs JavaScript/);
  assert.is(await page.locator("#create-passkey").isVisible(), false);
  assert.is(await page.locator('#passkey-needs-js a[href="/mfa/setup"]').count(), 1);
  await check(page, false, "/mfa/setup/passkey without JavaScript");
  await context.close();
});

t(
  "a lost phone: an access pass, then a passkey replaces the app; without JavaScript the step links recovery",
  async (ctx) => {
    const { url } = ctx;
    const s = ctx.env.services;
    const user = await userWithMfa(ctx, "lupe");
    const lost = appParams(randomBytes(20));
    const self = { id: user.id, name: "lupe", siteId: null };
    assert.ok(
      (await s.mfa.activation.activate(user.id, { method: "app", ...lost }, codeAt(ctx.env.clock, lost), self)).ok,
    );
    const root = { id: ctx.adminId, name: "root", siteId: ctx.siteId };
    const { pass } = await s.recovery.passes.issue(user.id, { validHours: 8, oneTime: true }, root);
    ctx.env.clock.advanceSeconds(60);

    const { context, page, errors } = await newPage(ctx);
    await virtualAuthenticator(page);
    await signIn(page, url, "lupe");
    await page.waitForURL(`${url}/login/mfa`);
    await page.goto(`${url}/login/recovery`);
    await page.fill('input[name="recoveryCode"]', pass);
    await page.click('form[action="/login/recovery"] button[type="submit"]');
    await page.waitForURL(`${url}/mfa/setup`);
    assert.match(await page.locator("#mfa-replacing").innerText(), /passkey/);
    await setUpPasskey(page, url, "Replacement key");
    const status = await s.mfa.statusOf(user.id);
    assert.is(status.activation?.method, "passkey", "the lost app is gone");
    assert.equal(status.activation?.passkeys, ["Replacement key"]);
    assert.is(await page.locator("#factor-totp").count(), 0, "/account lists no authenticator app");
    assert.equal(errors, []);
    await context.close();

    // The old phone's code has nowhere to go: the code step is the passkey's, and without
    // JavaScript it says so and links the recovery page (there is no code field to go back to).
    const nojs = await ctx.browser.newContext({ javaScriptEnabled: false });
    const p2 = await nojs.newPage();
    await signIn(p2, url, "lupe");
    await p2.waitForURL(`${url}/login/mfa`);
    assert.is(await p2.locator('input[name="code"]').count(), 0);
    assert.match(await p2.locator("#passkey-needs-js").innerText(), /needs JavaScript/);
    assert.is(await p2.locator('#passkey-needs-js a[href="/login/recovery"]').count(), 1);
    assert.is(await p2.locator('#passkey-needs-js a[href="/login/mfa"]').count(), 0);
    await check(p2, false, "/login/mfa of a passkey-only user without JavaScript");
    await nojs.close();
  },
);

if (hasChromium) t.run();
else skipSuite("chromium not installed (apt-get install chromium)");
