// Reading the rollout form (Configure > MFA > Roll out): from a query (the preview) or a post
// (Confirm), into the selection and options the rollout service takes, or a message per field.
import type { Session } from "../../auth/sessions.js";
import { isMfaState } from "../../mfa/mfa-states.js";
import {
  ROLES,
  type RolloutOptions,
  type RolloutRole,
  type RolloutSelection,
  type UnfinishedRollout,
} from "../../mfa/mfa-rollouts.js";

/** The rollout form's values as sent (strings, so a bad value is shown back as typed). */
export interface RolloutFormValues {
  role: string;
  q: string;
  mfa: string;
  /** A designer field of the users app that must equal whereValue (the CLI's --where FIELD=VALUE). */
  whereField: string;
  whereValue: string;
  /** "" (the active site) or "all" (Public Site administrators). */
  scope: string;
  enforcementDelayDays: string;
  moveDeadlines: boolean;
  /** Ticked: disabled users and users without web or device access are switched on too. */
  includeInactive: boolean;
  ids: string[];
  /** What the rollout is called on the progress page (optional). */
  name: string;
}

/** The delay the form starts with, in days (also the default of a preview without one). */
export const DEFAULT_DELAY_DAYS = "14";

/** The form's values, from a query (preview) or a post (Confirm): every name's values in order. */
export function rolloutFormValues(all: Record<string, string[]>): RolloutFormValues {
  const one = (n: string) => all[n]?.at(-1) ?? "";
  return {
    role: one("role"),
    q: one("q"),
    mfa: one("mfa"),
    whereField: one("whereField"),
    whereValue: one("whereValue"),
    scope: one("scope"),
    enforcementDelayDays: all.enforcementDelayDays ? one("enforcementDelayDays").trim() : DEFAULT_DELAY_DAYS,
    moveDeadlines: one("moveDeadlines") === "true",
    includeInactive: one("includeInactive") === "true",
    ids: [...new Set(all.ids ?? [])].filter((id) => id !== ""),
    name: one("name").trim(),
  };
}

/**
 * Form values to a selection for this administrator: their active site, or every site if they are
 * a Public Site administrator who chose "every site". `whereFields` are the designer fields the
 * field picker offers (the app's searchable ones). Returns the problems per field instead when the
 * form is wrong (the service checks the rest and names its field the same way).
 */
export function rolloutSelection(
  v: RolloutFormValues,
  session: Session,
  canTargetAll: boolean,
  whereFields: readonly string[],
): { selection: RolloutSelection; options: RolloutOptions } | { errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  if (v.role !== "" && !(ROLES as readonly string[]).includes(v.role)) {
    errors.role = "Role must be Administrator, App designer or User.";
  }
  if (v.mfa !== "" && !isMfaState(v.mfa)) errors.mfa = "Choose an MFA state from the list.";
  if (v.scope !== "" && v.scope !== "all") errors.scope = "Choose this site or every site.";
  else if (v.scope === "all" && !canTargetAll) {
    errors.scope = "Only administrators of the Public Site may roll out to every site.";
  }
  if (v.q.length > 100) errors.q = "Search is at most 100 characters.";
  if (v.whereField !== "" && !whereFields.includes(v.whereField)) {
    errors.whereField = `Choose a field from the list (${whereFields.join(", ") || "this site has none"}).`;
  } else if (v.whereField !== "" && v.whereValue.trim() === "") {
    errors.whereValue = "Type the value the field must have.";
  } else if (v.whereField === "" && v.whereValue.trim() !== "") {
    errors.whereField = "Choose the field the value is for.";
  }
  if (v.whereValue.length > 200) errors.whereValue = "The value is at most 200 characters.";
  // eslint-disable-next-line no-control-regex -- control characters are what "on one line" refuses
  if (v.name.length > 100 || /[\u0000-\u001f\u007f]/.test(v.name)) {
    errors.name = "The name is at most 100 characters, on one line.";
  }
  if (!/^\d{1,4}$/.test(v.enforcementDelayDays) || Number(v.enforcementDelayDays) > 3650) {
    errors.enforcementDelayDays = "Enforcement delay must be a whole number of days from 0 to 3650.";
  }
  if (Object.keys(errors).length) return { errors };
  const selection: RolloutSelection = { siteId: v.scope === "all" ? null : session.activeSiteId };
  if (v.role) selection.role = v.role as RolloutRole;
  if (v.q.trim()) selection.q = v.q.trim();
  if (v.mfa && isMfaState(v.mfa)) selection.mfa = v.mfa;
  if (v.whereField) selection.where = { field: v.whereField, value: v.whereValue.trim() };
  if (v.ids.length) selection.ids = v.ids;
  return {
    selection,
    options: {
      enforcementDelayDays: Number(v.enforcementDelayDays),
      moveDeadlines: v.moveDeadlines,
      includeInactive: v.includeInactive,
      ...(v.name ? { name: v.name } : {}),
    },
  };
}

/** The URL of the preview for these values (`after`: the next page of users). */
export function previewHref(v: RolloutFormValues, after?: string): string {
  const p = new URLSearchParams();
  for (const [k, val] of [
    ["role", v.role],
    ["q", v.q],
    ["mfa", v.mfa],
    ["whereField", v.whereField],
    ["whereValue", v.whereValue],
    ["scope", v.scope],
    ["enforcementDelayDays", v.enforcementDelayDays],
    ["name", v.name],
  ] as const) {
    if (val) p.set(k, val);
  }
  if (v.moveDeadlines) p.set("moveDeadlines", "true");
  if (v.includeInactive) p.set("includeInactive", "true");
  for (const id of v.ids) p.append("ids", id);
  p.set("preview", "1");
  if (after) p.set("after", after);
  return `/configure/mfa/rollout?${p}`;
}

/** The preview of the same rollout as an unfinished one: Confirm there finishes the rest. */
export function rerunHref(r: UnfinishedRollout): string {
  const sel = r.selection;
  return previewHref({
    role: sel.role ?? "",
    q: sel.q ?? "",
    mfa: sel.mfa ?? "",
    whereField: sel.where?.field ?? "",
    whereValue: sel.where?.value ?? "",
    scope: r.siteId === null ? "all" : "",
    enforcementDelayDays: String(r.enforcementDelayDays),
    moveDeadlines: r.moveDeadlines,
    includeInactive: false,
    ids: Array.isArray(sel.ids) ? sel.ids : [],
    name: r.name,
  });
}
