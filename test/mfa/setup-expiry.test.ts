// @storage
// Issue 20, fault 14: the half-signed-in session (5 minutes) runs out during MFA setup. The user is
// told what happened, and the key they already scanned stays valid across a new sign-in (30
// minutes from when it was shown): they finish with its code without the key being shown again.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { appParams, codeAt, keyBytes } from "../helpers/totp.js";

const PASSWORD = "correct horse battery";
const t = suite<{ env: TestEnv }>(`MFA setup across an expired sign-in [${testBackend}]`);

t.before.each(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.env.clock.set("2026-03-02T10:00:00Z");
  const s = ctx.env.services;
  const site = (await s.sites.publicSite()).id;
  const u = await s.users.create({ siteId: site, username: "greta", password: PASSWORD });
  await s.mfa.settings.applySettings(
    u.id,
    { enabled: true, enforcementDelayDays: 0 },
    { id: null, name: "cli", siteId: null },
  );
});
t.after.each(async (ctx) => ctx.env.close());

/** Signs in, opens the app setup page and returns the key it shows. */
async function scanKey(c: TestClient): Promise<Buffer> {
  assert.is((await c.signIn("greta", PASSWORD)).res.headers.get("location"), "/mfa/setup");
  const page = await c.get("/mfa/setup/app");
  return keyBytes(page.html.match(/id="totp-key">([A-Z2-7 ]+)</)![1]!);
}

t("the sign-in page says the sign-in ran out; after a new sign-in the scanned key finishes setup", async ({ env }) => {
  const c = new TestClient(env.app);
  const key = await scanKey(c);
  env.clock.advanceSeconds(6 * 60); // fumbling with the phone: the 5-minute half-signed-in session ends
  // Back on the setup page (a reload, or the code sent): the session is gone.
  const late = await c.get("/mfa/setup/app");
  assert.is(late.res.status, 303);
  assert.is(late.res.headers.get("location"), "/login");
  const login = await c.get("/login");
  assert.match(login.html, /Your sign-in took too long and has ended\. Sign in again: the key you already added/);
  assert.match(login.html, /stays valid for 30 minutes after it was shown/);

  assert.is((await c.signIn("greta", PASSWORD)).res.headers.get("location"), "/mfa/setup");
  const choice = await c.get("/mfa/setup");
  assert.match(choice.html, /continue with that key<\/a> \(valid until\s+2026-\d\d-\d\d 10:30 UTC\)/);
  const cont = await c.get("/mfa/setup/app?continue=1");
  assert.is(cont.res.status, 200);
  assert.not.match(cont.html, /totp-key|totp-qr|otpauth:/, "the key is not shown a second time");
  assert.match(cont.html, /Enter the 6-digit code your app shows for the key you added earlier/);
  assert.match(cont.html, /That key is valid until\s+2026-\d\d-\d\d 10:30 UTC\./, "the day and the site's zone too");
  // In the site's zone, not UTC: 10:30 UTC is 19:30 the same day in Tokyo.
  await env.services.sites.setTimeZone((await env.services.sites.publicSite()).id, "Asia/Tokyo");
  const tokyo = await c.get("/mfa/setup/app?continue=1");
  assert.match(tokyo.html, /That key is valid until\s+2026-03-02 19:30 Asia\/Tokyo\./);
  env.clock.advanceSeconds(60);
  const done = await c.post("/mfa/setup/app", { code: codeAt(env.clock, appParams(key)) });
  // The first activation ends on the page of recovery codes (issue 21), which leads on to /account.
  assert.is(done.res.status, 200);
  assert.match(done.html, /download="formgate-recovery-codes.txt"/);
  assert.match(done.html, /href="\/account"/);
  assert.is(
    (await env.services.mfa.statusOf((await env.services.users.byUsername("greta"))!.id)).activation?.method,
    "app",
  );
});

t("after 30 minutes the old key is no longer offered and a new one is shown", async ({ env }) => {
  const c = new TestClient(env.app);
  const key = await scanKey(c);
  env.clock.advanceSeconds(31 * 60);
  assert.is((await c.get("/mfa/setup")).res.headers.get("location"), "/login");
  await c.signIn("greta", PASSWORD);
  assert.not.match((await c.get("/mfa/setup")).html, /continue-setup/);
  const again = await c.get("/mfa/setup/app?continue=1");
  const fresh = keyBytes(again.html.match(/id="totp-key">([A-Z2-7 ]+)</)![1]!);
  assert.not.equal([...fresh], [...key], "a new key");
  const stale = await c.post("/mfa/setup/app", { code: codeAt(env.clock, appParams(key)) });
  assert.is(stale.res.status, 422, "the old key's code does not activate");
});

t("a visitor who was never signed in gets the plain sign-in page", async ({ env }) => {
  const c = new TestClient(env.app);
  assert.is((await c.get("/mfa/setup/app")).res.headers.get("location"), "/login");
  assert.not.match((await c.get("/login")).html, /took too long/);
});

t.run();
