/**
 * What the MFA progress page reads beside the state counts of mfa-states.ts:
 * activations per day since the first rollout, and who is overdue.
 */
import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { foldSql } from "../db/fold.js";
import { sql } from "../db/statement.js";
import { CAN_SIGN_IN, MFA_STATE_JOINS, mfaStateCondition } from "./mfa-states.js";

/** Activations on one UTC day (YYYY-MM-DD). */
export interface DayCount {
  day: string;
  count: number;
}

/** A user whose deadline has passed without activation. */
export interface OverdueUser {
  id: string;
  username: string;
  displayName: string;
  siteId: string;
  siteSlug: string;
  requiredFrom: Date;
}

const DAY_MS = 86_400_000;
/** The chart shows at most this many days (the most recent ones). */
export const MAX_CHART_DAYS = 90;

const utcDay = (d: Date) => d.toISOString().slice(0, 10);

/** Reads for /configure/mfa; every read is scoped to a site, or to all sites with null. */
export class MfaProgress {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /**
   * Activations per UTC day from `since` to today, zero days included, at most
   * MAX_CHART_DAYS (the latest). Counts enrollments that exist now (a reset
   * activation no longer counts).
   */
  async activationsPerDay(siteId: string | null, since: Date): Promise<DayCount[]> {
    const today = new Date(`${utcDay(this.clock.now())}T00:00:00Z`);
    let start = new Date(`${utcDay(since)}T00:00:00Z`);
    const earliest = new Date(today.getTime() - (MAX_CHART_DAYS - 1) * DAY_MS);
    if (start < earliest) start = earliest;
    const { rows } = await this.db.query<{ day: string; count: number }>(
      `SELECT to_char(e.activated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*)::int AS count
       FROM mfa_enrollments e JOIN users u ON u.id = e.user_id
       WHERE ($1::uuid IS NULL OR u.site_id = $1::uuid) AND e.activated_at >= $2 AND e.activated_at < $3
       GROUP BY 1`,
      [siteId, start, new Date(today.getTime() + DAY_MS)],
    );
    const byDay = new Map(rows.map((r) => [r.day, r.count]));
    const out: DayCount[] = [];
    for (let t = start.getTime(); t <= today.getTime(); t += DAY_MS) {
      const day = utcDay(new Date(t));
      out.push({ day, count: byDay.get(day) ?? 0 });
    }
    return out;
  }

  /** Overdue users who can sign in (CAN_SIGN_IN), longest overdue first; at most `limit` (1–500) and the total. */
  async overdue(siteId: string | null, limit = 100): Promise<{ users: OverdueUser[]; total: number }> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new RangeError("limit must be 1–500");
    const { rows } = await this.db.query<OverdueUser & { total: number }>(
      `SELECT u.id, u.username, u.display_name AS "displayName", u.site_id AS "siteId", s.slug AS "siteSlug",
         ms.required_from AS "requiredFrom", count(*) OVER ()::int AS total
       FROM users u JOIN sites s ON s.id = u.site_id ${MFA_STATE_JOINS}
       WHERE ($1::uuid IS NULL OR u.site_id = $1::uuid) AND ${mfaStateCondition("overdue", "$2")} AND ${CAN_SIGN_IN}
       ORDER BY ms.required_from, ${foldSql(sql`u.username`)} LIMIT $3`,
      [siteId, this.clock.now(), limit],
    );
    return { users: rows.map(({ total: _total, ...u }) => u), total: rows[0]?.total ?? 0 };
  }
}
