/**
 * The writes of one rollout batch, set-based: a few statements for the whole batch whatever its
 * size, each user ending exactly as MfaSettings.applySettings leaves a user whose slider was
 * switched on in the dialog (settings, deadline, no enrollment or half-done setup, credentials
 * ended, one `mfa.enable` audit entry). The caller runs them in the batch's transaction.
 */
import type { AuditLog } from "../audit/audit-log.js";
import type { CredentialRevocation } from "../auth/revocation.js";
import type { Db } from "../db/db.js";
import type { Notices } from "../mail/mail-model.js";
import type { MfaActor } from "./mfa-model.js";

/** A user of a batch, as the batch read them. */
export interface BatchUser {
  id: string;
  username: string;
  siteId: string;
}

/** What every batch of one rollout shares: one instant, one deadline, one actor. */
export interface BatchContext {
  audit: AuditLog;
  revocation: CredentialRevocation;
  /** Where the "MFA switched on" mails of the batch are enqueued (one statement per batch). */
  notices: Notices;
  actor: MfaActor;
  rolloutId: string;
  /** Enforcement delay in days (0–3650). */
  delay: number;
  /** The rollout's instant: every user's enabled_at. */
  now: Date;
  /** now + delay: every changed user's deadline. */
  requiredFrom: Date;
}

/**
 * OFF→ON for `users` (whose MFA is off): one statement writes the settings (a new row or the
 * off row switched on; a user switched on by someone else since the batch was read keeps their
 * settings) and deletes any pending secret and enrollment of those switched on; then their
 * credentials end (CredentialRevocation.revokeMany, one statement per kind) and each gets an
 * `mfa.enable` entry (one statement). Returns the ids switched on.
 */
export async function enableBatch(tx: Db, users: readonly BatchUser[], c: BatchContext): Promise<string[]> {
  if (!users.length) return [];
  const { rows } = await tx.query<{ user_id: string }>(
    `WITH switched AS (
       INSERT INTO mfa_settings AS m (user_id, enabled, enforcement_delay_days, enabled_at, enabled_by,
         enabled_by_name, required_from, updated_at, rollout_id)
       SELECT id, true, $2, $3, $4, $5, $6, $3, $7 FROM unnest($1::uuid[]) AS id
       ON CONFLICT (user_id) DO UPDATE SET enabled = true, enforcement_delay_days = EXCLUDED.enforcement_delay_days,
         enabled_at = EXCLUDED.enabled_at, enabled_by = EXCLUDED.enabled_by, enabled_by_name = EXCLUDED.enabled_by_name,
         required_from = EXCLUDED.required_from, updated_at = EXCLUDED.updated_at, rollout_id = EXCLUDED.rollout_id
       WHERE NOT m.enabled
       RETURNING m.user_id),
     secrets AS (DELETE FROM mfa_pending_secrets WHERE user_id IN (SELECT user_id FROM switched)),
     enrollments AS (DELETE FROM mfa_enrollments WHERE user_id IN (SELECT user_id FROM switched)),
     passkeys AS (DELETE FROM passkeys WHERE user_id IN (SELECT user_id FROM switched))
     SELECT user_id FROM switched`,
    [users.map((u) => u.id), c.delay, c.now, c.actor.id, c.actor.name, c.requiredFrom, c.rolloutId],
  );
  const on = rows.map((r) => r.user_id);
  if (!on.length) return on;
  // Whatever was signed in with the password alone ends, as the slider does it.
  await c.revocation.revokeMany(on, "mfa_enabled", tx, c.actor);
  await c.audit.recordForTargets(
    {
      actor: c.actor,
      action: "mfa.enable",
      // A rollout by date names its deadline (not now + whole days); by days it reads as the slider's entry.
      details: {
        enforcementDelayDays: c.delay,
        ...(c.requiredFrom.getTime() === c.now.getTime() + c.delay * 86_400_000
          ? {}
          : { requiredFrom: c.requiredFrom.toISOString() }),
        rolloutId: c.rolloutId,
      },
    },
    targets(users, on),
    tx,
  );
  await c.notices.notify(tx, on, "mfa_enabled");
  return on;
}

/**
 * Gives users who have MFA on but not activated the rollout's deadline: their grace period starts
 * again now with the rollout's delay (so a later delay change still counts from enabled_at), with
 * an `mfa.deadline_move` entry each, and they belong to the rollout from then on (its progress,
 * its reminders) and a mail with the new date (mfa_deadline_moved). Also "Extend the deadline" of a
 * rollout. Returns the ids moved.
 */
export async function moveBatch(tx: Db, users: readonly BatchUser[], c: BatchContext): Promise<string[]> {
  if (!users.length) return [];
  const { rows } = await tx.query<{ user_id: string }>(
    `UPDATE mfa_settings s SET enforcement_delay_days = $2, enabled_at = $3, enabled_by = $4, enabled_by_name = $5,
       required_from = $6, updated_at = $3, rollout_id = $7
     WHERE s.user_id = ANY($1::uuid[]) AND s.enabled
       AND NOT EXISTS (SELECT 1 FROM mfa_enrollments e WHERE e.user_id = s.user_id)
       AND NOT EXISTS (SELECT 1 FROM passkeys pk WHERE pk.user_id = s.user_id)
     RETURNING s.user_id`,
    [users.map((u) => u.id), c.delay, c.now, c.actor.id, c.actor.name, c.requiredFrom, c.rolloutId],
  );
  const moved = rows.map((r) => r.user_id);
  await c.audit.recordForTargets(
    {
      actor: c.actor,
      action: "mfa.deadline_move",
      // A rollout by date names its deadline (not now + whole days); by days it reads as the slider's entry.
      details: {
        enforcementDelayDays: c.delay,
        ...(c.requiredFrom.getTime() === c.now.getTime() + c.delay * 86_400_000
          ? {}
          : { requiredFrom: c.requiredFrom.toISOString() }),
        rolloutId: c.rolloutId,
      },
    },
    targets(users, moved),
    tx,
  );
  // Their last mail named the old date: each is told the new one (the site's zone), as a start does.
  await c.notices.notify(tx, moved, "mfa_deadline_moved");
  return moved;
}

/** The audit targets of `users` whose id is in `ids`, in the batch's (id) order. */
function targets(users: readonly BatchUser[], ids: readonly string[]) {
  const changed = new Set(ids);
  return users.filter((u) => changed.has(u.id)).map((u) => ({ id: u.id, name: u.username, siteId: u.siteId }));
}
