import type { AuditLog } from "../../audit/audit-log.js";
import type { CredentialKind, RevocationReason } from "../../auth/revocation.js";
import type { Clock } from "../../clock.js";
import type { Db } from "../../db/db.js";
import { HOLDS_FACTOR } from "../../db/factor-rows.js";
import type { Notices } from "../../mail/mail-model.js";
import { type Sql, type Statement, sql } from "../../db/statement.js";
import { ConflictError, ValidationError } from "../../errors.js";
import { claimSubmission, noteSubmission } from "../../db/submissions.js";
import type { MfaActor } from "../mfa-model.js";
import { scopedUser } from "../mfa-rows.js";
import { endsRecoveryCredentials } from "./recovery-kinds.js";
import { newAccessPass, normaliseRecoveryInput, type RecoveryHasher } from "./recovery-secrets.js";

/** The hours a pass may be valid: 1 to 168 (a week). */
export const ACCESS_PASS_HOURS = { min: 1, max: 168 } as const;

/** What an administrator asks for: validity in whole hours (1–168) and whether the pass works once. */
export interface AccessPassRequest {
  validHours: number;
  oneTime: boolean;
}

/**
 * The one-time form tokens of the access pass form live beside the new-record forms' ones
 * (form_submissions) under this name, which no app id can take (app ids have no dot).
 */
const PASS_FORM = "mfa.access_pass";

/** What an access pass form's earlier post issued, for a replayed post (never the pass itself). */
export interface FormIssuedPass {
  issuedAt: Date;
  /**
   * That pass while it is still the user's pass (a later one replaces it), else null; `validHours`
   * is what it was issued for (its expiry less its issue, in whole hours).
   */
  current: { expiresAt: Date; oneTime: boolean; usedAt: Date | null; validHours: number } | null;
}

/** The live pass of a user as the user dialog shows it (never the pass itself). */
export interface LiveAccessPass {
  expiresAt: Date;
  oneTime: boolean;
  issuedBy: string;
  usedAt: Date | null;
}

/**
 * Temporary access passes (Entra's TAP): an administrator of the user's site issues one for a user
 * whose MFA is on, valid 1–168 hours, once or until it expires; the user types it where a recovery
 * code goes and must then set up a new factor. One live pass per user (a new one replaces the old),
 * stored only as a keyed hash (RecoveryHasher), 14 Crockford Base32 characters (70 bits). Issuing
 * and using are audited. A credential kind of the one revocation path (endsRecoveryCredentials).
 */
export class AccessPasses implements CredentialKind {
  readonly credentialKind = "accessPasses";
  /** A user's pass is deleted by CredentialRevocation when endsFor says so. */
  readonly credentialRows = { table: "mfa_access_passes", hashColumn: null } as const;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly hasher: RecoveryHasher,
    private readonly notices: Notices,
  ) {}

  /**
   * Issues a pass for `userId`, replacing any earlier one, audited as mfa.access_pass (by whom,
   * for whom, until when). Throws ValidationError (validHours outside 1–168 or not whole, oneTime
   * not a boolean), MfaAccessError (404: no such user or another site's) and ConflictError (MFA is
   * off for the user). Returns the pass in display form — shown once — and its expiry. `submission`
   * is the form's one-time token: a second post of the same form issues nothing and throws
   * DuplicateSubmissionError (a reload must not void the pass just shown; see formIssued).
   */
  async issue(
    userId: string,
    req: AccessPassRequest,
    actor: MfaActor,
    submission?: string,
  ): Promise<{ pass: string; expiresAt: Date }> {
    const h = req.validHours;
    if (!Number.isInteger(h) || h < ACCESS_PASS_HOURS.min || h > ACCESS_PASS_HOURS.max) {
      const message = `Enter whole hours from ${ACCESS_PASS_HOURS.min} to ${ACCESS_PASS_HOURS.max}.`;
      throw new ValidationError(message, { validHours: message });
    }
    if (typeof req.oneTime !== "boolean") throw new ValidationError("oneTime is on or off.", { oneTime: "on or off" });
    const pass = newAccessPass();
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + h * 3600_000);
    await this.db.transaction(async (tx) => {
      const user = await scopedUser(userId, actor, tx);
      // Claimed at the pass's issued_at, so formIssued finds this very pass again.
      if (submission !== undefined) {
        await claimSubmission(tx, this.clock, { siteId: user.site_id, appId: PASS_FORM }, submission, now);
        await noteSubmission(tx, submission, userId);
      }
      const { rows } = await tx.query<{ enabled: boolean }>(
        "SELECT enabled FROM mfa_settings WHERE user_id = $1 FOR UPDATE",
        [userId],
      );
      if (!rows[0]?.enabled) {
        throw new ConflictError(`MFA is off for ${user.username}: a temporary access pass is only for MFA users.`);
      }
      // A pass replaces a lost factor: a user who holds none signs in with the password and is led to
      // setup anyway, where the pass would lead nowhere else (the one rule of MFA activated).
      const held = await tx.query<{ activated: boolean }>(
        `SELECT ${HOLDS_FACTOR} AS activated FROM users u WHERE u.id = $1`,
        [userId],
      );
      if (!held.rows[0]?.activated) {
        throw new ConflictError(
          `${user.username} has not set up MFA yet: a temporary access pass replaces a lost factor, and there is none to replace. At the next sign-in with the password they are asked to set up MFA.`,
        );
      }
      const hash = this.hasher.hash("pass", userId, normaliseRecoveryInput(pass)!.value);
      await tx.query(
        `INSERT INTO mfa_access_passes (user_id, pass_hash, one_time, issued_at, issued_by, issued_by_name, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (user_id) DO UPDATE SET pass_hash = EXCLUDED.pass_hash, one_time = EXCLUDED.one_time,
           issued_at = EXCLUDED.issued_at, issued_by = EXCLUDED.issued_by, issued_by_name = EXCLUDED.issued_by_name,
           expires_at = EXCLUDED.expires_at, used_at = NULL`,
        [userId, hash, req.oneTime, now, actor.id, actor.name, expiresAt],
      );
      await this.audit.record(
        {
          siteId: user.site_id,
          actor,
          action: "mfa.access_pass",
          target: { id: userId, name: user.username },
          details: { validUntil: expiresAt.toISOString(), validHours: h, oneTime: req.oneTime },
        },
        tx,
      );
      // The user hears of it by e-mail (never the pass themselves), in this transaction.
      await this.notices.notify(tx, userId, "access_pass_issued", {
        validUntil: expiresAt.toISOString(),
        oneTime: req.oneTime,
      });
    });
    return { pass, expiresAt };
  }

  /**
   * What the access pass form with one-time token `submission` issued for `userId`: when, and that
   * pass's expiry while it is still the user's pass. Null when the token issued nothing for them.
   */
  async formIssued(userId: string, submission: string): Promise<FormIssuedPass | null> {
    const { rows } = await this.db.query<{
      created_at: Date;
      expires_at: Date | null;
      one_time: boolean | null;
      used_at: Date | null;
    }>(
      `SELECT f.created_at, p.expires_at, p.one_time, p.used_at FROM form_submissions f
       LEFT JOIN mfa_access_passes p ON p.user_id = f.record_id AND p.issued_at = f.created_at
       WHERE f.token = $1 AND f.app_id = $2 AND f.record_id = $3`,
      [submission, PASS_FORM, userId],
    );
    const r = rows[0];
    if (!r) return null;
    const current =
      r.expires_at && r.one_time !== null
        ? {
            expiresAt: r.expires_at,
            oneTime: r.one_time,
            usedAt: r.used_at,
            validHours: Math.round((r.expires_at.getTime() - r.created_at.getTime()) / 3600_000),
          }
        : null;
    return { issuedAt: r.created_at, current };
  }

  /** The user's pass while it can still be used (not expired, not a used one-time pass), else null. */
  async liveOf(userId: string): Promise<LiveAccessPass | null> {
    const { rows } = await this.db.query<{
      expires_at: Date;
      one_time: boolean;
      issued_by_name: string;
      used_at: Date | null;
    }>(
      `SELECT expires_at, one_time, issued_by_name, used_at FROM mfa_access_passes
       WHERE user_id = $1 AND expires_at > $2 AND NOT (one_time AND used_at IS NOT NULL)`,
      [userId, this.clock.now()],
    );
    const r = rows[0];
    return r ? { expiresAt: r.expires_at, oneTime: r.one_time, issuedBy: r.issued_by_name, usedAt: r.used_at } : null;
  }

  /**
   * The compare-and-set that uses a pass, as a CTE of `st` (its name is returned): a row with
   * user_id when the canonical `pass` is the user's live pass (not expired at the clock's now, and a
   * one-time pass not used yet), none otherwise.
   */
  useIn(st: Statement, userId: string, pass: string): Sql {
    const now = st.param(this.clock.now(), "timestamptz");
    return st.with(
      "pass_used",
      sql`UPDATE mfa_access_passes SET used_at = ${now}
       WHERE user_id = ${st.param(userId, "uuid")} AND pass_hash = ${st.param(this.hasher.hash("pass", userId, pass), "bytea")}
         AND expires_at > ${now} AND (NOT one_time OR used_at IS NULL)
       RETURNING user_id`,
    );
  }

  /** See CredentialKind.endsFor: endsRecoveryCredentials. */
  endsFor(reasons: readonly RevocationReason[], bySelf: boolean): boolean {
    return endsRecoveryCredentials(reasons, bySelf);
  }
}
