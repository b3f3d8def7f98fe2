// @storage
// The message after saving /configure/mfa/policy says what was saved: the site-wide settings
// (allowed methods, passwordless sign-in, remembered browsers) apply to every account, so it never
// reads "The MFA policy for new accounts is saved." for them.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { publicSiteAdmin } from "../helpers/users.js";

const PASSWORD = "correct horse battery";
const t = suite<{ env: TestEnv; c: TestClient }>(`the policy's save message [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  await publicSiteAdmin(ctx.env.services, PASSWORD);
  ctx.c = new TestClient(ctx.env.app);
  await ctx.c.signIn("root", PASSWORD);
});
t.after(async (ctx) => ctx.env.close());

/** Posts the policy form (as the page does: factorsShown) and returns the flash shown after it. */
async function save(c: TestClient, fields: Record<string, string | string[]>): Promise<string> {
  const r = await c.post("/configure/mfa/policy", { defaultEnforcementDelayDays: "14", factorsShown: "1", ...fields });
  assert.is(r.res.status, 303);
  const shown = await c.get("/configure/mfa/policy");
  return /role="status" class="flash">\s*([^<]*)</.exec(shown.html)?.[1]?.trim() ?? "";
}

t("site-wide settings are named as saved for every account; an unchanged save says so", async ({ c }) => {
  const all = ["passkey", "app", "hardware"];
  assert.is(
    await save(c, { allowedMethods: ["passkey", "app"], passkeySignIn: "on", rememberBrowserDays: "30" }),
    "MFA policy saved: every account on this site may use passkeys and authenticator apps; sign-in with a passkey alone is on; browsers are remembered for 30 days after a code.",
  );
  assert.is(
    await save(c, { allowedMethods: ["passkey", "app"], passkeySignIn: "on", rememberBrowserDays: "30" }),
    "MFA policy saved: nothing changed.",
  );
  assert.is(
    await save(c, { requiredRoles: ["admin"], allowedMethods: all, rememberBrowserDays: "0" }),
    "MFA policy saved: new accounts with the role Administrator start with MFA on and 14 days to set it up; every account on this site may use passkeys, authenticator apps and hardware tokens; sign-in with a passkey alone is off; browsers are no longer remembered.",
  );
});

t.run();
