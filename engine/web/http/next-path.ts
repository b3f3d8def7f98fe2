import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { cookieName, readCookie, type CookieSettings } from "./cookies.js";

/** Name of the cookie that carries `?next=` from the password step through the MFA steps. */
export const NEXT_COOKIE = "fg_next";
/** Longest path kept as a place to return to (characters). */
const MAX_NEXT_LENGTH = 512;
/** Paths a sign-in never returns to (they would loop or sign out). */
const NEVER = /^\/(login|logout|setup|mfa)(\/|$|\?)/;

/**
 * `raw` when it is a safe place to return to after signing in, else null: a same-origin path
 * (starts with one `/`, never `//` or `/\`, no backslash, no control character or space, at most
 * 512 characters), not a sign-in page itself, that the URL parser (WHATWG URL, as browsers) keeps on
 * this origin unchanged. Absolute URLs (`https://…`, `javascript:…`) are refused. Pure, never throws.
 */
export function safeNextPath(raw: unknown): string | null {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > MAX_NEXT_LENGTH) return null;
  // eslint-disable-next-line no-control-regex -- control characters are what a safe path must not hold
  if (!/^\/(?![/\\])[^\\\s\x00-\x1f\x7f]*$/.test(raw)) return null;
  if (NEVER.test(raw)) return null;
  let url: URL;
  try {
    url = new URL(raw, "http://formgate.invalid");
  } catch {
    return null;
  }
  if (url.origin !== "http://formgate.invalid") return null;
  const path = `${url.pathname}${url.search}`;
  return path === raw || `${path}${url.hash}` === raw ? raw : null;
}

/** Keeps a safe `next` (safeNextPath) for the steps after the password: HttpOnly, 15 minutes; nothing for an unsafe one. */
export function keepNextPath(c: Context, settings: CookieSettings, next: unknown): void {
  const path = safeNextPath(next);
  if (!path) return;
  setCookie(c, cookieName(settings, NEXT_COOKIE), encodeURIComponent(path), {
    httpOnly: true,
    sameSite: "Lax",
    secure: settings.secure,
    path: "/",
    maxAge: 15 * 60,
  });
}

/**
 * Where a finished sign-in goes: the kept `next` (checked again) or `fallback`, and the cookie is
 * cleared. `given` (a `next` posted with the form) wins over the cookie.
 */
export function nextAfterSignIn(c: Context, settings: CookieSettings, given?: unknown, fallback = "/"): string {
  const kept = readCookie(c, NEXT_COOKIE, settings);
  if (kept !== undefined) deleteCookie(c, cookieName(settings, NEXT_COOKIE), { path: "/", secure: settings.secure });
  let fromCookie: string | null;
  try {
    fromCookie = kept ? safeNextPath(decodeURIComponent(kept)) : null;
  } catch {
    fromCookie = null;
  }
  return safeNextPath(given) ?? fromCookie ?? fallback;
}

/**
 * The sign-in page's address that returns to `path` afterwards (`/login?next=…`), or plain `/login`
 * when `path` is not a safe place (safeNextPath).
 */
export function loginPathFor(path: string | null | undefined): string {
  const safe = safeNextPath(path);
  return safe && safe !== "/" ? `/login?next=${encodeURIComponent(safe)}` : "/login";
}
