import { createHmac, randomBytes } from "node:crypto";
import { safeEqual } from "../util/opaque-tokens.js";
import { accountKey } from "./throttle.js";

/**
 * Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): after a correct
 * password a browser gets a cookie signed with the server's key that names the user it signed in
 * and a random nonce. The password lock of an account is then two locks: one shared by every client
 * the account has not signed in from (five wrong passwords from anywhere lock those out), and one
 * per known client, with the same budget of its own. Someone guessing from elsewhere cannot lock the
 * owner out of the browser they use; a known client that guesses wrong locks only itself.
 *
 * Format: `nonce.mac`, both base64url; mac = HMAC-SHA256(key, "device\n" + folded username + "\n" +
 * nonce). The username is folded as the throttle folds it (lower case).
 */
export class KnownClients {
  constructor(private readonly key: Buffer) {}

  /** A new device cookie value for `username`. */
  issue(username: string): string {
    const nonce = randomBytes(16).toString("base64url");
    return `${nonce}.${this.#mac(username, nonce)}`;
  }

  /**
   * The throttle key of the password lock that a sign-in as `username` with device cookie `cookie`
   * counts against: the client's own when the cookie is genuine and names this user, else the shared
   * one of clients the account does not know (accountKey("password", username)).
   */
  lockKey(username: string, cookie: string | undefined): { key: string; known: boolean } {
    const nonce = cookie ? this.#verify(username, cookie) : null;
    const shared = accountKey("password", username);
    return nonce ? { key: `${shared}:client:${nonce}`, known: true } : { key: shared, known: false };
  }

  #verify(username: string, cookie: string): string | null {
    const m = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(cookie);
    if (!m) return null;
    return safeEqual(m[2]!, this.#mac(username, m[1]!)) ? m[1]! : null;
  }

  #mac(username: string, nonce: string): string {
    return createHmac("sha256", this.key).update(`device\n${username.toLowerCase()}\n${nonce}`).digest("base64url");
  }
}
