// @storage
// The user dialog's MFA section says how the user will set MFA up: with the methods the site's
// policy allows (Configure > MFA > Policy, allowedMethods), passkeys among them where allowed —
// it named only the authenticator app and the hardware token.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { FactorMethod } from "../../engine/mfa/status.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { loudHook } from "../helpers/loud-hook.js";
import { publicSiteAdmin, type PublicSiteAdmin } from "../helpers/users.js";

const PASSWORD = "correct horse battery";
interface Ctx {
  env: TestEnv;
  a: PublicSiteAdmin;
  admin: TestClient;
  userId: string;
}
const t = suite<Ctx>(`the user dialog's MFA help names the allowed methods [${testBackend}]`);

t.before(
  loudHook(async (ctx) => {
    ctx.env = await startTestEnv();
    ctx.a = await publicSiteAdmin(ctx.env.services, PASSWORD);
    ctx.userId = (
      await ctx.env.services.users.create({ siteId: ctx.a.siteId, username: "nora", password: PASSWORD })
    ).id;
    ctx.admin = new TestClient(ctx.env.app);
    assert.is((await ctx.admin.signIn("root", PASSWORD)).res.status, 303);
  }),
);
t.after(async (ctx) => ctx.env?.close());

const allow = (ctx: Ctx, allowedMethods: FactorMethod[]) =>
  ctx.env.services.mfaPolicies.set(
    ctx.a.siteId,
    { requiredRoles: [], defaultEnforcementDelayDays: 14, allowedMethods },
    ctx.a.root,
  );

/** The MFA section's description on the dialog of an existing user and on the new-user form. */
async function helpTexts(ctx: Ctx): Promise<string[]> {
  const out: string[] = [];
  for (const path of [`/configure/users/${ctx.userId}`, "/configure/users/new"]) {
    const page = await ctx.admin.get(path);
    assert.is(page.res.status, 200, path);
    const m = page.html.match(/<h2>Multi-factor authentication<\/h2><p class="section-description">([^<]*)<\/p>/);
    assert.ok(m, `${path} has the MFA section's help`);
    out.push(m[1]!);
  }
  return out;
}

t("no policy saved (every method allowed): passkeys, the authenticator app and the hardware token", async (ctx) => {
  for (const help of await helpTexts(ctx)) {
    assert.is(
      help,
      "When switched on, the user sets up MFA at sign-in. Switching it off and on again resets it. The site&#39;s MFA policy allows a passkey, an authenticator app or a hardware token.",
    );
  }
});

t("a policy without passkeys does not name them; one with passkeys only names nothing else", async (ctx) => {
  await allow(ctx, ["app", "hardware"]);
  for (const help of await helpTexts(ctx)) {
    assert.not.match(help, /passkey/);
    assert.match(help, /authenticator app/);
    assert.match(help, /hardware token/);
  }
  await allow(ctx, ["passkey"]);
  for (const help of await helpTexts(ctx)) {
    assert.match(help, /passkey/);
    assert.not.match(help, /authenticator app|hardware token/);
  }
  await allow(ctx, ["passkey", "app", "hardware"]);
  for (const help of await helpTexts(ctx)) assert.match(help, /passkey/);
});

t.run();
