import type { Clock } from "../../clock.js";
import type { Db } from "../../db/db.js";
import { newToken } from "../../util/opaque-tokens.js";

/** What a WebAuthn challenge was handed out for: registering a passkey, the second step, passwordless, the device API. */
export type ChallengePurpose = "register" | "second_factor" | "passwordless" | "device";

/** A challenge stays answerable this long (seconds): the options' timeout plus a margin. */
export const CHALLENGE_SECONDS = 300;

/**
 * WebAuthn challenges (WebAuthn §13.4.3: random, at least 16 bytes, used once), kept in
 * PostgreSQL so any instance can check the answer: issued with the options, deleted by the
 * answer that names them (DELETE … RETURNING, so two answers cannot both use one).
 */
export class WebAuthnChallenges {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /**
   * A new challenge (32 random bytes, base64url) for `purpose`, bound to `userId` (null for a
   * passwordless sign-in); a user's earlier challenge of the same purpose ends, and expired ones
   * are swept.
   */
  async issue(purpose: ChallengePurpose, userId: string | null): Promise<string> {
    const challenge = newToken();
    const now = this.clock.now();
    await this.db.query("DELETE FROM webauthn_challenges WHERE expires_at <= $1", [now]);
    if (userId) {
      await this.db.query("DELETE FROM webauthn_challenges WHERE user_id = $1 AND purpose = $2", [userId, purpose]);
    }
    await this.db.query(
      "INSERT INTO webauthn_challenges (challenge, purpose, user_id, expires_at) VALUES ($1, $2, $3, $4)",
      [challenge, purpose, userId, new Date(now.getTime() + CHALLENGE_SECONDS * 1000)],
    );
    return challenge;
  }

  /**
   * Spends `challenge` if it is live and was issued for `purpose` (and `userId`, when given):
   * returns its user (null for passwordless), or undefined when there is no such live challenge.
   */
  async consume(
    challenge: string,
    purpose: ChallengePurpose,
    userId?: string,
  ): Promise<{ userId: string | null } | undefined> {
    if (typeof challenge !== "string" || challenge.length < 16 || challenge.length > 128) return undefined;
    const { rows } = await this.db.query<{ user_id: string | null }>(
      `DELETE FROM webauthn_challenges WHERE challenge = $1 AND purpose = $2 AND expires_at > $3
         AND ($4::uuid IS NULL OR user_id = $4::uuid)
       RETURNING user_id`,
      [challenge, purpose, this.clock.now(), userId ?? null],
    );
    return rows[0] ? { userId: rows[0].user_id } : undefined;
  }
}
