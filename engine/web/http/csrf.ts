import type { MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { newToken, safeEqual } from "../../util/tokens.js";
import { CSRF_COOKIE, readCookie, writeCsrfCookie, type CookieSettings } from "./cookies.js";
import type { AppEnv } from "./env.js";
import { readPostedForm } from "./form-body.js";
import { CSRF_FIELD } from "../../render/layout.js";

/** Request header in which htmx and scripts send the CSRF token (forms send the `_csrf` field). */
export const CSRF_HEADER = "x-csrf-token";

/** Options of the CSRF middleware: cookie settings and the bearer-token JSON paths it exempts. */
export interface CsrfOptions extends CookieSettings {
  /** Paths that authenticate by bearer token and accept only JSON, which a cross-site form cannot send. */
  exemptPrefixes?: string[];
}

/**
 * Double-submit token: a random HttpOnly SameSite=Lax cookie, echoed by every
 * form in a hidden field (or by htmx in a header). Unsafe requests without a
 * matching echo, or that the browser marks cross-site, are refused with 403.
 */
export function csrfProtection(options: CsrfOptions): MiddlewareHandler<AppEnv> {
  const exempt = options.exemptPrefixes ?? [];
  return async (c, next) => {
    if (exempt.some((p) => c.req.path.startsWith(p))) return next();
    let token = readCookie(c, CSRF_COOKIE);
    if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) {
      token = newToken();
      writeCsrfCookie(c, options, token);
    }
    c.set("csrfToken", token);
    const method = c.req.method;
    if (method === "GET" || method === "HEAD" || method === "OPTIONS") return next();
    if (c.req.header("sec-fetch-site") === "cross-site") {
      throw new HTTPException(403, { message: "Cross-site request refused." });
    }
    let sent = c.req.header(CSRF_HEADER);
    if (!sent) {
      // The shared reader: a malformed body is a 400 here already, and the route reuses the parse.
      const field = (await readPostedForm(c))[CSRF_FIELD]?.at(-1);
      sent = typeof field === "string" ? field : undefined;
    }
    if (!sent || !safeEqual(sent, readCookie(c, CSRF_COOKIE) ?? "")) {
      throw new HTTPException(403, {
        message: "This form has expired or did not come from this site. Reload the page and try again.",
      });
    }
    return next();
  };
}
