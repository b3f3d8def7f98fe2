import { Hono, type Context } from "hono";
import type { PartBuilder } from "../../db/statement.js";
import type { Services } from "../../services.js";
import { clearSessionCookie, writeSessionCookie, type CookieSettings } from "../http/cookies.js";
import { webSignIn } from "../http/client-address.js";
import type { AppEnv } from "../http/env.js";
import { signInStepPath } from "../http/guards.js";
import { sendPage } from "../http/page.js";
import { readForm } from "../http/form-body.js";
import { RecoveryPage, RecoverySignedInPage } from "./recovery-pages.js";

/** The same words for a wrong code or pass, a used one, an expired pass and a lock. */
export const RECOVERY_FAILURE =
  "This recovery code or access pass is not valid. Each recovery code works once, and a pass only until it expires. After several wrong tries the account is locked for a while; an administrator can unlock it.";
const MALFORMED_RECOVERY =
  "Enter a recovery code (10 characters, like 7K3QD-XM2PA) or a temporary access pass (14 characters).";

/**
 * GET/POST /login/recovery (`recoveryCode`): the code step without the device, for a session
 * waiting for its code (stage 'mfa'). A recovery code signs in fully and the answer says how many
 * are left, with "Set up a new authenticator"; a temporary access pass leads to /mfa/setup, where
 * nothing else opens until a new factor is confirmed. Either way the new session carries a setup
 * grant, so the new factor may replace the current one. Wrong, used, expired and locked get the
 * same 401 page; input of neither shape a 422 that counts as nothing.
 */
export function recoveryRoutes(s: Services, cookies: CookieSettings) {
  const app = new Hono<AppEnv>();

  const codeStage = (c: Context<AppEnv>) => {
    const session = c.var.session;
    if (session?.stage === "mfa") return { session };
    return { response: c.redirect(session?.stage === "full" ? "/" : signInStepPath(session), 303) };
  };

  app.get("/login/recovery", (c) => {
    const { response } = codeStage(c);
    if (response) return response;
    return sendPage(c, <RecoveryPage csrfToken={c.var.csrfToken} />);
  });

  app.post("/login/recovery", async (c) => {
    const { session, response } = codeStage(c);
    if (response) return response;
    const input = (await readForm(c)).one.recoveryCode ?? "";
    // The spend, the new session (full for a code, setup-only for a pass) and its grant: one statement.
    const finish =
      (kind: "code" | "pass"): PartBuilder<{ token: string; expiresAt: Date }> =>
      (st, gate) => {
        const stage = kind === "pass" ? "mfa_setup" : "full";
        const part = s.sessions.rotatePart(session, { stage }, c.var.clientAddress)(st, gate);
        s.recovery.grants.grantIn(
          st,
          gate,
          part.done,
          part.value.token,
          kind === "pass" ? "access_pass" : "recovery_code",
        );
        return part;
      };
    const result = await s.recovery.signIn.use(session.user.id, input, finish, true, webSignIn(c));
    if (!result.ok) {
      if (result.reason === "malformed") {
        return sendPage(c, <RecoveryPage csrfToken={c.var.csrfToken} fieldError={MALFORMED_RECOVERY} />, 422);
      }
      c.var.log.info("recovery sign-in refused", { userId: session.user.id, reason: result.reason });
      return sendPage(c, <RecoveryPage csrfToken={c.var.csrfToken} error={RECOVERY_FAILURE} />, 401);
    }
    if (!result.finished) {
      // The half-signed-in session ended meanwhile (a credential change revoked it): start again.
      clearSessionCookie(c, cookies);
      return c.redirect("/login", 303);
    }
    writeSessionCookie(c, cookies, result.finished.token, result.finished.expiresAt);
    if (result.kind === "pass") {
      c.var.log.info("signed in with an access pass", { userId: session.user.id });
      return c.redirect("/mfa/setup", 303);
    }
    c.var.log.info("signed in with a recovery code", { userId: session.user.id, codesLeft: result.codesLeft });
    return sendPage(c, <RecoverySignedInPage csrfToken={c.var.csrfToken} codesLeft={result.codesLeft} />);
  });

  return app;
}
