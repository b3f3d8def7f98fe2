import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { hashToken, newToken } from "../util/opaque-tokens.js";
import type { CredentialKind } from "./revocation.js";

/**
 * A remembered browser as /account lists it: a public id, the browser in words, when added and last
 * used, expiry, and whether it is the browser asking (its cookie's token).
 */
export interface RememberedBrowser {
  id: string;
  browser: string;
  /** The browser the list is shown in (listOf's `currentToken`): two "Chrome on Linux" tell apart. */
  current: boolean;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
}

const PUBLIC_ID = "substr(encode(sha256(token_hash), 'hex'), 1, 32)";

/** "Chrome on Linux": a User-Agent header in a few words (at most 120 characters), for the account page only. */
export function browserInWords(userAgent: string | undefined): string {
  const ua = userAgent ?? "";
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /Firefox\//.test(ua)
      ? "Firefox"
      : /Chrom(e|ium)\//.test(ua)
        ? "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : "A browser";
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad/.test(ua)
      ? "iOS"
      : /Windows/.test(ua)
        ? "Windows"
        : /Mac OS X/.test(ua)
          ? "macOS"
          : /Linux/.test(ua)
            ? "Linux"
            : "";
  return (os ? `${browser} on ${os}` : browser).slice(0, 120);
}

/**
 * Browsers where a user chose "Don't ask again" after a code: a random token in an HttpOnly
 * cookie, its SHA-256 in remembered_browsers with the user and an expiry. The next password
 * sign-in of that user from that browser skips the code. A credential kind: every credential
 * change (CredentialRevocation) forgets all of the user's, and so does an MFA reset.
 */
export class RememberedBrowsers implements CredentialKind {
  readonly credentialKind = "rememberedBrowsers";
  /** Every remembered browser of the user is forgotten by CredentialRevocation. */
  readonly credentialRows = { table: "remembered_browsers", hashColumn: null } as const;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** Remembers this browser for `userId` for `days` days; the token for the cookie and its expiry. */
  async remember(userId: string, browser: string, days: number): Promise<{ token: string; expiresAt: Date }> {
    const token = newToken();
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + days * 86_400_000);
    await this.db.query(
      `INSERT INTO remembered_browsers (token_hash, user_id, browser, created_at, last_used_at, expires_at)
       VALUES ($1, $2, $3, $4, $4, $5)`,
      [hashToken(token), userId, browser.slice(0, 120), now, expiresAt],
    );
    return { token, expiresAt };
  }

  /** The user a live token remembers (marking it used), or null for an unknown or expired one. */
  async userOf(token: string | undefined): Promise<string | null> {
    if (!token || token.length > 64) return null;
    const { rows } = await this.db.query<{ user_id: string }>(
      `UPDATE remembered_browsers SET last_used_at = $2 WHERE token_hash = $1 AND expires_at > $2 RETURNING user_id`,
      [hashToken(token), this.clock.now()],
    );
    return rows[0]?.user_id ?? null;
  }

  /**
   * The user's live remembered browsers, newest first; the one whose token is `currentToken` (the
   * asking browser's cookie, when it has one) is marked current.
   */
  async listOf(userId: string, currentToken?: string): Promise<RememberedBrowser[]> {
    const current = currentToken && currentToken.length <= 64 ? hashToken(currentToken) : null;
    const { rows } = await this.db.query<RememberedBrowser>(
      `SELECT ${PUBLIC_ID} AS id, browser, created_at AS "createdAt", last_used_at AS "lastUsedAt",
         expires_at AS "expiresAt", coalesce(token_hash = $3, false) AS current
       FROM remembered_browsers WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC LIMIT 100`,
      [userId, this.clock.now(), current],
    );
    return rows;
  }

  /** Forgets one of the user's remembered browsers by public id; whether one was forgotten. */
  async forget(userId: string, id: string): Promise<boolean> {
    if (!/^[0-9a-f]{32}$/.test(id)) return false;
    const { rowCount } = await this.db.query(
      `DELETE FROM remembered_browsers WHERE user_id = $1 AND ${PUBLIC_ID} = $2`,
      [userId, id],
    );
    return rowCount > 0;
  }
}
