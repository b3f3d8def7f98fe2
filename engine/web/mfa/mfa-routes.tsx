import { Hono, type Context } from "hono";
import type { Session } from "../../auth/sessions.js";
import { browserInWords } from "../../auth/remembered-browsers.js";
import type { Sql, Statement } from "../../db/statement.js";
import { base32, groupsOfFour, otpauthUri, qrPngDataUrl, TOTP_ISSUER } from "../../mfa/otpauth.js";
import { lacksAllowedFactorSql } from "../../mfa/site-policy.js";
import type { Services } from "../../services.js";
import { clearSessionCookie, writeRememberCookie, writeSessionCookie, type CookieSettings } from "../http/cookies.js";
import type { AppEnv } from "../http/env.js";
import { webSignIn } from "../http/client-address.js";
import { readForm } from "../http/form-body.js";
import { signInStepPath } from "../http/guards.js";
import { nextAfterSignIn } from "../http/next-path.js";
import { sendPage } from "../http/page.js";
import { queryParams } from "../http/query.js";
import {
  AppSetupPage,
  ContinueAppSetupPage,
  MfaCodePage,
  MfaSetupChoicePage,
  RememberBrowserField,
} from "./mfa-pages.js";
import {
  afterActivation,
  codeFailureFor,
  replacedMessage,
  finishSignIn,
  GENERIC_CODE_FAILURE,
  MALFORMED_CODE,
  readCode,
  selfActor,
  setupAccess,
  setupChanged,
  TOKEN_MALFORMED_CODE,
} from "./mfa-route-helpers.js";
import { passkeyStepForm } from "./passkey-routes.js";

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
    const method = await methodOf(session);
    return sendPage(
      c,
      <MfaCodePage
        csrfToken={c.var.csrfToken}
        method={method}
        passkey={await passkeyStepForm(s, c, session.user.id, method)}
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
      // A passkey-only user has no code to type: the passkey words (shown as the page's notice).
      const fieldError =
        method === "hardware" ? TOKEN_MALFORMED_CODE : method === "passkey" ? codeFailureFor(method) : MALFORMED_CODE;
      return sendPage(
        c,
        <MfaCodePage
          csrfToken={c.var.csrfToken}
          method={method}
          fieldError={fieldError}
          passkey={await passkeyStepForm(s, c, session.user.id, method)}
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
    const where = webSignIn(c);
    const audited = s.signInAudit.withSuccess("code", rotate, where);
    const result = await s.mfa.codes.verifyCode(session.user.id, code, audited, where);
    if (!result.ok) {
      s.metrics.signIn("web", "failure");
      // A wrong code per burst; a lock this attempt set is mfa.lock, written by the code check.
      if (result.reason === "invalid") await s.signInAudit.failure({ id: session.user.id }, "code", where);
      c.var.log.info("second factor refused", { userId: session.user.id, reason: result.reason });
      // The same words for a wrong code and a lock (test/mfa/lock-disclosure.test.ts), in the method's terms.
      const method = await methodOf(session);
      return sendPage(
        c,
        <MfaCodePage
          csrfToken={c.var.csrfToken}
          method={method}
          error={codeFailureFor(method)}
          passkey={await passkeyStepForm(s, c, session.user.id, method)}
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
      if (until) {
        const timeZone = (await s.sites.byId(access.session.user.siteId))?.timeZone;
        return sendPage(c, <ContinueAppSetupPage csrfToken={c.var.csrfToken} until={until} timeZone={timeZone} />);
      }
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
      where: webSignIn(c),
    });
    if (result.ok) {
      c.var.log.info("mfa activated", { userId: session.user.id, method: "app" });
      return afterActivation(s, c, session, cookies, access.replace ? replacedMessage("authenticator app") : undefined);
    }
    if (result.reason === "invalid" || result.reason === "locked") {
      return appSetupPage(c, session, pending, 422, { error: GENERIC_CODE_FAILURE });
    }
    throw setupChanged();
  });

  return app;
}
