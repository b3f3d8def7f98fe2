/**
 * Passkeys on the web: GET/POST /mfa/setup/passkey (register one: while setting up MFA, or to add
 * another factor when signed in) and POST /login/mfa/passkey (the second step with a passkey).
 */
import { Hono, type Context } from "hono";
import { tooManyAttempts } from "../../auth/password-confirmation.js";
import type { Session } from "../../auth/sessions.js";
import { decideAfterPassword } from "../../mfa/sign-in-flow.js";
import type { Services } from "../../services.js";
import { clearSessionCookie, writeSessionCookie, type CookieSettings } from "../http/cookies.js";
import type { AppEnv } from "../http/env.js";
import { flash } from "../http/flash.js";
import { signInStepPath } from "../http/guards.js";
import { sendPage } from "../http/page.js";
import { readForm } from "../http/form-body.js";
import { MfaCodePage } from "./mfa-pages.js";
import {
  afterActivation,
  FACTOR_NOT_ALLOWED,
  finishSignIn,
  mustReplaceFactor,
  selfActor,
  setupChanged,
} from "./mfa-route-helpers.js";
import { holdsAllowedFactor } from "../../mfa/site-policy.js";
import { PasskeyScripts, PasskeySetupPage, PasskeySignInForm, type Reauth } from "./passkey-pages.js";
import { normaliseCode } from "../../mfa/totp.js";
import { parseClientJson } from "../../util/json-depth.js";
import { askingBrowser, webSignIn } from "../http/client-address.js";
import type { AskingBrowser } from "../../auth/password-confirmation.js";
import type { FactorMethod } from "../../mfa/status.js";

/** The largest WebAuthn answer a form may carry (characters of JSON); real ones are a few kilobytes. */
const MAX_RESPONSE_CHARS = 32_768;

/** Same words for every refused passkey, a lock included: a guesser learns nothing. */
export const PASSKEY_FAILURE = "The passkey was not accepted. Try again, or use another way to sign in.";

/** The `response` field as parsed JSON, or null when it is missing, too long, too deeply nested or not JSON. */
export function readPasskeyResponse(fields: Record<string, string>): unknown {
  const raw = fields.response ?? "";
  if (!raw || raw.length > MAX_RESPONSE_CHARS) return null;
  try {
    // Nested deeper than any WebAuthn answer: refused like text that is not JSON.
    const value: unknown = parseClientJson(raw);
    return value && typeof value === "object" ? value : null;
  } catch {
    return null;
  }
}

/** Where the passkey step's "other ways" lead a user who holds no code factor: /login/mfa has no code field for them. */
export const NO_CODE_OTHERS = { href: "/login/recovery", text: "Use a recovery code or a temporary access pass" };

/**
 * The "Use a passkey" form of /login/mfa for a user who holds passkeys (fresh request options),
 * with the scripts; null for a user without one. Its other way (said where JavaScript is off) is
 * the code field for a user with an app or a token, the recovery page for a passkey-only user.
 * `method`: the user's activation method, which the page read already (undefined when none).
 */
export async function passkeyStepForm(
  s: Services,
  c: Context<AppEnv>,
  userId: string,
  method: FactorMethod | undefined,
) {
  if (!(await s.passkeys.store.descriptorsOf(userId)).length) return null;
  const holdsCode = (method ?? "passkey") !== "passkey";
  const options = await s.passkeys.assertion.options("second_factor", userId);
  return (
    <>
      <PasskeySignInForm
        csrfToken={c.var.csrfToken}
        action="/login/mfa/passkey"
        options={options}
        label="Use a passkey"
        id="passkey-step"
        others={
          holdsCode
            ? { href: "/login/mfa", text: "Enter a code instead, if you have an authenticator" }
            : NO_CODE_OTHERS
        }
      />
      <PasskeyScripts />
    </>
  );
}

/** Where a passkey page sends a user whose site's policy does not allow passkeys. */
export const PASSKEY_NOT_ALLOWED = "Your site does not allow passkeys: no passkey can be added.";

/** Asked of a signed-in user who adds a further passkey without a password or code in the form. */
export const REAUTH_NEEDED = "Enter your current password, or a code from your authenticator, to add a passkey.";
/** REAUTH_NEEDED for a user whose factors are passkeys only: there is no code to offer. */
export const REAUTH_PASSWORD_NEEDED = "Enter your current password to add a passkey.";
/** A wrong password or code: nothing was added (the same words for both). */
export const REAUTH_FAILED = "The password or code is not correct. No passkey was added.";

/**
 * Who may register a passkey: a session setting up MFA, or a signed-in user whose MFA is on.
 * `reauth`: an ordinary signed-in session of a user who already holds a factor must prove it is
 * still the user (current password or a fresh code) in the same POST: a stolen session alone adds
 * no factor (a session signed in with a recovery code or a pass just proved it: their setup grant).
 */
async function registerAccess(
  s: Services,
  c: Context<AppEnv>,
): Promise<{ session: Session; reauth: Reauth; replace: boolean } | { response: Response }> {
  const session = c.var.session;
  if (!session || (session.stage !== "mfa_setup" && session.stage !== "full")) {
    return { response: c.redirect(signInStepPath(session), 303) };
  }
  const status = await s.mfa.statusOf(session.user.id);
  // A session signed in with a recovery code or an access pass may add a passkey too.
  const policy = await s.mfaPolicies.get(session.user.siteId);
  const forced = status.activation !== null && !holdsAllowedFactor(status.activation, policy.allowedMethods);
  const granted =
    status.enabled &&
    ((forced && session.stage === "mfa_setup") || (await s.recovery.grants.of(session.tokenHash)) !== null);
  if (
    session.stage === "mfa_setup" &&
    !granted &&
    decideAfterPassword(status, s.clock.now()).status !== "mfa_setup_required"
  ) {
    await s.sessions.revoke(session.tokenHash);
    return { response: c.redirect("/login", 303) };
  }
  if (session.stage === "full" && !status.enabled) return { response: c.redirect("/account", 303) };
  // The site's policy may leave passkeys out of the methods setup offers: say so where the user lands.
  if (!policy.allowedMethods.includes("passkey")) {
    flash(c, PASSKEY_NOT_ALLOWED);
    return { response: c.redirect(session.stage === "full" ? "/account" : "/mfa/setup", 303) };
  }
  // A granted session's passkey replaces the lost factor, as its app or token would (setupAccess's `replace`).
  const reauth: Reauth =
    session.stage !== "full" || status.activation === null || granted
      ? false
      : status.activation.method === "passkey"
        ? "password"
        : "password-or-code";
  return { session, reauth, replace: granted };
}

/** Why a re-authentication was refused: the words, the status, and Retry-After for a lock. */
interface ReauthRefusal {
  error: string;
  status: 401 | 422 | 429;
  retryAfterSeconds?: number;
}

/**
 * The re-authentication of a signed-in user adding a factor: `code` (a current code of their
 * authenticator, spent like a sign-in code and counted against the code lock) when given, else
 * `currentPassword` (counted against the password lock the sign-in form would use for this browser,
 * `browser`: PasswordConfirmation). Null when
 * it holds, else the refusal.
 */
async function reauthenticate(
  s: Services,
  userId: string,
  fields: Record<string, string>,
  browser: AskingBrowser,
  reauth: Reauth,
): Promise<ReauthRefusal | null> {
  const code = (fields.code ?? "").trim();
  const password = fields.currentPassword ?? "";
  if (!code && !password) return { error: reauth === "password" ? REAUTH_PASSWORD_NEEDED : REAUTH_NEEDED, status: 422 };
  const failed = { error: REAUTH_FAILED, status: 401 } as const;
  // Not a code (normaliseCode null) is checked as "", which matches nothing and counts as a failure.
  if (code) {
    const where = { surface: "web", address: browser.address } as const;
    return (await s.mfa.codes.verifyCode(userId, normaliseCode(code) ?? "", undefined, where)).ok ? null : failed;
  }
  const checked = await s.passwordConfirmation.confirm(userId, password, browser);
  if (checked.kind !== "locked") return checked.kind === "ok" ? null : failed;
  const { retryAfterSeconds } = checked;
  return { error: `${tooManyAttempts(retryAfterSeconds)} No passkey was added.`, status: 429, retryAfterSeconds };
}

/** GET/POST /mfa/setup/passkey and POST /login/mfa/passkey. */
export function passkeyRoutes(s: Services, cookies: CookieSettings) {
  const app = new Hono<AppEnv>();

  const setupPage = async (
    c: Context<AppEnv>,
    session: Session,
    status: 200 | 401 | 409 | 422 | 429 = 200,
    p: { name?: string; error?: string; fieldError?: string; reauth?: Reauth; reauthError?: string } = {},
  ) => {
    const options = await s.passkeys.registration.options(session.user);
    const back =
      session.stage === "full"
        ? { href: "/account", text: "Back to your account" }
        : { href: "/mfa/setup", text: "Choose another method" };
    return sendPage(c, <PasskeySetupPage csrfToken={c.var.csrfToken} options={options} back={back} {...p} />, status);
  };

  app.get("/mfa/setup/passkey", async (c) => {
    const access = await registerAccess(s, c);
    if ("response" in access) return access.response;
    return setupPage(c, access.session, 200, { reauth: access.reauth });
  });

  app.post("/mfa/setup/passkey", async (c) => {
    const access = await registerAccess(s, c);
    if ("response" in access) return access.response;
    const { session, reauth, replace } = access;
    const fields = (await readForm(c)).one;
    const name = (fields.name ?? "").slice(0, 200);
    if (reauth) {
      const refused = await reauthenticate(s, session.user.id, fields, askingBrowser(c, cookies), reauth);
      if (refused) {
        c.var.log.info("passkey refused", { userId: session.user.id, reason: "reauthentication" });
        if (refused.retryAfterSeconds) c.header("Retry-After", String(refused.retryAfterSeconds));
        return setupPage(c, session, refused.status, { name, reauth, reauthError: refused.error });
      }
    }
    const response = readPasskeyResponse(fields);
    if (!response) {
      return setupPage(c, session, 422, {
        name,
        reauth,
        error: "The passkey was not created. Press the button and follow your browser.",
      });
    }
    const result = await s.passkeys.registration.register(session.user.id, response, name, selfActor(session), {
      replace,
    });
    if (!result.ok) {
      c.var.log.info("passkey refused", { userId: session.user.id, reason: result.reason });
      switch (result.reason) {
        case "bad_name":
          return setupPage(c, session, 422, { name, reauth, fieldError: "Enter a name of 1 to 64 characters." });
        case "duplicate":
          return setupPage(c, session, 409, { name, reauth, error: "This passkey is already registered." });
        case "not_enabled":
          throw setupChanged();
        default:
          return setupPage(c, session, 422, {
            name,
            reauth,
            error: "This setup page has expired or the passkey could not be checked. Try again.",
          });
      }
    }
    c.var.log.info("passkey added", {
      userId: session.user.id,
      activated: result.activated,
      replaced: result.replaced,
    });
    const message = result.activated
      ? "Multi-factor authentication (MFA) is now on: from now on every sign-in asks for your passkey or a code."
      : result.replaced
        ? `Your passkey replaces your ${result.replaced === "hardware" ? "hardware token" : "authenticator app"}, which no longer signs in.`
        : "Your passkey was added.";
    // The first factor, or a sign-in without the device: recovery codes are made if none are left.
    if (result.activated || replace || session.stage === "mfa_setup") {
      return afterActivation(s, c, session, cookies, message);
    }
    flash(c, message);
    return finishSignIn(s, c, session, cookies, "/account");
  });

  app.post("/login/mfa/passkey", async (c) => {
    const session = c.var.session;
    if (session?.stage !== "mfa") return c.redirect(session?.stage === "full" ? "/" : signInStepPath(session), 303);
    const response = readPasskeyResponse((await readForm(c)).one);
    // A user whose every factor the policy no longer allows gets a setup-only session (as after a code).
    const forced = await mustReplaceFactor(s, session);
    const where = webSignIn(c);
    const result = response
      ? await s.passkeys.assertion.verify("second_factor", response, {
          userId: session.user.id,
          finish: s.signInAudit.withSuccess(
            "passkey",
            s.sessions.rotatePart(session, { stage: forced ? "mfa_setup" : "full" }, c.var.clientAddress),
            where,
          ),
          where,
        })
      : null;
    if (!result?.ok) {
      s.metrics.signIn("web", "failure");
      c.var.log.info("passkey refused", { userId: session.user.id, reason: result?.reason ?? "malformed" });
      // As a wrong code: a failure per burst; a lock this attempt set is mfa.lock (failedAttempt).
      if (result && result.reason !== "locked") await s.signInAudit.failure({ id: session.user.id }, "passkey", where);
      const method = (await s.mfa.statusOf(session.user.id)).activation?.method;
      return sendPage(
        c,
        <MfaCodePage
          csrfToken={c.var.csrfToken}
          method={method}
          error={PASSKEY_FAILURE}
          passkey={await passkeyStepForm(s, c, session.user.id, method)}
        />,
        response ? 401 : 422,
      );
    }
    if (!result.finished) {
      clearSessionCookie(c, cookies);
      return c.redirect("/login", 303);
    }
    s.metrics.signIn("web", "success");
    c.var.log.info("signed in", { userId: session.user.id, mfa: true, passkey: true });
    writeSessionCookie(c, cookies, result.finished.token, result.finished.expiresAt);
    if (forced) {
      flash(c, FACTOR_NOT_ALLOWED);
      return c.redirect("/mfa/setup", 303);
    }
    return c.redirect("/", 303);
  });

  return app;
}
