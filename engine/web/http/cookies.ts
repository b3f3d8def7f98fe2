import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";

/** Name of the cookie holding the session token (only its SHA-256 hash is stored). */
export const SESSION_COOKIE = "fg_session";
/** Name of the cookie holding the CSRF secret (forms and htmx send back a token signed over it). */
export const CSRF_COOKIE = "fg_csrf";

/** Name of the cookie of a remembered browser ("Don't ask again": only its SHA-256 is stored). */
export const REMEMBER_COOKIE = "fg_remember";

/** How cookies are written for this deployment. */
export interface CookieSettings {
  /** Behind a TLS-terminating proxy (TRUST_PROXY) cookies must be Secure. */
  secure: boolean;
}

/**
 * The name a cookie has in this deployment: behind TLS (Secure cookies) it takes the `__Host-`
 * prefix (RFC 6265bis §4.1.3.2), so a sibling subdomain cannot plant or overwrite it: the browser
 * accepts such a cookie only Secure, from a secure origin, with Path=/ and no Domain.
 */
export function cookieName(settings: CookieSettings, name: string): string {
  return settings.secure ? `__Host-${name}` : name;
}

/** The value of the request cookie `name` (in this deployment's naming), or undefined when absent. */
export function readCookie(c: Context, name: string, settings?: CookieSettings): string | undefined {
  return getCookie(c, settings ? cookieName(settings, name) : name);
}

/**
 * Sets the session cookie: HttpOnly, SameSite=Lax, path `/`, Secure behind TLS, expiring with the
 * session.
 */
export function writeSessionCookie(c: Context, settings: CookieSettings, token: string, expiresAt: Date): void {
  setCookie(c, cookieName(settings, SESSION_COOKIE), token, {
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
  deleteCookie(c, cookieName(settings, SESSION_COOKIE), { path: "/", secure: settings.secure });
}

/**
 * Sets the CSRF cookie: HttpOnly, SameSite=Lax, path `/`, Secure behind TLS; a session cookie (no
 * expiry).
 */
export function writeCsrfCookie(c: Context, settings: CookieSettings, token: string): void {
  setCookie(c, cookieName(settings, CSRF_COOKIE), token, {
    httpOnly: true,
    sameSite: "Lax",
    secure: settings.secure,
    path: "/",
  });
}

/**
 * The answer when a session ended while a request that would have renewed it ran (it was revoked
 * meanwhile): the cookie is cleared and the browser goes to sign in again (303 to /login).
 */
export function signedOut(c: Context, settings: CookieSettings): Response {
  clearSessionCookie(c, settings);
  return c.redirect("/login", 303);
}

/** Name of the device cookie: a known client's own password lock (engine/auth/known-clients.ts). */
export const DEVICE_COOKIE = "fg_device";
/** How long a browser stays a known client after its last correct password: 180 days. */
const DEVICE_COOKIE_SECONDS = 180 * 86_400;

/** Sets the device cookie: HttpOnly, SameSite=Lax, path `/`, Secure and `__Host-` behind TLS, 180 days. */
export function writeDeviceCookie(c: Context, settings: CookieSettings, value: string): void {
  setCookie(c, cookieName(settings, DEVICE_COOKIE), value, {
    httpOnly: true,
    sameSite: "Lax",
    secure: settings.secure,
    path: "/",
    maxAge: DEVICE_COOKIE_SECONDS,
  });
}
