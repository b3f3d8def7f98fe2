import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";

/** Name of the cookie holding the session token (only its SHA-256 hash is stored). */
export const SESSION_COOKIE = "fg_session";
/** Name of the cookie holding the CSRF token (double-submit: forms and htmx send it back). */
export const CSRF_COOKIE = "fg_csrf";

/** Name of the cookie of a remembered browser ("Don't ask again": only its SHA-256 is stored). */
export const REMEMBER_COOKIE = "fg_remember";

/** How cookies are written for this deployment. */
export interface CookieSettings {
  /** Behind a TLS-terminating proxy (TRUST_PROXY) cookies must be Secure. */
  secure: boolean;
}

/** The value of the request cookie `name`, or undefined when absent. */
export function readCookie(c: Context, name: string): string | undefined {
  return getCookie(c, name);
}

/**
 * Sets the session cookie: HttpOnly, SameSite=Lax, path `/`, Secure behind TLS, expiring with the
 * session.
 */
export function writeSessionCookie(c: Context, settings: CookieSettings, token: string, expiresAt: Date): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "Lax",
    secure: settings.secure,
    path: "/",
    expires: expiresAt,
  });
}

/** Sets the remembered-browser cookie: HttpOnly, SameSite=Lax, path `/`, Secure behind TLS, until the row expires. */
export function writeRememberCookie(c: Context, settings: CookieSettings, token: string, expiresAt: Date): void {
  setCookie(c, REMEMBER_COOKIE, token, {
    httpOnly: true,
    sameSite: "Lax",
    secure: settings.secure,
    path: "/",
    expires: expiresAt,
  });
}

/** Deletes the session cookie (sign-out, expired session). */
export function clearSessionCookie(c: Context, settings: CookieSettings): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: settings.secure });
}

/**
 * Sets the CSRF cookie: HttpOnly, SameSite=Lax, path `/`, Secure behind TLS; a session cookie (no
 * expiry).
 */
export function writeCsrfCookie(c: Context, settings: CookieSettings, token: string): void {
  setCookie(c, CSRF_COOKIE, token, { httpOnly: true, sameSite: "Lax", secure: settings.secure, path: "/" });
}

/**
 * The answer when a session ended while a request that would have renewed it ran (it was revoked
 * meanwhile): the cookie is cleared and the browser goes to sign in again (303 to /login).
 */
export function signedOut(c: Context, settings: CookieSettings): Response {
  clearSessionCookie(c, settings);
  return c.redirect("/login", 303);
}
