import type { Clock } from "../clock.js";
import { credentialGate, type CredentialGate, epochIsCurrent } from "../auth/credential-gate.js";
import type { CredentialKind } from "../auth/revocation.js";
import type { Db } from "../db/db.js";
import { type Sql, Statement, sql } from "../db/statement.js";
import { hashToken, newToken } from "../util/opaque-tokens.js";
import { DEFAULT_DEVICE_POLICY, type DeviceTokenPolicy } from "./device-tokens.js";

/** 'mfa': a code is due. 'mfa_setup': MFA must (or may) be set up first. */
export type ChallengeKind = "mfa" | "mfa_setup";

/**
 * A device sign-in challenge as stored: the SHA-256 hash of its value (never the value), the user
 * it belongs to, what it waits for (an MFA code or an MFA setup) and its expiry.
 */
export interface Challenge {
  hash: Buffer;
  userId: string;
  kind: ChallengeKind;
  expiresAt: Date;
}

/**
 * The short-lived, single-use value that carries a device sign-in from the
 * password step to the MFA step: a random string to the client, its SHA-256
 * in the table. Using it is a compare-and-set, so two requests with the same
 * challenge cannot both finish a sign-in.
 */
export class DeviceChallenges implements CredentialKind {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    readonly policy: DeviceTokenPolicy = DEFAULT_DEVICE_POLICY,
  ) {}

  /** A challenge for `userId` with their credential epoch as it is now (tests); throws when there is no such user. */
  async issue(
    userId: string,
    kind: ChallengeKind,
    clientAddress: string | null,
    db: Db = this.db,
  ): Promise<{ challenge: string; expiresAt: Date }> {
    const st = new Statement();
    const made = this.issueIn(st, credentialGate.current(st, st.param(userId, "uuid")), kind, clientAddress);
    const [row] = await st.run<{ done: boolean }>(db, sql`SELECT EXISTS (SELECT 1 FROM ${made.cte}) AS done`);
    if (!row?.done) throw new Error(`no user ${userId} to issue a device challenge for`);
    return { challenge: made.challenge, expiresAt: made.expiresAt };
  }

  /**
   * issue as a part of a larger statement, for the user of `gate` (the one check every new
   * credential passes, engine/auth/credential-gate.ts), with its credential epoch. The challenge is
   * valid once the statement ran and the CTE named `cte` has a row (none when the gate refused).
   */
  issueIn(
    st: Statement,
    gate: CredentialGate,
    kind: ChallengeKind,
    clientAddress: string | null,
  ): { challenge: string; expiresAt: Date; cte: Sql } {
    const challenge = newToken();
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.policy.challengeSeconds * 1000);
    const cte = st.with(
      "challenge",
      sql`INSERT INTO device_challenges (challenge_hash, user_id, kind, created_at, expires_at, client_address,
         credential_epoch)
       SELECT ${st.param(hashToken(challenge), "bytea")}, g.user_id, ${st.param(kind, "text")},
         ${st.param(now, "timestamptz")}, ${st.param(expiresAt, "timestamptz")}, ${st.param(clientAddress, "text")},
         g.credential_epoch
       FROM ${gate} g
       RETURNING 1`,
    );
    return { challenge, expiresAt, cte };
  }

  /** A challenge that can still be used: unused, unexpired, not worn out by wrong codes. */
  async find(challenge: string): Promise<Challenge | null> {
    const hash = hashToken(challenge);
    const { rows } = await this.db.query<{ user_id: string; kind: ChallengeKind; expires_at: Date }>(
      `SELECT c.user_id, c.kind, c.expires_at FROM device_challenges c JOIN users u ON u.id = c.user_id
       WHERE c.challenge_hash = $1 AND c.used_at IS NULL AND c.expires_at > $2 AND c.failures < $3
         AND ${epochIsCurrent(sql`c`, sql`u`)}`,
      [hash, this.clock.now(), this.policy.challengeMaxFailures],
    );
    const r = rows[0];
    return r ? { hash, userId: r.user_id, kind: r.kind, expiresAt: r.expires_at } : null;
  }

  /**
   * find as the first part of a statement: a CTE (its name returned) with the
   * live challenge's user_id, kind and expires_at, joined with the columns the
   * sign-in needs of its user (may_sign_in: not disabled, device access).
   */
  findIn(st: Statement, challenge: string): { cte: Sql; hash: Buffer } {
    const hash = hashToken(challenge);
    const cte = st.with(
      "live_challenge",
      sql`SELECT c.user_id, c.kind, c.expires_at, (NOT u.disabled AND u.device_access) AS may_sign_in
       FROM device_challenges c JOIN users u ON u.id = c.user_id
       WHERE c.challenge_hash = ${st.param(hash, "bytea")} AND c.used_at IS NULL
         AND c.expires_at > ${st.param(this.clock.now(), "timestamptz")}
         AND c.failures < ${st.param(this.policy.challengeMaxFailures, "int")}
         AND ${epochIsCurrent(sql`c`, sql`u`)}`,
    );
    return { cte, hash };
  }

  /** Uses the challenge up; false when it was already used (or died) meanwhile. */
  async consume(c: Challenge, db: Db = this.db): Promise<boolean> {
    const { rowCount } = await db.query(
      `UPDATE device_challenges SET used_at = $2
       WHERE challenge_hash = $1 AND used_at IS NULL AND expires_at > $2 AND failures < $3`,
      [c.hash, this.clock.now(), this.policy.challengeMaxFailures],
    );
    return rowCount === 1;
  }

  /**
   * consume as a part of a larger statement, gated on `gate` (a CTE: only when
   * it has a row) if given: a CTE (its name returned) with the challenge's
   * user_id and credential_epoch when this statement used it up (a gate for
   * what it leads to: credentialGate.continuing).
   */
  consumeIn(st: Statement, c: Pick<Challenge, "hash">, gate?: Sql): Sql {
    const now = st.param(this.clock.now(), "timestamptz");
    return st.with(
      "consumed",
      sql`UPDATE device_challenges SET used_at = ${now}
       WHERE challenge_hash = ${st.param(c.hash, "bytea")} AND used_at IS NULL AND expires_at > ${now}
         AND failures < ${st.param(this.policy.challengeMaxFailures, "int")}
         ${gate ? sql`AND EXISTS (SELECT 1 FROM ${gate})` : sql``}
       RETURNING user_id, credential_epoch`,
    );
  }

  readonly credentialKind = "deviceChallenges";
  /**
   * Pending device sign-ins (half-signed-in credentials like a web session at the MFA step) end
   * with every credential change but the one that saves it (CredentialRevocation).
   */
  readonly credentialRows = { table: "device_challenges", hashColumn: "challenge_hash" } as const;

  /** Housekeeping: expired and used challenges; how many were deleted. */
  async purgeExpired(): Promise<number> {
    const now = this.clock.now();
    return (await this.db.query("DELETE FROM device_challenges WHERE expires_at <= $1 OR used_at IS NOT NULL", [now]))
      .rowCount;
  }

  /** A wrong code; after policy.challengeMaxFailures of them the challenge is dead. */
  async recordFailure(c: Challenge): Promise<void> {
    await this.db.query("UPDATE device_challenges SET failures = failures + 1 WHERE challenge_hash = $1", [c.hash]);
  }
}
