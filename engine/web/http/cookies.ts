import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";

export const SESSION_COOKIE = "fg_session";
export const CSRF_COOKIE = "fg_csrf";

export interface CookieSettings {
  /** Behind a TLS-terminating proxy (TRUST_PROXY) cookies must be Secure. */
  secure: boolean;
}

export function readCookie(c: Context, name: string): string | undefined {
  return getCookie(c, name);
}

export function writeSessionCookie(c: Context, settings: CookieSettings, token: string, expiresAt: Date): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "Lax",
    secure: settings.secure,
    path: "/",
    expires: expiresAt,
  });
}

export function clearSessionCookie(c: Context, settings: CookieSettings): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: settings.secure });
}

export function writeCsrfCookie(c: Context, settings: CookieSettings, token: string): void {
  setCookie(c, CSRF_COOKIE, token, { httpOnly: true, sameSite: "Lax", secure: settings.secure, path: "/" });
}
