// @storage
// engine/auth/password-confirmation.ts as the owner meets it (found by review): the current password
// asked again counts against the lock the sign-in form uses for this browser, so strangers who lock
// the account's shared lock do not lock the owner's known browser out; a locked page stays usable.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";

const PASSWORD = "correct horse battery";
const WRONG = "not the password at all";
const NEW_PASSWORD = "a brand new passphrase";

const t = suite<{ env: TestEnv; siteId: string }>(`current password lock, the owner's browser [${testBackend}]`);
t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
});
t.after(async (ctx) => ctx.env?.close());
t.before.each((ctx) => ctx.env.clock.advanceSeconds(7200));

/** A user without MFA signed in through the sign-in form: a full session and a device cookie (a known client). */
async function owner(env: TestEnv, siteId: string, username: string) {
  await env.services.users.create({ siteId, username, password: PASSWORD });
  const c = new TestClient(env.app);
  const r = await c.signIn(username, PASSWORD);
  assert.is(r.res.status, 303, r.html.slice(0, 200));
  assert.ok(c.cookies.get("fg_device"), "the owner's browser is a known client");
  return c;
}

t("someone who knows only the username cannot keep the owner's own browser from changing the password", async (ctx) => {
  const { env } = ctx;
  const c = await owner(env, ctx.siteId, "dos1");
  // Five wrong passwords from a browser the account does not know: the shared lock.
  for (let i = 0; i < 5; i++) await new TestClient(env.app).signIn("dos1", WRONG);
  assert.is((await new TestClient(env.app).signIn("dos1", PASSWORD)).res.status, 429, "strangers are locked out");
  // docs/security.md: such a lock never locks out "the owner's browser" (its own lock, the device cookie).
  const again = await new TestClient(env.app, {}).request("/login");
  assert.is(again.status, 200);
  await c.get("/account");
  const change = await c.post("/account", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
  assert.is(
    change.res.status,
    303,
    `the owner, signed in on their known browser with the right password, is refused: ${change.res.status} ` +
      (change.html.match(/Too many failed attempts[^<]*/)?.[0] ?? ""),
  );
});

t("the 429 page keeps a usable form: the fields, a CSRF token, and a post once the lock lifts works", async (ctx) => {
  const { env } = ctx;
  const c = await owner(env, ctx.siteId, "form1");
  await c.get("/account");
  for (let i = 0; i < 5; i++) await c.post("/account", { currentPassword: WRONG, newPassword: NEW_PASSWORD });
  const locked = await c.post("/account", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
  assert.is(locked.res.status, 429);
  assert.match(locked.html, /name="_csrf"/);
  assert.match(locked.html, /name="currentPassword"/);
  assert.match(locked.html, /name="newPassword"/);
  assert.not.match(locked.html, /value="correct horse battery"/, "the password is not echoed back");
  env.clock.advanceSeconds(31);
  const ok = await c.post("/account", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
  assert.is(ok.res.status, 303);
});

t.run();
