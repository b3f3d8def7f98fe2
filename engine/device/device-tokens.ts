import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { type Sql, Statement, sql } from "../db/statement.js";
import { credentialGate, type CredentialGate, epochIsCurrent } from "../auth/credential-gate.js";
import type { CredentialKind } from "../auth/revocation.js";
import { hashToken, newToken } from "../util/opaque-tokens.js";

/** Lifetimes and limits of device sign-in, in seconds and attempts. */
export interface DeviceTokenPolicy {
  /** A bearer token's absolute lifetime; the app signs in again after it. */
  tokenSeconds: number;
  /** A challenge carries one sign-in from the password to the code: minutes. */
  challengeSeconds: number;
  /** Wrong codes one challenge takes before it dies (the account lock is separate and shared with the web). */
  challengeMaxFailures: number;
}

/** Default device lifetimes: bearer tokens 30 days, challenges 5 minutes with at most 5 wrong codes. */
export const DEFAULT_DEVICE_POLICY: DeviceTokenPolicy = {
  tokenSeconds: 30 * 86_400,
  challengeSeconds: 5 * 60,
  challengeMaxFailures: 5,
};

/** The user a device bearer token signs in, as the device API returns it. */
export interface DeviceTokenUser {
  id: string;
  siteId: string;
  username: string;
  displayName: string;
  email: string | null;
  role: "admin" | "designer" | "user";
}

/**
 * A valid device bearer token as a request sees it: the SHA-256 hash of the token (the token itself
 * is never stored), when it was issued and expires, and its user.
 */
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
  unlabelled: boolean;
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
 * out once, only their SHA-256 stored. A credential change ends them through
 * CredentialRevocation; every request also checks that the user may still use
 * the device API (not disabled, device access).
 */
export class DeviceTokens implements CredentialKind {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    readonly policy: DeviceTokenPolicy = DEFAULT_DEVICE_POLICY,
  ) {}

  /**
   * Issues a token for a user with their credential epoch as it is now (no sign-in step: tests, a
   * console); it ends at expiry, at sign-out and through CredentialRevocation. Throws when the user
   * does not exist.
   */
  async issue(
    userId: string,
    clientAddress: string | null,
    db: Db = this.db,
  ): Promise<{ token: string; expiresAt: Date }> {
    const st = new Statement();
    const made = this.issueIn(st, credentialGate.current(st, st.param(userId, "uuid")), clientAddress);
    const [row] = await st.run<{ done: boolean }>(db, sql`SELECT EXISTS (SELECT 1 FROM ${made.cte}) AS done`);
    if (!row?.done) throw new Error(`no user ${userId} to issue a device token for`);
    return { token: made.token, expiresAt: made.expiresAt };
  }

  /**
   * issue as a part of a larger statement, for the user of `gate` (the one check every new
   * credential passes, engine/auth/credential-gate.ts), with its credential epoch. The token is
   * valid once the statement ran and the CTE named `cte` has a row (none when the gate refused).
   */
  issueIn(
    st: Statement,
    gate: CredentialGate,
    clientAddress: string | null,
  ): { token: string; expiresAt: Date; cte: Sql } {
    const token = newToken();
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.policy.tokenSeconds * 1000);
    const at = st.param(now, "timestamptz");
    const cte = st.with(
      "device_token",
      sql`INSERT INTO device_tokens (token_hash, user_id, created_at, last_used_at, expires_at, client_address,
         credential_epoch)
       SELECT ${st.param(hashToken(token), "bytea")}, g.user_id, ${at}, ${at}, ${st.param(expiresAt, "timestamptz")},
         ${st.param(clientAddress, "text")}, g.credential_epoch
       FROM ${gate} g
       RETURNING 1`,
    );
    return { token, expiresAt, cte };
  }

  /** The live token's owner; null when unknown, expired, signed out, revoked, or the user may not use it now. */
  async validate(token: string, clientLabel?: string): Promise<DeviceTokenInfo | null> {
    const tokenHash = hashToken(token);
    const now = this.clock.now();
    const { rows } = await this.db.query<TokenRow>(
      `SELECT t.token_hash, t.created_at, t.expires_at, t.last_used_at, t.client_label IS NULL AS unlabelled,
              u.id AS user_id, u.site_id, u.username, u.display_name, u.email, u.role,
              (t.expires_at > $2 AND NOT u.disabled AND u.device_access AND ${epochIsCurrent(sql`t`, sql`u`)}) AS live
       FROM device_tokens t
       JOIN users u ON u.id = t.user_id
       WHERE t.token_hash = $1`,
      [tokenHash, now],
    );
    const r = rows[0];
    if (!r) return null;
    if (!r.live) {
      // Expired, or its user may no longer use it, or issued under an earlier credential epoch (a
      // sign-in that raced a change); a token never comes back to life.
      await this.db.query("DELETE FROM device_tokens WHERE token_hash = $1", [tokenHash]);
      return null;
    }
    // Record use (and the client's description, for /account) at most once a minute, not on every request.
    if (now.getTime() - new Date(r.last_used_at).getTime() > 60_000 || (r.unlabelled && clientLabel)) {
      await this.db.query(
        "UPDATE device_tokens SET last_used_at = $2, client_label = coalesce($3, client_label) WHERE token_hash = $1",
        [tokenHash, now, clientLabel?.slice(0, 80) ?? null],
      );
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

  readonly credentialKind = "deviceTokens";
  /** Bearer tokens end with every credential change but the one that saves it (CredentialRevocation). */
  readonly credentialRows = { table: "device_tokens", hashColumn: "token_hash" } as const;

  /** Housekeeping: expired tokens (revoked ones go on their next use); how many were deleted. */
  async purgeExpired(): Promise<number> {
    const now = this.clock.now();
    return (await this.db.query("DELETE FROM device_tokens WHERE expires_at <= $1", [now])).rowCount;
  }
}
