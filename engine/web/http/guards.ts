import type { MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Role } from "../../auth/user-accounts.js";
import type { Session } from "../../auth/sessions.js";
import type { AppEnv } from "./env.js";

/**
 * Where a session that is not fully signed in continues: its pending MFA step (`/mfa/setup`,
 * `/login/mfa`) while half-signed-in, else `/login`.
 */
export function signInStepPath(session: Session | null): string {
  if (session?.stage === "mfa_setup") return "/mfa/setup";
  if (session?.stage === "mfa") return "/login/mfa";
  return "/login";
}

/**
 * Only fully signed-in sessions pass; others go to their pending sign-in step (signInStepPath:
 * a half-signed-in user back to the MFA page they left, anyone else to /login) or get 401 (htmx).
 */
export function requireSignIn(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const s = c.var.session;
    if (!s || s.stage !== "full") {
      if (c.req.header("hx-request"))
        throw new HTTPException(401, {
          message: s ? "Finish signing in first." : "Your session has ended. Sign in again.",
        });
      return c.redirect(signInStepPath(s), 303);
    }
    return next();
  };
}

/**
 * Middleware letting through only a fully signed-in user with one of `roles`: others are redirected
 * (303) to their pending sign-in step (signInStepPath) when not fully signed in, or get 403.
 */
export function requireRole(...roles: Role[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const s = c.var.session;
    if (!s || s.stage !== "full") return c.redirect(signInStepPath(s), 303);
    if (!roles.includes(s.user.role)) throw new HTTPException(403, { message: "You do not have access to this page." });
    return next();
  };
}

/** The signed-in session; only call behind requireSignIn/requireRole. */
export function signedIn(c: { var: { session: Session | null } }): Session {
  const s = c.var.session;
  if (!s || s.stage !== "full") throw new HTTPException(401, { message: "Sign in first." });
  return s;
}
