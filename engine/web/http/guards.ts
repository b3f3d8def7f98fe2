import type { MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Role } from "../../auth/user-accounts.js";
import type { Session } from "../../auth/sessions.js";
import type { AppEnv } from "./env.js";

/** Only fully signed-in sessions pass; others go to /login (pages) or get 401 (htmx). */
export function requireSignIn(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const s = c.var.session;
    if (!s || s.stage !== "full") {
      if (c.req.header("hx-request"))
        throw new HTTPException(401, { message: "Your session has ended. Sign in again." });
      return c.redirect("/login", 303);
    }
    return next();
  };
}

/**
 * Middleware letting through only a fully signed-in user with one of `roles`: others are redirected
 * to `/login` (303) when not signed in, or get 403.
 */
export function requireRole(...roles: Role[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const s = c.var.session;
    if (!s || s.stage !== "full") return c.redirect("/login", 303);
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
