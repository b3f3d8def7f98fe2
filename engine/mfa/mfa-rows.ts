import type { Notices } from "../mail/mail-model.js";
import type { AuditLog } from "../audit/audit-log.js";
import type { CredentialRevocation } from "../auth/revocation.js";
import type { Throttle } from "../auth/throttle.js";
import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { sql } from "../db/statement.js";
import { isUuid } from "../util/uuid.js";
import { DEFAULT_TIME_ZONE } from "../util/zoned-dates.js";
import { MfaAccessError, type MfaActor, type MfaPolicy } from "./mfa-model.js";
import type { SecretBox } from "./secret-box.js";
import { type MfaActivation, type MfaFacts, type MfaMethod, type MfaStatus, withMessage } from "./status.js";

/** What the parts of the MFA service share: storage, time, sealing, audit, revocation, policy and the throttle. */
export interface MfaContext {
  db: Db;
  clock: Clock;
  box: SecretBox;
  audit: AuditLog;
  revocation: CredentialRevocation;
  policy: MfaPolicy;
  throttle: Throttle;
  /** Security notices by e-mail, enqueued in the transaction of the change (MailOutbox.notify). */
  notices: Notices;
}

/** The SecretBox context of a user's enrollment secret: a sealed secret opens only for its own user. */
export const sealContext = (userId: string) => `mfa-enrollment:${userId}`;
/** The SecretBox context of a user's pending authenticator-app secret. */
export const pendingContext = (userId: string) => `mfa-pending:${userId}`;

/** One row of FACTS_SQL: a user with their settings, enrollment and code lock (nulls when absent). */
export interface FactsRow {
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
  /** The user's passkeys' names, oldest first (empty: none), and when the first was added. */
  passkey_names: string[] | null;
  passkey_first_at: Date | null;
  recovery_left: number;
  recovery_total: number;
  /** The site's time zone (sites.time_zone). */
  time_zone: string | null;
}

/** The MFA columns of FactsRow, over the joins of FACTS_JOINS. */
export const FACTS_COLUMNS = sql`mfa_s.enabled, mfa_s.enforcement_delay_days, mfa_s.enabled_at, mfa_s.enabled_by_name,
    mfa_s.required_from, mfa_s.disabled_at, mfa_s.disabled_by_name, mfa_e.method, mfa_e.activated_at,
    mfa_e.token_id, mfa_e.token_serial, mfa_t.locked_until, mfa_pk.passkey_names, mfa_pk.passkey_first_at,
    (SELECT count(*) FILTER (WHERE rc.used_at IS NULL) FROM mfa_recovery_codes rc WHERE rc.user_id = u.id)::int AS recovery_left,
    (SELECT count(*) FROM mfa_recovery_codes rc WHERE rc.user_id = u.id)::int AS recovery_total,
    mfa_site.time_zone`;
/** Left joins from users `u` to its settings, enrollment and code throttle row. */
export const FACTS_JOINS = sql`LEFT JOIN mfa_settings mfa_s ON mfa_s.user_id = u.id
  LEFT JOIN sites mfa_site ON mfa_site.id = u.site_id
  LEFT JOIN mfa_enrollments mfa_e ON mfa_e.user_id = u.id
  LEFT JOIN throttles mfa_t ON mfa_t.key = 'code:user:' || u.id::text
  LEFT JOIN LATERAL (SELECT array_agg(pk.name ORDER BY pk.created_at, pk.id) AS passkey_names,
      min(pk.created_at) AS passkey_first_at FROM passkeys pk WHERE pk.user_id = u.id) mfa_pk ON true`;

/** Reads FactsRow for users `u`; callers add the WHERE clause. */
export const FACTS_SQL = `SELECT u.id AS user_id, u.site_id, u.username, ${FACTS_COLUMNS} FROM users u ${FACTS_JOINS}`;

/**
 * The activation of a FactsRow: the TOTP enrollment and the passkeys together (activated when the
 * first of them was), null with neither.
 */
function activationOf(r: FactsRow): MfaActivation | null {
  const passkeys = r.passkey_names ?? [];
  if (!r.method && !passkeys.length) return null;
  const times = [r.activated_at, r.passkey_first_at].filter((d): d is Date => d !== null).map((d) => new Date(d));
  return {
    method: r.method ?? "passkey",
    at: new Date(Math.min(...times.map((d) => d.getTime()))),
    tokenId: r.token_id,
    tokenSerial: r.token_serial,
    passkeys,
  };
}

/** A FactsRow as the MfaFacts the status message is made from (absent settings read as off, delay 0). */
export const toFacts = (r: FactsRow): MfaFacts => ({
  userId: r.user_id,
  enabled: r.enabled ?? false,
  enforcementDelayDays: r.enforcement_delay_days ?? 0,
  enabledAt: r.enabled_at,
  enabledBy: r.enabled_by_name,
  requiredFrom: r.required_from,
  disabledAt: r.disabled_at,
  disabledBy: r.disabled_by_name,
  activation: activationOf(r),
  lockedUntil: r.locked_until,
  recoveryCodes: r.recovery_total ? { left: r.recovery_left, total: r.recovery_total } : null,
  timeZone: r.time_zone ?? DEFAULT_TIME_ZONE,
});

/** One user's FactsRow; throws MfaAccessError for an id that is not a UUID or not a user. */
export async function readFacts(userId: string, db: Db): Promise<FactsRow> {
  if (!isUuid(userId)) throw new MfaAccessError("no such user");
  const { rows } = await db.query<FactsRow>(`${FACTS_SQL} WHERE u.id = $1`, [userId]);
  if (!rows[0]) throw new MfaAccessError("no such user");
  return rows[0];
}

/** One user's structured MFA state plus its status message at `now`; throws MfaAccessError like readFacts. */
export async function readStatus(userId: string, db: Db, now: Date): Promise<MfaStatus> {
  return withMessage(toFacts(await readFacts(userId, db)), now);
}

/**
 * The user, if the actor may change them: same site as the one the actor works
 * on. Throws MfaAccessError otherwise (an unknown user and another site's user look alike).
 */
export async function scopedUser(
  userId: string,
  actor: MfaActor,
  db: Db,
): Promise<{ site_id: string; username: string }> {
  if (!isUuid(userId)) throw new MfaAccessError("no such user");
  const { rows } = await db.query<{ site_id: string; username: string }>(
    "SELECT site_id, username FROM users WHERE id = $1",
    [userId],
  );
  const user = rows[0];
  if (!user || (actor.siteId !== null && actor.siteId !== user.site_id)) throw new MfaAccessError("no such user");
  return user;
}

/**
 * Deletes every factor (the enrollment and the passkeys) and any pending secret; a hardware token
 * thereby returns to the pool. Returns the TOTP enrollment deleted ("passkey" when only passkeys
 * were), null when nothing was enrolled.
 */
export async function removeEnrollment(
  userId: string,
  db: Db,
): Promise<{ method: MfaMethod | "passkey"; token_id: string | null } | null> {
  await db.query("DELETE FROM mfa_pending_secrets WHERE user_id = $1", [userId]);
  const passkeys = await db.query("DELETE FROM passkeys WHERE user_id = $1", [userId]);
  const { rows } = await db.query<{ method: MfaMethod; token_id: string | null }>(
    "DELETE FROM mfa_enrollments WHERE user_id = $1 RETURNING method, token_id",
    [userId],
  );
  return rows[0] ?? (passkeys.rowCount ? { method: "passkey", token_id: null } : null);
}
