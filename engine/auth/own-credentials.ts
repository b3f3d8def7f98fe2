import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";

/**
 * A live web session or device token as its owner sees it on /account: a public id (the first
 * 32 hex digits of SHA-256 over the stored token hash, so the page carries nothing a token could
 * be rebuilt from), where from, when it began and was last used, and whether it is the one asking.
 */
export interface OwnCredential {
  id: string;
  clientAddress: string | null;
  /** A short description of the client ("Firefox on Linux", an app's User-Agent); null until its first request. */
  clientLabel: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  current: boolean;
}

const PUBLIC_ID = "substr(encode(sha256(token_hash), 'hex'), 1, 32)";

/** A user's own live sessions and device tokens, and ending one of them (the end buttons of /account). */
export class OwnCredentials {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** Live web sessions (fully signed in), newest first; `current` marks the session with hash `currentHash`. */
  async sessions(userId: string, currentHash: Buffer): Promise<OwnCredential[]> {
    const { rows } = await this.db.query<OwnCredential>(
      `SELECT ${PUBLIC_ID} AS id, client_address AS "clientAddress", client_label AS "clientLabel", created_at AS "createdAt",
         last_seen_at AS "lastUsedAt", token_hash = $3 AS current
       FROM sessions WHERE user_id = $1 AND stage = 'full' AND expires_at > $2 AND idle_expires_at > $2
       ORDER BY created_at DESC LIMIT 100`,
      [userId, this.clock.now(), currentHash],
    );
    return rows;
  }

  /** Live device API tokens, newest first. */
  async deviceTokens(userId: string): Promise<OwnCredential[]> {
    const { rows } = await this.db.query<OwnCredential>(
      `SELECT ${PUBLIC_ID} AS id, client_address AS "clientAddress", client_label AS "clientLabel", created_at AS "createdAt",
         last_used_at AS "lastUsedAt", false AS current
       FROM device_tokens WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC LIMIT 100`,
      [userId, this.clock.now()],
    );
    return rows;
  }

  /** Ends the user's session or device token with public id `id` (never `keep`, the asking session); whether one ended. */
  async end(userId: string, kind: "session" | "device", id: string, keep: Buffer): Promise<boolean> {
    if (!/^[0-9a-f]{32}$/.test(id)) return false;
    const table = kind === "session" ? "sessions" : "device_tokens";
    const { rowCount } = await this.db.query(
      `DELETE FROM ${table} WHERE user_id = $1 AND ${PUBLIC_ID} = $2 AND token_hash <> $3`,
      [userId, id, keep],
    );
    return rowCount > 0;
  }

  /**
   * "Sign out everywhere else": ends every session of the user but `keep` (the asking one, whatever
   * their stage) and every device token, in one statement. Remembered browsers stay (forgetting one
   * is its own button). The numbers of sessions and device tokens ended.
   */
  async endAllBut(userId: string, keep: Buffer): Promise<{ sessions: number; devices: number }> {
    const { rows } = await this.db.query<{ sessions: number; devices: number }>(
      `WITH s AS (DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2 RETURNING 1),
            d AS (DELETE FROM device_tokens WHERE user_id = $1 RETURNING 1)
       SELECT (SELECT count(*) FROM s)::int AS sessions, (SELECT count(*) FROM d)::int AS devices`,
      [userId, keep],
    );
    return rows[0]!;
  }
}
