import type { Context, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Role } from "../../auth/user-accounts.js";
import type { Session } from "../../auth/sessions.js";
import type { AppEnv } from "./env.js";
import { loginPathFor } from "./next-path.js";

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
 * The page a request was made from, to return to after signing in: for htmx the browser's page
 * (HX-Current-URL, same origin only), for a GET its own path and query, else none.
 */
function pageAsked(c: Context<AppEnv>): string | null {
  if (c.req.header("hx-request") === "true") {
    try {
      const current = new URL(c.req.header("hx-current-url") ?? "");
      return current.origin === new URL(c.req.url).origin ? `${current.pathname}${current.search}` : null;
    } catch {
      return null;
    }
  }
  if (c.req.method !== "GET") return null;
  const url = new URL(c.req.url);
  return `${url.pathname}${url.search}`;
}

/**
 * The answer to a request that needs a full sign-in it does not have: to the pending sign-in step
 * (signInStepPath), `/login?next=PAGE` for a user with no session (the page asked for, loginPathFor).
 * An htmx request gets the same place as `HX-Redirect` (200, empty), so the sign-in opens as a full
 * page, never inside a dialog or region.
 */
export function toSignIn(c: Context<AppEnv>, s: Session | null): Response {
  const step = signInStepPath(s);
  const target = step === "/login" ? loginPathFor(pageAsked(c)) : step;
  if (c.req.header("hx-request") === "true") {
    c.header("HX-Redirect", target);
    c.header("Cache-Control", "no-store");
    return c.body(null, 200);
  }
  return c.redirect(target, 303);
}

/**
 * Only fully signed-in sessions pass; others go to their pending sign-in step or to /login with the
 * page to return to (toSignIn; htmx by HX-Redirect).
 */
export function requireSignIn(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const s = c.var.session;
    if (!s || s.stage !== "full") return toSignIn(c, s);
    return next();
  };
}

/**
 * Middleware letting through only a fully signed-in user with one of `roles`: others go to their
 * sign-in step (toSignIn) when not fully signed in, or get 403.
 */
export function requireRole(...roles: Role[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const s = c.var.session;
    if (!s || s.stage !== "full") return toSignIn(c, s);
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
