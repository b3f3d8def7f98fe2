/**
 * A rollout's selection as SQL: the WHERE over `users u` joined with the MFA state joins
 * (aliases ms, me), and the classes a selected user falls in. Values always go in as parameters;
 * only the placeholders and designer field names (checked against the app's fields, and passed as
 * parameters too) shape the text.
 */
import { searchPatterns } from "../db/like.js";
import { HOLDS_FACTOR } from "../db/factor-rows.js";
import { mfaStateCondition } from "./mfa-states.js";
import type { RolloutSelection } from "./rollout-model.js";

/** MFA off now (no settings row, or enabled false): Confirm switches it on. */
export const IS_OFF = "NOT COALESCE(ms.enabled, false)";
/** MFA on, not activated: Confirm keeps the deadline, or moves it with moveDeadlines. */
export const IS_WAITING = `(ms.enabled AND NOT ${HOLDS_FACTOR})`;
/** Activated already: nothing to do. */
export const IS_ACTIVATED = HOLDS_FACTOR;

/**
 * The MFA state joins (mfa-states' MFA_STATE_JOINS) with a lower bound on the user id in each
 * join condition: a batch that reads the users after `after` then reads only the settings and
 * enrollments after it too, instead of merging through every earlier row (which made each batch
 * slower than the one before). `after` is a placeholder such as "$1" holding a uuid or NULL.
 */
export function keysetJoins(after: string): string {
  const from = lowerBound(after);
  return `LEFT JOIN mfa_settings ms ON ms.user_id = u.id AND ms.user_id > ${from}
  LEFT JOIN mfa_enrollments me ON me.user_id = u.id AND me.user_id > ${from}`;
}

/** `u.id > …` for the keyset placeholder `after` (NULL: from the first id). */
export function afterCondition(after: string): string {
  return `u.id > ${lowerBound(after)}`;
}

function lowerBound(after: string): string {
  if (!/^\$[1-9][0-9]{0,2}$/.test(after)) throw new Error(`not a SQL placeholder: ${after}`);
  return `COALESCE(${after}::uuid, '00000000-0000-0000-0000-000000000000'::uuid)`;
}

/** A WHERE clause and its parameters. */
export interface SelectionSql {
  where: string;
  params: unknown[];
}

/**
 * The WHERE of `sel` over `users u` + the MFA state joins, AND-ing every given criterion ("true"
 * when none). Parameters are numbered after `first` (the caller's own leading parameters, kept at
 * the front). `searchable` are the user-accounts app's searchable designer fields the words of
 * `q` are looked for in; `now` is the instant MFA states are judged at.
 */
export function selectionSql(
  sel: RolloutSelection,
  now: Date,
  searchable: readonly string[],
  first: unknown[] = [],
): SelectionSql {
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
    const parts = ["u.username", "u.display_name", "u.email", ...searchable.map((f) => `u.data->>${p(f)}::text`)];
    const text = `lower(concat_ws(' ', ${parts.join(", ")}))`;
    for (const pattern of patterns) where.push(`${text} LIKE ${p(pattern)}`);
  }
  if (sel.where) where.push(`lower(u.data->>${p(sel.where.field)}::text) = lower(${p(sel.where.value)})`);
  if (sel.mfa) where.push(mfaStateCondition(sel.mfa, p(now)));
  if (sel.ids) where.push(`u.id = ANY(${p(sel.ids)}::uuid[])`);
  return { where: where.length ? where.join(" AND ") : "true", params };
}
