/**
 * What the MFA route modules share (/login/mfa and /mfa/setup* in mfa-routes, the passkey and
 * hardware-token pages, /account): the code field and its messages, who may open a setup page
 * (setupAccess), and how a second step or an activation ends (finishSignIn, afterActivation).
 */
import type { Context } from "hono";
import { ConflictError, ForbiddenError } from "../../errors.js";
import type { Session } from "../../auth/sessions.js";
import { DEFAULT_MFA_POLICY, type MfaActor } from "../../mfa/mfa-model.js";
import { holdsAllowedFactor } from "../../mfa/site-policy.js";
import { decideAfterPassword, type SignInDecision } from "../../mfa/sign-in-flow.js";
import type { FactorMethod, MfaMethod } from "../../mfa/status.js";
import { normaliseCode } from "../../mfa/totp.js";
import type { Services } from "../../services.js";
import { signedOut, writeSessionCookie, type CookieSettings } from "../http/cookies.js";
import type { AppEnv } from "../http/env.js";
import { flash } from "../http/flash.js";
import { signInStepPath } from "../http/guards.js";
import { nextAfterSignIn } from "../http/next-path.js";
import { sendPage } from "../http/page.js";
import { RecoveryCodesPage } from "./recovery-pages.js";

/** The same words for a wrong code and a locked account: a guesser learns nothing from either. */
export const GENERIC_CODE_FAILURE =
  "The code is not valid. Check your authenticator and try again. After several wrong codes the account is locked for a while; an administrator can unlock it.";
/** GENERIC_CODE_FAILURE for a user with a hardware token: the same for a wrong code and a lock. */
export const TOKEN_CODE_FAILURE =
  "The code is not valid. Check the code your hardware token shows and try again. After several wrong codes the account is locked for a while; an administrator can unlock it.";
/**
 * GENERIC_CODE_FAILURE for a user whose only factors are passkeys: they hold no code, so no code is
 * accepted, and each one posted counts like a wrong code. The same for a wrong code and a lock.
 */
export const PASSKEY_ONLY_CODE_FAILURE =
  "This account signs in with a passkey, not a code: use your passkey, or a recovery code. After several wrong codes the account is locked for a while; an administrator can unlock it.";
/** The refusal of a sign-in code in the terms of the user's `method` (the same for a wrong code and a lock). */
export function codeFailureFor(method: FactorMethod | undefined): string {
  if (method === "hardware") return TOKEN_CODE_FAILURE;
  return method === "passkey" ? PASSKEY_ONLY_CODE_FAILURE : GENERIC_CODE_FAILURE;
}
/** What a code field that holds no code says (not counted as a try). */
export const MALFORMED_CODE = "Enter the code your authenticator shows (6 or 8 digits).";
/** MALFORMED_CODE for a user with a hardware token (also the hardware setup page's field message). */
export const TOKEN_MALFORMED_CODE = "Enter the code your token shows (6 or 8 digits).";

/** The code field as digits (normaliseCode: spaces and dashes ignored), or null when it is not a code (a 422, counted as nothing). */
export function readCode(fields: Record<string, string>): string | null {
  return normaliseCode(fields.code);
}

/**
 * The refusal when an administrator changed the user's MFA while a setup page was open: a
 * ConflictError (409, code "mfa_setup_changed") for the route to throw; the error mapping renders it.
 */
export function setupChanged(): ConflictError {
  return new ConflictError("Multi-factor authentication (MFA) changed while you were setting it up. Sign in again.", {
    code: "mfa_setup_changed",
  });
}

/** The user acting on their own account, from any site they may be working on, with this session (which they keep). */
export const selfActor = (session: Session): MfaActor => ({
  id: session.user.id,
  name: session.user.username,
  siteId: null,
  credential: session.tokenHash,
});

/** A setup page of a method the site's policy does not allow, opened by its URL. */
export const METHOD_NOT_ALLOWED = "Your site does not allow this sign-in method. Choose another one on the setup page.";
/** After the second step of a user whose every factor the site's policy no longer allows. */
export const FACTOR_NOT_ALLOWED =
  "Your site no longer allows the sign-in method you used. Set up one it allows to continue; it replaces the old one.";

/** What the sign-in page says to a user whose half-signed-in session ran out during MFA setup. */
export const SETUP_SIGN_IN_EXPIRED =
  "Your sign-in took too long and has ended. Sign in again: the key you already added to your authenticator app " +
  `stays valid for ${DEFAULT_MFA_POLICY.pendingSecretSeconds / 60} minutes after it was shown, so you can finish with it.`;

/**
 * Who may use the setup pages: a half-signed-in session at stage
 * 'mfa_setup', or a signed-in user whose MFA is on but not yet activated
 * (who chose "Remind me later"), or a session signed in with a recovery code or
 * a temporary access pass (a setup grant: `replace`, the new factor replaces the
 * current one). Returns the session and the current decision, or a response to
 * send instead. Also used by /mfa/setup/hardware.
 */
export async function setupAccess(
  s: Services,
  c: Context<AppEnv>,
  method?: MfaMethod,
): Promise<
  | {
      session: Session;
      decision: Extract<SignInDecision, { status: "mfa_setup_required" }>;
      replace: boolean;
      response?: never;
    }
  | { response: Response }
> {
  const session = c.var.session;
  if (!session || (session.stage !== "mfa_setup" && session.stage !== "full")) {
    // A session that ran out here (5 minutes half-signed-in) is told so on the sign-in page.
    if (!session && c.var.staleSession) flash(c, SETUP_SIGN_IN_EXPIRED);
    // A session waiting for its code goes back to /login/mfa; none at all to /login.
    return { response: c.redirect(signInStepPath(session), 303) };
  }
  const status = await s.mfa.statusOf(session.user.id);
  const policy = await s.mfaPolicies.get(session.user.siteId);
  // The site's policy closes a method's pages, not only its button on /mfa/setup.
  if (method && !policy.allowedMethods.includes(method)) throw new ForbiddenError(METHOD_NOT_ALLOWED);
  // A setup grant (recovery code or pass), or no factor the policy allows: the new factor replaces the old.
  if (
    status.enabled &&
    ((await s.recovery.grants.of(session.tokenHash)) ||
      (session.stage === "mfa_setup" &&
        status.activation &&
        !holdsAllowedFactor(status.activation, policy.allowedMethods)))
  ) {
    const now = s.clock.now();
    return {
      session,
      decision: { status: "mfa_setup_required", optional: false, daysLeft: 0, requiredFrom: now },
      replace: true,
    };
  }
  const decision = decideAfterPassword(status, s.clock.now());
  if (decision.status !== "mfa_setup_required") {
    if (session.stage === "full") return { response: c.redirect("/", 303) };
    // MFA was turned off or activated elsewhere while this half-signed-in session waited: start again.
    await s.sessions.revoke(session.tokenHash);
    return { response: c.redirect("/login", 303) };
  }
  return { session, decision, replace: false };
}

/** True when the session's user is activated but holds no factor of a method their site's policy allows. */
export async function mustReplaceFactor(s: Services, session: Session): Promise<boolean> {
  const activation = (await s.mfa.statusOf(session.user.id)).activation;
  if (!activation) return false;
  return !holdsAllowedFactor(activation, (await s.mfaPolicies.get(session.user.siteId)).allowedMethods);
}

/** The sign-in is complete: a new token at stage 'full', so the half-signed-in one is worth nothing. */
export async function finishSignIn(
  s: Services,
  c: Context<AppEnv>,
  session: Session,
  cookies: CookieSettings,
  then = "/",
) {
  const rotated = await s.sessions.rotate(session, { stage: "full" }, c.var.clientAddress);
  // The session was revoked meanwhile (a credential change): this sign-in starts again.
  if (!rotated) return signedOut(c, cookies);
  writeSessionCookie(c, cookies, rotated.token, rotated.expiresAt);
  return c.redirect(then === "/" ? nextAfterSignIn(c, cookies) : then, 303);
}

/**
 * The flash after a factor set up in a recovery-code or access-pass sign-in (setupAccess's
 * `replace`) took the place of the one the user held: it says so, not that MFA is now on.
 * `what`: the new factor in words ("authenticator app", "hardware token").
 */
export function replacedMessage(what: string): string {
  return `Your new ${what} replaced the one you had: from now on every sign-in asks for a code from it, and the old one no longer works.`;
}

/**
 * After an activation the user lands on their account page, which says MFA is now on and how; a
 * user without unused recovery codes (the first activation, or a replacement after a pass) first
 * gets a new set, shown once (RecoveryCodesPage), with the way on to the account page.
 */
export async function afterActivation(
  s: Services,
  c: Context<AppEnv>,
  session: Session,
  cookies: CookieSettings,
  message = "Multi-factor authentication (MFA) is now on: from now on every sign-in asks for a code.",
) {
  flash(c, message);
  const rotated = await s.sessions.rotate(session, { stage: "full" }, c.var.clientAddress);
  if (!rotated) return signedOut(c, cookies);
  writeSessionCookie(c, cookies, rotated.token, rotated.expiresAt);
  if ((await s.recovery.codes.countOf(session.user.id)).left > 0) return c.redirect("/account", 303);
  const codes = await s.recovery.codes.createSet(session.user.id, selfActor(session));
  c.var.log.info("recovery codes created", { userId: session.user.id, count: codes.length });
  return sendPage(
    c,
    <RecoveryCodesPage
      csrfToken={c.var.csrfToken}
      codes={codes}
      heading="MFA is on: save your recovery codes"
      next="/account"
    />,
  );
}
