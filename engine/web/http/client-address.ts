import type { Context } from "hono";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { AskingBrowser } from "../../auth/password-confirmation.js";
import { type CookieSettings, DEVICE_COOKIE, readCookie } from "./cookies.js";
import type { AppEnv } from "./env.js";

/**
 * The client's address. Behind a trusted proxy it is the rightmost
 * X-Forwarded-For entry, the one our proxy appended; earlier entries are the
 * client's own claims.
 */
export function clientAddress(c: Context, trustProxy: boolean): string | null {
  if (trustProxy) {
    const xff = c.req.header("x-forwarded-for");
    const last = xff?.split(",").at(-1)?.trim();
    if (last) return last;
  }
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    // app.request() in tests has no socket.
    return null;
  }
}

/** A web sign-in step's audit context (engine/audit/sign-in-audit.ts): surface "web" and the request's client address. */
export function webSignIn(c: { var: { clientAddress: string | null } }) {
  return { surface: "web", address: c.var.clientAddress } as const;
}

/** The browser of a request whose current password is asked again (PasswordConfirmation): its device cookie and client address. */
export function askingBrowser(c: Context<AppEnv>, cookies: CookieSettings): AskingBrowser {
  return { deviceCookie: readCookie(c, DEVICE_COOKIE, cookies), address: c.var.clientAddress };
}
