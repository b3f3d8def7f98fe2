import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { hashToken, newToken } from "../util/tokens.js";

export interface DeviceTokenPolicy {
  /** A bearer token's absolute lifetime; the app signs in again after it. */
  tokenSeconds: number;
  /** A challenge carries one sign-in from the password to the code: minutes. */
  challengeSeconds: number;
  /** Wrong codes one challenge takes before it dies (the account lock is separate and shared with the web). */
  challengeMaxFailures: number;
}

export const DEFAULT_DEVICE_POLICY: DeviceTokenPolicy = {
  tokenSeconds: 30 * 86_400,
  challengeSeconds: 5 * 60,
  challengeMaxFailures: 5,
};

export interface DeviceTokenUser {
  id: string;
  siteId: string;
  username: string;
  displayName: string;
  email: string | null;
  role: "admin" | "designer" | "user";
}

export interface DeviceTokenInfo {
  tokenHash: Buffer;
  createdAt: Date;
  expiresAt: Date;
  user: DeviceTokenUser;
}

interface TokenRow {
  token_hash: Buffer | Uint8Array;
  created_at: Date;
  expires_at: Date;
  last_used_at: Date;
  user_id: string;
  site_id: string;
  username: string;
  display_name: string;
  email: string | null;
  role: DeviceTokenUser["role"];
  live: boolean;
}

/**
 * Bearer tokens of the device API (The Copenhagen Book): 256 random bits handed
 * out once, only their SHA-256 stored. Validity is decided on every request
 * against the user as they are now (see migration 005).
 */
export class DeviceTokens {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    readonly policy: DeviceTokenPolicy = DEFAULT_DEVICE_POLICY,
  ) {}

  /**
   * Issues a token for a user. It remembers the MFA state in force now (copied
   * in SQL, so the timestamps compare exactly) and dies when that state changes.
   */
  async issue(
    userId: string,
    clientAddress: string | null,
    db: Db = this.db,
  ): Promise<{ token: string; expiresAt: Date }> {
    const token = newToken();
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.policy.tokenSeconds * 1000);
    await db.query(
      `INSERT INTO device_tokens (token_hash, user_id, created_at, mfa_enabled_at, mfa_disabled_at, mfa_activated_at,
         last_used_at, expires_at, client_address)
       SELECT $1, $2, $3, ms.enabled_at, ms.disabled_at, e.activated_at, $3, $4, $5
       FROM (SELECT $2::uuid AS user_id) u
       LEFT JOIN mfa_settings ms ON ms.user_id = u.user_id
       LEFT JOIN mfa_enrollments e ON e.user_id = u.user_id`,
      [hashToken(token), userId, now, expiresAt, clientAddress],
    );
    return { token, expiresAt };
  }

  /** The live token's owner; null when unknown, expired, signed out, or revoked by the user's current state. */
  async validate(token: string): Promise<DeviceTokenInfo | null> {
    const tokenHash = hashToken(token);
    const now = this.clock.now();
    const { rows } = await this.db.query<TokenRow>(
      `SELECT t.token_hash, t.created_at, t.expires_at, t.last_used_at,
              u.id AS user_id, u.site_id, u.username, u.display_name, u.email, u.role,
              (t.expires_at > $2 AND NOT u.disabled AND u.device_access
                AND t.mfa_enabled_at IS NOT DISTINCT FROM ms.enabled_at
                AND t.mfa_disabled_at IS NOT DISTINCT FROM ms.disabled_at
                AND t.mfa_activated_at IS NOT DISTINCT FROM e.activated_at) AS live
       FROM device_tokens t
       JOIN users u ON u.id = t.user_id
       LEFT JOIN mfa_settings ms ON ms.user_id = t.user_id
       LEFT JOIN mfa_enrollments e ON e.user_id = t.user_id
       WHERE t.token_hash = $1`,
      [tokenHash, now],
    );
    const r = rows[0];
    if (!r) return null;
    if (!r.live) {
      // Expired or revoked for good; a token never comes back to life.
      await this.db.query("DELETE FROM device_tokens WHERE token_hash = $1", [tokenHash]);
      return null;
    }
    // Record use at most once a minute, not on every request.
    if (now.getTime() - new Date(r.last_used_at).getTime() > 60_000) {
      await this.db.query("UPDATE device_tokens SET last_used_at = $2 WHERE token_hash = $1", [tokenHash, now]);
    }
    return {
      tokenHash,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      user: {
        id: r.user_id,
        siteId: r.site_id,
        username: r.username,
        displayName: r.display_name,
        email: r.email,
        role: r.role,
      },
    };
  }

  async revoke(tokenHash: Buffer): Promise<void> {
    await this.db.query("DELETE FROM device_tokens WHERE token_hash = $1", [tokenHash]);
  }

  async revokeAllForUser(userId: string, db: Db = this.db): Promise<number> {
    return (await db.query("DELETE FROM device_tokens WHERE user_id = $1", [userId])).rowCount;
  }

  /** Housekeeping: expired tokens and challenges (revoked ones go on their next use). */
  async purgeExpired(): Promise<number> {
    const now = this.clock.now();
    const a = await this.db.query("DELETE FROM device_tokens WHERE expires_at <= $1", [now]);
    const b = await this.db.query("DELETE FROM device_challenges WHERE expires_at <= $1 OR used_at IS NOT NULL", [now]);
    return a.rowCount + b.rowCount;
  }
}
