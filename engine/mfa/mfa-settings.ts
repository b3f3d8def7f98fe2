import type { AuditAction } from "../audit/audit-log.js";
import { accountKey } from "../auth/throttle.js";
import type { Db } from "../db/db.js";
import { Statement, sql } from "../db/statement.js";
import { MAX_ENFORCEMENT_DELAY_DAYS, type MfaActor, MfaInputError, type MfaSettingsInput } from "./mfa-model.js";
import { type MfaContext, readStatus, removeEnrollment, scopedUser } from "./mfa-rows.js";
import { codeThrottleKey } from "./mfa-model.js";
import { enforcementDeadline } from "./sign-in-flow.js";
import type { MfaStatus } from "./status.js";

/** Lifts the code lock of a user (failed codes): a reset starts the user's MFA over, lock included. */
async function clearCodeLock(userId: string, db: Db): Promise<void> {
  await db.query("DELETE FROM throttles WHERE key = $1", [codeThrottleKey(userId)]);
}

/**
 * The administrator's side of MFA for one user: the on/off slider, the
 * enforcement delay (whole days) and the deadline computed from them, the
 * reset and the unlock. Every change is audited; turning MFA on or off, and a
 * reset, end the user's sessions and device tokens.
 */
export class MfaSettings {
  constructor(private readonly ctx: MfaContext) {}

  /**
   * Applies the slider and the delay. OFF→ON starts the grace period; ON→OFF is a
   * reset (enrollment deleted, a hardware token back in the pool); both end the
   * user's sessions and device tokens (CredentialRevocation). A delay change
   * recomputes the deadline from enabled_at. Pass the caller's transaction to
   * save together with the rest of a user record. Throws MfaInputError for a
   * non-boolean slider or a delay outside 0…MAX_ENFORCEMENT_DELAY_DAYS, and
   * MfaAccessError for a user outside the actor's site.
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
    const { clock, audit, revocation } = this.ctx;
    const run = async (db: Db) => {
      const user = await scopedUser(userId, actor, db);
      const now = clock.now();
      await db.query(
        "INSERT INTO mfa_settings (user_id, updated_at) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING",
        [userId, now],
      );
      const { rows } = await db.query<{ enabled: boolean; enforcement_delay_days: number; enabled_at: Date | null }>(
        "SELECT enabled, enforcement_delay_days, enabled_at FROM mfa_settings WHERE user_id = $1 FOR UPDATE",
        [userId],
      );
      const before = rows[0]!;
      const entry = (action: AuditAction, details: Record<string, unknown>) =>
        audit.record({ siteId: user.site_id, actor, action, target: { id: userId, name: user.username }, details }, db);
      if (!before.enabled && input.enabled) {
        // A fresh start: whatever was enrolled before is gone (OFF deleted it; this makes sure), and so is a code lock.
        await removeEnrollment(userId, db);
        await clearCodeLock(userId, db);
        // Whatever was signed in with the password alone ends: the next sign-in follows the new rule.
        await revocation.revoke(userId, "mfa_enabled", db, actor);
        await db.query(
          `UPDATE mfa_settings SET enabled = true, enforcement_delay_days = $2, enabled_at = $3, enabled_by = $4,
             enabled_by_name = $5, required_from = $6, updated_at = $3, rollout_id = NULL WHERE user_id = $1`,
          [userId, delay, now, actor.id, actor.name, enforcementDeadline(now, delay)],
        );
        await entry("mfa.enable", { enforcementDelayDays: delay });
        await this.ctx.notices.notify(db, userId, "mfa_enabled");
      } else if (before.enabled && !input.enabled) {
        const removed = await removeEnrollment(userId, db);
        await clearCodeLock(userId, db);
        const revoked = await revocation.revoke(userId, "mfa_disabled", db, actor);
        await db.query(
          `UPDATE mfa_settings SET enabled = false, enforcement_delay_days = $2, disabled_at = $3, disabled_by = $4,
             disabled_by_name = $5, required_from = NULL, updated_at = $3, rollout_id = NULL WHERE user_id = $1`,
          [userId, delay, now, actor.id, actor.name],
        );
        await entry("mfa.disable", { revoked });
        if (removed) await entry("mfa.reset", { method: removed.method });
        await this.ctx.notices.notify(db, userId, "mfa_disabled");
      } else if (before.enforcement_delay_days !== delay) {
        // From enabled_at, not from now (the row is locked above, so enabled_at is the one in force).
        const requiredFrom = before.enabled && before.enabled_at ? enforcementDeadline(before.enabled_at, delay) : null;
        await db.query(
          "UPDATE mfa_settings SET enforcement_delay_days = $2, updated_at = $3, required_from = $4, rollout_id = NULL WHERE user_id = $1",
          [userId, delay, now, requiredFrom],
        );
        if (before.enabled) await entry("mfa.delay_change", { from: before.enforcement_delay_days, to: delay });
      }
      return readStatus(userId, db, clock.now());
    };
    return tx ? run(tx) : this.ctx.db.transaction(run);
  }

  /**
   * The CLI's reset, the same as OFF+Save then ON+Save: the enrollment goes (a
   * hardware token back to the pool), the code lock is lifted, sessions and device tokens end and, with MFA on,
   * the grace period starts again from now. Throws MfaAccessError like applySettings.
   */
  async reset(userId: string, actor: MfaActor): Promise<MfaStatus> {
    const { clock, audit, revocation } = this.ctx;
    return this.ctx.db.transaction(async (tx) => {
      const user = await scopedUser(userId, actor, tx);
      const removed = await removeEnrollment(userId, tx);
      // The lock from the lost authenticator's wrong codes must not refuse the new one's first code.
      await clearCodeLock(userId, tx);
      const revoked = await revocation.revoke(userId, "mfa_reset", tx, actor);
      const now = clock.now();
      const { rows } = await tx.query<{ enforcement_delay_days: number }>(
        "SELECT enforcement_delay_days FROM mfa_settings WHERE user_id = $1 AND enabled FOR UPDATE",
        [userId],
      );
      if (rows[0]) {
        await tx.query(
          `UPDATE mfa_settings SET enabled_at = $2, enabled_by = $3, enabled_by_name = $4, updated_at = $2,
             required_from = $5, rollout_id = NULL WHERE user_id = $1`,
          [userId, now, actor.id, actor.name, enforcementDeadline(now, rows[0].enforcement_delay_days)],
        );
      }
      await audit.record(
        {
          siteId: user.site_id,
          actor,
          action: "mfa.reset",
          target: { id: userId, name: user.username },
          details: { method: removed?.method ?? null, revoked },
        },
        tx,
      );
      await this.ctx.notices.notify(tx, userId, "mfa_reset");
      return readStatus(userId, tx, clock.now());
    });
  }

  /** When the user's code or password lock ends (the later of the two), or null when neither holds now. */
  async lockedUntil(userId: string): Promise<Date | null> {
    const user = await this.ctx.db.query<{ username: string }>("SELECT username FROM users WHERE id = $1", [userId]);
    if (!user.rows[0]) return null;
    const { rows } = await this.ctx.db.query<{ until: Date | null }>(
      "SELECT max(locked_until) AS until FROM throttles WHERE key = ANY($1::text[]) AND locked_until > $2",
      [[codeThrottleKey(userId), accountKey("password", user.rows[0].username)], this.ctx.clock.now()],
    );
    return rows[0]?.until ?? null;
  }

  /**
   * Lifts a lock caused by failed codes (and by failed passwords) and clears their failure counts,
   * audited as mfa.unlock only when a lock was lifted: the delete and the entry are one statement, so
   * a second Unlock (or two at once) writes no entry. Returns whether a lock was lifted; throws
   * MfaAccessError like applySettings.
   */
  async unlock(userId: string, actor: MfaActor): Promise<boolean> {
    return this.ctx.db.transaction(async (tx) => {
      const user = await scopedUser(userId, actor, tx);
      // The password locks too: the shared one and each known client's own (engine/auth/known-clients.ts).
      const passwordKey = accountKey("password", user.username);
      const st = new Statement();
      // Every throttle row goes (the failures counted so far too); a lock was lifted when one of them
      // was locked at this moment.
      const cleared = st.with(
        "cleared",
        sql`DELETE FROM throttles WHERE key = ANY(${st.param([codeThrottleKey(userId), passwordKey], "_text")})
          OR starts_with(key, ${st.param(`${passwordKey}:client:`, "text")})
          RETURNING key, locked_until > ${st.param(this.ctx.clock.now(), "timestamptz")} AS locked`,
      );
      const lifted = st.with("lifted", sql`SELECT key FROM ${cleared} WHERE locked`);
      const audited = this.ctx.audit.recordIn(
        st,
        { siteId: user.site_id, actor, action: "mfa.unlock", target: { id: userId, name: user.username } },
        lifted,
      );
      const rows = await st.run<{ lifted: boolean }>(tx, sql`SELECT EXISTS (SELECT 1 FROM ${audited}) AS lifted`);
      return rows[0]!.lifted;
    });
  }
}
