/**
 * The MFA states administrators filter and count by, as SQL.
 *
 * off, pending, overdue and activated split a site's users into four parts
 * (every user is in exactly one); locked is across them (a user whose code or
 * password failures hold a lock right now). "Now" is always a parameter taken
 * from the injected Clock, never the database's now(), so tests move time.
 *
 * The SQL reads `users u` joined with {@link MFA_STATE_JOINS}; callers put the
 * joins after their FROM and a condition from {@link mfaStateCondition} in
 * their WHERE, numbering the "now" placeholder themselves.
 */
import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { foldSql } from "../db/fold.js";
import { HOLDS_FACTOR } from "../db/factor-rows.js";
import { sql } from "../db/statement.js";
import { BADGE_NAMES } from "./status.js";

/** The values of `/configure/users?mfa=…`, in the order pages show them. */
export const MFA_STATES = ["off", "pending", "overdue", "activated", "locked"] as const;
/**
 * An MFA state to filter and count by: off, pending (enabled, not activated, before the enforcement
 * deadline, or "due at next sign-in" with delay 0), overdue (a grace period ran out: see PAST_GRACE)
 * or activated, which split the users; locked (a code or password lock
 * holds now) cuts across them.
 */
export type MfaState = (typeof MFA_STATES)[number];

/** Narrows a query parameter; anything else is not a state (the caller answers 400 or ignores it). */
export function isMfaState(value: unknown): value is MfaState {
  return typeof value === "string" && (MFA_STATES as readonly string[]).includes(value);
}

/**
 * The name of each state on every page (filters, headings, the badges of engine/mfa/status.ts and
 * the CSV exports' words): the badge names of docs/ui.md. `?mfa=activated` is "Active".
 */
export const MFA_STATE_LABELS: Record<MfaState, string> = {
  off: BADGE_NAMES.off,
  pending: BADGE_NAMES.pending,
  overdue: BADGE_NAMES.overdue,
  activated: BADGE_NAMES.active,
  locked: BADGE_NAMES.locked,
};

/** A user `u` holds a passkey (a factor beside the TOTP enrollment `me`). */
export const HAS_PASSKEY = "EXISTS (SELECT 1 FROM passkeys pk WHERE pk.user_id = u.id)";

/**
 * SQL over `mfa_settings ms`: a grace period ran out — the deadline has passed and it was later than
 * the switch-on. A deadline at the switch-on (enforcement delay 0) gave no grace to miss: that user
 * is pending, "due at next sign-in", until they set up (the sign-in itself then asks for setup and
 * cannot finish without it). The reminder mails apply the same rule (no overdue mail for delay 0,
 * engine/mail/reminders.ts); `isOverdue` in engine/mfa/status.ts is the same rule in TypeScript.
 */
export const PAST_GRACE = (now: string) =>
  `(ms.required_from <= ${now} AND ms.required_from > COALESCE(ms.enabled_at, '-infinity'::timestamptz))`;

/** LEFT JOINs the conditions below need, on `users u` (aliases ms, me: not to clash with the caller's). */
export const MFA_STATE_JOINS = `LEFT JOIN mfa_settings ms ON ms.user_id = u.id
  LEFT JOIN mfa_enrollments me ON me.user_id = u.id`;

/**
 * A boolean SQL expression for one state.
 *
 * @param now the caller's placeholder for the Clock's now as a timestamptz, e.g. "$2".
 * A lock is the account's code lock or password lock (the ones Unlock clears).
 */
export function mfaStateCondition(state: MfaState, now: string): string {
  assertPlaceholder(now);
  // Every condition names the placeholder (typed), so a caller's parameter list is the same
  // whichever state it asks for: PostgreSQL refuses a parameter that no statement uses.
  const typed = `${now}::timestamptz IS NOT NULL`;
  switch (state) {
    case "off":
      return `(NOT COALESCE(ms.enabled, false) AND NOT ${HOLDS_FACTOR} AND ${typed})`;
    case "pending":
      return `(ms.enabled AND NOT ${HOLDS_FACTOR} AND NOT ${PAST_GRACE(now)})`;
    case "overdue":
      return `(ms.enabled AND NOT ${HOLDS_FACTOR} AND ${PAST_GRACE(now)})`;
    case "activated":
      return `(${HOLDS_FACTOR} AND ${typed})`;
    case "locked":
      return `EXISTS (SELECT 1 FROM throttles th
        WHERE th.key IN ('code:user:' || u.id::text, 'password:account:' || ${foldSql(sql`u.username`)})
          AND th.locked_until > ${now})`;
  }
}

/**
 * SQL over `users u`: the user can sign in somewhere (not disabled, and web or device access).
 * Rollouts and reminders skip the others by default; the counts count them like everyone (MfaCounts.cannotSignIn).
 */
export const CAN_SIGN_IN = "(NOT u.disabled AND (u.web_access OR u.device_access))";

/**
 * A sort key for "MFA status" columns: off 0, pending 1, overdue 2, activated 3
 * (locked is not a part, so it does not sort). Ties are the caller's to break.
 */
export function mfaStateRank(now: string): string {
  assertPlaceholder(now);
  return `(CASE WHEN ${HOLDS_FACTOR} THEN 3
    WHEN COALESCE(ms.enabled, false) AND ${PAST_GRACE(now)} THEN 2
    WHEN COALESCE(ms.enabled, false) THEN 1 ELSE 0 END)`;
}

function assertPlaceholder(p: string): void {
  // Only a placeholder is ever spliced into SQL: values go in as parameters.
  if (!/^\$[1-9][0-9]{0,2}$/.test(p)) throw new Error(`not a SQL placeholder: ${p}`);
}

/** How many users of a site are in each state. activated = app + hardware + passkey only. */
export interface MfaCounts {
  users: number;
  off: number;
  pending: number;
  overdue: number;
  activated: number;
  activatedApp: number;
  activatedHardware: number;
  /** Activated with passkeys and no TOTP factor. */
  activatedPasskey: number;
  locked: number;
  /** Of `users`, those who cannot sign in: disabled, or no web or device access (counted in the states too). */
  cannotSignIn: number;
}

/** A user who must set up MFA by a date that has not passed yet. */
export interface MfaDeadline {
  userId: string;
  username: string;
  displayName: string;
  requiredFrom: Date;
}

/** Counts and deadlines for the Configure overview; every read is one query scoped to a site. */
export class MfaStates {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /**
   * A site's users by MFA state: every account, disabled or not, as the users list's `?mfa=` filters
   * count them (the Overview, the progress page). `cannotSignIn` says how many of them cannot sign
   * in (disabled, or neither web nor device access): rollouts and reminders skip those.
   */
  async counts(siteId: string): Promise<MfaCounts> {
    const now = "$2";
    const n = (condition: string) => `count(*) FILTER (WHERE ${condition})::int`;
    const { rows } = await this.db.query<MfaCounts>(
      `SELECT count(*) FILTER (WHERE NOT ${CAN_SIGN_IN})::int AS "cannotSignIn",
         ${n("true")} AS users,
         ${n(mfaStateCondition("off", now))} AS off,
         ${n(mfaStateCondition("pending", now))} AS pending,
         ${n(mfaStateCondition("overdue", now))} AS overdue,
         ${n(mfaStateCondition("activated", now))} AS activated,
         ${n("me.method = 'app'")} AS "activatedApp",
         ${n("me.method = 'hardware'")} AS "activatedHardware",
         ${n(`me.user_id IS NULL AND ${HAS_PASSKEY}`)} AS "activatedPasskey",
         ${n(mfaStateCondition("locked", now))} AS locked
       FROM users u ${MFA_STATE_JOINS}
       WHERE u.site_id = $1`,
      [siteId, this.clock.now()],
    );
    return rows[0]!;
  }

  /** Pending users, nearest deadline first (then by username); at most `limit` (1–100). */
  async nearestDeadlines(siteId: string, limit = 5): Promise<MfaDeadline[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new RangeError("limit must be 1–100");
    const { rows } = await this.db.query<MfaDeadline>(
      `SELECT u.id AS "userId", u.username, u.display_name AS "displayName", ms.required_from AS "requiredFrom"
       FROM users u ${MFA_STATE_JOINS}
       WHERE u.site_id = $1 AND ${mfaStateCondition("pending", "$2")}
       ORDER BY ms.required_from, ${foldSql(sql`u.username`)}
       LIMIT $3`,
      [siteId, this.clock.now(), limit],
    );
    return rows;
  }

  /** Ids of a site's users in a state (for filters built elsewhere), by username. */
  async userIds(siteId: string, state: MfaState): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT u.id FROM users u ${MFA_STATE_JOINS}
       WHERE u.site_id = $1 AND ${mfaStateCondition(state, "$2")}
       ORDER BY ${foldSql(sql`u.username`)}`,
      [siteId, this.clock.now()],
    );
    return rows.map((r) => r.id);
  }
}
