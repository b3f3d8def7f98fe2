import { Hono } from "hono";
import type { AppEnv } from "../http/env.js";
import {
  clearSessionCookie,
  DEVICE_COOKIE,
  readCookie,
  REMEMBER_COOKIE,
  writeDeviceCookie,
  writeSessionCookie,
} from "../http/cookies.js";
import { sendPage } from "../http/page.js";
import { webSignIn } from "../http/client-address.js";
import { keepNextPath, nextAfterSignIn, safeNextPath } from "../http/next-path.js";
import { queryParams } from "../http/query.js";
import { RESUME_PATH, SESSION_ENDED } from "./resume-routes.js";
import { readForm } from "../http/form-body.js";
import type { Services } from "../../services.js";
import { FirstAdminPage, LoginPage } from "./login-pages.js";
import { passwordlessForm } from "./passwordless-routes.js";
import { SetupLinkError } from "../../auth/first-admin.js";
import { UserInputError } from "../../auth/user-accounts.js";
import { ValidationError } from "../../errors.js";
import { decideAfterPassword, passkeyNext, stageFor } from "../../mfa/sign-in-flow.js";

const GENERIC_FAILURE = "The username or password is incorrect.";
/** The sign-in and first-administrator forms' labels, for the message of a field holding text that cannot be stored. */
const SIGN_IN_LABELS = { username: "Username", password: "Password" };

/** /login, /logout and the one-time first-administrator link. */
export function loginRoutes(s: Services, cookieSettings: { secure: boolean }) {
  const app = new Hono<AppEnv>();

  app.get("/login", async (c) => {
    const next = safeNextPath(queryParams(c).next) ?? undefined;
    if (c.var.session?.stage === "full") return c.redirect(next ?? "/", 303);
    const passkey = await passwordlessForm(s, c);
    const notice = next === RESUME_PATH ? SESSION_ENDED : undefined;
    return sendPage(c, <LoginPage csrfToken={c.var.csrfToken} next={next} notice={notice} passkey={passkey} />);
  });

  app.post("/login", async (c) => {
    const {
      one: f,
      unstorable,
      errors: textErrors,
    } = await readForm(c, { onInvalid: "report", labels: SIGN_IN_LABELS });
    const username = (f.username ?? "").trim().slice(0, 64);
    const password = (f.password ?? "").slice(0, 256);
    // Where to go once signed in: a safe same-origin path only (safeNextPath), else the start page.
    const next = safeNextPath(f.next) ?? undefined;
    if (unstorable.length) {
      const error = textErrors[unstorable[0]!]!;
      return sendPage(c, <LoginPage csrfToken={c.var.csrfToken} username={username} next={next} error={error} />, 422);
    }
    if (!username || !password) {
      return sendPage(
        c,
        <LoginPage
          csrfToken={c.var.csrfToken}
          username={username}
          next={next}
          error="Enter your username and password."
        />,
        422,
      );
    }
    // One statement before Argon2 (throttles, the user, their MFA state) and one after it (throttles
    // cleared, the session): PasswordSignIn.check.
    const earlier = c.var.session;
    // A browser remembered after a code ("Don't ask again") skips the code for its own user.
    const remembered = await s.rememberedBrowsers.userOf(readCookie(c, REMEMBER_COOKIE));
    // A browser this account signed in from before (a device cookie) has a password lock of its own.
    const lock = s.knownClients.lockKey(username, readCookie(c, DEVICE_COOKIE, cookieSettings));
    const audited = webSignIn(c);
    const result = await s.passwordSignIn.check(
      username,
      password,
      c.var.clientAddress,
      {
        read: s.mfa.statusRead,
        finish: (st, user, status, gate) => {
          if (!user.webAccess) return null;
          // A token from before sign-in is dropped: session fixation is impossible.
          if (earlier) s.sessions.revokeIn(st, earlier.tokenHash);
          // With MFA the session starts half-signed-in ('mfa' or 'mfa_setup'): it reaches only the MFA pages.
          const decided = stageFor(decideAfterPassword(status!, s.clock.now()));
          const skipsCode = decided === "mfa" && remembered === user.id;
          const stage = skipsCode ? "full" : decided;
          const session = s.sessions.createIn(st, gate, st.param(user.siteId, "uuid"), stage, c.var.clientAddress);
          // The audit entry rides in this statement: no round trip added to the password step. It says
          // why no code was asked when a remembered browser skipped it (audit-words.ts words it).
          s.signInAudit.successIn(
            st,
            user.id,
            "password",
            audited,
            session.cte,
            skipsCode ? "remembered_browser" : stage,
            passkeyNext(stage, status!.activation),
          );
          return { stage, ...session };
        },
      },
      lock.key,
    );
    if (result.kind === "throttled") {
      s.metrics.signIn("web", "throttled");
      c.header("Retry-After", String(result.retryAfterSeconds));
      return sendPage(
        c,
        <LoginPage
          csrfToken={c.var.csrfToken}
          username={username}
          next={next}
          error={`Too many failed attempts. Try again in ${result.retryAfterSeconds} seconds.`}
        />,
        429,
      );
    }
    if (result.kind === "invalid" || !result.finished) {
      s.metrics.signIn("web", "failure");
      // Per burst, and only for an existing user (engine/audit/sign-in-audit.ts); never the password.
      const lockSeconds = result.kind === "invalid" ? result.lockSeconds : undefined;
      await s.signInAudit.failure({ username }, "password", audited, lockSeconds);
      c.var.log.info("sign-in failed", { reason: result.kind === "invalid" ? "credentials" : "no web access" });
      const again = <LoginPage csrfToken={c.var.csrfToken} username={username} next={next} error={GENERIC_FAILURE} />;
      return sendPage(c, again, 401);
    }
    const { stage, token, expiresAt } = result.finished;
    writeSessionCookie(c, cookieSettings, token, expiresAt);
    // The password was right: from now on this browser is a known client of this account.
    if (!lock.known) writeDeviceCookie(c, cookieSettings, s.knownClients.issue(username));
    s.metrics.signIn("web", stage === "full" ? "success" : "mfa_required");
    // The MFA steps read the place to return to from a short-lived cookie (nextAfterSignIn).
    if (stage !== "full") keepNextPath(c, cookieSettings, next);
    if (stage === "mfa") return c.redirect("/login/mfa", 303);
    if (stage === "mfa_setup") return c.redirect("/mfa/setup", 303);
    c.var.log.info("signed in", { userId: result.user.id });
    return c.redirect(nextAfterSignIn(c, cookieSettings, next), 303);
  });

  app.post("/logout", async (c) => {
    if (c.var.session) await s.sessions.revoke(c.var.session.tokenHash);
    clearSessionCookie(c, cookieSettings);
    return c.redirect("/login", 303);
  });

  app.get("/setup/:token", async (c) => {
    if (!(await s.firstAdmin.linkIsValid(c.req.param("token")))) throw new SetupLinkError();
    return sendPage(c, <FirstAdminPage csrfToken={c.var.csrfToken} action={`/setup/${c.req.param("token")}`} />);
  });

  app.post("/setup/:token", async (c) => {
    const token = c.req.param("token");
    const {
      one: f,
      unstorable,
      errors: textErrors,
    } = await readForm(c, { onInvalid: "report", labels: SIGN_IN_LABELS });
    const username = (f.username ?? "").trim();
    if (unstorable.length && (await s.firstAdmin.linkIsValid(token))) {
      const errors = Object.fromEntries(unstorable.map((n) => [n in SIGN_IN_LABELS ? n : "username", textErrors[n]!]));
      return sendPage(
        c,
        <FirstAdminPage csrfToken={c.var.csrfToken} action={`/setup/${token}`} username={username} errors={errors} />,
        422,
      );
    }
    try {
      // An unstorable post on a dead link gets the link's answer.
      if (unstorable.length) throw new SetupLinkError();
      await s.firstAdmin.complete(token, username, f.password ?? "");
    } catch (err) {
      if (err instanceof ValidationError) {
        // A UserInputError (username taken) names one field with a phrase; setupFormErrors gives sentences.
        const errors =
          err instanceof UserInputError
            ? { [err.field]: `${err.field === "username" ? "Username" : "Password"} ${err.message}.` }
            : err.fields;
        return sendPage(
          c,
          <FirstAdminPage csrfToken={c.var.csrfToken} action={`/setup/${token}`} username={username} errors={errors} />,
          422,
        );
      }
      throw err;
    }
    return c.redirect("/login", 303);
  });

  return app;
}
