// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";

const PASSWORD = "correct horse battery";
const NEW_PASSWORD = "a brand new passphrase";
const t = suite<{ env: TestEnv }>(`account page [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.env.clock.set("2026-11-30T09:00:00Z");
  const s = ctx.env.services;
  const pub = await s.sites.publicSite();
  const root = await s.users.create({ siteId: pub.id, username: "root", password: PASSWORD, role: "admin" });
  const nora = await s.users.create({ siteId: pub.id, username: "nora", password: PASSWORD, displayName: "Nora N." });
  await s.mfa.settings.applySettings(
    nora.id,
    { enabled: true, enforcementDelayDays: 3 },
    { id: root.id, name: "root", siteId: pub.id },
  );
  await s.users.create({ siteId: pub.id, username: "paul", password: PASSWORD, deviceAccess: true });
});
t.after(async (ctx) => ctx.env.close());

t("in the grace period: MFA in words with Set up now, and a banner on every page", async ({ env }) => {
  const c = new TestClient(env.app);
  await c.signIn("nora", PASSWORD);
  await c.post("/mfa/setup/later", {});
  const page = await c.get("/account");
  assert.is(page.res.status, 200);
  assert.match(page.html, /<dd>Nora N\.<\/dd>/);
  assert.match(page.html, /<dd>nora<\/dd>/);
  assert.match(page.html, /Required from 3 December 2026, \d\d:\d\d \(UTC\) — 3 days left to set it up\./);
  assert.match(page.html, /<a href="\/mfa\/setup" role="button">Set up now<\/a>/);
  for (const path of ["/", "/account", "/apps"]) {
    const { html } = await c.get(path);
    assert.match(
      html,
      /<p class="mfa-banner"><strong>Set up multi-factor authentication \(MFA\) — 3 days left\.<\/strong> <a href="\/mfa\/setup">Set up now<\/a>/,
      path,
    );
  }
  assert.not.match((await c.get("/mfa/setup")).html, /mfa-banner/, "not on the setup page itself");
});

t("a wrong current password is 422 and changes nothing; a short new one is refused per field", async ({ env }) => {
  const c = new TestClient(env.app);
  await c.signIn("paul", PASSWORD);
  await c.get("/account");
  const wrong = await c.post("/account", { currentPassword: "not my password", newPassword: NEW_PASSWORD });
  assert.is(wrong.res.status, 422);
  assert.match(
    wrong.html,
    /<small class="field-error" id="err-currentPassword"[^>]*>The current password is not correct\.<\/small>/,
  );
  const short = await c.post("/account", { currentPassword: PASSWORD, newPassword: "short" });
  assert.is(short.res.status, 422);
  assert.match(short.html, /id="err-newPassword"[^>]*>The new password must be at least 12 characters\./);
  assert.not.match(short.html, /not my password|short"/, "passwords are never echoed");
  assert.is((await new TestClient(env.app).signIn("paul", PASSWORD)).res.headers.get("location"), "/");
});

t("empty fields are named per field, not called a wrong password", async ({ env }) => {
  const c = new TestClient(env.app);
  await c.signIn("paul", PASSWORD);
  await c.get("/account");
  const empty = await c.post("/account", { currentPassword: "", newPassword: "" });
  assert.is(empty.res.status, 422);
  assert.match(empty.html, /id="err-currentPassword"[^>]*>Enter your current password\.<\/small>/);
  assert.match(empty.html, /id="err-newPassword"[^>]*>Enter a new password\.<\/small>/);
  assert.not.match(empty.html, /not correct/);
  const noNew = await c.post("/account", { currentPassword: PASSWORD, newPassword: "" });
  assert.is(noNew.res.status, 422);
  assert.match(noNew.html, /id="err-newPassword"[^>]*>Enter a new password\.<\/small>/);
  assert.not.match(noNew.html, /id="err-currentPassword"[^>]*>[^<]/);
  const noCurrent = await c.post("/account", { currentPassword: "", newPassword: NEW_PASSWORD });
  assert.is(noCurrent.res.status, 422);
  assert.match(noCurrent.html, /id="err-currentPassword"[^>]*>Enter your current password\.<\/small>/);
  assert.is((await new TestClient(env.app).signIn("paul", PASSWORD)).res.headers.get("location"), "/");
});

t("a change ends the other sessions and every device token, and keeps this one with a new token", async ({ env }) => {
  const other = new TestClient(env.app);
  await other.signIn("paul", PASSWORD);
  const device = await env.app.request("/api/device/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "paul", password: PASSWORD }),
  });
  const { token } = (await device.json()) as { token: string };
  const me = () => env.app.request("/api/device/me", { headers: { authorization: `Bearer ${token}` } });
  assert.is((await me()).status, 200);

  const c = new TestClient(env.app);
  await c.signIn("paul", PASSWORD);
  await c.get("/account");
  const before = c.cookies.get("fg_session");
  const done = await c.post("/account", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
  assert.is(done.res.status, 303);
  assert.is.not(c.cookies.get("fg_session"), before, "a new token for this session");
  const page = await c.get("/account");
  assert.is(page.res.status, 200, "still signed in here");
  assert.match(
    page.html,
    /role="status" class="flash">Your password was changed\. You were signed out everywhere else\./,
  );
  assert.is((await other.request("/account")).status, 303, "the other browser is signed out");
  assert.is((await me()).status, 401, "the device token ended");
  assert.is((await new TestClient(env.app).signIn("paul", NEW_PASSWORD)).res.headers.get("location"), "/");
  const audit = await env.db.query(
    "SELECT 1 FROM audit_log WHERE action = 'user.password_change' AND target_name = 'paul'",
  );
  assert.is(audit.rowCount, 1);
});

t("Home lists the apps the user can open", async ({ env }) => {
  const c = new TestClient(env.app);
  await c.signIn("paul", NEW_PASSWORD);
  const home = await c.get("/");
  assert.match(home.html, /<h2 id="home-apps">Your apps<\/h2>/);
  assert.not.match(home.html, /href="\/configure\/users"/, "not the administrators' app");
  const admin = new TestClient(env.app);
  await admin.signIn("root", PASSWORD);
  assert.match((await admin.get("/")).html, /<a href="\/configure\/users"><strong>/);
});

t.run();
