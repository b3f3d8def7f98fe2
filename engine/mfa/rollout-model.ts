/**
 * The vocabulary of an MFA rollout: who it is for (RolloutSelection), what it does
 * (RolloutOptions), what a preview and a finished rollout report, the errors, and the input check
 * shared by the web form, the CLI and the service.
 */
import { ConflictError, ValidationError } from "../errors.js";
import { plural } from "../util/plural.js";
import { isUuid } from "../util/uuid.js";
import { isMfaState, type MfaState } from "./mfa-states.js";
import { MAX_ENFORCEMENT_DELAY_DAYS } from "./mfa-model.js";

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
  /**
   * The deadline itself (a rollout "by date": the start of a day in the site's zone), instead of now +
   * enforcementDelayDays; it must be in the future. enforcementDelayDays is then the whole days to it,
   * rounded up, as the users' delay.
   */
  requiredFrom?: Date;
  /** Users with MFA already on but not activated get the rollout's deadline too (default: they keep theirs). */
  moveDeadlines: boolean;
  /**
   * Disabled users and users with neither web nor device access are changed too. Default: they
   * are skipped (they cannot sign in to set MFA up), and the preview lists them with why.
   */
  includeInactive?: boolean;
  /** What the rollout is called on the progress page (at most 100 characters; default "MFA rollout of DATE"). */
  name?: string;
}

/** A selected user a rollout leaves alone because they cannot sign in, and why. */
export interface SkippedUser {
  id: string;
  username: string;
  displayName: string;
  siteId: string;
  siteSlug: string;
  reason: "disabled" | "no web or device access";
}

/** A selected user, as the preview lists them. */
export interface RolloutUser {
  id: string;
  username: string;
  displayName: string;
  siteId: string;
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
  /** Cannot sign in (disabled, or neither web nor device access), MFA not activated: left alone unless included. */
  skippedInactive: number;
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

/** Bad selection or options (a ValidationError, 422): `field` names the form field / CLI option, `fields` holds its message. */
export class RolloutInputError extends ValidationError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message, { [field]: message }, { code: "invalid_rollout" });
  }
}

/**
 * Confirm found a different set of users than the preview showed (someone changed users in between):
 * a ConflictError (409, code "rollout_changed") carrying the new plan.
 */
export class RolloutChangedError extends ConflictError {
  constructor(readonly plan: RolloutPlan) {
    super(
      `The selection changed since the preview: ${plural(plan.toEnable, "user")} to switch on and ` +
        `${plural(plan.toMove, "deadline")} to move now. Check the preview again.`,
      { code: "rollout_changed" },
    );
  }
}

/**
 * Users changed per transaction in a bulk MFA rollout, so a large site is not locked in one long
 * transaction. Measured with test/bench/rollout-bench.ts (100,000 users on PostgreSQL): 5,000 was
 * the fastest of 500, 2,000 and 5,000, each batch's transaction lasting a few hundred milliseconds.
 */
export const DEFAULT_BATCH_SIZE = 5000;
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
  // eslint-disable-next-line no-control-regex -- control characters are what "on one line" refuses
  if (opts.name !== undefined && (opts.name.length > 100 || /[\u0000-\u001f\u007f]/.test(opts.name))) {
    throw new RolloutInputError("name", "The name is at most 100 characters, on one line.");
  }
  if (
    opts.requiredFrom !== undefined &&
    !(opts.requiredFrom instanceof Date && Number.isFinite(opts.requiredFrom.getTime()))
  ) {
    throw new RolloutInputError("deadline", "The deadline must be a date.");
  }
  const d = opts.enforcementDelayDays;
  if (!Number.isInteger(d) || d < 0 || d > MAX_ENFORCEMENT_DELAY_DAYS) {
    throw new RolloutInputError(
      "enforcementDelayDays",
      `Enforcement delay must be a whole number of days from 0 to ${MAX_ENFORCEMENT_DELAY_DAYS}.`,
    );
  }
}

/**
 * A selection as a rollout row keeps it (mfa_rollouts.selection, JSON): enough to run the same
 * rollout again. `ids` sorted, so the same ticked users make the same record.
 */
export interface StoredSelection {
  role: RolloutRole | null;
  q: string | null;
  where: { field: string; value: string } | null;
  mfa: MfaState | null;
  ids: string[] | null;
}

/** The stored form of a selection (see StoredSelection). */
export function storedSelection(sel: RolloutSelection): StoredSelection {
  return {
    role: sel.role ?? null,
    q: sel.q ?? null,
    where: sel.where ?? null,
    mfa: sel.mfa ?? null,
    ids: sel.ids ? [...new Set(sel.ids)].sort() : null,
  };
}

/**
 * A rollout that stopped between two batches (the process ended) and that no later run of the
 * same selection has finished yet; one still running shows here too until it finishes.
 */
export interface UnfinishedRollout {
  id: string;
  name: string;
  /** null: every site. */
  siteId: string | null;
  selection: StoredSelection;
  enforcementDelayDays: number;
  moveDeadlines: boolean;
  startedAt: Date;
  /** Users it switched on, and deadlines it moved, before it stopped. */
  enabledCount: number;
  movedCount: number;
  actorName: string;
}
