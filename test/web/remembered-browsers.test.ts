// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "node:crypto";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { appParams, codeAt } from "../helpers/totp.js";
import type { TotpParams } from "../../engine/mfa/totp.js";

// Remembered browsers ("Don't ask again", policy rememberBrowserDays): the second sign-in from the
// same browser skips the code; another browser asks; a password change forgets it; an expired one
// asks again (injected clock); Forget on /account.

const PASSWORD = "correct horse battery";
const t = suite<{ env: TestEnv; params: TotpParams }>(`remembered browsers [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  const s = ctx.env.services;
  const pub = await s.sites.publicSite();
  const root = await s.users.create({ siteId: pub.id, username: "root", password: PASSWORD, role: "admin" });
  const admin = { id: root.id, name: "root", siteId: pub.id };
  await s.mfaPolicies.set(
    pub.id,
    { requiredRoles: [], defaultEnforcementDelayDays: 14, rememberBrowserDays: 30 },
    admin,
  );
  const u = await s.users.create({ siteId: pub.id, username: "ada", password: PASSWORD });
  await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, admin);
  ctx.params = appParams(randomBytes(20));
  await s.mfa.activation.activate(u.id, { method: "app", ...ctx.params }, codeAt(ctx.env.clock, ctx.params), {
    id: u.id,
    name: "ada",
    siteId: null,
  });
});
t.after(async (ctx) => ctx.env.close());

/** Password, then (when asked) a fresh code with rememberBrowser; where the password step led. */
async function signIn(
  ctx: { env: TestEnv; params: TotpParams },
  c: TestClient,
  remember: boolean,
  password = PASSWORD,
) {
  const first = await c.signIn("ada", password);
  const to = first.res.headers.get("location");
  if (to === "/login/mfa") {
    const page = await c.get("/login/mfa");
    assert.match(page.html, /name="rememberBrowser"/);
    assert.match(page.html, /for 30 days/);
    ctx.env.clock.advanceSeconds(30);
    const done = await c.post("/login/mfa", {
      code: codeAt(ctx.env.clock, ctx.params),
      ...(remember ? { rememberBrowser: "on" } : {}),
    });
    assert.is(done.res.status, 303);
    assert.is(done.res.headers.get("location"), "/");
  }
  return to;
}

t("the same browser skips the code, another asks, a password change and expiry forget it", async (ctx) => {
  const s = ctx.env.services;
  const browser = new TestClient(ctx.env.app, { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0" });
  assert.is(await signIn(ctx, browser, true), "/login/mfa", "the first sign-in asks");
  assert.ok(browser.cookies.get("fg_remember"), "a remembered-browser cookie");
  await browser.post("/logout", {});
  assert.is(await signIn(ctx, browser, false), "/", "the same browser skips the code");
  // The audit entry says why no code was asked (it read "signed in with the password" alone).
  const { rows } = await ctx.env.db.query<{ stage: string | null }>(
    `SELECT details->>'stage' AS stage FROM audit_log WHERE action = 'sign_in.password' AND target_name = 'ada'
     ORDER BY id DESC LIMIT 1`,
  );
  assert.is(rows[0]?.stage, "remembered_browser");
  const root = new TestClient(ctx.env.app);
  await root.signIn("root", PASSWORD);
  const audit = await root.get("/configure/audit?user=ada&action=sign_in.password");
  assert.match(audit.html, /ada signed in with the password \(web[^)]*; no code asked: a remembered browser\)/);
  const account = await browser.get("/account");
  assert.match(account.html, /Chrome on Linux, added/);
  // A second Chrome on Linux remembered a minute later: the two read apart, this one is marked.
  const ada = (await s.users.byUsername("ada"))!;
  ctx.env.clock.advanceSeconds(60);
  await s.rememberedBrowsers.remember(ada.id, "Chrome on Linux", 30);
  const two = await browser.get("/account");
  const listed = [
    ...two.html.matchAll(
      /<li>\s*(?:<!--[^>]*-->)?\s*Chrome on Linux, added ([^<]*)(<strong> \(this browser\)<\/strong>)?/g,
    ),
  ];
  assert.is(listed.length, 2, "both listed");
  assert.is(listed.filter((m) => m[2]).length, 1, "one is this browser");
  assert.is.not(listed[0]![1], listed[1]![1], "to the minute: the lines differ");

  const other = new TestClient(ctx.env.app);
  assert.is(await signIn(ctx, other, false), "/login/mfa", "a new browser asks");

  // Expiry: 31 days later the same browser asks again.
  await browser.post("/logout", {});
  ctx.env.clock.advanceDays(31);
  assert.is(await signIn(ctx, browser, true), "/login/mfa", "an expired one asks again");
  await browser.post("/logout", {});
  assert.is(await signIn(ctx, browser, false), "/", "remembered again");

  // A password change (from the other browser) forgets every remembered browser.
  const next = "a brand new passphrase 9";
  assert.is(await signIn(ctx, other, false), "/login/mfa", "the other browser signs in again (31 days on)");
  const changed = await other.post("/account", { currentPassword: PASSWORD, newPassword: next });
  assert.is(changed.res.headers.get("location"), "/account");
  assert.equal(await s.rememberedBrowsers.listOf(ada.id), []);
  const fresh = new TestClient(ctx.env.app);
  fresh.cookies.set("fg_remember", browser.cookies.get("fg_remember")!);
  assert.is(
    (await fresh.signIn("ada", next)).res.headers.get("location"),
    "/login/mfa",
    "forgotten by the password change",
  );
});

t("Forget on /account", async (ctx) => {
  const s = ctx.env.services;
  const ada = (await s.users.byUsername("ada"))!;
  const kept = await s.rememberedBrowsers.remember(ada.id, "Firefox on Windows", 30);
  assert.is(await s.rememberedBrowsers.userOf(kept.token), ada.id);
  const [r] = await s.rememberedBrowsers.listOf(ada.id);
  assert.is(await s.rememberedBrowsers.forget(ada.id, r!.id), true);
  assert.is(await s.rememberedBrowsers.userOf(kept.token), null);
});

t.run();
