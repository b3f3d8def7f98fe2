import { createHmac } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { newToken, safeEqual } from "../../util/opaque-tokens.js";
import { CSRF_COOKIE, readCookie, writeCsrfCookie, type CookieSettings } from "./cookies.js";
import type { AppEnv } from "./env.js";
import { postedToken } from "./form-body.js";
import { CSRF_FIELD } from "../../render/layout.js";
import { toSignIn } from "./guards.js";

/** Request header in which htmx and scripts send the CSRF token (forms send the `_csrf` field). */
export const CSRF_HEADER = "x-csrf-token";

/** Options of the CSRF middleware: cookie settings, the signing key, the site's origin, exemptions. */
export interface CsrfOptions extends CookieSettings {
  /** The key tokens are signed with (Services.csrfKey, derived from FORMGATE_SECRET_KEY). */
  key: Buffer;
  /** PUBLIC_URL: when set, its origin is the only one an unsafe request may come from. */
  publicUrl?: string | undefined;
  /** Behind a proxy (TRUST_PROXY) the site's origin is read from X-Forwarded-Proto/Host when PUBLIC_URL is unset. */
  trustProxy?: boolean;
  /** Paths that authenticate by bearer token and accept only JSON, which a cross-site form cannot send. */
  exemptPrefixes?: string[];
  /**
   * Called for a same-origin unsafe request whose token is not this browser's anonymous one while
   * the session cookie it carried has ended (the session ended while a form was open), with the token it sent: its
   * answer (keep the post, go to sign in) replaces the 403; null keeps the 403.
   */
  onEndedSession?: (c: Context<AppEnv>, sentToken: string) => Promise<Response | null>;
}

/**
 * The CSRF token of a browser: HMAC-SHA256 with the server's key over the browser's CSRF cookie and
 * the signed-in user's id (none before sign-in), base64url. A cookie planted from a sibling site
 * with a matching field is worth nothing: the field must be signed for this cookie and this user,
 * and only the server can sign.
 */
export function csrfTokenFor(key: Buffer, cookie: string, userId: string | null): string {
  return createHmac("sha256", key)
    .update(`${cookie}\n${userId ?? "-"}`)
    .digest("base64url");
}

/** The origin this site is served from: PUBLIC_URL's, else the request's own (through a trusted proxy). */
function siteOrigin(c: Context<AppEnv>, options: CsrfOptions): string {
  if (options.publicUrl) return new URL(options.publicUrl).origin;
  const own = new URL(c.req.url);
  if (!options.trustProxy) return own.origin;
  // Behind a proxy: the scheme and host the browser used, as the proxy forwards them.
  const first = (name: string) => c.req.header(name)?.split(",")[0]?.trim() || undefined;
  const proto = first("x-forwarded-proto") ?? own.protocol.replace(/:$/, "");
  return `${proto}://${first("x-forwarded-host") ?? own.host}`;
}

/** The origin an unsafe request says it comes from: Origin, else Referer's (OWASP); null when neither. */
function claimedOrigin(c: Context<AppEnv>): string | null {
  const origin = c.req.header("origin");
  if (origin !== undefined) return origin;
  const referer = c.req.header("referer");
  if (!referer) return null;
  try {
    return new URL(referer).origin;
  } catch {
    return "null";
  }
}

const EXPIRED = "This form has expired or did not come from this site. Reload the page and try again.";

/**
 * CSRF protection (OWASP: signed double-submit cookie plus origin verification). Every browser gets a
 * random HttpOnly SameSite=Lax cookie (`__Host-` prefixed behind TLS); pages carry
 * csrfTokenFor(cookie, signed-in user) in their forms and in the meta tag htmx echoes in a header.
 * An unsafe request is refused with 403 when the browser marks it cross-site, when its Origin (or
 * Referer) is missing or not this site's, or when its token is not the one signed for its cookie and
 * user. Nothing is read or written before the check.
 */
export function csrfProtection(options: CsrfOptions): MiddlewareHandler<AppEnv> {
  const exempt = options.exemptPrefixes ?? [];
  return async (c, next) => {
    if (exempt.some((p) => c.req.path.startsWith(p))) return next();
    let cookie = readCookie(c, CSRF_COOKIE, options);
    if (!cookie || !/^[A-Za-z0-9_-]{43}$/.test(cookie)) {
      cookie = newToken();
      writeCsrfCookie(c, options, cookie);
    }
    const expected = csrfTokenFor(options.key, cookie, c.var.session?.user.id ?? null);
    c.set("csrfToken", expected);
    const method = c.req.method;
    if (method === "GET" || method === "HEAD" || method === "OPTIONS") return next();
    if (c.req.header("sec-fetch-site") === "cross-site") {
      throw new HTTPException(403, { message: "Cross-site request refused." });
    }
    const origin = claimedOrigin(c);
    if (origin !== siteOrigin(c, options)) {
      c.var.log.info("csrf refused", { reason: origin === null ? "no origin" : "foreign origin" });
      throw new HTTPException(403, { message: EXPIRED });
    }
    let sent = c.req.header(CSRF_HEADER);
    if (!sent) {
      // The one form reader: a malformed body is a 400 here already, and the route reuses the parse.
      sent = await postedToken(c, CSRF_FIELD);
    }
    if (!sent || !safeEqual(sent, expected)) {
      // Only a browser whose session cookie was just found ended (staleSession): a forgery without one stays a 403.
      const ended = c.var.staleSession && !c.var.session ? options.onEndedSession : undefined;
      const answer = sent && ended ? await ended(c, sent) : null;
      if (answer) return answer;
      c.var.log.info("csrf refused", { reason: sent ? "token" : "no token" });
      // htmx from a page whose session ended elsewhere (signed out in another tab, cookie gone):
      // still a 403 with nothing in it, but htmx follows HX-Redirect whatever the status, so the
      // sign-in opens as a full page instead of an error swapped into the dialog. Nothing runs.
      if (!c.var.session && c.req.header("hx-request") === "true") {
        return new Response(null, { status: 403, headers: toSignIn(c, null).headers });
      }
      throw new HTTPException(403, { message: EXPIRED });
    }
    return next();
  };
}
