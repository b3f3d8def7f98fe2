// @storage
// Issue 23, the site's allowedMethods: a method the policy leaves out is closed by its URL, not only
// hidden on /mfa/setup; a user whose every factor the policy no longer allows proves their old factor
// once more and is then held at /mfa/setup until they set up an allowed one, which replaces it.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { loudHook } from "../helpers/loud-hook.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { appParams, codeAt } from "../helpers/totp.js";
import { SESSION_COOKIE } from "../../engine/web/http/cookies.js";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";

const PASSWORD = "correct horse battery";
interface Ctx {
  env: TestEnv;
  siteId: string;
  admin: MfaActor;
}
const t = suite<Ctx>(`site policy: allowed methods [${testBackend}]`);
let n = 0;

t.before(
  loudHook(async (ctx) => {
    ctx.env = await startTestEnv();
    ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
    ctx.admin = { id: null, name: "test admin", siteId: ctx.siteId };
  }),
);
t.after(async (ctx) => ctx.env?.close());
t.before.each(async (ctx) => {
  ctx.env.clock.advanceSeconds(3600);
  await allow(ctx, ["passkey", "app", "hardware"]);
});

const allow = (ctx: Ctx, allowedMethods: string[]) =>
  ctx.env.services.mfaPolicies.set(
    ctx.siteId,
    { requiredRoles: [], defaultEnforcementDelayDays: 14, allowedMethods },
    ctx.admin,
  );

/** A browser holding a session of a new user (MFA on, delay 0) at `stage`, made directly (no Argon2). */
async function browserAt(ctx: Ctx, stage: "mfa_setup" | "mfa" | "full", activate = false) {
  const s = ctx.env.services;
  const username = `pol${++n}`;
  const u = await s.users.create({ siteId: ctx.siteId, username, password: PASSWORD });
  await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, ctx.admin);
  const params = appParams(Buffer.alloc(20, n));
  if (activate) {
    const self = { id: u.id, name: username, siteId: ctx.siteId };
    assert.ok(
      (await s.mfa.activation.activate(u.id, { method: "app", ...params }, codeAt(ctx.env.clock, params), self)).ok,
    );
    ctx.env.clock.advanceSeconds(30);
  }
  const made = await s.sessions.create(u.id, ctx.siteId, stage, null);
  const c = new TestClient(ctx.env.app);
  c.cookies.set(SESSION_COOKIE, made.token);
  return { id: u.id, c, params };
}

t("a method the policy leaves out is refused by its URL, GET and POST, and hands out nothing", async (ctx) => {
  const { env } = ctx;
  const open = await browserAt(ctx, "mfa_setup");
  assert.is((await open.c.get("/mfa/setup/app")).res.status, 200, "allowed: the page opens (control)");

  await allow(ctx, ["passkey"]);
  const u = await browserAt(ctx, "mfa_setup");
  const choice = await u.c.get("/mfa/setup");
  assert.is(choice.res.status, 200);
  assert.match(choice.html, /href="\/mfa\/setup\/passkey"/);
  assert.not.match(choice.html, /href="\/mfa\/setup\/(app|hardware)"/, "the choice offers the passkey only");
  for (const path of ["/mfa/setup/app", "/mfa/setup/hardware"]) {
    const page = await u.c.get(path);
    assert.is(page.res.status, 403, path);
    assert.match(page.html, /does not allow this sign-in method/);
  }
  for (const [path, body] of [
    ["/mfa/setup/app", { code: "123456" }],
    ["/mfa/setup/hardware", { serialNumber: "X-1", code: "123456" }],
  ] as const) {
    assert.is((await u.c.post(path, { ...body })).res.status, 403, `POST ${path}`);
  }
  assert.is(await env.services.mfa.activation.pendingAppSecret(u.id), null, "no key was handed out");
  assert.is((await env.services.mfa.statusOf(u.id)).activation, null);
});

t("passkeys left out: /account offers none, and a direct visit says why", async (ctx) => {
  const u = await browserAt(ctx, "full", true);
  assert.match((await u.c.get("/account")).html, /id="add-passkey"/, "allowed: offered (control)");
  await allow(ctx, ["app", "hardware"]);
  const account = await u.c.get("/account");
  assert.not.match(account.html, /id="add-passkey"/);
  const visit = await u.c.get("/mfa/setup/passkey");
  assert.is(visit.res.status, 303);
  assert.is(visit.res.headers.get("location"), "/account");
  const landed = await u.c.get("/account");
  assert.match(landed.html, /role="status"[^>]*>[^<]*Your site does not allow passkeys/);
  const posted = await u.c.post("/mfa/setup/passkey", { name: "Laptop", currentPassword: PASSWORD, response: "{}" });
  assert.is(posted.res.headers.get("location"), "/account");
  assert.equal((await ctx.env.services.passkeys.store.listOf(u.id)).length, 0);
});

t("a user whose only factor became disallowed must set up an allowed one after their code", async (ctx) => {
  const { env } = ctx;
  const s = env.services;
  const u = await browserAt(ctx, "mfa", true);
  await allow(ctx, ["passkey"]);
  assert.is((await u.c.get("/login/mfa")).res.status, 200);
  // The old factor is still proved: a wrong code is refused as ever.
  assert.is((await u.c.post("/login/mfa", { code: "000000" })).res.status, 401);
  env.clock.advanceSeconds(30);
  const code = await u.c.post("/login/mfa", { code: codeAt(env.clock, u.params) });
  assert.is(code.res.status, 303);
  const token = u.c.cookies.get(SESSION_COOKIE)!;
  assert.is((await s.sessions.validate(token))?.stage, "mfa_setup", "a setup-only session, not a full one");
  // Its audit entry says the sign-in went on to a setup (decided in the step's statement), not a full one.
  assert.equal(await codeEntryStages(ctx, u.id), ["mfa_setup"]);
  // Held at the setup: nothing else opens.
  for (const path of ["/", "/account", "/apps"]) {
    const other = await u.c.get(path);
    assert.is(other.res.status, 303, path);
    assert.is(other.res.headers.get("location"), "/mfa/setup", path);
  }
  const choice = await u.c.get("/mfa/setup");
  assert.is(choice.res.status, 200);
  assert.is((await u.c.get("/mfa/setup/app")).res.status, 403, "not the disallowed method again");

  const page = await u.c.get("/mfa/setup/passkey");
  assert.is(page.res.status, 200);
  assert.not.match(page.html, /name="currentPassword"/, "the code was just proved: no password asked");
  const options = JSON.parse(page.html.match(/data-options="([^"]*)"/)![1]!.replace(/&quot;/g, '"'));
  const auth = new SoftAuthenticator("localhost", "http://localhost:3000");
  const done = await u.c.post("/mfa/setup/passkey", {
    name: "Laptop",
    response: JSON.stringify(auth.register(options)),
  });
  assert.ok([200, 303].includes(done.res.status), done.html.slice(0, 300));
  assert.is((await s.passkeys.store.listOf(u.id)).length, 1);
  assert.is((await u.c.get("/account")).res.status, 200, "fully signed in once an allowed factor is set up");

  // The passkey replaced the disallowed app, as FACTOR_NOT_ALLOWED says and as a replacement app
  // would (engine/mfa/factor-replacement.ts): the old code no longer signs in, the passkey does.
  assert.is((await s.mfa.statusOf(u.id)).activation?.method, "passkey", "the app is gone");
  env.clock.advanceSeconds(30);
  const again = await s.sessions.create(u.id, ctx.siteId, "mfa", null);
  const c2 = new TestClient(env.app);
  c2.cookies.set(SESSION_COOKIE, again.token);
  await c2.get("/login/mfa");
  const next = await c2.post("/login/mfa", { code: codeAt(env.clock, u.params) });
  assert.is(next.res.status, 401, "the replaced app's code is refused");
  assert.equal(await codeEntryStages(ctx, u.id), ["mfa_setup"]);
});

/** The `details.stage` of the user's successful code steps in the audit log, "(full)" for none. */
async function codeEntryStages(ctx: Ctx, userId: string): Promise<string[]> {
  const { rows } = await ctx.env.db.query<{ stage: string | null }>(
    `SELECT details->>'stage' AS stage FROM audit_log
     WHERE target_user_id = $1 AND action = 'sign_in.code' AND details->>'outcome' = 'success' ORDER BY id`,
    [userId],
  );
  return rows.map((r) => r.stage ?? "(full)");
}

t.run();
