// @storage
// What an administrator is told a reset or a password change takes away: the reset's Confirm page
// for a passkey-only user lists the recovery codes and the live access pass that end with the
// passkey; the message after it names the passkey (not "authenticator removed"); an administrator's
// new password for a user says it ended their sessions, recovery codes and pass (they do end: the
// documented rule, docs/mfa.md "Codes and passes end with … an administrator's password change").
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "node:crypto";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { appParams, codeAt } from "../helpers/totp.js";
import { publicSiteAdmin, type PublicSiteAdmin } from "../helpers/users.js";
import { passkeyThroughSetup } from "../helpers/webauthn-page.js";

const PASSWORD = "correct horse battery";
type Ctx = PublicSiteAdmin & { env: TestEnv; admin: TestClient };
const t = suite<Ctx>(`what a reset or a password change ends [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  Object.assign(ctx, await publicSiteAdmin(ctx.env.services, PASSWORD));
  ctx.admin = new TestClient(ctx.env.app);
  await ctx.admin.signIn("root", PASSWORD);
});
t.after(async (ctx) => ctx.env.close());

/** The dialog's form values of user `id` as they are, with `extra` on top; its version. */
async function formOf(ctx: Ctx, id: string, extra: Record<string, string>) {
  const page = await ctx.admin.get(`/configure/users/${id}`);
  const version = /name="_version" value="(\d+)"/.exec(page.html)![1]!;
  const user = (await ctx.env.services.users.byId(id))!;
  return { _version: version, username: user.username, role: "user", webAccess: "true", ...extra };
}

/** A live pass for the user, issued as the dialog's Sign-in help does. */
async function issuePass(ctx: Ctx, id: string) {
  const r = await ctx.admin.post(`/configure/users/${id}/access-pass`, { validHours: "8", oneTime: "true" });
  assert.is(r.res.status, 200);
}

t("a passkey-only user's reset lists the codes and pass that end, and names the passkey after", async (ctx) => {
  const s = ctx.env.services;
  const u = await s.users.create({ siteId: ctx.siteId, username: "pia", password: PASSWORD });
  await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, ctx.root);
  await passkeyThroughSetup(ctx.env, "pia", PASSWORD, "Laptop");
  await s.recovery.codes.createSet(u.id, { id: u.id, name: "pia", siteId: ctx.siteId });
  await issuePass(ctx, u.id);
  const left = (await s.recovery.codes.countOf(u.id)).left;
  assert.ok(left > 0);

  const ask = await ctx.admin.post(`/configure/users/${u.id}`, await formOf(ctx, u.id, {}));
  assert.match(ask.html, /1 passkey is removed/);
  assert.match(ask.html, new RegExp(`Their ${left} unused recovery codes stop working\\.`));
  assert.match(ask.html, /Their temporary access pass stops working\./);

  const done = await ctx.admin.post(`/configure/users/${u.id}`, await formOf(ctx, u.id, { confirm: "mfa-reset" }));
  assert.is(done.res.status, 303);
  const shown = await ctx.admin.get("/configure/users");
  assert.match(
    shown.html,
    /MFA reset \(1 passkey removed\); their sessions and device tokens, their \d+ unused recovery codes and their temporary access pass ended\./,
  );
  assert.not.match(shown.html, /authenticator removed/);
});

t("an administrator's new password says it ended the sessions, recovery codes and pass", async (ctx) => {
  const s = ctx.env.services;
  const u = await s.users.create({ siteId: ctx.siteId, username: "ravi", password: PASSWORD });
  await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, ctx.root);
  const p = appParams(randomBytes(20));
  const self = { id: u.id, name: "ravi", siteId: ctx.siteId };
  await s.mfa.activation.activate(u.id, { method: "app", ...p }, codeAt(ctx.env.clock, p), self);
  await s.recovery.codes.createSet(u.id, self);
  await issuePass(ctx, u.id);

  const form = await formOf(ctx, u.id, { mfaEnabled: "true", password: "a brand new passphrase 77" });
  const saved = await ctx.admin.post(`/configure/users/${u.id}`, form);
  assert.is(saved.res.status, 303);
  const shown = await ctx.admin.get("/configure/users");
  assert.match(
    shown.html,
    /Saved ravi\.[^<]* The new password ended their sessions and device tokens, their 10 unused recovery codes and their temporary access pass\./,
  );
  // The documented rule holds: they did end.
  assert.is((await s.recovery.codes.countOf(u.id)).left, 0);
  assert.is(await s.recovery.passes.liveOf(u.id), null);
});

t.run();
