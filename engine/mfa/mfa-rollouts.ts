/**
 * MFA rollout: switching MFA on for many users at once, each exactly as if an
 * administrator had switched the slider on in the user's dialog (the same
 * deadline rule, the same `mfa.enable` audit entry, the same credential
 * revocation), plus one `mfa.rollout` summary entry and a row in mfa_rollouts.
 *
 * It works set-based in batches of users in id order (rollout-batch.ts): each
 * batch is one transaction, so a crash between batches leaves every user either
 * rolled out or untouched, and running the same rollout again finishes the rest
 * (users it already switched on now count as "already on" and keep their
 * deadline) and marks the interrupted run as resumed.
 */
import type { AuditLog } from "../audit/audit-log.js";
import { plural } from "../util/plural.js";
import type { CredentialRevocation } from "../auth/revocation.js";
import { NO_NOTICES, type Notices } from "../mail/mail-model.js";
import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { foldKey, foldSql } from "../db/fold.js";
import { sql } from "../db/statement.js";
import { CAN_SIGN_IN, MFA_STATE_JOINS } from "./mfa-states.js";
import type { MfaActor } from "./mfa-model.js";
import { enableBatch, moveBatch, type BatchContext, type BatchUser } from "./rollout-batch.js";
import {
  checkRolloutInput,
  DEFAULT_BATCH_SIZE,
  RolloutChangedError,
  RolloutInputError,
  storedSelection,
  USERNAMES_SHOWN,
  type RolloutOptions,
  type RolloutPlan,
  type RolloutResult,
  type RolloutSelection,
  type RolloutUser,
  type SkippedUser,
  type StoredSelection,
  type UnfinishedRollout,
} from "./rollout-model.js";
import { afterCondition, IS_ACTIVATED, IS_OFF, IS_WAITING, keysetJoins, selectionSql } from "./rollout-selection.js";
import { enforcementDeadline } from "./sign-in-flow.js";

export * from "./rollout-model.js";

/** What a rollout did on one site: users switched on, deadlines moved, users left as they were. */
interface SiteCounts {
  enabled: number;
  moved: number;
  skipped: number;
}

function addCounts(into: Map<string, SiteCounts>, siteId: string, c: SiteCounts): void {
  const t = into.get(siteId) ?? { enabled: 0, moved: 0, skipped: 0 };
  into.set(siteId, { enabled: t.enabled + c.enabled, moved: t.moved + c.moved, skipped: t.skipped + c.skipped });
}

/** The condition a rollout adds to its selection: only users who can sign in, unless included. */
function activeOnly(opts: RolloutOptions): string {
  return opts.includeInactive ? "true" : CAN_SIGN_IN;
}

async function publicSiteId(db: Db): Promise<string> {
  const { rows } = await db.query<{ id: string }>("SELECT id FROM sites WHERE is_public");
  return rows[0]!.id;
}

/**
 * The deadline a rollout gives: `opts.requiredFrom` (a rollout by date) or now + the delay in days.
 * Throws RolloutInputError on "deadline" for a date that is not after `now` (nothing is changed).
 */
export function rolloutDeadline(now: Date, opts: RolloutOptions): Date {
  if (!opts.requiredFrom) return enforcementDeadline(now, opts.enforcementDelayDays);
  if (opts.requiredFrom.getTime() <= now.getTime()) {
    throw new RolloutInputError("deadline", "The deadline must be in the future: choose a later date.");
  }
  return opts.requiredFrom;
}

/**
 * Rollouts, their previews and their history. Services never read Request:
 * routes and the CLI turn their input into a RolloutSelection.
 */
export class MfaRollouts {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly revocation: CredentialRevocation,
    /**
     * The user-accounts app's designer fields of a site (null: every site): the searchable ones,
     * all of them (names), and each one's label as the designer gave it.
     */
    private readonly designerFields: (
      siteId: string | null,
    ) => Promise<{ searchable: string[]; all: string[]; labels?: Record<string, string> }>,
    /** The "MFA switched on" mail to each user a batch switches on, in the batch's transaction. */
    private readonly notices: Notices = NO_NOTICES,
  ) {}

  /**
   * Checks input (RolloutInputError naming the field) and returns the searchable fields. Ticked
   * ids must all be users of the selection's site: one that is not (another site's, or none) is
   * refused, not silently left out.
   */
  async #check(sel: RolloutSelection, opts: RolloutOptions): Promise<string[]> {
    const fields = await this.designerFields(sel.siteId);
    checkRolloutInput(sel, opts, fields.all);
    if (sel.ids?.length) {
      const { rows } = await this.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM unnest($1::uuid[]) AS t(id)
         WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = t.id AND ($2::uuid IS NULL OR u.site_id = $2::uuid))`,
        [[...new Set(sel.ids)], sel.siteId],
      );
      const n = rows[0]!.n;
      if (n) {
        throw new RolloutInputError(
          "ids",
          `${plural(n, "ticked user")} ${n === 1 ? "is not a user" : "are not users"}${sel.siteId === null ? "" : " of this site"}: ` +
            "tick users in this site's users list again.",
        );
      }
    }
    return fields.searchable;
  }

  /** The counts of a preview; changes nothing. Throws RolloutInputError for bad input. */
  async plan(sel: RolloutSelection, opts: RolloutOptions): Promise<RolloutPlan> {
    const searchable = await this.#check(sel, opts);
    const now = this.clock.now();
    const b = selectionSql(sel, now, searchable);
    const active = activeOnly(opts);
    const { rows } = await this.db.query<{
      selected: number;
      off: number;
      waiting: number;
      activated: number;
      inactive: number;
    }>(
      `SELECT count(*)::int AS selected,
         count(*) FILTER (WHERE ${IS_OFF} AND ${active})::int AS off,
         count(*) FILTER (WHERE ${IS_WAITING} AND ${active})::int AS waiting,
         count(*) FILTER (WHERE ${IS_ACTIVATED})::int AS activated,
         count(*) FILTER (WHERE NOT ${IS_ACTIVATED} AND NOT ${active})::int AS inactive
       FROM users u ${MFA_STATE_JOINS} WHERE ${b.where}`,
      b.params,
    );
    const r = rows[0]!;
    return {
      selected: r.selected,
      toEnable: r.off,
      toMove: opts.moveDeadlines ? r.waiting : 0,
      keptDeadline: opts.moveDeadlines ? 0 : r.waiting,
      activated: r.activated,
      skippedInactive: r.inactive,
      requiredFrom: rolloutDeadline(now, opts),
    };
  }

  /**
   * One page of the users Confirm would change, by username; `after` is the
   * last username of the previous page. Changes nothing.
   */
  async previewUsers(
    sel: RolloutSelection,
    opts: RolloutOptions,
    page: { after?: string; limit: number },
  ): Promise<RolloutUser[]> {
    const searchable = await this.#check(sel, opts);
    const limit = Math.min(Math.max(1, Math.trunc(page.limit)), 500);
    const b = selectionSql(sel, this.clock.now(), searchable, [
      (page.after === undefined ? undefined : foldKey(page.after)) ?? null,
      limit,
    ]);
    const changes = opts.moveDeadlines ? `(${IS_OFF} OR ${IS_WAITING})` : IS_OFF;
    const { rows } = await this.db.query<RolloutUser>(
      `SELECT u.id, u.username, u.display_name AS "displayName", u.site_id AS "siteId", s.slug AS "siteSlug",
         CASE WHEN ${IS_OFF} THEN 'enable' ELSE 'move' END AS change
       FROM users u JOIN sites s ON s.id = u.site_id ${MFA_STATE_JOINS}
       WHERE ${b.where} AND ${changes} AND ${activeOnly(opts)} AND ($1::text IS NULL OR ${foldSql(sql`u.username`)} > ($1::text COLLATE "C"))
       ORDER BY ${foldSql(sql`u.username`)} LIMIT $2`,
      b.params,
    );
    return rows;
  }

  /**
   * The selected users a rollout leaves alone because they cannot sign in (disabled, or neither
   * web nor device access) and have not activated MFA, by username, at most `limit` (1–500); none
   * when `opts.includeInactive`. Changes nothing.
   */
  async skippedUsers(sel: RolloutSelection, opts: RolloutOptions, limit = 50): Promise<SkippedUser[]> {
    if (opts.includeInactive) return [];
    const searchable = await this.#check(sel, opts);
    const b = selectionSql(sel, this.clock.now(), searchable, [Math.min(Math.max(1, Math.trunc(limit)), 500)]);
    const { rows } = await this.db.query<SkippedUser>(
      `SELECT u.id, u.username, u.display_name AS "displayName", u.site_id AS "siteId", s.slug AS "siteSlug",
         CASE WHEN u.disabled THEN 'disabled' ELSE 'no web or device access' END AS reason
       FROM users u JOIN sites s ON s.id = u.site_id ${MFA_STATE_JOINS}
       WHERE ${b.where} AND NOT ${IS_ACTIVATED} AND NOT ${CAN_SIGN_IN}
       ORDER BY ${foldSql(sql`u.username`)} LIMIT $1`,
      b.params,
    );
    return rows;
  }

  /**
   * Applies a rollout in batches of `batchSize` users (each its own transaction). With `expect`
   * (the preview's counts), refuses with RolloutChangedError before changing anything if the
   * selection now holds a different set. `afterBatch` is called after each committed batch (the
   * fault suite stops the process there). Throws RolloutInputError for bad input.
   */
  async apply(
    sel: RolloutSelection,
    opts: RolloutOptions,
    actor: MfaActor,
    options: {
      expect?: { toEnable: number; toMove: number };
      batchSize?: number;
      afterBatch?: (done: { batches: number; enabled: number; moved: number }) => void | Promise<void>;
    } = {},
  ): Promise<RolloutResult> {
    const plan = await this.plan(sel, opts);
    if (options.expect && (options.expect.toEnable !== plan.toEnable || options.expect.toMove !== plan.toMove)) {
      throw new RolloutChangedError(plan);
    }
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    // One instant for the whole rollout: every user gets the same enabled_at and deadline.
    const now = this.clock.now();
    const requiredFrom = rolloutDeadline(now, opts);
    const stored = storedSelection(sel);
    const { rows: created } = await this.db.query<{ id: string }>(
      `INSERT INTO mfa_rollouts (site_id, selection, enforcement_delay_days, move_deadlines, required_from,
         started_at, actor_id, actor_name, name)
       VALUES ($1, $2::jsonb, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
      [
        sel.siteId,
        JSON.stringify(stored),
        opts.enforcementDelayDays,
        opts.moveDeadlines,
        requiredFrom,
        now,
        actor.id,
        actor.name,
        opts.name?.trim() || `MFA rollout of ${now.toISOString().slice(0, 10)}`,
      ],
    );
    const rolloutId = created[0]!.id;
    const ctx: BatchContext = {
      audit: this.audit,
      revocation: this.revocation,
      notices: this.notices,
      actor,
      rolloutId,
      delay: opts.enforcementDelayDays,
      now,
      requiredFrom,
    };
    const searchable = (await this.designerFields(sel.siteId)).searchable;
    const usernames: string[] = [];
    let enabled = 0;
    let moved = 0;
    let skipped = 0;
    let batches = 0;
    let after: string | null = null;
    // Per site the selection reached: what the summary on that site's audit log says.
    const perSite = new Map<string, SiteCounts>();
    for (;;) {
      const batch: { last: string | null; enabled: number; moved: number; counted?: Map<string, SiteCounts> } =
        await this.db.transaction(async (tx) => {
          const b = selectionSql(sel, now, searchable, [after, batchSize]);
          const { rows } = await tx.query<BatchUser & { off: boolean; waiting: boolean }>(
            `SELECT u.id, u.username, u.site_id AS "siteId", ${IS_OFF} AS off, COALESCE(${IS_WAITING}, false) AS waiting
           FROM users u ${keysetJoins("$1")}
           WHERE ${b.where} AND ${afterCondition("$1")} AND ${activeOnly(opts)}
           ORDER BY u.id LIMIT $2`,
            b.params,
          );
          if (!rows.length) return { last: null, enabled: 0, moved: 0 };
          const on = await enableBatch(
            tx,
            rows.filter((r) => r.off),
            ctx,
          );
          const mv = await moveBatch(tx, opts.moveDeadlines ? rows.filter((r) => !r.off && r.waiting) : [], ctx);
          const changed = new Set([...on, ...mv]);
          const onSet = new Set(on);
          const counted = new Map<string, SiteCounts>();
          for (const r of rows) {
            if (changed.has(r.id) && usernames.length < USERNAMES_SHOWN) usernames.push(r.username);
            const c = counted.get(r.siteId) ?? { enabled: 0, moved: 0, skipped: 0 };
            if (onSet.has(r.id)) c.enabled += 1;
            else if (changed.has(r.id)) c.moved += 1;
            else c.skipped += 1;
            counted.set(r.siteId, c);
          }
          await tx.query(
            `UPDATE mfa_rollouts SET enabled_count = enabled_count + $2, moved_count = moved_count + $3,
             skipped_count = skipped_count + $4 WHERE id = $1`,
            [rolloutId, on.length, mv.length, rows.length - changed.size],
          );
          skipped += rows.length - changed.size;
          return { last: rows[rows.length - 1]!.id, enabled: on.length, moved: mv.length, counted };
        });
      if (batch.last === null) break;
      for (const [siteId, c] of batch.counted!) addCounts(perSite, siteId, c);
      after = batch.last;
      enabled += batch.enabled;
      moved += batch.moved;
      batches += 1;
      await options.afterBatch?.({ batches, enabled, moved });
    }
    await this.db.transaction(async (tx) => {
      await tx.query("UPDATE mfa_rollouts SET finished_at = $2 WHERE id = $1", [rolloutId, this.clock.now()]);
      // Earlier runs of the same selection that stopped half-way are finished now.
      await tx.query(
        `UPDATE mfa_rollouts SET resumed_by = $1
         WHERE id <> $1 AND finished_at IS NULL AND resumed_by IS NULL AND site_id IS NOT DISTINCT FROM $2::uuid
           AND selection = $3::jsonb AND move_deadlines = $4`,
        [rolloutId, sel.siteId, JSON.stringify(stored), opts.moveDeadlines],
      );
      // The audit log is read one site at a time: the summary goes on each site the rollout
      // reached, with that site's counts (and the whole rollout's), next to its users' mfa.enable
      // entries. A rollout that reached no user leaves it on the site it was run for (the Public
      // Site for every site).
      if (!perSite.size) {
        perSite.set(sel.siteId ?? (await publicSiteId(tx)), { enabled: 0, moved: 0, skipped: 0 });
      }
      const total = { enabled, moved, skipped };
      for (const [siteId, counts] of perSite) {
        await this.audit.record(
          {
            siteId,
            actor,
            action: "mfa.rollout",
            details: {
              rolloutId,
              selection: { ...stored, ids: sel.ids?.length ?? null },
              allSites: sel.siteId === null,
              enforcementDelayDays: opts.enforcementDelayDays,
              moveDeadlines: opts.moveDeadlines,
              requiredFrom: requiredFrom.toISOString(),
              ...counts,
              ...(sel.siteId === null ? { total, sites: perSite.size } : {}),
            },
          },
          tx,
        );
      }
    });
    return { ...plan, requiredFrom, rolloutId, enabled, moved, usernames };
  }

  /**
   * The designer fields of the users app a selection's `where` may name and its `q` searches:
   * the searchable ones of `siteId` (of every site for null), each with its designer label (the
   * name where it has none), sorted by label.
   */
  async searchableFields(siteId: string | null): Promise<{ name: string; label: string }[]> {
    const f = await this.designerFields(siteId);
    return f.searchable
      .map((name) => ({ name, label: f.labels?.[name] || name }))
      .sort((a, b) => a.label.localeCompare(b.label) || a.name.localeCompare(b.name));
  }

  /** When the first rollout touching `siteId` (or any site, for null) started; null if none. */
  async firstRolloutAt(siteId: string | null): Promise<Date | null> {
    const { rows } = await this.db.query<{ at: Date | null }>(
      `SELECT min(started_at) AS at FROM mfa_rollouts WHERE $1::uuid IS NULL OR site_id = $1::uuid OR site_id IS NULL`,
      [siteId],
    );
    return rows[0]?.at ?? null;
  }

  /**
   * Rollouts that stopped before their last batch and that no later run of the same selection
   * finished, oldest first: those of `siteId`, or of every site (and every-site ones) for null.
   */
  async unfinished(siteId: string | null): Promise<UnfinishedRollout[]> {
    const { rows } = await this.db.query<Omit<UnfinishedRollout, "selection"> & { selection: StoredSelection }>(
      `SELECT id, name, site_id AS "siteId", selection, enforcement_delay_days AS "enforcementDelayDays",
         move_deadlines AS "moveDeadlines", started_at AS "startedAt", enabled_count AS "enabledCount",
         moved_count AS "movedCount", actor_name AS "actorName"
       FROM mfa_rollouts
       WHERE finished_at IS NULL AND resumed_by IS NULL AND ($1::uuid IS NULL OR site_id = $1::uuid)
       ORDER BY started_at LIMIT 20`,
      [siteId],
    );
    return rows;
  }
}
