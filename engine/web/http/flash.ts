/**
 * One-time messages after a change (POST, then redirect, then GET): the route
 * calls flash(c, "Saved nora."), the next page shows it once in an element
 * with role="status" (engine/render/notices.tsx), then it is gone.
 *
 * The text travels in a cookie sealed with the server's SecretBox (AES-256-GCM,
 * context bound to the signed-in user), so a client can neither write nor alter
 * what the page shows as the server's word; a cookie that does not open is
 * ignored. Nothing is stored server-side, so any instance can show it.
 */
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { SecretBox } from "../../mfa/secret-box.js";
import type { AppEnv } from "./env.js";
import type { CookieSettings } from "./cookies.js";

/** Name of the cookie carrying the one-time message (flash) to the next page. */
export const FLASH_COOKIE = "fg_flash";
/** Longer text is cut: a message names what changed, it is not a report. */
export const FLASH_MAX_CHARS = 500;

const contextFor = (c: Context<AppEnv>) => `flash:${c.var.session?.user.id ?? "-"}`;

/** Queues the message the next page shows once (call before redirecting). Replaces one queued earlier. */
export function flash(c: Context<AppEnv>, text: string): void {
  c.set("flashOut", text.slice(0, FLASH_MAX_CHARS));
}

/**
 * The message waiting for this request's page, if any, and marks it shown: the
 * response then clears the cookie. Call only when the message is rendered.
 */
export function takeFlash(c: Context<AppEnv>): string | null {
  const text = c.var.flashIn ?? null;
  if (text !== null) c.set("flashShown", true);
  return text;
}

/**
 * Reads the sealed cookie into c.var.flashIn before the route, and after it
 * writes a queued message (flash()) or clears the cookie once it was shown.
 * Runs after the session middleware (the seal is bound to the user).
 */
export function flashMessages(box: SecretBox, settings: CookieSettings): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const sealed = getCookie(c, FLASH_COOKIE);
    c.set("flashIn", null);
    if (sealed && sealed.length <= 2048) {
      try {
        c.set("flashIn", box.open(sealed, contextFor(c)).toString("utf8"));
      } catch {
        // Not ours, altered, or sealed for another user: not shown, and dropped below.
        c.set("flashShown", true);
      }
    }
    await next();
    const out = c.var.flashOut;
    if (out) {
      // The route may have rotated or ended the session; the seal follows the user it ends with.
      setCookie(c, FLASH_COOKIE, box.seal(Buffer.from(out, "utf8"), contextFor(c)), {
        httpOnly: true,
        sameSite: "Lax",
        secure: settings.secure,
        path: "/",
        maxAge: 300,
      });
    } else if (sealed && c.var.flashShown) {
      deleteCookie(c, FLASH_COOKIE, { path: "/", secure: settings.secure });
    }
  };
}
