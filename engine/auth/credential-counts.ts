import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";

/** Live credentials of one user: what a credential change (engine/auth/revocation.ts) would end. */
export interface LiveCredentials {
  /** Web sessions that have not expired (signed in, or half-way through MFA). */
  webSessions: number;
  /** Device API bearer tokens that have not expired. */
  deviceTokens: number;
}

/** Counts a user's live credentials, for a confirmation that says what a change will end. */
export class CredentialCounts {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async of(userId: string): Promise<LiveCredentials> {
    const { rows } = await this.db.query<LiveCredentials>(
      `SELECT (SELECT count(*)::int FROM sessions WHERE user_id = $1 AND expires_at > $2 AND idle_expires_at > $2)
           AS "webSessions",
         (SELECT count(*)::int FROM device_tokens WHERE user_id = $1 AND expires_at > $2) AS "deviceTokens"`,
      [userId, this.clock.now()],
    );
    return rows[0]!;
  }
}
