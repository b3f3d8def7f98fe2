// @storage
// Adding a further factor from an ordinary signed-in session needs the user again: a passkey is
// added at /mfa/setup/passkey only with the current password or a fresh code in the same POST (a
// stolen session alone adds no factor); an app or a hardware token cannot be added from such a
// session at all (those pages send it home).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { loudHook } from "../helpers/loud-hook.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { appParams, codeAt } from "../helpers/totp.js";
import { SESSION_COOKIE } from "../../engine/web/http/cookies.js";
import { optionsIn, passkeyThroughSetup } from "../helpers/webauthn-page.js";

const PASSWORD = "correct horse battery";
const t = suite<{ env: TestEnv; siteId: string }>(`adding a factor needs re-authentication [${testBackend}]`);

t.before(
  loudHook(async (ctx) => {
    ctx.env = await startTestEnv();
    ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
  }),
);
t.after(async (ctx) => ctx.env?.close());

/** A user with an activated authenticator app and a browser with a full session (made directly). */
async function signedInWithApp(env: TestEnv, siteId: string, username: string) {
  const s = env.services;
  const u = await s.users.create({ siteId, username, password: PASSWORD });
  const self = { id: u.id, name: username, siteId };
  await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, self);
  const params = appParams(Buffer.alloc(20, 9));
  assert.ok((await s.mfa.activation.activate(u.id, { method: "app", ...params }, codeAt(env.clock, params), self)).ok);
  env.clock.advanceSeconds(30);
  const made = await s.sessions.create(u.id, siteId, "full", null);
  const c = new TestClient(env.app);
  c.cookies.set(SESSION_COOKIE, made.token);
  return { id: u.id, c, params };
}

t("a further passkey needs the current password or a fresh code; without either nothing is added", async (ctx) => {
  const { env, siteId } = ctx;
  const s = env.services;
  const u = await signedInWithApp(env, siteId, "ines");
  const auth = new SoftAuthenticator("localhost", "http://localhost:3000");
  const attempt = async (fields: Record<string, string>) => {
    const page = await u.c.get("/mfa/setup/passkey");
    assert.is(page.res.status, 200);
    assert.match(page.html, /name="currentPassword"/, "the form asks for the password");
    const fresh = new SoftAuthenticator("localhost", "http://localhost:3000");
    return u.c.post("/mfa/setup/passkey", {
      name: "Laptop",
      response: JSON.stringify((fields.reuse ? auth : fresh).register(optionsIn(page.html))),
      ...fields,
    });
  };

  const bare = await attempt({});
  assert.is(bare.res.status, 422);
  assert.match(bare.html, /Enter your current password, or a code from your authenticator/);
  const wrong = await attempt({ currentPassword: "not the password" });
  assert.is(wrong.res.status, 401);
  assert.match(wrong.html, /not correct\. No passkey was added/);
  const wrongCode = await attempt({ code: "000000" });
  assert.is(wrongCode.res.status, 401);
  assert.is((await s.passkeys.store.listOf(u.id)).length, 0, "nothing was added");
  assert.match(wrong.html, /value="Laptop"/, "the name typed is kept");

  const withPassword = await attempt({ currentPassword: PASSWORD });
  assert.is(withPassword.res.status, 303, withPassword.html);
  assert.is(withPassword.res.headers.get("location"), "/account");
  assert.is((await s.passkeys.store.listOf(u.id)).length, 1);

  const code = codeAt(env.clock, u.params);
  const withCode = await attempt({ code });
  assert.is(withCode.res.status, 303, withCode.html);
  assert.is((await s.passkeys.store.listOf(u.id)).length, 2);
  // The code is spent like a sign-in code: the same one does not confirm a third.
  assert.is((await attempt({ code })).res.status, 401);
  assert.is((await s.passkeys.store.listOf(u.id)).length, 2);
});

t("an app or a hardware token cannot be added from an ordinary signed-in session", async (ctx) => {
  const { env, siteId } = ctx;
  const s = env.services;
  const u = await signedInWithApp(env, siteId, "otto");
  for (const path of ["/mfa/setup/app", "/mfa/setup/hardware"]) {
    const page = await u.c.get(path);
    assert.is(page.res.status, 303, path);
    assert.is(page.res.headers.get("location"), "/");
  }
  assert.is((await u.c.get("/account")).res.status, 200); // a page with the CSRF token
  const posted = await u.c.post("/mfa/setup/app", { code: codeAt(env.clock, appParams(Buffer.alloc(20, 1))) });
  assert.is(posted.res.status, 303);
  assert.is(posted.res.headers.get("location"), "/");
  assert.is((await s.mfa.activation.pendingAppSecret(u.id)) ?? null, null, "no new key was handed out");
  const status = await s.mfa.statusOf(u.id);
  assert.is(status.activation?.method, "app");
});

t("a passkey-only user is asked for the password alone: no code field, no code in the message", async (ctx) => {
  const { env, siteId } = ctx;
  const s = env.services;
  const u = await s.users.create({ siteId, username: "piet", password: PASSWORD });
  await s.mfa.settings.applySettings(
    u.id,
    { enabled: true, enforcementDelayDays: 0 },
    { id: u.id, name: "piet", siteId },
  );
  await passkeyThroughSetup(env, "piet", PASSWORD, "Laptop");
  assert.is((await s.mfa.statusOf(u.id)).activation?.method, "passkey", "passkeys only (control)");
  const c = new TestClient(env.app);
  c.cookies.set(SESSION_COOKIE, (await s.sessions.create(u.id, siteId, "full", null)).token);
  const page = await c.get("/mfa/setup/passkey");
  assert.is(page.res.status, 200);
  assert.match(page.html, /name="currentPassword"/);
  assert.not.match(page.html, /name="code"/);
  assert.not.match(page.html, /code from your authenticator/);
  // A page per attempt: an attempt spends the registration challenge it was shown.
  const post = async (fields: Record<string, string>) => {
    const options = optionsIn((await c.get("/mfa/setup/passkey")).html);
    const response = JSON.stringify(new SoftAuthenticator("localhost", "http://localhost:3000").register(options));
    return c.post("/mfa/setup/passkey", { name: "Phone", response, ...fields });
  };
  const bare = await post({});
  assert.is(bare.res.status, 422);
  assert.match(bare.html, /Enter your current password to add a passkey\./);
  assert.not.match(bare.html, /code from your authenticator/);
  const added = await post({ currentPassword: PASSWORD });
  assert.is(added.res.status, 303, added.html);
  assert.is((await s.passkeys.store.listOf(u.id)).length, 2);
});

t.run();
