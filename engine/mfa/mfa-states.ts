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

/** The values of `/configure/users?mfa=…`, in the order pages show them. */
export const MFA_STATES = ["off", "pending", "overdue", "activated", "locked"] as const;
/**
 * An MFA state to filter and count by: off, pending (enabled, not activated, before the enforcement
 * deadline), overdue (past it) or activated, which split the users; locked (a code or password lock
 * holds now) cuts across them.
 */
export type MfaState = (typeof MFA_STATES)[number];

/** Narrows a query parameter; anything else is not a state (the caller answers 400 or ignores it). */
export function isMfaState(value: unknown): value is MfaState {
  return typeof value === "string" && (MFA_STATES as readonly string[]).includes(value);
}

/** Plain words for each state (page headings, filter labels). */
export const MFA_STATE_LABELS: Record<MfaState, string> = {
  off: "MFA off",
  pending: "On, not set up yet",
  overdue: "Overdue (deadline passed)",
  activated: "Activated",
  locked: "Locked now",
};

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
      return `(NOT COALESCE(ms.enabled, false) AND me.user_id IS NULL AND ${typed})`;
    case "pending":
      return `(ms.enabled AND me.user_id IS NULL AND ms.required_from > ${now})`;
    case "overdue":
      return `(ms.enabled AND me.user_id IS NULL AND ms.required_from <= ${now})`;
    case "activated":
      return `(me.user_id IS NOT NULL AND ${typed})`;
    case "locked":
      return `EXISTS (SELECT 1 FROM throttles th
        WHERE th.key IN ('code:user:' || u.id::text, 'password:account:' || ${foldSql("u.username")})
          AND th.locked_until > ${now})`;
  }
}

/**
 * A sort key for "MFA status" columns: off 0, pending 1, overdue 2, activated 3
 * (locked is not a part, so it does not sort). Ties are the caller's to break.
 */
export function mfaStateRank(now: string): string {
  assertPlaceholder(now);
  return `(CASE WHEN me.user_id IS NOT NULL THEN 3
    WHEN COALESCE(ms.enabled, false) AND ms.required_from <= ${now} THEN 2
    WHEN COALESCE(ms.enabled, false) THEN 1 ELSE 0 END)`;
}

function assertPlaceholder(p: string): void {
  // Only a placeholder is ever spliced into SQL: values go in as parameters.
  if (!/^\$[1-9][0-9]{0,2}$/.test(p)) throw new Error(`not a SQL placeholder: ${p}`);
}

/** How many users of a site are in each state. activated = app + hardware. */
export interface MfaCounts {
  users: number;
  off: number;
  pending: number;
  overdue: number;
  activated: number;
  activatedApp: number;
  activatedHardware: number;
  locked: number;
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

  async counts(siteId: string): Promise<MfaCounts> {
    const now = "$2";
    const { rows } = await this.db.query<MfaCounts>(
      `SELECT count(*)::int AS users,
         count(*) FILTER (WHERE ${mfaStateCondition("off", now)})::int AS off,
         count(*) FILTER (WHERE ${mfaStateCondition("pending", now)})::int AS pending,
         count(*) FILTER (WHERE ${mfaStateCondition("overdue", now)})::int AS overdue,
         count(*) FILTER (WHERE ${mfaStateCondition("activated", now)})::int AS activated,
         count(*) FILTER (WHERE me.method = 'app')::int AS "activatedApp",
         count(*) FILTER (WHERE me.method = 'hardware')::int AS "activatedHardware",
         count(*) FILTER (WHERE ${mfaStateCondition("locked", now)})::int AS locked
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
       ORDER BY ms.required_from, ${foldSql("u.username")}
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
       ORDER BY ${foldSql("u.username")}`,
      [siteId, this.clock.now()],
    );
    return rows.map((r) => r.id);
  }
}
