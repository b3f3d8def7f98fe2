/**
 * Passwordless sign-in (issue 23): "Sign in with a passkey" on /login where a site's policy allows
 * it (passkeySignIn), POST /login/passkey. A discoverable credential with user verification counts
 * as both factors; failures count like wrong codes (per account) and like passwords (per address).
 */
import { Hono, type Context } from "hono";
import { credentialGate } from "../../auth/credential-gate.js";
import { sql } from "../../db/statement.js";
import { DatabaseUnavailableError } from "../../db/unavailable.js";
import type { Services } from "../../services.js";
import { writeSessionCookie, type CookieSettings } from "../http/cookies.js";
import type { AppEnv } from "../http/env.js";
import { sendPage } from "../http/page.js";
import { readForm } from "../http/form-body.js";
import { PasskeyScripts, PasskeySignInForm } from "../mfa/passkey-pages.js";
import { readPasskeyResponse } from "../mfa/passkey-routes.js";
import { LoginPage } from "./login-pages.js";
import { webSignIn } from "../http/client-address.js";

/** The same words for every refused passwordless sign-in. */
export const PASSWORDLESS_FAILURE = "The passkey did not sign you in. Try again, or sign in with your password.";

/** The "Sign in with a passkey" form for /login when any site allows it (fresh options), else null. */
export async function passwordlessForm(s: Services, c: Context<AppEnv>) {
  let options;
  try {
    if (!(await s.mfaPolicies.anyPasskeySignIn())) return null;
    options = await s.passkeys.assertion.options("passwordless", null);
  } catch (err) {
    // The password form needs no database to be shown; only the passkey offer is lost meanwhile.
    if (err instanceof DatabaseUnavailableError) return null;
    throw err;
  }
  return (
    <>
      <PasskeySignInForm
        csrfToken={c.var.csrfToken}
        action="/login/passkey"
        options={options}
        label="Sign in with a passkey"
        id="passkey-sign-in"
        others={{ href: "#username", text: "Sign in with your username and password" }}
      />
      <PasskeyScripts />
    </>
  );
}

/** POST /login/passkey. */
export function passwordlessRoutes(s: Services, cookies: CookieSettings) {
  const app = new Hono<AppEnv>();

  const refuse = async (c: Context<AppEnv>, status: 401 | 422 | 429) =>
    sendPage(
      c,
      <LoginPage csrfToken={c.var.csrfToken} error={PASSWORDLESS_FAILURE} passkey={await passwordlessForm(s, c)} />,
      status,
    );

  app.post("/login/passkey", async (c) => {
    const response = readPasskeyResponse((await readForm(c)).one);
    if (!response) return refuse(c, 422);
    // The owner's site must allow passwordless sign-in, and the owner may sign in on the web.
    const credentialId = (response as { id?: unknown }).id;
    const passkey = typeof credentialId === "string" ? await s.passkeys.store.byCredentialId(credentialId) : null;
    const owner = passkey ? await s.users.byId(passkey.userId) : null;
    const allowed =
      owner && owner.webAccess && !owner.disabled && (await s.mfaPolicies.get(owner.siteId)).passkeySignIn;
    const where = webSignIn(c);
    const result = await s.passkeys.assertion.verify("passwordless", allowed ? response : { id: null }, {
      where,
      finish: s.signInAudit.withSuccess(
        "passkey",
        (st, won) => {
          const gate = credentialGate.current(st, sql`(SELECT user_id FROM ${won})`);
          const made = s.sessions.createIn(
            st,
            gate,
            sql`(SELECT site_id FROM users su WHERE su.id = g.user_id)`,
            "full",
            c.var.clientAddress,
          );
          return {
            done: sql`EXISTS (SELECT 1 FROM ${made.cte})`,
            value: { token: made.token, expiresAt: made.expiresAt },
          };
        },
        where,
        "passwordless",
      ),
    });
    if (!result.ok || !result.finished) {
      c.var.log.info("passwordless sign-in refused", { reason: result.ok ? "ended" : result.reason });
      if (!result.ok && result.reason === "locked") c.header("Retry-After", String(result.retryAfterSeconds));
      // A known user's passkey refused (not a lock: that is mfa.lock): a failure per burst, as a wrong password.
      if (!result.ok && result.reason !== "locked" && result.userId) {
        await s.signInAudit.failure({ id: result.userId }, "passkey", where);
      }
      return refuse(c, 401);
    }
    c.var.log.info("signed in", { userId: result.userId, passwordless: true });
    if (c.var.session) await s.sessions.revoke(c.var.session.tokenHash);
    writeSessionCookie(c, cookies, result.finished.token, result.finished.expiresAt);
    return c.redirect("/", 303);
  });

  return app;
}
