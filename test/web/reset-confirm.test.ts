// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "node:crypto";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { appParams, codeAt } from "../helpers/totp.js";

const PASSWORD = "correct horse battery";
const t = suite<{ env: TestEnv; admin: TestClient; noraId: string }>(`MFA reset asks first [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.env.clock.set("2026-11-30T09:00:00Z");
  const s = ctx.env.services;
  const pub = await s.sites.publicSite();
  const root = await s.users.create({ siteId: pub.id, username: "root", password: PASSWORD, role: "admin" });
  const nora = await s.users.create({ siteId: pub.id, username: "nora", password: PASSWORD, displayName: "Nora" });
  ctx.noraId = nora.id;
  await s.mfa.settings.applySettings(
    nora.id,
    { enabled: true, enforcementDelayDays: 0 },
    { id: root.id, name: "root", siteId: pub.id },
  );
  const p = appParams(randomBytes(20));
  await s.mfa.activation.activate(nora.id, { method: "app", ...p }, codeAt(ctx.env.clock, p), {
    id: nora.id,
    name: "nora",
    siteId: null,
  });
  // Nora is signed in on the web twice and on one device.
  await s.sessions.create(nora.id, pub.id, "full", null);
  await s.sessions.create(nora.id, pub.id, "full", null);
  await s.deviceTokens.issue(nora.id, null);
  ctx.admin = new TestClient(ctx.env.app);
  await ctx.admin.signIn("root", PASSWORD);
});
t.after(async (ctx) => ctx.env.close());

const userForm = (version: string, extra: Record<string, string> = {}) => ({
  _version: version,
  username: "nora",
  displayName: "Nora",
  role: "user",
  webAccess: "true",
  ...extra,
});

t(
  "with htmx the dialog shows the same warning as soon as the slider is off; it reads and changes nothing",
  async (ctx) => {
    const { env, admin, noraId } = ctx;
    const s = env.services;
    const page = await admin.get(`/configure/users/${noraId}`);
    const region = /<div id="mfa-reset-warning"[^>]*>/.exec(page.html)?.[0] ?? "";
    assert.match(region, new RegExp(`hx-get="/configure/users/${noraId}/mfa-reset-warning"`));
    assert.match(region, /hx-trigger="change from:#f-mfaEnabled"/);
    assert.match(region, /hx-include="#f-mfaEnabled"/);
    assert.match(
      page.html,
      /<input[^>]*id="f-mfaEnabled"[^>]*name="mfaEnabled"|<input[^>]*name="mfaEnabled"[^>]*id="f-mfaEnabled"/,
    );
    assert.not.match(
      (await admin.get("/configure/users/new")).html,
      /mfa-reset-warning/,
      "a new user has nothing to reset",
    );

    const url = `/configure/users/${noraId}/mfa-reset-warning`;
    const off = await admin.get(url);
    assert.is(off.res.status, 200);
    assert.match(off.html, /Turning multi-factor authentication \(MFA\) off for nora resets it/);
    assert.match(off.html, /2 web sessions and 1 device token end/);
    // The very words of the Save → Confirm step (one rendering, not a copy).
    const version = /name="_version" value="(\d+)"/.exec(page.html)![1]!;
    const confirmStep = await admin.post(`/configure/users/${noraId}`, userForm(version));
    const warningOf = (html: string) => /<div class="notice error reset-warning"[\s\S]*?<\/ul>/.exec(html)?.[0];
    assert.ok(warningOf(off.html));
    assert.is(warningOf(off.html), warningOf(confirmStep.html));

    // A form shown again (here: a bad email) with the slider still off keeps the warning, JavaScript or not.
    const again = await admin.post(`/configure/users/${noraId}`, userForm(version, { email: "not an address" }));
    assert.is(again.res.status, 422);
    assert.is(warningOf(again.html), warningOf(off.html));
    const kept = await admin.post(`/configure/users/${noraId}`, userForm(version, { email: "x", mfaEnabled: "true" }));
    assert.is(kept.res.status, 422);
    assert.is(warningOf(kept.html), undefined, "slider on: no warning in the form shown again");

    const on = await admin.get(`${url}?mfaEnabled=true`);
    assert.is(on.res.status, 200);
    assert.is(on.html, "", "switched back on: the warning goes");
    assert.is((await admin.get(`${url}?mfaEnabled=yes`)).res.status, 400);

    const pub = await s.sites.publicSite();
    const pending = await s.users.create({ siteId: pub.id, username: "paula" });
    await s.mfa.settings.applySettings(
      pending.id,
      { enabled: true, enforcementDelayDays: 3 },
      { id: null, name: "t", siteId: pub.id },
    );
    assert.is(
      (await admin.get(`/configure/users/${pending.id}/mfa-reset-warning`)).html,
      "",
      "not activated: nothing to reset",
    );

    // Another site's administrator learns nothing: the same 404 as for an id that names nobody.
    const north = await s.sites.create("north", "North");
    await s.users.create({ siteId: north.id, username: "nadmin", password: PASSWORD, role: "admin" });
    const other = new TestClient(env.app);
    await other.signIn("nadmin", PASSWORD);
    const theirs = await other.get(url);
    const nobody = await other.get("/configure/users/00000000-0000-4000-8000-000000000000/mfa-reset-warning");
    assert.is(theirs.res.status, 404);
    assert.is(nobody.res.status, 404);
    const scrub = (html: string) => html.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, "ID").replace(/value="[^"]*"/g, "");
    assert.is(scrub(theirs.html), scrub(nobody.html));
    assert.not.match(theirs.html, /nora/);

    assert.is((await s.mfa.statusOf(noraId)).state, "active", "nothing changed");
    assert.equal(await s.credentialCounts.of(noraId), { webSessions: 2, deviceTokens: 1 });
  },
);

t(
  "slider off for an activated user changes nothing yet: it says what will end, with Confirm and Cancel",
  async (ctx) => {
    const { env, admin, noraId } = ctx;
    const page = await admin.get(`/configure/users/${noraId}`);
    const version = /name="_version" value="(\d+)"/.exec(page.html)![1]!;
    const warn = await admin.post(`/configure/users/${noraId}`, userForm(version, { password: "a new secret 123" }));
    assert.is(warn.res.status, 200);
    assert.match(warn.html, /Turning multi-factor authentication \(MFA\) off for nora resets it/);
    assert.match(warn.html, /The authenticator app enrollment is removed/);
    assert.match(warn.html, /2 web sessions and 1 device token end/);
    assert.match(warn.html, /<button type="submit" class="delete">Confirm<\/button>/);
    assert.match(warn.html, /<input type="hidden" name="confirm" value="mfa-reset"\/>/);
    assert.match(warn.html, /<input type="hidden" name="displayName" value="Nora"\/>/, "carries the save");
    assert.not.match(warn.html, /a new secret 123/, "never a password in the page");
    assert.match(warn.html, /The new password you typed was not kept/);
    assert.match(warn.html, />Cancel<\/a>/);
    assert.is((await env.services.mfa.statusOf(noraId)).state, "active", "nothing changed yet");
    assert.equal(await env.services.credentialCounts.of(noraId), { webSessions: 2, deviceTokens: 1 });

    // Confirm: the form's own fields, posted as the browser would.
    const fields: Record<string, string> = {};
    for (const m of warn.html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)) {
      if (m[1] !== "_csrf") fields[m[1]!] = m[2]!;
    }
    const done = await admin.post(`/configure/users/${noraId}`, fields);
    assert.is(done.res.status, 303);
    const status = await env.services.mfa.statusOf(noraId);
    assert.is(status.state, "off");
    assert.match(status.message, /^Off — turned off on 30 November 2026 by root/);
    assert.equal(await env.services.credentialCounts.of(noraId), { webSessions: 0, deviceTokens: 0 });
    const list = await admin.get("/configure/users");
    assert.match(
      list.html,
      /<p role="status" class="flash">Saved nora\. MFA off\. MFA reset \(authenticator app removed\); their sessions and device tokens ended\.<\/p>/,
    );
  },
);

t("a save that leaves MFA as it is, or a user who never activated, needs no confirmation", async (ctx) => {
  const { env, admin } = ctx;
  const pub = await env.services.sites.publicSite();
  const otto = await env.services.users.create({ siteId: pub.id, username: "otto" });
  const page = await admin.get(`/configure/users/${otto.id}`);
  const version = /name="_version" value="(\d+)"/.exec(page.html)![1]!;
  const on = await admin.post(`/configure/users/${otto.id}`, {
    ...userForm(version),
    username: "otto",
    displayName: "Otto",
    mfaEnabled: "true",
    mfaEnforcementDelayDays: "2",
  });
  assert.is(on.res.status, 303);
  assert.match(
    (await admin.get("/configure/users")).html,
    /role="status" class="flash">Saved otto\. MFA on: required from 2 December 2026, \d\d:\d\d \(UTC\)\./,
  );
  const again = await admin.get(`/configure/users/${otto.id}`);
  const v2 = /name="_version" value="(\d+)"/.exec(again.html)![1]!;
  const off = await admin.post(`/configure/users/${otto.id}`, {
    ...userForm(v2),
    username: "otto",
    displayName: "Otto",
  });
  assert.is(off.res.status, 303, "pending, not activated: nothing to reset");
});

t("the audit log shows a save's changed fields before → after, and a password only as changed", async (ctx) => {
  const { env, admin } = ctx;
  const pub = await env.services.sites.publicSite();
  const vera = await env.services.users.create({ siteId: pub.id, username: "vera", displayName: "Vera Old" });
  const page = await admin.get(`/configure/users/${vera.id}`);
  const version = /name="_version" value="(\d+)"/.exec(page.html)![1]!;
  const saved = await admin.post(`/configure/users/${vera.id}`, {
    ...userForm(version),
    username: "vera",
    displayName: "Vera New",
    password: "a secret passphrase 42",
  });
  assert.is(saved.res.status, 303);
  const audit = await admin.get("/configure/audit?action=user.update");
  assert.match(audit.html, /<li>displayName: Vera Old → Vera New<\/li>/);
  assert.match(audit.html, /<li>password: changed<\/li>/);
  assert.not.match(audit.html, /a secret passphrase 42/);
});

t.run();
