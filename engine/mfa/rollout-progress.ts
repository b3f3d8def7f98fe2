/**
 * Each rollout's own progress (issue 22): of the users that rollout switched on or gave its
 * deadline (mfa_settings.rollout_id), how many activated, are pending or overdue; and "Extend the
 * deadline" for those of them not set up yet, previewed and then confirmed like a rollout.
 */
import type { AuditLog } from "../audit/audit-log.js";
import { plural } from "../util/plural.js";
import type { CredentialRevocation } from "../auth/revocation.js";
import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { ConflictError } from "../errors.js";
import { isUuid } from "../util/uuid.js";
import type { Notices } from "../mail/mail-model.js";
import { MAX_ENFORCEMENT_DELAY_DAYS, type MfaActor } from "./mfa-model.js";
import { HOLDS_FACTOR } from "../db/factor-rows.js";
import { PAST_GRACE } from "./mfa-states.js";
import { type BatchUser, moveBatch } from "./rollout-batch.js";
import { RolloutInputError } from "./rollout-model.js";
import { enforcementDeadline } from "./sign-in-flow.js";

/** A rollout as its progress shows it; counts are of its users on the caller's scope. */
export interface RolloutSummary {
  id: string;
  name: string;
  /** null: a rollout to every site. */
  siteId: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  actorName: string;
  enforcementDelayDays: number;
  /** The deadline the rollout gave. */
  requiredFrom: Date;
  /** Users switched on / given the deadline when it ran (every site). */
  enabledCount: number;
  movedCount: number;
  /** Its users now: with a factor, on and not set up before / after their deadline. */
  activated: number;
  pending: number;
  overdue: number;
}

/** A user of a rollout who has not set up MFA yet. */
export interface RolloutWaitingUser {
  id: string;
  username: string;
  displayName: string;
  siteId: string;
  requiredFrom: Date;
}

/** What "Extend the deadline" would do: how many users get `requiredFrom`. */
export interface ExtensionPlan {
  toExtend: number;
  requiredFrom: Date;
}

/** Confirm found another number of users to extend than the preview showed; nothing changed (409, code "extension_changed"). */
export class ExtensionChangedError extends ConflictError {
  constructor(readonly plan: ExtensionPlan) {
    super(
      `The rollout's users changed since the preview: ${plural(plan.toExtend, "deadline")} to extend now. Check again.`,
      {
        code: "extension_changed",
      },
    );
  }
}

/** How many rollouts the progress page lists, newest first. */
export const ROLLOUTS_LISTED = 20;

/**
 * Reads rollouts with their users' progress, and extends a rollout's deadline. `siteId` scopes
 * everything: a site administrator sees the rollouts run for their site and counts only its users;
 * null (a Public Site administrator) sees every rollout and every user.
 */
export class RolloutProgress {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly revocation: CredentialRevocation,
    private readonly notices: Notices,
  ) {}

  /** The newest rollouts (at most ROLLOUTS_LISTED) with their progress. */
  async list(siteId: string | null): Promise<RolloutSummary[]> {
    return this.#summaries("($1::uuid IS NULL OR r.site_id = $1::uuid)", [siteId], `LIMIT ${ROLLOUTS_LISTED}`);
  }

  /** One rollout with its progress, or null when there is none in the scope (or `id` is no uuid). */
  async get(id: string, siteId: string | null): Promise<RolloutSummary | null> {
    if (!isUuid(id)) return null;
    const rows = await this.#summaries("($1::uuid IS NULL OR r.site_id = $1::uuid) AND r.id = $2::uuid", [siteId, id]);
    return rows[0] ?? null;
  }

  /** The rollout's users who have not set up MFA yet, nearest deadline first; at most `limit` (1–500). */
  async waiting(
    id: string,
    siteId: string | null,
    limit = 100,
  ): Promise<{ users: RolloutWaitingUser[]; total: number }> {
    if (!isUuid(id)) return { users: [], total: 0 };
    const n = Math.min(Math.max(1, Math.trunc(limit)), 500);
    const { rows } = await this.db.query<RolloutWaitingUser & { total: number }>(
      `SELECT u.id, u.username, u.display_name AS "displayName", u.site_id AS "siteId",
         ms.required_from AS "requiredFrom", count(*) OVER ()::int AS total
       FROM mfa_settings ms JOIN users u ON u.id = ms.user_id
       LEFT JOIN mfa_enrollments me ON me.user_id = u.id
       WHERE ms.rollout_id = $1 AND ms.enabled AND NOT ${HOLDS_FACTOR} AND ($2::uuid IS NULL OR u.site_id = $2::uuid)
       ORDER BY ms.required_from, u.username LIMIT $3`,
      [id, siteId, n],
    );
    return { users: rows.map(({ total: _, ...u }) => u), total: rows[0]?.total ?? 0 };
  }

  /**
   * The preview of "Extend the deadline": the rollout's users not set up yet whose deadline is
   * earlier than now + `days` (a deadline is extended, never shortened). Throws RolloutInputError
   * (field `days`) for a number of days outside 1–3650.
   */
  async planExtension(id: string, siteId: string | null, days: number, db: Db = this.db): Promise<ExtensionPlan> {
    const requiredFrom = this.#deadline(days);
    const users = await this.#extendable(db, id, siteId, requiredFrom, false);
    return { toExtend: users.length, requiredFrom };
  }

  /**
   * Extends the deadline of the rollout's users not set up yet to now + `days`, in one
   * transaction: their grace period starts again now with `days` (as a rollout that moves
   * deadlines does), one `mfa.deadline_move` entry each with the rollout's id; reminders then
   * count down to the new deadline. `expect` is the preview's count: when the set changed since,
   * ExtensionChangedError is thrown and nothing changes. Returns how many were extended.
   */
  async extend(
    id: string,
    siteId: string | null,
    days: number,
    actor: MfaActor,
    expect: number,
  ): Promise<ExtensionPlan> {
    const requiredFrom = this.#deadline(days);
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const users = await this.#extendable(tx, id, siteId, requiredFrom, true);
      if (users.length !== expect) throw new ExtensionChangedError({ toExtend: users.length, requiredFrom });
      const moved = await moveBatch(tx, users, {
        audit: this.audit,
        revocation: this.revocation,
        notices: this.notices,
        actor,
        rolloutId: id,
        delay: days,
        now,
        requiredFrom,
      });
      return { toExtend: moved.length, requiredFrom };
    });
  }

  #deadline(days: number): Date {
    if (!Number.isInteger(days) || days < 1 || days > MAX_ENFORCEMENT_DELAY_DAYS) {
      throw new RolloutInputError(
        "days",
        `Extend by a whole number of days from 1 to ${MAX_ENFORCEMENT_DELAY_DAYS} (from today).`,
      );
    }
    return enforcementDeadline(this.clock.now(), days);
  }

  async #extendable(
    db: Db,
    id: string,
    siteId: string | null,
    requiredFrom: Date,
    lock: boolean,
  ): Promise<BatchUser[]> {
    if (!isUuid(id)) return [];
    const { rows } = await db.query<BatchUser>(
      `SELECT u.id, u.username, u.site_id AS "siteId"
       FROM mfa_settings ms JOIN users u ON u.id = ms.user_id
       WHERE ms.rollout_id = $1 AND ms.enabled AND ms.required_from < $3
         AND NOT ${HOLDS_FACTOR}
         AND ($2::uuid IS NULL OR u.site_id = $2::uuid)
       ORDER BY u.id ${lock ? "FOR UPDATE OF ms" : ""}`,
      [id, siteId, requiredFrom],
    );
    return rows;
  }

  async #summaries(where: string, params: unknown[], tail = ""): Promise<RolloutSummary[]> {
    const now = `$${params.length + 1}`;
    const { rows } = await this.db.query<RolloutSummary>(
      `SELECT r.id, r.name, r.site_id AS "siteId", r.started_at AS "startedAt", r.finished_at AS "finishedAt",
         r.actor_name AS "actorName", r.enforcement_delay_days AS "enforcementDelayDays",
         r.required_from AS "requiredFrom", r.enabled_count AS "enabledCount", r.moved_count AS "movedCount",
         COALESCE(p.activated, 0) AS activated, COALESCE(p.pending, 0) AS pending, COALESCE(p.overdue, 0) AS overdue
       FROM mfa_rollouts r
       LEFT JOIN LATERAL (
         SELECT count(*) FILTER (WHERE ${HOLDS_FACTOR})::int AS activated,
           count(*) FILTER (WHERE NOT ${HOLDS_FACTOR} AND ms.enabled AND NOT ${PAST_GRACE(now)})::int AS pending,
           count(*) FILTER (WHERE NOT ${HOLDS_FACTOR} AND ms.enabled AND ${PAST_GRACE(now)})::int AS overdue
         FROM mfa_settings ms JOIN users u ON u.id = ms.user_id
         LEFT JOIN mfa_enrollments me ON me.user_id = u.id
         WHERE ms.rollout_id = r.id AND ($1::uuid IS NULL OR u.site_id = $1::uuid)
       ) p ON true
       WHERE ${where}
       ORDER BY r.started_at DESC, r.id ${tail}`,
      [...params, this.clock.now()],
    );
    return rows;
  }
}
