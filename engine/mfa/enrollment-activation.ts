import { ACCOUNT_POLICY } from "../auth/throttle.js";
import { isPgError, PgError } from "../db/db.js";
import { failedAttempt } from "./code-verification.js";
import { removeReplacedFactor } from "./factor-replacement.js";
import {
  type ActivationOptions,
  type ActivationResult,
  codeThrottleKey,
  type EnrollmentInput,
  type MfaActor,
} from "./mfa-model.js";
import { type MfaContext, pendingContext, readStatus, scopedUser, sealContext } from "./mfa-rows.js";
import { newAppSecret } from "./otpauth.js";
import { assertTotpParams, matchTotpStep, normaliseCode, totpStep, type TotpParams } from "./totp.js";

/**
 * Creating a user's one enrollment: the activation with a correct current code
 * (for an app or a hardware token) and the authenticator-app setup before it —
 * a fresh secret sealed in the database while the setup page is valid.
 */
export class EnrollmentActivation {
  constructor(private readonly ctx: MfaContext) {}

  /**
   * Activates an enrollment after a correct current code (same lockout rules;
   * the step used here cannot be used again to sign in). Used by the app setup
   * page, /mfa/setup/hardware and the device API. Every other session and
   * device token of the user ends; `actor.credential` (the sign-in doing the
   * activation) is kept when the actor is the user. The window is
   * MfaPolicy.windowSteps (hardwareActivationWindowSteps for a token) around
   * the current RFC 6238 §4 step; the matched step's offset is kept as the drift.
   * Throws for parameters assertTotpParams refuses or a method/tokenId mismatch
   * (programming errors), and MfaAccessError for an unknown user. With `replace`
   * (a session signed in with a recovery code or an access pass) an activated
   * user's current factor is replaced in the same transaction — only now that the
   * new one is confirmed; without it an activated user gets "already_active".
   */
  async activate(
    userId: string,
    input: EnrollmentInput,
    code: string,
    actor: MfaActor,
    opts: ActivationOptions = {},
  ): Promise<ActivationResult> {
    const { db, clock, box, audit, revocation, policy, throttle } = this.ctx;
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
    const status = await readStatus(userId, db, clock.now());
    if (!status.enabled) return { ok: false, reason: "not_enabled", retryAfterSeconds: 0 };
    // One TOTP enrollment per user (passkeys beside it are other factors), unless it is being replaced.
    if (status.activation && status.activation.method !== "passkey" && !opts.replace) {
      return { ok: false, reason: "already_active", retryAfterSeconds: 0 };
    }
    const key = codeThrottleKey(userId);
    const attempt = await throttle.claim(key, ACCOUNT_POLICY);
    if (!attempt.granted) return { ok: false, reason: "locked", retryAfterSeconds: attempt.retryAfterSeconds };
    const now = clock.now();
    const window = input.method === "hardware" ? policy.hardwareActivationWindowSteps : policy.windowSteps;
    const step = matchTotpStep(params, normaliseCode(code) ?? "", now, { window });
    if (step === null) return failedAttempt(this.ctx, userId, attempt, opts.where);
    try {
      await db.transaction(async (tx) => {
        const user = await scopedUser(userId, actor, tx);
        // The lost factor goes only now, with the new one confirmed (factor-replacement.ts says which).
        const replaced = opts.replace ? await removeReplacedFactor(tx, userId) : undefined;
        await tx.query(
          `INSERT INTO mfa_enrollments (user_id, method, secret_sealed, algorithm, digits, period_seconds, drift_steps,
             last_used_step, token_id, token_serial, activated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
          [
            userId,
            input.method,
            box.seal(Buffer.from(input.secret), sealContext(userId)),
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
        await revocation.revoke(userId, "mfa_activated", tx, actor);
        await audit.record(
          {
            siteId: user.site_id,
            actor,
            action: "mfa.activate",
            target: { id: userId, name: user.username },
            details: {
              method: input.method,
              ...(input.tokenSerial ? { serialNumber: input.tokenSerial } : {}),
              ...(replaced ? { replaced } : {}),
            },
          },
          tx,
        );
        await this.ctx.notices.notify(tx, userId, "mfa_activated", { method: input.method });
      });
    } catch (err) {
      if (isPgError(err, PgError.uniqueViolation)) {
        // The code was right; someone else was faster. Not a failure, not a success either.
        await throttle.refund(key, attempt);
        const taken = /token_id/.test(String((err as { constraint?: string }).constraint ?? (err as Error).message));
        return { ok: false, reason: taken ? "token_taken" : "already_active", retryAfterSeconds: 0 };
      }
      throw err;
    }
    await throttle.succeed(key, attempt);
    return { ok: true };
  }

  /**
   * A hardware activation whose serial number this user may not activate (unknown, assigned,
   * disabled or reserved for someone else), answered exactly like a wrong code: the same checks
   * first, then a failed attempt on the account's code throttle (the claim counts it, as in
   * activate). So a serial number cannot be enumerated: each guess costs an attempt towards the
   * lock and answers what a wrong code answers, whether the serial exists or not.
   */
  async refuseUnknownToken(userId: string, opts: ActivationOptions = {}): Promise<ActivationResult> {
    const { db, clock, throttle } = this.ctx;
    const status = await readStatus(userId, db, clock.now());
    if (!status.enabled) return { ok: false, reason: "not_enabled", retryAfterSeconds: 0 };
    if (status.activation && status.activation.method !== "passkey" && !opts.replace) {
      return { ok: false, reason: "already_active", retryAfterSeconds: 0 };
    }
    const attempt = await throttle.claim(codeThrottleKey(userId), ACCOUNT_POLICY);
    if (!attempt.granted) return { ok: false, reason: "locked", retryAfterSeconds: attempt.retryAfterSeconds };
    return failedAttempt(this.ctx, userId, attempt, opts.where);
  }

  /**
   * The secret for the setup page (raw key bytes, RFC 4226 §4 K), sealed in the database until
   * activation: the pending one while it is valid (MfaPolicy.pendingSecretSeconds from when it was
   * made), else a fresh one. A reload or a second tab shows the key already scanned, so its codes
   * keep working (a new key per visit made them wrong codes that counted towards the lock). One
   * statement replaces only an expired key, so two pages opened at once cannot end up with two keys.
   */
  async startAppSetup(userId: string): Promise<Buffer> {
    const { db, box, clock, policy } = this.ctx;
    for (let turn = 0; ; turn++) {
      const fresh = newAppSecret();
      const now = clock.now();
      const { rowCount } = await db.query(
        `INSERT INTO mfa_pending_secrets (user_id, secret_sealed, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (user_id) DO UPDATE SET secret_sealed = EXCLUDED.secret_sealed, created_at = EXCLUDED.created_at
           WHERE mfa_pending_secrets.created_at < $4`,
        [
          userId,
          box.seal(fresh, pendingContext(userId)),
          now,
          new Date(now.getTime() - policy.pendingSecretSeconds * 1000),
        ],
      );
      if (rowCount) return fresh;
      // A valid key is pending: show it (sealed for this user: pendingContext binds the user id).
      const kept = await this.pendingAppSecret(userId);
      if (kept) return kept;
      // It expired between the two statements: the next turn replaces it (once is all it can take).
      if (turn > 0) throw new Error("pending MFA secret neither kept nor replaced");
    }
  }

  /** Until when the key the last setup page showed stays valid (MfaPolicy.pendingSecretSeconds), or null if none is. */
  async pendingAppSecretUntil(userId: string): Promise<Date | null> {
    const { rows } = await this.ctx.db.query<{ created_at: Date }>(
      "SELECT created_at FROM mfa_pending_secrets WHERE user_id = $1",
      [userId],
    );
    if (!rows[0]) return null;
    const until = new Date(new Date(rows[0].created_at).getTime() + this.ctx.policy.pendingSecretSeconds * 1000);
    return until > this.ctx.clock.now() ? until : null;
  }

  /** The secret the last setup page showed, while it is still valid (MfaPolicy.pendingSecretSeconds); else null. */
  async pendingAppSecret(userId: string): Promise<Buffer | null> {
    const { rows } = await this.ctx.db.query<{ secret_sealed: string; created_at: Date }>(
      "SELECT secret_sealed, created_at FROM mfa_pending_secrets WHERE user_id = $1",
      [userId],
    );
    const r = rows[0];
    if (!r) return null;
    const age = this.ctx.clock.now().getTime() - new Date(r.created_at).getTime();
    if (age > this.ctx.policy.pendingSecretSeconds * 1000) return null;
    return this.ctx.box.open(r.secret_sealed, pendingContext(userId));
  }

  /** Confirms the pending authenticator-app secret with a code (SHA-1, 6 digits, 30 s); "expired" without one. */
  async activatePendingApp(
    userId: string,
    code: string,
    actor: MfaActor,
    opts: ActivationOptions = {},
  ): Promise<ActivationResult> {
    const secret = await this.pendingAppSecret(userId);
    if (!secret) return { ok: false, reason: "expired", retryAfterSeconds: 0 };
    return this.activate(
      userId,
      { method: "app", secret, algorithm: "SHA1", digits: 6, periodInSeconds: 30 },
      code,
      actor,
      opts,
    );
  }
}
