import type { AuditLog } from "../../audit/audit-log.js";
import type { CredentialKind, RevocationReason } from "../../auth/revocation.js";
import type { Clock } from "../../clock.js";
import type { Db } from "../../db/db.js";
import type { Notices } from "../../mail/mail-model.js";
import { type Sql, type Statement, sql } from "../../db/statement.js";
import type { MfaActor } from "../mfa-model.js";
import { endsRecoveryCredentials } from "./recovery-kinds.js";
import {
  newRecoveryCode,
  normaliseRecoveryInput,
  RECOVERY_CODES_PER_SET,
  type RecoveryHasher,
} from "./recovery-secrets.js";

/** How many codes of a user's set are left (unused) of how many it had; total 0 means no set. */
export interface RecoveryCodeCount {
  left: number;
  total: number;
}

/** The count at which /account warns that the codes are running out. */
export const LOW_RECOVERY_CODES = 3;

/**
 * A user's recovery codes (DESIGN.md "Factors, recovery and the helpdesk path"): a set of 10
 * Crockford Base32 codes made after the first activation or on /account, of which only keyed hashes
 * (RecoveryHasher) are stored. A code is spent once by a compare-and-set (RecoverySignIn). The set
 * is a credential kind of the one revocation path: an MFA reset, an administrator's password change,
 * disabling and deleting end it (endsRecoveryCredentials).
 */
export class RecoveryCodes implements CredentialKind {
  readonly credentialKind = "recoveryCodes";
  /** A user's whole set is deleted by CredentialRevocation when endsFor says so. */
  readonly credentialRows = { table: "mfa_recovery_codes", hashColumn: null } as const;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly hasher: RecoveryHasher,
    private readonly notices: Notices,
  ) {}

  /**
   * A new set of RECOVERY_CODES_PER_SET codes for `userId`, replacing any earlier set (those codes
   * die), audited as mfa.recovery_codes with how many codes it `replaced` (0: a first set) and, when it
   * replaced a set, mailed to the user (recovery_codes_new); in `db` when given (the caller's transaction). Returns the
   * codes in display form (`XXXXX-XXXXX`): the only time they exist outside the user's hands.
   */
  async createSet(userId: string, actor: MfaActor, db?: Db): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODES_PER_SET }, newRecoveryCode);
    const hashes = codes.map((c) => this.hasher.hash("code", userId, normaliseRecoveryInput(c)!.value));
    const run = async (tx: Db) => {
      const { rows } = await tx.query<{ site_id: string; username: string }>(
        "SELECT site_id, username FROM users WHERE id = $1",
        [userId],
      );
      const user = rows[0];
      if (!user) throw new Error("no such user");
      const replaced = (await tx.query("DELETE FROM mfa_recovery_codes WHERE user_id = $1", [userId])).rowCount;
      await tx.query(
        `INSERT INTO mfa_recovery_codes (user_id, code_hash, created_at)
         SELECT $1, h, $3 FROM unnest($2::bytea[]) AS h`,
        [userId, hashes, this.clock.now()],
      );
      await this.audit.record(
        {
          siteId: user.site_id,
          actor,
          action: "mfa.recovery_codes",
          target: { id: userId, name: user.username },
          details: { count: codes.length, replaced },
        },
        tx,
      );
      // The user hears of a replaced set by e-mail (never the codes themselves), in this transaction;
      // a first set (at activation) replaces nothing, and the activation has its own notice.
      if (replaced) await this.notices.notify(tx, userId, "recovery_codes_new", { count: codes.length });
    };
    await (db ? run(db) : this.db.transaction(run));
    return codes;
  }

  /** How many of the user's codes are left, of how many (0 of 0 without a set). */
  async countOf(userId: string, db: Db = this.db): Promise<RecoveryCodeCount> {
    const { rows } = await db.query<{ left: number; total: number }>(
      `SELECT count(*) FILTER (WHERE used_at IS NULL)::int AS left, count(*)::int AS total
       FROM mfa_recovery_codes WHERE user_id = $1`,
      [userId],
    );
    return rows[0] ?? { left: 0, total: 0 };
  }

  /**
   * The compare-and-set that spends a code, as a CTE of `st` (its name is returned): a row with
   * user_id when the canonical `code` was an unused code of `userId`, none otherwise.
   */
  spendIn(st: Statement, userId: string, code: string): Sql {
    return st.with(
      "code_spent",
      sql`UPDATE mfa_recovery_codes SET used_at = ${st.param(this.clock.now(), "timestamptz")}
       WHERE user_id = ${st.param(userId, "uuid")} AND code_hash = ${st.param(this.hasher.hash("code", userId, code), "bytea")}
         AND used_at IS NULL
       RETURNING user_id`,
    );
  }

  /** See CredentialKind.endsFor: endsRecoveryCredentials. */
  endsFor(reasons: readonly RevocationReason[], bySelf: boolean): boolean {
    return endsRecoveryCredentials(reasons, bySelf);
  }
}
