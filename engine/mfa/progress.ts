/**
 * What the MFA progress page reads beside the state counts of mfa-states.ts:
 * activations per day since the first rollout, and who is overdue.
 */
import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { FIRST_FACTOR_AT, HOLDS_FACTOR } from "../db/factor-rows.js";
import { foldSql } from "../db/fold.js";
import { sql } from "../db/statement.js";
import { DEFAULT_TIME_ZONE, isoDayIn, startOfDayIn } from "../util/zoned-dates.js";
import { CAN_SIGN_IN, MFA_STATE_JOINS, mfaStateCondition } from "./mfa-states.js";

/** Activations on one calendar day (YYYY-MM-DD) of the chart's time zone. */
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
  /** False for a disabled user or one with neither web nor device access (counted all the same). */
  canSignIn: boolean;
}

/** The chart shows at most this many days (the most recent ones). */
export const MAX_CHART_DAYS = 90;

/** The ISO day `n` calendar days after `isoDay` (negative: before); calendar days, whatever their length in a zone. */
const addDays = (isoDay: string, n: number) =>
  new Date(Date.parse(`${isoDay}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** Reads for /configure/mfa; every read is scoped to a site, or to all sites with null. */
export class MfaProgress {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /**
   * Activations per calendar day of `zone` (an IANA time zone: the site's, so a bar is the day its
   * administrators lived) from `since` to today, zero days included, at most MAX_CHART_DAYS (the
   * latest). A user counts once, on the day of their first factor they still hold, of any kind
   * (FIRST_FACTOR_AT: an app, a hardware token or a passkey); a reset activation no longer counts.
   */
  async activationsPerDay(siteId: string | null, since: Date, zone: string = DEFAULT_TIME_ZONE): Promise<DayCount[]> {
    const today = isoDayIn(this.clock.now(), zone);
    const earliest = addDays(today, -(MAX_CHART_DAYS - 1));
    const first = isoDayIn(since, zone);
    const start = first < earliest ? earliest : first;
    const { rows } = await this.db.query<{ day: string; count: number }>(
      `SELECT to_char(a.at AT TIME ZONE $4, 'YYYY-MM-DD') AS day, count(*)::int AS count
       FROM (SELECT ${FIRST_FACTOR_AT} AS at FROM users u
             WHERE ($1::uuid IS NULL OR u.site_id = $1::uuid) AND ${HOLDS_FACTOR}) a
       WHERE a.at >= $2 AND a.at < $3
       GROUP BY 1`,
      [siteId, startOfDayIn(start, zone), startOfDayIn(addDays(today, 1), zone), zone],
    );
    const byDay = new Map(rows.map((r) => [r.day, r.count]));
    const out: DayCount[] = [];
    for (let day = start; day <= today; day = addDays(day, 1)) out.push({ day, count: byDay.get(day) ?? 0 });
    return out;
  }

  /**
   * Overdue users (every account, as `?mfa=overdue` and the counts), longest overdue first, each
   * with whether they can sign in (CAN_SIGN_IN); at most `limit` (1–500) and the total.
   */
  async overdue(siteId: string | null, limit = 100): Promise<{ users: OverdueUser[]; total: number }> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new RangeError("limit must be 1–500");
    const { rows } = await this.db.query<OverdueUser & { total: number }>(
      `SELECT u.id, u.username, u.display_name AS "displayName", u.site_id AS "siteId", s.slug AS "siteSlug",
         ms.required_from AS "requiredFrom", ${CAN_SIGN_IN} AS "canSignIn", count(*) OVER ()::int AS total
       FROM users u JOIN sites s ON s.id = u.site_id ${MFA_STATE_JOINS}
       WHERE ($1::uuid IS NULL OR u.site_id = $1::uuid) AND ${mfaStateCondition("overdue", "$2")}
       ORDER BY ms.required_from, ${foldSql(sql`u.username`)} LIMIT $3`,
      [siteId, this.clock.now(), limit],
    );
    return { users: rows.map(({ total: _total, ...u }) => u), total: rows[0]?.total ?? 0 };
  }
}
