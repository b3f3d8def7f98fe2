import type { AuditLog } from "../audit/audit-log.js";
import { isUuid } from "../util/uuid.js";
import type { CredentialRevocation } from "../auth/revocation.js";
import { ACCOUNT_POLICY, accountKey, type Attempt, type ClaimColumns, heldUntil, Throttle } from "../auth/throttle.js";
import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { isPgError, PgError } from "../db/db.js";
import { type PartBuilder, Statement } from "../db/statement.js";
import { decideAfterPassword, enforcementDeadline, type SignInDecision } from "./sign-in-flow.js";
import type { SecretBox } from "./secret-box.js";
import { type MfaFacts, type MfaMethod, type MfaStatus, withMessage } from "./status.js";
import {
  assertTotpParams,
  matchTotpStep,
  normaliseCode,
  totpStep,
  type TotpAlgorithm,
  type TotpParams,
} from "./totp.js";
import { newAppSecret } from "./otpauth.js";
import { NotFoundError, ValidationError } from "../errors.js";

/** Who makes a change. siteId is the site they work on; null (CLI, system) is not site-scoped. */
export interface MfaActor {
  id: string | null;
  name: string;
  siteId: string | null;
  /**
   * The token hash of the session or device challenge the actor acts with: a
   * user changing their own MFA keeps it, every other credential ends.
   */
  credential?: Buffer;
}

export interface MfaPolicy {
  /** Steps accepted either side of the remembered drift at sign-in (1 = ±30 s). */
  windowSteps: number;
  /** A hardware token may have drifted on the shelf: a wider window when it is first activated. */
  hardwareActivationWindowSteps: number;
  /** An authenticator-app setup page stays valid this long. */
  pendingSecretSeconds: number;
}

export const DEFAULT_MFA_POLICY: MfaPolicy = {
  windowSteps: 1,
  hardwareActivationWindowSteps: 10,
  pendingSecretSeconds: 900,
};

export interface EnrollmentInput {
  method: MfaMethod;
  secret: Uint8Array;
  algorithm: TotpAlgorithm;
  digits: 6 | 8;
  periodInSeconds: number;
  /** Hardware tokens: the registry id (assignment) and the serial shown in the status message. */
  tokenId?: string;
  tokenSerial?: string;
}

export interface MfaSettingsInput {
  enabled: boolean;
  enforcementDelayDays: number;
}

/** What the first statement of a code check found (MfaService.startCodeCheck). */
export type CodeCheckOutcome =
  | { kind: "ineligible" }
  | { kind: "done"; result: Exclude<CodeCheck, { ok: true }> }
  | { kind: "matched"; userId: string; step: number; drift: number; attempt: Attempt & { granted: true } };

/** Wrong and locked give the same answer to the user; the reason is for logs and the admin. */
export type CodeCheck =
  { ok: true; step: number } | { ok: false; reason: "invalid" | "locked" | "not_enrolled"; retryAfterSeconds: number };

export type ActivationResult =
  | { ok: true }
  | {
      ok: false;
      reason: "invalid" | "locked" | "not_enabled" | "already_active" | "token_taken" | "expired";
      retryAfterSeconds: number;
    };

export class MfaInputError extends ValidationError {
  constructor(
    readonly field: "enabled" | "enforcementDelayDays",
    message: string,
  ) {
    super(message, { [field]: message });
  }
}

/** The user does not exist, or belongs to a site the actor is not working on. */
export class MfaAccessError extends NotFoundError {}

export const MAX_ENFORCEMENT_DELAY_DAYS = 3650;

/** Failed codes are counted per account id, so renaming a user does not reset them. */
export const codeThrottleKey = (userId: string) => `code:user:${userId}`;

const sealContext = (userId: string) => `mfa-enrollment:${userId}`;
const pendingContext = (userId: string) => `mfa-pending:${userId}`;

interface FactsRow {
  user_id: string;
  site_id: string;
  username: string;
  enabled: boolean | null;
  enforcement_delay_days: number | null;
  enabled_at: Date | null;
  enabled_by_name: string | null;
  required_from: Date | null;
  disabled_at: Date | null;
  disabled_by_name: string | null;
  method: MfaMethod | null;
  activated_at: Date | null;
  token_id: string | null;
  token_serial: string | null;
  locked_until: Date | null;
}

const FACTS_COLUMNS = `mfa_s.enabled, mfa_s.enforcement_delay_days, mfa_s.enabled_at, mfa_s.enabled_by_name,
    mfa_s.required_from, mfa_s.disabled_at, mfa_s.disabled_by_name, mfa_e.method, mfa_e.activated_at,
    mfa_e.token_id, mfa_e.token_serial, mfa_t.locked_until`;
const FACTS_JOINS = `LEFT JOIN mfa_settings mfa_s ON mfa_s.user_id = u.id
  LEFT JOIN mfa_enrollments mfa_e ON mfa_e.user_id = u.id
  LEFT JOIN throttles mfa_t ON mfa_t.key = 'code:user:' || u.id::text`;

const FACTS_SQL = `SELECT u.id AS user_id, u.site_id, u.username, ${FACTS_COLUMNS} FROM users u ${FACTS_JOINS}`;

/**
 * Columns and joins another service adds to a read of the users table (alias
 * `u`, with no row when the user is unknown), and how to read the result: the
 * password step reads the user's MFA state in its one statement this way.
 */
export interface JoinedRead<X> {
  columns: string;
  joins: string;
  read(row: Record<string, unknown>): X;
}

const toFacts = (r: FactsRow): MfaFacts => ({
  userId: r.user_id,
  enabled: r.enabled ?? false,
  enforcementDelayDays: r.enforcement_delay_days ?? 0,
  enabledAt: r.enabled_at,
  enabledBy: r.enabled_by_name,
  requiredFrom: r.required_from,
  disabledAt: r.disabled_at,
  disabledBy: r.disabled_by_name,
  activation: r.method
    ? { method: r.method, at: r.activated_at!, tokenId: r.token_id, tokenSerial: r.token_serial }
    : null,
  lockedUntil: r.locked_until,
});

interface EnrollmentRow {
  method: MfaMethod;
  secret_sealed: string;
  algorithm: TotpAlgorithm;
  digits: number;
  period_seconds: number;
  drift_steps: number;
}

/**
 * MFA per user: the administrator's settings (mfa.* system fields), the one
 * activated enrollment, code verification with replay protection and lockout,
 * and the sign-in decision. All state is in PostgreSQL, so it holds across instances.
 */
export class MfaService {
  readonly #throttle: Throttle;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly box: SecretBox,
    private readonly audit: AuditLog,
    private readonly revocation: CredentialRevocation,
    readonly policy: MfaPolicy = DEFAULT_MFA_POLICY,
  ) {
    this.#throttle = new Throttle(db, clock);
  }

  // ---- reading ----

  /** Structured state plus the status message; throws MfaAccessError for an unknown user. */
  async statusOf(userId: string, db: Db = this.db): Promise<MfaStatus> {
    const facts = await this.#facts(userId, db);
    return withMessage(toFacts(facts), this.clock.now());
  }

  /** Statuses of many users in one query (list columns); unknown ids are left out. */
  async statusesOf(userIds: readonly string[], db: Db = this.db): Promise<Map<string, MfaStatus>> {
    const ids = userIds.filter((id) => isUuid(id));
    const out = new Map<string, MfaStatus>();
    if (!ids.length) return out;
    const { rows } = await db.query<FactsRow>(`${FACTS_SQL} WHERE u.id = ANY($1::uuid[])`, [ids]);
    const now = this.clock.now();
    for (const r of rows) out.set(r.user_id, withMessage(toFacts(r), now));
    return out;
  }

  /** After a correct password: "ok", "mfa_required" or "mfa_setup_required" (optional while in the grace period). */
  async afterPassword(userId: string): Promise<SignInDecision> {
    return decideAfterPassword(await this.statusOf(userId), this.clock.now());
  }

  // ---- administrator settings ----

  /**
   * Applies the slider and the delay. OFF→ON starts the grace period; ON→OFF is a
   * reset (enrollment deleted, a hardware token back in the pool); both end the
   * user's sessions and device tokens (CredentialRevocation). A delay change
   * recomputes the deadline from enabled_at. Pass the caller's transaction to
   * save together with the rest of a user record.
   */
  async applySettings(userId: string, input: MfaSettingsInput, actor: MfaActor, tx?: Db): Promise<MfaStatus> {
    if (typeof input.enabled !== "boolean") throw new MfaInputError("enabled", "must be on or off");
    const delay = input.enforcementDelayDays;
    if (!Number.isInteger(delay) || delay < 0 || delay > MAX_ENFORCEMENT_DELAY_DAYS) {
      throw new MfaInputError(
        "enforcementDelayDays",
        `must be a whole number of days from 0 to ${MAX_ENFORCEMENT_DELAY_DAYS}`,
      );
    }
    const run = async (db: Db) => {
      const user = await this.#scopedUser(userId, actor, db);
      const now = this.clock.now();
      await db.query(
        "INSERT INTO mfa_settings (user_id, updated_at) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING",
        [userId, now],
      );
      const { rows } = await db.query<{ enabled: boolean; enforcement_delay_days: number; enabled_at: Date | null }>(
        "SELECT enabled, enforcement_delay_days, enabled_at FROM mfa_settings WHERE user_id = $1 FOR UPDATE",
        [userId],
      );
      const before = rows[0]!;
      const entry = (action: string, details: Record<string, unknown>) =>
        this.audit.record(
          { siteId: user.site_id, actor, action, target: { id: userId, name: user.username }, details },
          db,
        );
      if (!before.enabled && input.enabled) {
        // A fresh start: whatever was enrolled before is gone (OFF deleted it; this makes sure).
        await this.#removeEnrollment(userId, db);
        // Whatever was signed in with the password alone ends: the next sign-in follows the new rule.
        await this.revocation.revoke(userId, "mfa_enabled", db, actor);
        await db.query(
          `UPDATE mfa_settings SET enabled = true, enforcement_delay_days = $2, enabled_at = $3, enabled_by = $4,
             enabled_by_name = $5, required_from = $6, updated_at = $3 WHERE user_id = $1`,
          [userId, delay, now, actor.id, actor.name, enforcementDeadline(now, delay)],
        );
        await entry("mfa.enable", { enforcementDelayDays: delay });
      } else if (before.enabled && !input.enabled) {
        const removed = await this.#removeEnrollment(userId, db);
        const revoked = await this.revocation.revoke(userId, "mfa_disabled", db, actor);
        await db.query(
          `UPDATE mfa_settings SET enabled = false, enforcement_delay_days = $2, disabled_at = $3, disabled_by = $4,
             disabled_by_name = $5, required_from = NULL, updated_at = $3 WHERE user_id = $1`,
          [userId, delay, now, actor.id, actor.name],
        );
        await entry("mfa.disable", { revoked });
        if (removed) await entry("mfa.reset", { method: removed.method });
      } else if (before.enforcement_delay_days !== delay) {
        // From enabled_at, not from now (the row is locked above, so enabled_at is the one in force).
        const requiredFrom = before.enabled && before.enabled_at ? enforcementDeadline(before.enabled_at, delay) : null;
        await db.query(
          "UPDATE mfa_settings SET enforcement_delay_days = $2, updated_at = $3, required_from = $4 WHERE user_id = $1",
          [userId, delay, now, requiredFrom],
        );
        if (before.enabled) await entry("mfa.delay_change", { from: before.enforcement_delay_days, to: delay });
      }
      return this.statusOf(userId, db);
    };
    return tx ? run(tx) : this.db.transaction(run);
  }

  /**
   * The CLI's reset, the same as OFF+Save then ON+Save: the enrollment goes (a
   * hardware token back to the pool), sessions and device tokens end and, with MFA on,
   * the grace period starts again from now.
   */
  async reset(userId: string, actor: MfaActor): Promise<MfaStatus> {
    return this.db.transaction(async (tx) => {
      const user = await this.#scopedUser(userId, actor, tx);
      const removed = await this.#removeEnrollment(userId, tx);
      const revoked = await this.revocation.revoke(userId, "mfa_reset", tx, actor);
      const now = this.clock.now();
      const { rows } = await tx.query<{ enforcement_delay_days: number }>(
        "SELECT enforcement_delay_days FROM mfa_settings WHERE user_id = $1 AND enabled FOR UPDATE",
        [userId],
      );
      if (rows[0]) {
        await tx.query(
          `UPDATE mfa_settings SET enabled_at = $2, enabled_by = $3, enabled_by_name = $4, updated_at = $2,
             required_from = $5 WHERE user_id = $1`,
          [userId, now, actor.id, actor.name, enforcementDeadline(now, rows[0].enforcement_delay_days)],
        );
      }
      await this.audit.record(
        {
          siteId: user.site_id,
          actor,
          action: "mfa.reset",
          target: { id: userId, name: user.username },
          details: { method: removed?.method ?? null, revoked },
        },
        tx,
      );
      return this.statusOf(userId, tx);
    });
  }

  /** Lifts a lock caused by failed codes (and by failed passwords). Returns whether anything was locked. */
  async unlock(userId: string, actor: MfaActor): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const user = await this.#scopedUser(userId, actor, tx);
      const { rowCount } = await tx.query("DELETE FROM throttles WHERE key = ANY($1::text[])", [
        [codeThrottleKey(userId), accountKey("password", user.username)],
      ]);
      await this.audit.record(
        {
          siteId: user.site_id,
          actor,
          action: "mfa.unlock",
          target: { id: userId, name: user.username },
          details: { cleared: rowCount },
        },
        tx,
      );
      return rowCount > 0;
    });
  }

  // ---- verification ----

  /** The user's MFA state, read in the caller's statement over users `u` (null for an unknown user). */
  readonly statusRead: JoinedRead<MfaStatus | null> = {
    columns: `u.id AS user_id, ${FACTS_COLUMNS}`,
    joins: FACTS_JOINS,
    read: (row) => (row.user_id ? withMessage(toFacts(row as unknown as FactsRow), this.clock.now()) : null),
  };

  /**
   * Checks a sign-in code: throttled per account, the enrollment's own
   * parameters, the window centred at its drift, and each time step accepted
   * at most once (a compare-and-set on last_used_step, so two instances
   * receiving the same code at once cannot both accept it). Two statements:
   * startCodeCheck and finishCodeCheck; `finish` (a sign-in's new session)
   * joins the second, run only when the compare-and-set wins.
   */
  async verifyCode<F = never>(
    userId: string,
    code: string,
    finish?: PartBuilder<F>,
  ): Promise<CodeCheck & { finished?: F | null }> {
    if (!isUuid(userId)) return { ok: false, reason: "not_enrolled", retryAfterSeconds: 0 };
    const st = new Statement();
    const subject = st.with("code_subject", `SELECT ${st.param(userId, "uuid")} AS user_id`);
    const { outcome } = await this.startCodeCheck(st, subject, "true", code);
    if (outcome.kind === "ineligible") return { ok: false, reason: "not_enrolled", retryAfterSeconds: 0 };
    if (outcome.kind === "done") return outcome.result;
    return this.finishCodeCheck(outcome, finish);
  }

  /**
   * The first statement of a code check, read together with what the caller
   * needs: `subject` is a CTE of the caller's statement with a user_id column
   * (and the caller's own columns, returned in `row`), `eligible` an SQL
   * condition over it under which a code may be checked at all (the challenge
   * is of the right kind…). The statement reads the enrollment and counts the
   * attempt (Throttle.claimIn) before the code is checked: see Throttle.claim.
   * "ineligible" when the subject is missing or not eligible (nothing counted);
   * "done" with a refusal; "matched" when the code matches a step, which
   * finishCodeCheck then spends.
   */
  async startCodeCheck<R extends { user_id: string }>(
    st: Statement,
    subject: string,
    eligible: string,
    code: string,
  ): Promise<{ row: R | undefined; outcome: CodeCheckOutcome }> {
    const read = st.with(
      "code_enrollment",
      `SELECT sub.*, (${eligible}) AS eligible, e.method AS enrolled_method, e.secret_sealed, e.algorithm, e.digits,
         e.period_seconds, e.drift_steps, 'code:user:' || sub.user_id::text AS throttle_key
       FROM ${subject} sub LEFT JOIN mfa_enrollments e ON e.user_id = sub.user_id`,
    );
    const claimed = this.#throttle.claimIn(st, "throttle_key", ACCOUNT_POLICY, {
      from: read,
      when: "eligible AND enrolled_method IS NOT NULL",
    });
    const [row] = await st.run<
      R & EnrollmentRow & ClaimColumns & { eligible: boolean; enrolled_method: string | null }
    >(
      this.db,
      `SELECT r.*, c.lock_count AS claimed_lock_count, c.locked_until AS claimed_until,
         ${heldUntil("r.throttle_key")} AS held_until
       FROM ${read} r LEFT JOIN ${claimed} c ON true`,
    );
    if (!row || !row.eligible) return { row, outcome: { kind: "ineligible" } };
    const userId = row.user_id;
    if (row.enrolled_method === null) {
      return { row, outcome: { kind: "done", result: { ok: false, reason: "not_enrolled", retryAfterSeconds: 0 } } };
    }
    const attempt = await this.#throttle.attemptFrom(codeThrottleKey(userId), row);
    if (!attempt.granted) {
      return {
        row,
        outcome: {
          kind: "done",
          result: { ok: false, reason: "locked", retryAfterSeconds: attempt.retryAfterSeconds },
        },
      };
    }
    const params: TotpParams = {
      secret: this.box.open(row.secret_sealed, sealContext(userId)),
      algorithm: row.algorithm,
      digits: row.digits as 6 | 8,
      periodInSeconds: row.period_seconds,
    };
    const now = this.clock.now();
    const step = matchTotpStep(params, normaliseCode(code) ?? "", now, {
      window: this.policy.windowSteps,
      centreOffset: row.drift_steps,
    });
    if (step === null) return { row, outcome: { kind: "done", result: await this.#failure(userId, attempt) } };
    const drift = step - totpStep(now, params.periodInSeconds);
    return { row, outcome: { kind: "matched", userId, step, drift, attempt } };
  }

  /**
   * The second statement of a code check: the compare-and-set on the last used
   * step, which also records the drift, clears the failure count and runs
   * `finish` (consume a challenge and issue a token, rotate a session) — all
   * only when it wins. `finished` is the part's value when its writes happened,
   * null when they did not (the challenge or session ended meanwhile). A
   * replayed code (or the loser of a race) stays counted as a failure.
   */
  async finishCodeCheck<F = never>(
    m: Extract<CodeCheckOutcome, { kind: "matched" }>,
    finish?: PartBuilder<F>,
  ): Promise<CodeCheck & { finished?: F | null }> {
    const st = new Statement();
    const won = st.with(
      "step_won",
      `UPDATE mfa_enrollments SET last_used_step = ${st.param(m.step, "bigint")},
         drift_steps = ${st.param(m.drift, "int")}
       WHERE user_id = ${st.param(m.userId, "uuid")} AND (last_used_step IS NULL OR last_used_step < ${st.param(m.step, "bigint")})
       RETURNING user_id`,
    );
    this.#throttle.succeedIn(st, codeThrottleKey(m.userId), m.attempt, won);
    const part = finish?.(st, won);
    const [row] = await st.run<{ won: boolean; finished: boolean }>(
      this.db,
      `SELECT EXISTS (SELECT 1 FROM ${won}) AS won, ${part ? part.done : "false"} AS finished`,
    );
    if (!row!.won) return this.#failure(m.userId, m.attempt);
    return { ok: true, step: m.step, ...(part ? { finished: row!.finished ? part.value : null } : {}) };
  }

  /**
   * Activates an enrollment after a correct current code (same lockout rules;
   * the step used here cannot be used again to sign in). Used by the app setup
   * page, /mfa/setup/hardware and the device API. Every other session and
   * device token of the user ends; `actor.credential` (the sign-in doing the
   * activation) is kept when the actor is the user.
   */
  async activate(userId: string, input: EnrollmentInput, code: string, actor: MfaActor): Promise<ActivationResult> {
    const params: TotpParams = {
      secret: input.secret,
      algorithm: input.algorithm,
      digits: input.digits,
      periodInSeconds: input.periodInSeconds,
    };
    assertTotpParams(params);
    if (input.method !== "app" && input.method !== "hardware") throw new Error("method must be app or hardware");
    if ((input.method === "hardware") !== (input.tokenId !== undefined)) {
      throw new Error("a hardware activation needs tokenId, an app activation none");
    }
    const status = await this.statusOf(userId);
    if (!status.enabled) return { ok: false, reason: "not_enabled", retryAfterSeconds: 0 };
    if (status.activation) return { ok: false, reason: "already_active", retryAfterSeconds: 0 };
    const key = codeThrottleKey(userId);
    const attempt = await this.#throttle.claim(key, ACCOUNT_POLICY);
    if (!attempt.granted) return { ok: false, reason: "locked", retryAfterSeconds: attempt.retryAfterSeconds };
    const now = this.clock.now();
    const window = input.method === "hardware" ? this.policy.hardwareActivationWindowSteps : this.policy.windowSteps;
    const step = matchTotpStep(params, normaliseCode(code) ?? "", now, { window });
    if (step === null) return this.#failure(userId, attempt);
    try {
      await this.db.transaction(async (tx) => {
        const user = await this.#scopedUser(userId, actor, tx);
        await tx.query(
          `INSERT INTO mfa_enrollments (user_id, method, secret_sealed, algorithm, digits, period_seconds, drift_steps,
             last_used_step, token_id, token_serial, activated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
          [
            userId,
            input.method,
            this.box.seal(Buffer.from(input.secret), sealContext(userId)),
            input.algorithm,
            input.digits,
            input.periodInSeconds,
            step - totpStep(now, input.periodInSeconds),
            step,
            input.tokenId ?? null,
            input.tokenSerial ?? null,
            now,
          ],
        );
        await tx.query("DELETE FROM mfa_pending_secrets WHERE user_id = $1", [userId]);
        // Sessions and tokens got with the password alone end; the sign-in that activated goes on.
        await this.revocation.revoke(userId, "mfa_activated", tx, actor);
        await this.audit.record(
          {
            siteId: user.site_id,
            actor,
            action: "mfa.activate",
            target: { id: userId, name: user.username },
            details: { method: input.method, ...(input.tokenSerial ? { serialNumber: input.tokenSerial } : {}) },
          },
          tx,
        );
      });
    } catch (err) {
      if (isPgError(err, PgError.uniqueViolation)) {
        // The code was right; someone else was faster. Not a failure, not a success either.
        await this.#throttle.refund(key, attempt);
        const taken = /token_id/.test(String((err as { constraint?: string }).constraint ?? (err as Error).message));
        return { ok: false, reason: taken ? "token_taken" : "already_active", retryAfterSeconds: 0 };
      }
      throw err;
    }
    await this.#throttle.succeed(key, attempt);
    return { ok: true };
  }

  // ---- authenticator-app setup ----

  /** A fresh secret for the setup page, sealed in the database until activation (each visit replaces it). */
  async startAppSetup(userId: string): Promise<Buffer> {
    const secret = newAppSecret();
    await this.db.query(
      `INSERT INTO mfa_pending_secrets (user_id, secret_sealed, created_at) VALUES ($1, $2, $3)
       ON CONFLICT (user_id) DO UPDATE SET secret_sealed = EXCLUDED.secret_sealed, created_at = EXCLUDED.created_at`,
      [userId, this.box.seal(secret, pendingContext(userId)), this.clock.now()],
    );
    return secret;
  }

  /** The secret the last setup page showed, while it is still valid. */
  async pendingAppSecret(userId: string): Promise<Buffer | null> {
    const { rows } = await this.db.query<{ secret_sealed: string; created_at: Date }>(
      "SELECT secret_sealed, created_at FROM mfa_pending_secrets WHERE user_id = $1",
      [userId],
    );
    const r = rows[0];
    if (!r) return null;
    if (this.clock.now().getTime() - new Date(r.created_at).getTime() > this.policy.pendingSecretSeconds * 1000) {
      return null;
    }
    return this.box.open(r.secret_sealed, pendingContext(userId));
  }

  /** Confirms the pending authenticator-app secret with a code. */
  async activatePendingApp(userId: string, code: string, actor: MfaActor): Promise<ActivationResult> {
    const secret = await this.pendingAppSecret(userId);
    if (!secret) return { ok: false, reason: "expired", retryAfterSeconds: 0 };
    return this.activate(
      userId,
      { method: "app", secret, algorithm: "SHA1", digits: 6, periodInSeconds: 30 },
      code,
      actor,
    );
  }

  // ---- internals ----

  /** A counted attempt that failed: audited when it was the one that set the lock. */
  async #failure(
    userId: string,
    attempt: Attempt & { granted: true },
  ): Promise<{ ok: false; reason: "invalid" | "locked"; retryAfterSeconds: number }> {
    if (!attempt.lockedNow) return { ok: false, reason: "invalid", retryAfterSeconds: 0 };
    const { rows } = await this.db.query<{ site_id: string; username: string }>(
      "SELECT site_id, username FROM users WHERE id = $1",
      [userId],
    );
    if (rows[0]) {
      await this.audit.record({
        siteId: rows[0].site_id,
        actor: { id: null, name: "system" },
        action: "mfa.lock",
        target: { id: userId, name: rows[0].username },
        details: { failures: ACCOUNT_POLICY.maxFailures, lockSeconds: attempt.retryAfterSeconds },
      });
    }
    return { ok: false, reason: "locked", retryAfterSeconds: attempt.retryAfterSeconds };
  }

  async #facts(userId: string, db: Db): Promise<FactsRow> {
    if (!isUuid(userId)) throw new MfaAccessError("no such user");
    const { rows } = await db.query<FactsRow>(`${FACTS_SQL} WHERE u.id = $1`, [userId]);
    if (!rows[0]) throw new MfaAccessError("no such user");
    return rows[0];
  }

  /** The user, if the actor may change them: same site as the one the actor works on. */
  async #scopedUser(userId: string, actor: MfaActor, db: Db): Promise<{ site_id: string; username: string }> {
    if (!isUuid(userId)) throw new MfaAccessError("no such user");
    const { rows } = await db.query<{ site_id: string; username: string }>(
      "SELECT site_id, username FROM users WHERE id = $1",
      [userId],
    );
    const user = rows[0];
    if (!user || (actor.siteId !== null && actor.siteId !== user.site_id)) throw new MfaAccessError("no such user");
    return user;
  }

  /** Deletes the enrollment and any pending secret; a hardware token thereby returns to the pool. */
  async #removeEnrollment(userId: string, db: Db): Promise<{ method: MfaMethod; token_id: string | null } | null> {
    await db.query("DELETE FROM mfa_pending_secrets WHERE user_id = $1", [userId]);
    const { rows } = await db.query<{ method: MfaMethod; token_id: string | null }>(
      "DELETE FROM mfa_enrollments WHERE user_id = $1 RETURNING method, token_id",
      [userId],
    );
    return rows[0] ?? null;
  }
}
