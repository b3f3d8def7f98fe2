/**
 * MFA rollout: switching MFA on for many users at once, each exactly as if an
 * administrator had switched the slider on in the user's dialog (the same
 * deadline rule, the same `mfa.enable` audit entry, the same credential
 * revocation), plus one `mfa.rollout` summary entry and a row in mfa_rollouts.
 *
 * It works set-based in batches of users in id order: each batch is one
 * transaction, so a crash between batches leaves every user either rolled out
 * or untouched, and running the same rollout again finishes the rest (users it
 * already switched on now count as "already on" and keep their deadline).
 */
import type { AuditLog } from "../audit/audit-log.js";
import { searchPatterns } from "../db/like.js";
import { isUuid } from "../util/uuid.js";
import type { CredentialRevocation } from "../auth/revocation.js";
import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { isMfaState, MFA_STATE_JOINS, mfaStateCondition, type MfaState } from "./mfa-states.js";
import type { MfaActor } from "./mfa-model.js";
import { MAX_ENFORCEMENT_DELAY_DAYS } from "./mfa-model.js";
import { enforcementDeadline } from "./sign-in-flow.js";

/** Roles a rollout or policy may name (users.role). */
export const ROLES = ["admin", "designer", "user"] as const;
/** A role a bulk MFA rollout or the new-account MFA policy can select. */
export type RolloutRole = (typeof ROLES)[number];

/** Who a rollout is for. Every given criterion must hold (AND); none given: every user of the scope. */
export interface RolloutSelection {
  /** The site's id, or null for every site (Public Site administrators and the CLI). */
  siteId: string | null;
  role?: RolloutRole;
  /**
   * Search words, each of which must occur (case-insensitive) in the username, display
   * name, e-mail or one of the user-accounts app's searchable designer fields (e.g. Department).
   */
  q?: string;
  /** A designer field (users.data) that must equal `value`, case-insensitive. */
  where?: { field: string; value: string };
  /** Only users in this MFA state (engine/mfa/mfa-states.ts). */
  mfa?: MfaState;
  /** Only these user ids (rows ticked in the users list). */
  ids?: string[];
}

/** What the rollout does to the selected users. */
export interface RolloutOptions {
  /** Grace period in days (0–3650) before setup is compulsory: the slider's enforcement delay. */
  enforcementDelayDays: number;
  /** Users with MFA already on but not activated get the rollout's deadline too (default: they keep theirs). */
  moveDeadlines: boolean;
}

/** A selected user, as the preview lists them. */
export interface RolloutUser {
  id: string;
  username: string;
  displayName: string;
  siteSlug: string;
  /** "enable": MFA goes on; "move": already on, gets the new deadline (moveDeadlines). */
  change: "enable" | "move";
}

/** The preview: counts of what Confirm would do, and the deadline it would set. */
export interface RolloutPlan {
  /** Users the selection matches. */
  selected: number;
  /** MFA off now: switched on. */
  toEnable: number;
  /** MFA on, not activated, deadline moved (only with moveDeadlines). */
  toMove: number;
  /** MFA on and not activated: deadline kept (without moveDeadlines). */
  keptDeadline: number;
  /** Activated already: nothing to do. */
  activated: number;
  /** now + enforcementDelayDays (the deadline every changed user gets). */
  requiredFrom: Date;
}

/** What a finished rollout did. */
export interface RolloutResult extends RolloutPlan {
  rolloutId: string;
  enabled: number;
  moved: number;
  /** Usernames changed, in id order, at most {@link USERNAMES_SHOWN}. */
  usernames: string[];
}

/** Bad selection or options: `field` names the form field / CLI option. */
export class RolloutInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Confirm found a different set of users than the preview showed (someone changed users in between). */
export class RolloutChangedError extends Error {
  constructor(readonly plan: RolloutPlan) {
    super(
      `The selection changed since the preview: ${plan.toEnable} user(s) to switch on and ${plan.toMove} deadline(s) ` +
        "to move now. Check the preview again.",
    );
  }
}

/**
 * Users changed per transaction in a bulk MFA rollout, so a large site is not locked in one long
 * transaction.
 */
export const DEFAULT_BATCH_SIZE = 500;
/**
 * At most this many changed usernames are returned in a rollout result (the counts are always
 * complete).
 */
export const USERNAMES_SHOWN = 50;
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Checks a selection and options; throws RolloutInputError naming the field.
 * `designerFields` are the designer fields a `where` may name.
 */
export function checkRolloutInput(sel: RolloutSelection, opts: RolloutOptions, designerFields: string[]): void {
  if (sel.role !== undefined && !(ROLES as readonly string[]).includes(sel.role)) {
    throw new RolloutInputError("role", "Role must be admin, designer or user.");
  }
  if (sel.mfa !== undefined && !isMfaState(sel.mfa)) {
    throw new RolloutInputError("mfa", "MFA state must be off, pending, overdue, activated or locked.");
  }
  if (sel.q !== undefined && sel.q.length > 100) throw new RolloutInputError("q", "Search is at most 100 characters.");
  if (sel.where) {
    if (!FIELD_NAME.test(sel.where.field) || !designerFields.includes(sel.where.field)) {
      const known = designerFields.length ? designerFields.join(", ") : "none on this site";
      throw new RolloutInputError("where", `There is no designer field "${sel.where.field}" (fields: ${known}).`);
    }
    if (sel.where.value.length > 200) throw new RolloutInputError("where", "The value is at most 200 characters.");
  }
  if (sel.ids && sel.ids.some((id) => !isUuid(id))) {
    throw new RolloutInputError("ids", "A ticked user is not a user id.");
  }
  if (sel.ids && sel.ids.length > 10_000) throw new RolloutInputError("ids", "Tick at most 10,000 users.");
  const d = opts.enforcementDelayDays;
  if (!Number.isInteger(d) || d < 0 || d > MAX_ENFORCEMENT_DELAY_DAYS) {
    throw new RolloutInputError(
      "enforcementDelayDays",
      `Enforcement delay must be a whole number of days from 0 to ${MAX_ENFORCEMENT_DELAY_DAYS}.`,
    );
  }
}

/** SQL classes of a selected user, over the joins of mfa-states (ms, me). */
const IS_OFF = "NOT COALESCE(ms.enabled, false)";
const IS_WAITING = "(ms.enabled AND me.user_id IS NULL)";
const IS_ACTIVATED = "(me.user_id IS NOT NULL)";

interface Built {
  where: string;
  params: unknown[];
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
    /** The user-accounts app's designer fields of a site (null: every site): [searchable, all]. */
    private readonly designerFields: (siteId: string | null) => Promise<{ searchable: string[]; all: string[] }>,
  ) {}

  /** The WHERE of a selection over `users u` + MFA_STATE_JOINS; params start after `first` placeholders. */
  async #build(sel: RolloutSelection, now: Date, first: unknown[] = [], searchable?: string[]): Promise<Built> {
    const params = [...first];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const where: string[] = [];
    if (sel.siteId !== null) where.push(`u.site_id = ${p(sel.siteId)}::uuid`);
    if (sel.role) where.push(`u.role = ${p(sel.role)}`);
    const patterns = searchPatterns(sel.q);
    if (patterns.length) {
      const fields = searchable ?? (await this.designerFields(sel.siteId)).searchable;
      const parts = ["u.username", "u.display_name", "u.email", ...fields.map((f) => `u.data->>${p(f)}::text`)];
      const text = `lower(concat_ws(' ', ${parts.join(", ")}))`;
      for (const pattern of patterns) where.push(`${text} LIKE ${p(pattern)}`);
    }
    if (sel.where) where.push(`lower(u.data->>${p(sel.where.field)}::text) = lower(${p(sel.where.value)})`);
    if (sel.mfa) where.push(mfaStateCondition(sel.mfa, p(now)));
    if (sel.ids) where.push(`u.id = ANY(${p(sel.ids)}::uuid[])`);
    return { where: where.length ? where.join(" AND ") : "true", params };
  }

  async #check(sel: RolloutSelection, opts: RolloutOptions): Promise<void> {
    const fields = sel.where ? (await this.designerFields(sel.siteId)).all : [];
    checkRolloutInput(sel, opts, fields);
  }

  /** The counts of a preview; changes nothing. Throws RolloutInputError for bad input. */
  async plan(sel: RolloutSelection, opts: RolloutOptions): Promise<RolloutPlan> {
    await this.#check(sel, opts);
    const now = this.clock.now();
    const b = await this.#build(sel, now);
    const { rows } = await this.db.query<{ selected: number; off: number; waiting: number; activated: number }>(
      `SELECT count(*)::int AS selected,
         count(*) FILTER (WHERE ${IS_OFF})::int AS off,
         count(*) FILTER (WHERE ${IS_WAITING})::int AS waiting,
         count(*) FILTER (WHERE ${IS_ACTIVATED})::int AS activated
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
      requiredFrom: enforcementDeadline(now, opts.enforcementDelayDays),
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
    await this.#check(sel, opts);
    const limit = Math.min(Math.max(1, Math.trunc(page.limit)), 500);
    const b = await this.#build(sel, this.clock.now(), [page.after?.toLowerCase() ?? null, limit]);
    const changes = opts.moveDeadlines ? `(${IS_OFF} OR ${IS_WAITING})` : IS_OFF;
    const { rows } = await this.db.query<RolloutUser>(
      `SELECT u.id, u.username, u.display_name AS "displayName", s.slug AS "siteSlug",
         CASE WHEN ${IS_OFF} THEN 'enable' ELSE 'move' END AS change
       FROM users u JOIN sites s ON s.id = u.site_id ${MFA_STATE_JOINS}
       WHERE ${b.where} AND ${changes} AND ($1::text IS NULL OR lower(u.username) > $1::text)
       ORDER BY lower(u.username) LIMIT $2`,
      b.params,
    );
    return rows;
  }

  /**
   * Applies a rollout in batches (each its own transaction). With `expect`
   * (the preview's counts), refuses with RolloutChangedError before changing
   * anything if the selection now holds a different set. `afterBatch` is
   * called after each committed batch (the fault suite stops the process there).
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
    const requiredFrom = enforcementDeadline(now, opts.enforcementDelayDays);
    const selectionRecord = {
      role: sel.role ?? null,
      q: sel.q ?? null,
      where: sel.where ?? null,
      mfa: sel.mfa ?? null,
      ids: sel.ids?.length ?? null,
    };
    const { rows: created } = await this.db.query<{ id: string }>(
      `INSERT INTO mfa_rollouts (site_id, selection, enforcement_delay_days, move_deadlines, required_from,
         started_at, actor_id, actor_name)
       VALUES ($1, $2::jsonb, $3, $4, $5, $6, $7, $8) RETURNING id`,
      [
        sel.siteId,
        JSON.stringify(selectionRecord),
        opts.enforcementDelayDays,
        opts.moveDeadlines,
        requiredFrom,
        now,
        actor.id,
        actor.name,
      ],
    );
    const rolloutId = created[0]!.id;
    const searchable = (await this.designerFields(sel.siteId)).searchable;
    const usernames: string[] = [];
    let enabled = 0;
    let moved = 0;
    let skipped = 0;
    let batches = 0;
    let after: string | null = null;
    for (;;) {
      const batch: { last: string | null; enabled: number; moved: number } = await this.db.transaction(async (tx) => {
        const b = await this.#build(sel, now, [after, batchSize], searchable);
        const { rows } = await tx.query<{ id: string; username: string; off: boolean; waiting: boolean }>(
          `SELECT u.id, u.username, ${IS_OFF} AS off, COALESCE(${IS_WAITING}, false) AS waiting
           FROM users u ${MFA_STATE_JOINS}
           WHERE ${b.where} AND ($1::uuid IS NULL OR u.id > $1::uuid)
           ORDER BY u.id LIMIT $2`,
          b.params,
        );
        if (!rows.length) return { last: null, enabled: 0, moved: 0 };
        const offIds = rows.filter((r) => r.off).map((r) => r.id);
        const waitingIds = opts.moveDeadlines ? rows.filter((r) => !r.off && r.waiting).map((r) => r.id) : [];
        const on = await this.#enable(tx, offIds, opts.enforcementDelayDays, now, requiredFrom, actor, rolloutId);
        const mv = await this.#move(tx, waitingIds, opts.enforcementDelayDays, now, requiredFrom, actor, rolloutId);
        const changed = new Set([...on, ...mv]);
        for (const r of rows) if (changed.has(r.id) && usernames.length < USERNAMES_SHOWN) usernames.push(r.username);
        await tx.query(
          `UPDATE mfa_rollouts SET enabled_count = enabled_count + $2, moved_count = moved_count + $3,
             skipped_count = skipped_count + $4 WHERE id = $1`,
          [rolloutId, on.length, mv.length, rows.length - changed.size],
        );
        skipped += rows.length - changed.size;
        return { last: rows[rows.length - 1]!.id, enabled: on.length, moved: mv.length };
      });
      if (batch.last === null) break;
      after = batch.last;
      enabled += batch.enabled;
      moved += batch.moved;
      batches += 1;
      await options.afterBatch?.({ batches, enabled, moved });
    }
    await this.db.transaction(async (tx) => {
      await tx.query("UPDATE mfa_rollouts SET finished_at = $2 WHERE id = $1", [rolloutId, this.clock.now()]);
      await this.audit.record(
        {
          siteId: sel.siteId,
          actor,
          action: "mfa.rollout",
          details: {
            rolloutId,
            selection: selectionRecord,
            allSites: sel.siteId === null,
            enforcementDelayDays: opts.enforcementDelayDays,
            moveDeadlines: opts.moveDeadlines,
            requiredFrom: requiredFrom.toISOString(),
            enabled,
            moved,
            skipped,
          },
        },
        tx,
      );
    });
    return { ...plan, requiredFrom, rolloutId, enabled, moved, usernames };
  }

  /** OFF→ON for a batch, set-based, as MfaService.applySettings does it for one user. Returns the ids switched on. */
  async #enable(
    tx: Db,
    ids: string[],
    delay: number,
    now: Date,
    requiredFrom: Date,
    actor: MfaActor,
    rolloutId: string,
  ): Promise<string[]> {
    if (!ids.length) return [];
    await tx.query(
      `INSERT INTO mfa_settings (user_id, updated_at) SELECT id, $2 FROM unnest($1::uuid[]) AS id
       ON CONFLICT (user_id) DO NOTHING`,
      [ids, now],
    );
    // NOT enabled again here: a user switched on by someone else since the SELECT keeps their settings.
    const { rows } = await tx.query<{ user_id: string }>(
      `UPDATE mfa_settings SET enabled = true, enforcement_delay_days = $2, enabled_at = $3, enabled_by = $4,
         enabled_by_name = $5, required_from = $6, updated_at = $3
       WHERE user_id = ANY($1::uuid[]) AND NOT enabled RETURNING user_id`,
      [ids, delay, now, actor.id, actor.name, requiredFrom],
    );
    const on = rows.map((r) => r.user_id);
    if (!on.length) return on;
    // A fresh start, as the slider makes it: no enrollment or half-done setup survives.
    await tx.query("DELETE FROM mfa_pending_secrets WHERE user_id = ANY($1::uuid[])", [on]);
    await tx.query("DELETE FROM mfa_enrollments WHERE user_id = ANY($1::uuid[])", [on]);
    await this.revocation.revokeMany(on, "mfa_enabled", tx, actor);
    await this.audit.recordForUsers(
      { actor, action: "mfa.enable", details: { enforcementDelayDays: delay, rolloutId } },
      on,
      tx,
    );
    return on;
  }

  /**
   * Gives users who have MFA on but not activated the rollout's deadline: their
   * grace period starts again now with the rollout's delay (so a later delay
   * change still counts from enabled_at). Returns the ids moved.
   */
  async #move(
    tx: Db,
    ids: string[],
    delay: number,
    now: Date,
    requiredFrom: Date,
    actor: MfaActor,
    rolloutId: string,
  ): Promise<string[]> {
    if (!ids.length) return [];
    const { rows } = await tx.query<{ user_id: string }>(
      `UPDATE mfa_settings s SET enforcement_delay_days = $2, enabled_at = $3, enabled_by = $4, enabled_by_name = $5,
         required_from = $6, updated_at = $3
       WHERE s.user_id = ANY($1::uuid[]) AND s.enabled
         AND NOT EXISTS (SELECT 1 FROM mfa_enrollments e WHERE e.user_id = s.user_id)
       RETURNING s.user_id`,
      [ids, delay, now, actor.id, actor.name, requiredFrom],
    );
    const moved = rows.map((r) => r.user_id);
    await this.audit.recordForUsers(
      {
        actor,
        action: "mfa.deadline_move",
        details: { enforcementDelayDays: delay, requiredFrom: requiredFrom.toISOString(), rolloutId },
      },
      moved,
      tx,
    );
    return moved;
  }

  /** When the first rollout touching `siteId` (or any site, for null) started; null if none. */
  async firstRolloutAt(siteId: string | null): Promise<Date | null> {
    const { rows } = await this.db.query<{ at: Date | null }>(
      `SELECT min(started_at) AS at FROM mfa_rollouts WHERE $1::uuid IS NULL OR site_id = $1::uuid OR site_id IS NULL`,
      [siteId],
    );
    return rows[0]?.at ?? null;
  }
}
