import type { SignInContext } from "../audit/sign-in-audit.js";
import { runGated } from "../auth/credential-gate.js";
import { ACCOUNT_POLICY, type Attempt, type ClaimColumns, COMMIT_WITHOUT_FLUSH, heldUntil } from "../auth/throttle.js";
import { type PartBuilder, type Sql, Statement, sql } from "../db/statement.js";
import { isUuid } from "../util/uuid.js";
import { type CodeCheck, type CodeCheckOutcome, codeThrottleKey } from "./mfa-model.js";
import { type MfaContext, sealContext } from "./mfa-rows.js";
import { matchTotpStep, totpStep, type TotpAlgorithm, type TotpParams } from "./totp.js";

interface EnrollmentRow {
  method: string;
  secret_sealed: string;
  algorithm: TotpAlgorithm;
  digits: number;
  period_seconds: number;
  drift_steps: number;
}

/**
 * A counted attempt that failed: "invalid", or "locked" with the lock's length
 * in seconds when this attempt set the lock — then audited as mfa.lock, with
 * the surface and client address of the attempt that set it when `where` is given.
 */
export async function failedAttempt(
  ctx: Pick<MfaContext, "db" | "audit" | "notices">,
  userId: string,
  attempt: Attempt & { granted: true },
  where?: SignInContext,
): Promise<{ ok: false; reason: "invalid" | "locked"; retryAfterSeconds: number }> {
  if (!attempt.lockedNow) return { ok: false, reason: "invalid", retryAfterSeconds: 0 };
  const { rows } = await ctx.db.query<{ site_id: string; username: string }>(
    "SELECT site_id, username FROM users WHERE id = $1",
    [userId],
  );
  if (rows[0]) {
    await ctx.audit.record({
      siteId: rows[0].site_id,
      actor: { id: null, name: "system" },
      action: "mfa.lock",
      target: { id: userId, name: rows[0].username },
      details: {
        failures: ACCOUNT_POLICY.maxFailures,
        lockSeconds: attempt.retryAfterSeconds,
        ...(where ? { surface: where.surface, address: where.address } : {}),
      },
    });
    // The user and the site's administrators: one mail each per lock (this attempt set it); skipped rows for no address.
    await ctx.notices.notify(ctx.db, userId, "mfa_locked", { lockSeconds: attempt.retryAfterSeconds });
  }
  return { ok: false, reason: "locked", retryAfterSeconds: attempt.retryAfterSeconds };
}

/**
 * The TOTP step of a sign-in (RFC 6238 §4 over the HOTP of RFC 4226 §5): a
 * code is checked against the enrollment's own parameters in a window centred
 * at its remembered drift, failures are throttled per account, and each time
 * step is accepted at most once. At most three statements, with data-modifying
 * CTEs (engine/db/statement.ts): the start reads and counts, the finish spends
 * the step.
 */
export class CodeVerification {
  #codeChecked: (check: CodeCheck) => void = () => {};

  constructor(private readonly ctx: MfaContext) {}

  /** Calls `observer` with the answer of every code check, once per check (the metrics count them). */
  onCodeChecked(observer: (check: CodeCheck) => void): void {
    this.#codeChecked = observer;
  }

  #seen<C extends CodeCheck>(check: C): C {
    this.#codeChecked(check);
    return check;
  }

  /**
   * Checks a sign-in code: throttled per account, the enrollment's own
   * parameters, the window centred at its drift, and each time step accepted
   * at most once (a compare-and-set on last_used_step, so two instances
   * receiving the same code at once cannot both accept it). `code` is
   * normalised by the caller (see startCodeCheck). Two statements:
   * startCodeCheck and finishCodeCheck; `finish` (a sign-in's new session)
   * joins the second, run only when the compare-and-set wins. An id that is
   * not a UUID, or a user with no factor, is "not_enrolled" (nothing counted); a
   * passkey-only user's code is counted and "invalid" (or "locked"), never
   * accepted. Nothing is thrown for a wrong code. `where`: the
   * sign-in's surface and address, for the lock's audit entry (failedAttempt).
   */
  async verifyCode<F = never>(
    userId: string,
    code: string,
    finish?: PartBuilder<F>,
    where?: SignInContext,
  ): Promise<CodeCheck & { finished?: F | null }> {
    if (!isUuid(userId)) return this.#seen({ ok: false, reason: "not_enrolled", retryAfterSeconds: 0 });
    const st = new Statement();
    const subject = st.with("code_subject", sql`SELECT ${st.param(userId, "uuid")} AS user_id`);
    const { outcome } = await this.startCodeCheck(st, subject, sql`true`, code, where);
    if (outcome.kind === "ineligible") return this.#seen({ ok: false, reason: "not_enrolled", retryAfterSeconds: 0 });
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
   * `code` is the digits as normaliseCode (totp.ts) returns them: the caller
   * normalises once, where the code arrives (anything else matches nothing).
   * "done" with a refusal ("not_enrolled", uncounted, for a user with no factor;
   * a passkey-only user's code is counted and refused like a wrong one: they
   * hold no code); "matched" when the code matches a step, which
   * finishCodeCheck then spends. `where` (the sign-in's surface and address) goes
   * into a lock's audit entry, here or in finishCodeCheck.
   */
  async startCodeCheck<R extends { user_id: string }>(
    st: Statement,
    subject: Sql,
    eligible: Sql,
    code: string,
    where?: SignInContext,
  ): Promise<{ row: R | undefined; outcome: CodeCheckOutcome }> {
    const started = await this.#startCodeCheck<R>(st, subject, eligible, code, where);
    if (started.outcome.kind === "done") this.#seen(started.outcome.result);
    return started;
  }

  async #startCodeCheck<R extends { user_id: string }>(
    st: Statement,
    subject: Sql,
    eligible: Sql,
    code: string,
    where: SignInContext | undefined,
  ): Promise<{ row: R | undefined; outcome: CodeCheckOutcome }> {
    const { db, box, clock, policy, throttle } = this.ctx;
    // passkey_only: no TOTP enrollment but a passkey. Its codes are wrong codes (counted, never
    // matched); the passkeys are looked up only without an enrollment (CASE), so the TOTP step of an
    // app or token user reads what it read before.
    const read = st.with(
      "code_enrollment",
      sql`SELECT sub.*, (${eligible}) AS eligible, e.method AS enrolled_method, e.secret_sealed, e.algorithm, e.digits,
         e.period_seconds, e.drift_steps, 'code:user:' || sub.user_id::text AS throttle_key,
         CASE WHEN e.user_id IS NULL THEN EXISTS (SELECT 1 FROM passkeys pk WHERE pk.user_id = sub.user_id)
           ELSE false END AS passkey_only
       FROM ${subject} sub LEFT JOIN mfa_enrollments e ON e.user_id = sub.user_id`,
    );
    // The claim commits without a flush (COMMIT_WITHOUT_FLUSH), as the password step's does: every
    // answer waits for a flush that covers it (#durable, or the finishing statement's own commit).
    const claimed = throttle.claimIn(st, sql`throttle_key`, ACCOUNT_POLICY, {
      from: read,
      when: sql`eligible AND (enrolled_method IS NOT NULL OR passkey_only)`,
    });
    const [row] = await st.run<
      R & EnrollmentRow & ClaimColumns & { eligible: boolean; enrolled_method: string | null; passkey_only: boolean }
    >(
      db,
      sql`SELECT r.*, c.lock_count AS claimed_lock_count, c.locked_until AS claimed_until,
         ${heldUntil(sql`r.throttle_key`)} AS held_until, ${COMMIT_WITHOUT_FLUSH} AS commit_without_flush
       FROM ${read} r LEFT JOIN ${claimed} c ON true`,
    );
    if (!row || !row.eligible) return { row, outcome: { kind: "ineligible" } };
    const userId = row.user_id;
    // No factor at all (MFA off, or on and not set up): nothing to guess, nothing counted.
    if (row.enrolled_method === null && !row.passkey_only) {
      return { row, outcome: { kind: "done", result: { ok: false, reason: "not_enrolled", retryAfterSeconds: 0 } } };
    }
    const attempt = await throttle.attemptFrom(codeThrottleKey(userId), row);
    if (!attempt.granted) {
      return {
        row,
        outcome: {
          kind: "done",
          result: { ok: false, reason: "locked", retryAfterSeconds: attempt.retryAfterSeconds },
        },
      };
    }
    // The attempt that set the lock is durable before its code is checked. Besides the flush its
    // failure needs anyway, this keeps the order the claims were counted in: claims on one key queue
    // on its row, and without their flushes they come back in the same instant, so the lock setter
    // could win a burst's compare-and-set and its success lift the lock that the burst's replays
    // earned (test/mfa/lockout-concurrency.test.ts: one good code and its replays, one lock).
    if (attempt.lockedNow) await throttle.makeDurable(codeThrottleKey(userId));
    // A passkey-only user holds no code: theirs match nothing, and fail like an app user's wrong code.
    const params: TotpParams | null = row.passkey_only
      ? null
      : {
          secret: box.open(row.secret_sealed, sealContext(userId)),
          algorithm: row.algorithm,
          digits: row.digits as 6 | 8,
          periodInSeconds: row.period_seconds,
        };
    const now = clock.now();
    const step =
      params && matchTotpStep(params, code, now, { window: policy.windowSteps, centreOffset: row.drift_steps });
    if (params === null || step === null) {
      await this.#durable(userId, attempt);
      return { row, outcome: { kind: "done", result: await failedAttempt(this.ctx, userId, attempt, where) } };
    }
    const drift = step - totpStep(now, params.periodInSeconds);
    return { row, outcome: { kind: "matched", userId, step, drift, attempt, where } };
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
    return this.#seen(await this.#finishCodeCheck(m, finish));
  }

  /**
   * Makes the attempt's unflushed claim durable before an answer that wrote nothing (and so flushed
   * nothing) is given; the lock setter's was made durable when it was counted.
   */
  async #durable(userId: string, attempt: Attempt & { granted: true }): Promise<void> {
    if (!attempt.lockedNow) await this.ctx.throttle.makeDurable(codeThrottleKey(userId));
  }

  async #finishCodeCheck<F = never>(
    m: Extract<CodeCheckOutcome, { kind: "matched" }>,
    finish?: PartBuilder<F>,
  ): Promise<CodeCheck & { finished?: F | null }> {
    const st = new Statement();
    const won = st.with(
      "step_won",
      sql`UPDATE mfa_enrollments SET last_used_step = ${st.param(m.step, "bigint")},
         drift_steps = ${st.param(m.drift, "int")}
       WHERE user_id = ${st.param(m.userId, "uuid")} AND (last_used_step IS NULL OR last_used_step < ${st.param(m.step, "bigint")})
       RETURNING user_id`,
    );
    this.ctx.throttle.succeedIn(st, codeThrottleKey(m.userId), m.attempt, won);
    const part = finish?.(st, won);
    const rows = await runGated<{ won: boolean; finished: boolean }>(
      st,
      this.ctx.db,
      sql`SELECT EXISTS (SELECT 1 FROM ${won}) AS won, ${part ? part.done : sql`false`} AS finished`,
    );
    // The statement lost to a credential change (engine/auth/credential-gate.ts): nothing was written.
    if (!rows) {
      await this.#durable(m.userId, m.attempt);
      return { ok: true, step: m.step, ...(part ? { finished: null } : {}) };
    }
    const row = rows[0];
    if (!row!.won) {
      // The compare-and-set lost: the statement wrote nothing, so its commit flushed nothing.
      await this.#durable(m.userId, m.attempt);
      return failedAttempt(this.ctx, m.userId, m.attempt, m.where);
    }
    return { ok: true, step: m.step, ...(part ? { finished: row!.finished ? part.value : null } : {}) };
  }
}
