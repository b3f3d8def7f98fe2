// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { signInEntries } from "../helpers/sign-in-entries.js";
import { publicSiteAdmin, type PublicSiteAdmin } from "../helpers/users.js";
import { optionsIn, passkeyThroughSetup } from "../helpers/webauthn-page.js";

// A sign-in with a passkey is in the audit log as `sign_in.passkey`, as a code's is as
// `sign_in.code`: on the web as the second step (POST /login/mfa/passkey) and without a password
// (POST /login/passkey, where the site allows it), written in the statement that makes the session.
// A refused passkey writes a failure entry instead (one per burst, as a wrong code), never a success.

const PASSWORD = "correct horse battery";
type Ctx = PublicSiteAdmin & { env: TestEnv };
const t = suite<Ctx>(`passkey sign-ins in the audit log [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  Object.assign(ctx, await publicSiteAdmin(ctx.env.services, PASSWORD));
});
t.after(async (ctx) => ctx.env.close());

/** A user with MFA on whose first factor is a passkey registered through /mfa/setup/passkey. */
async function withPasskey(ctx: Ctx, username: string) {
  const s = ctx.env.services;
  const u = await s.users.create({ siteId: ctx.siteId, username, password: PASSWORD });
  await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, ctx.root);
  const { auth } = await passkeyThroughSetup(ctx.env, username, PASSWORD, "Laptop");
  return { id: u.id, auth };
}

/** Saves the site's MFA policy: nothing required, a 14-day default delay, and `rest`. */
const setPolicy = (ctx: Ctx, rest: { allowedMethods?: ("passkey" | "app" | "hardware")[]; passkeySignIn?: boolean }) =>
  ctx.env.services.mfaPolicies.set(
    ctx.siteId,
    { requiredRoles: [], defaultEnforcementDelayDays: 14, ...rest },
    ctx.root,
  );

t("a passkey as the second step is audited as sign_in.passkey; a refused one as a failure", async (ctx) => {
  const { env } = ctx;
  const u = await withPasskey(ctx, "pia");
  const before = await signInEntries(env, u.id);
  const c = new TestClient(env.app);
  const signIn = await c.signIn("pia", PASSWORD);
  assert.is(signIn.res.headers.get("location"), "/login/mfa");
  const step = await c.get("/login/mfa");
  const options = optionsIn(step.html);
  // A signature over other options (a spent or foreign challenge) is refused and adds no success.
  const refused = await c.post("/login/mfa/passkey", {
    response: JSON.stringify(u.auth.assert(options, { challenge: "c29tZXRoaW5nIGVsc2U" })),
  });
  assert.is(refused.res.status, 401);
  assert.equal(await signInEntries(env, u.id), [
    ...before,
    "sign_in.password success web mfa",
    "sign_in.passkey failure web",
  ]);
  const again = await c.get("/login/mfa");
  const done = await c.post("/login/mfa/passkey", { response: JSON.stringify(u.auth.assert(optionsIn(again.html))) });
  assert.is(done.res.status, 303, done.html);
  assert.equal(await signInEntries(env, u.id), [
    ...before,
    "sign_in.password success web mfa",
    "sign_in.passkey failure web",
    "sign_in.passkey success web",
  ]);
  // The audit page words it.
  const admin = new TestClient(env.app);
  await admin.signIn("root", PASSWORD);
  const audit = await admin.get("/configure/audit?user=pia");
  assert.is(audit.res.status, 200);
  assert.match(audit.html, /signed in with the passkey \(web/);
  assert.match(audit.html, /offered a passkey that was refused \(web/);
});

t("a passkey step that goes on to a setup the policy asks for says so in its entry", async (ctx) => {
  const { env } = ctx;
  const u = await withPasskey(ctx, "sage");
  const before = await signInEntries(env, u.id);
  // The site now allows only an authenticator app: the passkey still signs in, to a setup-only session.
  await setPolicy(ctx, { allowedMethods: ["app"] });
  try {
    const c = new TestClient(env.app);
    await c.signIn("sage", PASSWORD);
    const step = await c.get("/login/mfa");
    const done = await c.post("/login/mfa/passkey", { response: JSON.stringify(u.auth.assert(optionsIn(step.html))) });
    assert.is(done.res.status, 303, done.html);
    assert.is(done.res.headers.get("location"), "/mfa/setup");
    assert.equal(await signInEntries(env, u.id), [
      ...before,
      "sign_in.password success web mfa",
      "sign_in.passkey success web mfa_setup",
    ]);
  } finally {
    await setPolicy(ctx, { allowedMethods: ["passkey", "app", "hardware"] });
  }
});

t("a passwordless sign-in is audited as sign_in.passkey with stage passwordless", async (ctx) => {
  const { env } = ctx;
  const s = env.services;
  const early = await withPasskey(ctx, "rory");
  const beforeEarly = await signInEntries(env, early.id);
  // While the site does not allow it, a good assertion signs nobody in and writes nothing.
  const refusedClient = new TestClient(env.app);
  await refusedClient.get("/login");
  const options = await s.passkeys.assertion.options("passwordless", null);
  const refused = await refusedClient.post("/login/passkey", { response: JSON.stringify(early.auth.assert(options)) });
  assert.is(refused.res.status, 401);
  assert.equal(await signInEntries(env, early.id), beforeEarly);
  await setPolicy(ctx, { passkeySignIn: true });
  const u = await withPasskey(ctx, "quin");
  const before = await signInEntries(env, u.id);
  const c = new TestClient(env.app);
  // A known user's passkey signed over other options: refused, and a failure entry for its owner.
  const foreign = await c.get("/login");
  const bad = await c.post("/login/passkey", {
    response: JSON.stringify(u.auth.assert(optionsIn(foreign.html), { challenge: "c29tZXRoaW5nIGVsc2U" })),
  });
  assert.is(bad.res.status, 401);
  const login = await c.get("/login");
  const done = await c.post("/login/passkey", { response: JSON.stringify(u.auth.assert(optionsIn(login.html))) });
  assert.is(done.res.status, 303, done.html);
  assert.is(done.res.headers.get("location"), "/");
  assert.equal(await signInEntries(env, u.id), [
    ...before,
    "sign_in.passkey failure web",
    "sign_in.passkey success web passwordless",
  ]);
  const admin = new TestClient(env.app);
  await admin.signIn("root", PASSWORD);
  const audit = await admin.get("/configure/audit?user=quin");
  assert.match(audit.html, /signed in with the passkey \(web[^)]*; without a password\)/);
});

t(
  "passwordless attempts count against the client address: 50, then that address is locked, not another",
  async (ctx) => {
    const { assertion } = ctx.env.services.passkeys;
    const from = (address: string) => ({ where: { surface: "web", address } as const });
    const unknown = { id: "bm90LWEtcmVhbC1jcmVkZW50aWFs" };
    for (let i = 0; i < 50; i++) {
      const r = await assertion.verify("passwordless", unknown, from("192.0.2.50"));
      assert.is(r.ok ? "ok" : r.reason, "invalid", `attempt ${i + 1}`);
    }
    const locked = await assertion.verify("passwordless", unknown, from("192.0.2.50"));
    assert.is(locked.ok ? "ok" : locked.reason, "locked");
    const other = await assertion.verify("passwordless", unknown, from("192.0.2.51"));
    assert.is(other.ok ? "ok" : other.reason, "invalid", "another address is not locked");
  },
);

t.run();
