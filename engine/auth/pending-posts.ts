import { createHash } from "node:crypto";
import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { hashToken, newToken } from "../util/opaque-tokens.js";

/** How long a kept post waits for the sign-in: 10 minutes. */
export const PENDING_POST_SECONDS = 10 * 60;
/** The most a kept post's fields may weigh, as JSON (bytes); a larger post is not kept. */
export const PENDING_POST_MAX_BYTES = 64 * 1024;
/** Fields never kept, only named (the user types them again): passwords and other secrets. */
const SECRET_FIELD = /password|passphrase|secret|key$|token$|^code$|^_csrf$/i;

/** A kept post as handed back once: where it went, its fields in order, and the names of fields not kept. */
export interface PendingPost {
  path: string;
  fields: [string, string][];
  dropped: string[];
  /** SHA-256 of the CSRF token the form carried (see PendingPosts.bindingOf). */
  bindingHash: Buffer;
}

/**
 * Forms posted after the session ended (issue 25), kept server-side for PENDING_POST_SECONDS so the
 * user signs in again and then finishes them. Tied to the browser by a random cookie token (only its
 * SHA-256 stored) and to the user by the form's CSRF token (signed for the browser and the user who
 * had the form: the caller compares it with the new session's). Single use, size-limited, and
 * secrets (passwords, codes) are never stored.
 */
export class PendingPosts {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** SHA-256 of a CSRF token, as stored in binding_hash. */
  static bindingOf(csrfToken: string): Buffer {
    return createHash("sha256").update(csrfToken).digest();
  }

  /**
   * Keeps a post to `path` (a same-origin path, checked by the caller) with `fields` (name, value in
   * order) and `csrfToken` (the token the form carried). Returns the cookie token, or null when the
   * fields weigh more than PENDING_POST_MAX_BYTES. Expired rows are removed in the same statement.
   */
  async keep(path: string, fields: [string, string][], csrfToken: string): Promise<string | null> {
    const kept = fields.filter(([name]) => !SECRET_FIELD.test(name));
    const dropped = [
      // Only secrets that were typed: a blank password field ("keep the current one") is not news.
      ...new Set(
        fields.filter(([name, value]) => SECRET_FIELD.test(name) && name !== "_csrf" && value !== "").map(([n]) => n),
      ),
    ];
    const json = JSON.stringify(kept);
    if (Buffer.byteLength(json) > PENDING_POST_MAX_BYTES || path.length > 2048) return null;
    const token = newToken();
    const now = this.clock.now();
    await this.db.query(
      `WITH purged AS (DELETE FROM pending_posts WHERE expires_at <= $6)
       INSERT INTO pending_posts (token_hash, binding_hash, path, fields, dropped, created_at, expires_at)
       VALUES ($1, $2, $3, $4::jsonb, $5::text[], $6, $7)`,
      [
        hashToken(token),
        PendingPosts.bindingOf(csrfToken),
        path,
        json,
        dropped,
        now,
        new Date(now.getTime() + PENDING_POST_SECONDS * 1000),
      ],
    );
    return token;
  }

  /** The post kept under `token`, removed as it is read (single use); null when unknown or expired. */
  async take(token: string): Promise<PendingPost | null> {
    const { rows } = await this.db.query<{
      path: string;
      fields: [string, string][];
      dropped: string[];
      binding_hash: Buffer | Uint8Array;
      expires_at: Date;
    }>("DELETE FROM pending_posts WHERE token_hash = $1 RETURNING path, fields, dropped, binding_hash, expires_at", [
      hashToken(token),
    ]);
    const r = rows[0];
    if (!r || new Date(r.expires_at) <= this.clock.now()) return null;
    return { path: r.path, fields: r.fields, dropped: r.dropped, bindingHash: Buffer.from(r.binding_hash) };
  }

  /** Removes expired rows; returns how many. */
  async purgeExpired(): Promise<number> {
    return (await this.db.query("DELETE FROM pending_posts WHERE expires_at <= $1", [this.clock.now()])).rowCount;
  }
}
