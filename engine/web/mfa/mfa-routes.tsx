import { flash } from "../http/flash.js";
import { ConflictError, ForbiddenError } from "../../errors.js";
import { holdsAllowedFactor, lacksAllowedFactorSql } from "../../mfa/site-policy.js";
import type { MfaMethod } from "../../mfa/status.js";
import { Hono, type Context } from "hono";
import type { Session } from "../../auth/sessions.js";
import {
  clearSessionCookie,
  signedOut,
  writeRememberCookie,
  writeSessionCookie,
  type CookieSettings,
} from "../http/cookies.js";
import type { AppEnv } from "../http/env.js";
import { signInStepPath } from "../http/guards.js";
import { webSignIn } from "../http/client-address.js";
import { nextAfterSignIn } from "../http/next-path.js";
import type { Sql, Statement } from "../../db/statement.js";
import { sendPage } from "../http/page.js";
import { readForm } from "../http/form-body.js";
import type { Services } from "../../services.js";
import {
  AppSetupPage,
  ContinueAppSetupPage,
  MfaCodePage,
  MfaSetupChoicePage,
  RememberBrowserField,
} from "./mfa-pages.js";
import { browserInWords } from "../../auth/remembered-browsers.js";
import { RecoveryCodesPage } from "./recovery-pages.js";
import { DEFAULT_MFA_POLICY, type MfaActor } from "../../mfa/mfa-model.js";
import { queryParams } from "../http/query.js";
import { base32, groupsOfFour, otpauthUri, qrPngDataUrl, TOTP_ISSUER } from "../../mfa/otpauth.js";
import { decideAfterPassword, type SignInDecision } from "../../mfa/sign-in-flow.js";
import { normaliseCode } from "../../mfa/totp.js";
import { passkeyStepForm } from "./passkey-routes.js";

/** The same words for a wrong code and a locked account: a guesser learns nothing from either. */
export const GENERIC_CODE_FAILURE =
  "The code is not valid. Check your authenticator and try again. After several wrong codes the account is locked for a while; an administrator can unlock it.";
/** GENERIC_CODE_FAILURE for a user with a hardware token: the same for a wrong code and a lock. */
export const TOKEN_CODE_FAILURE =
  "The code is not valid. Check the code your hardware token shows and try again. After several wrong codes the account is locked for a while; an administrator can unlock it.";
const MALFORMED_CODE = "Enter the code your authenticator shows (6 or 8 digits).";
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

/** /login/mfa, /mfa/setup, /mfa/setup/later and /mfa/setup/app. */
export function mfaRoutes(s: Services, cookies: CookieSettings) {
  const app = new Hono<AppEnv>();

  const codeStage = (c: Context<AppEnv>) => {
    const session = c.var.session;
    if (session?.stage === "mfa") return { session };
    return { response: c.redirect(session?.stage === "full" ? "/" : signInStepPath(session), 303) };
  };

  // "Don't ask again on this browser for N days" where the user's site allows it.
  const rememberField = async (session: Session) => {
    const days = (await s.mfaPolicies.get(session.user.siteId)).rememberBrowserDays;
    return days > 0 ? <RememberBrowserField days={days} /> : null;
  };

  // The user's own method (they passed the password step): a hardware token's user reads "token".
  const methodOf = async (session: Session) => (await s.mfa.statusOf(session.user.id)).activation?.method;

  app.get("/login/mfa", async (c) => {
    const { session, response } = codeStage(c);
    if (response) return response;
    return sendPage(
      c,
      <MfaCodePage
        csrfToken={c.var.csrfToken}
        method={await methodOf(session)}
        passkey={await passkeyStepForm(s, c, session.user.id)}
        extraFields={await rememberField(session)}
      />,
    );
  });

  app.post("/login/mfa", async (c) => {
    const { session, response } = codeStage(c);
    if (response) return response;
    const fields = (await readForm(c)).one;
    const code = readCode(fields);
    if (code === null) {
      const method = await methodOf(session);
      const fieldError = method === "hardware" ? TOKEN_MALFORMED_CODE : MALFORMED_CODE;
      return sendPage(
        c,
        <MfaCodePage
          csrfToken={c.var.csrfToken}
          method={method}
          fieldError={fieldError}
          passkey={await passkeyStepForm(s, c, session.user.id)}
        />,
        422,
      );
    }
    // The compare-and-set that spends the code also replaces the session with a full one: one statement.
    // A user whose every factor the policy no longer allows gets a setup-only session instead (decided
    // in the same statement: the step stays at three statements), which "/" sends on to /mfa/setup.
    const setupIf = (_st: Statement, userId: Sql) => lacksAllowedFactorSql(userId);
    const rotate = s.sessions.rotatePart(session, { stage: "full", setupIf }, c.var.clientAddress);
    // The success entry rides in the statement that spends the step (no round trip added).
    const audited = s.signInAudit.withCodeSuccess(rotate, session.user.id, webSignIn(c));
    const result = await s.mfa.codes.verifyCode(session.user.id, code, audited);
    if (!result.ok) {
      s.metrics.signIn("web", "failure");
      // A wrong code per burst; a lock this attempt set is mfa.lock, written by the code check.
      if (result.reason === "invalid") await s.signInAudit.failure({ id: session.user.id }, "code", webSignIn(c));
      c.var.log.info("second factor refused", { userId: session.user.id, reason: result.reason });
      // The same words for a wrong code and a lock (test/mfa/lock-disclosure.test.ts), in the method's terms.
      const method = await methodOf(session);
      const error = method === "hardware" ? TOKEN_CODE_FAILURE : GENERIC_CODE_FAILURE;
      return sendPage(
        c,
        <MfaCodePage
          csrfToken={c.var.csrfToken}
          method={method}
          error={error}
          passkey={await passkeyStepForm(s, c, session.user.id)}
        />,
        401,
      );
    }
    if (!result.finished) {
      // The half-signed-in session ended meanwhile (a credential change revoked it): start again.
      c.var.log.info("second factor accepted for an ended session", { userId: session.user.id });
      clearSessionCookie(c, cookies);
      return c.redirect("/login", 303);
    }
    s.metrics.signIn("web", "success");
    c.var.log.info("signed in", { userId: session.user.id, mfa: true });
    writeSessionCookie(c, cookies, result.finished.token, result.finished.expiresAt);
    // The site's policy is read only when the box was ticked: a sign-in step stays at three statements.
    const days =
      fields.rememberBrowser === "on" ? (await s.mfaPolicies.get(session.user.siteId)).rememberBrowserDays : 0;
    if (days > 0) {
      const kept = await s.rememberedBrowsers.remember(
        session.user.id,
        browserInWords(c.req.header("user-agent")),
        days,
      );
      writeRememberCookie(c, cookies, kept.token, kept.expiresAt);
    }
    return c.redirect(nextAfterSignIn(c, cookies), 303);
  });

  app.get("/mfa/setup", async (c) => {
    const access = await setupAccess(s, c);
    if (access.response) return access.response;
    const d = access.decision;
    return sendPage(
      c,
      <MfaSetupChoicePage
        csrfToken={c.var.csrfToken}
        optional={d.optional}
        canPostpone={access.session.stage === "mfa_setup" && !access.replace}
        daysLeft={d.daysLeft}
        requiredFrom={d.requiredFrom}
        timeZone={(await s.sites.byId(access.session.user.siteId))?.timeZone}
        pendingKeyUntil={(await s.mfa.activation.pendingAppSecretUntil(access.session.user.id)) ?? undefined}
        methods={(await s.mfaPolicies.get(access.session.user.siteId)).allowedMethods}
        replacing={access.replace}
      />,
    );
  });

  app.post("/mfa/setup/later", async (c) => {
    const access = await setupAccess(s, c);
    if (access.response) return access.response;
    const { session, decision } = access;
    if (session.stage === "full") return c.redirect("/", 303);
    if (!decision.optional) {
      return sendPage(
        c,
        <MfaSetupChoicePage
          csrfToken={c.var.csrfToken}
          optional={false}
          canPostpone={false}
          daysLeft={0}
          requiredFrom={decision.requiredFrom}
          error="The grace period is over: set up multi-factor authentication (MFA) to continue."
        />,
        403,
      );
    }
    c.var.log.info("signed in", { userId: session.user.id, mfaSetupPostponed: true, daysLeft: decision.daysLeft });
    // Administrators see who keeps putting the setup off, and until when they still may.
    const details = { daysLeft: decision.daysLeft, requiredFrom: decision.requiredFrom.toISOString(), ...webSignIn(c) };
    await s.audit.recordOwn(session.user, "mfa.postpone", details);
    return finishSignIn(s, c, session, cookies);
  });

  const appSetupPage = async (
    c: Context<AppEnv>,
    session: Session,
    secret: Buffer,
    status: 200 | 401 | 422 = 200,
    errors: { error?: string; fieldError?: string } = {},
  ) => {
    const key = base32(secret);
    const uri = otpauthUri({ issuer: TOTP_ISSUER, accountName: session.user.username, secret });
    return sendPage(
      c,
      <AppSetupPage
        csrfToken={c.var.csrfToken}
        qrDataUrl={await qrPngDataUrl(uri)}
        groupedKey={groupsOfFour(key)}
        uri={uri}
        {...errors}
      />,
      status,
    );
  };

  app.get("/mfa/setup/app", async (c) => {
    const access = await setupAccess(s, c, "app");
    if (access.response) return access.response;
    // "Continue with the key you already added": the code field alone; the key is not shown again.
    if (queryParams(c).continue === "1") {
      const until = await s.mfa.activation.pendingAppSecretUntil(access.session.user.id);
      if (until) return sendPage(c, <ContinueAppSetupPage csrfToken={c.var.csrfToken} until={until} />);
    }
    const secret = await s.mfa.activation.startAppSetup(access.session.user.id);
    return appSetupPage(c, access.session, secret);
  });

  app.post("/mfa/setup/app", async (c) => {
    const access = await setupAccess(s, c, "app");
    if (access.response) return access.response;
    const { session } = access;
    const code = readCode((await readForm(c)).one);
    const pending = await s.mfa.activation.pendingAppSecret(session.user.id);
    if (!pending) {
      const fresh = await s.mfa.activation.startAppSetup(session.user.id);
      return appSetupPage(c, session, fresh, 422, {
        error: "This setup page has expired. Add the new key below to your app, then enter its code.",
      });
    }
    if (code === null) return appSetupPage(c, session, pending, 422, { fieldError: MALFORMED_CODE });
    const result = await s.mfa.activation.activatePendingApp(session.user.id, code, selfActor(session), {
      replace: access.replace,
    });
    if (result.ok) {
      c.var.log.info("mfa activated", { userId: session.user.id, method: "app" });
      return afterActivation(s, c, session, cookies);
    }
    if (result.reason === "invalid" || result.reason === "locked") {
      return appSetupPage(c, session, pending, 422, { error: GENERIC_CODE_FAILURE });
    }
    throw setupChanged();
  });

  return app;
}
