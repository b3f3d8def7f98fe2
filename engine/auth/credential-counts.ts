import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";

/** Live credentials of one user: what a credential change (engine/auth/revocation.ts) would end. */
export interface LiveCredentials {
  /** Web sessions that have not expired (signed in, or half-way through MFA). */
  webSessions: number;
  /** Device API bearer tokens that have not expired. */
  deviceTokens: number;
}

/**
 * A user's ways back in without their factor: what an MFA reset or an administrator's password
 * change ends besides sessions (engine/mfa/recovery/recovery-kinds.ts).
 */
export interface LiveRecovery {
  /** Unused recovery codes of the user's set. */
  recoveryCodes: number;
  /** Whether a temporary access pass is live (not expired, not a spent one-time pass). */
  accessPass: boolean;
}

/** Counts a user's live credentials, for a confirmation that says what a change will end. */
export class CredentialCounts {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** The user's live web sessions and device tokens. */
  async of(userId: string): Promise<LiveCredentials> {
    const { rows } = await this.db.query<LiveCredentials>(
      `SELECT (SELECT count(*)::int FROM sessions WHERE user_id = $1 AND expires_at > $2 AND idle_expires_at > $2)
           AS "webSessions",
         (SELECT count(*)::int FROM device_tokens WHERE user_id = $1 AND expires_at > $2) AS "deviceTokens"`,
      [userId, this.clock.now()],
    );
    return rows[0]!;
  }

  /** The user's unused recovery codes and live access pass (as AccessPasses.liveOf reads one), in one query. */
  async recovery(userId: string): Promise<LiveRecovery> {
    const { rows } = await this.db.query<LiveRecovery>(
      `SELECT (SELECT count(*)::int FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL) AS "recoveryCodes",
         EXISTS (SELECT 1 FROM mfa_access_passes WHERE user_id = $1 AND expires_at > $2
           AND NOT (one_time AND used_at IS NOT NULL)) AS "accessPass"`,
      [userId, this.clock.now()],
    );
    return rows[0]!;
  }
}
