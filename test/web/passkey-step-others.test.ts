// @storage
// /login/mfa's passkey step, where JavaScript is off ("A passkey needs JavaScript"), names another
// way in: the code field for a user with an app or a token, and for a passkey-only user — who has
// no code field — the recovery page, never /login/mfa itself.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { appParams, codeAt } from "../helpers/totp.js";
import { publicSiteAdmin, type PublicSiteAdmin } from "../helpers/users.js";
import { optionsIn, passkeyThroughSetup } from "../helpers/webauthn-page.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { SESSION_COOKIE } from "../../engine/web/http/cookies.js";

const PASSWORD = "correct horse battery";
const t = suite<{ env: TestEnv; a: PublicSiteAdmin }>(`the passkey step's other way in [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.a = await publicSiteAdmin(ctx.env.services, PASSWORD);
});
t.after(async (ctx) => ctx.env.close());

/** The noscript notice of /login/mfa for `userId` (a session at the code step, made directly). */
async function needsScriptNotice(env: TestEnv, userId: string, siteId: string) {
  const made = await env.services.sessions.create(userId, siteId, "mfa", null);
  const c = new TestClient(env.app);
  c.cookies.set(SESSION_COOKIE, made.token);
  const page = await c.get("/login/mfa");
  assert.is(page.res.status, 200);
  const notice = page.html.match(/<p class="notice" id="passkey-needs-js">([\s\S]*?)<\/p>/);
  assert.ok(notice, "the page says a passkey needs JavaScript");
  return { notice: notice[1]!, html: page.html };
}

t("a passkey-only user is sent to the recovery page, not to a code field they do not have", async ({ env, a }) => {
  const u = await env.services.users.create({ siteId: a.siteId, username: "pia", password: PASSWORD });
  await env.services.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, a.root);
  await passkeyThroughSetup(env, "pia", PASSWORD, "Laptop");
  const { notice, html } = await needsScriptNotice(env, u.id, a.siteId);
  assert.match(notice, /A passkey needs JavaScript/);
  assert.match(notice, /href="\/login\/recovery"/);
  assert.not.match(notice, /href="\/login\/mfa"/);
  assert.not.match(notice, /Enter a code/);
  assert.not.match(html, /name="code"/, "no code field on the page (control)");
});

t("a user with an app and a passkey is offered the code field", async ({ env, a }) => {
  const u = await env.services.users.create({ siteId: a.siteId, username: "otto", password: PASSWORD });
  await env.services.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, a.root);
  const p = appParams(Buffer.alloc(20, 9));
  const self = { id: u.id, name: "otto", siteId: null };
  assert.ok((await env.services.mfa.activation.activate(u.id, { method: "app", ...p }, codeAt(env.clock, p), self)).ok);
  const made = await env.services.sessions.create(u.id, a.siteId, "full", null);
  const c = new TestClient(env.app);
  c.cookies.set(SESSION_COOKIE, made.token);
  const form = await c.get("/mfa/setup/passkey");
  const auth = new SoftAuthenticator("localhost", "http://localhost:3000");
  const response = JSON.stringify(auth.register(optionsIn(form.html)));
  const added = await c.post("/mfa/setup/passkey", { name: "Desk", currentPassword: PASSWORD, response });
  assert.is(added.res.status, 303);
  const { notice, html } = await needsScriptNotice(env, u.id, a.siteId);
  assert.match(notice, /href="\/login\/mfa"[^>]*>Enter a code instead/);
  assert.match(html, /name="code"/);
});

t.run();
