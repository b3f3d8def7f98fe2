// Reading the rollout form (Configure > MFA > Roll out): from a query (the preview) or a post
// (Confirm), into the selection and options the rollout service takes, or a message per field.
import type { Session } from "../../auth/sessions.js";
import { isMfaState } from "../../mfa/mfa-states.js";
import { schemaErrors, type FormSpec } from "../http/form-body.js";
import { isoDayIn, startOfDayIn } from "../../util/zoned-dates.js";
import { listState, SEARCH_MAX_LENGTH, SEARCH_TOO_LONG } from "./list-query.js";
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
  /** A deadline date (YYYY-MM-DD, an `<input type="date">`), instead of the days: its start in the site's zone. */
  deadline: string;
  moveDeadlines: boolean;
  /** Ticked: disabled users and users without web or device access are switched on too. */
  includeInactive: boolean;
  ids: string[];
  /** What the rollout is called on the progress page (optional). */
  name: string;
  /** The users list's state a rollout from the list goes back to after Confirm (listState), or "". */
  back: string;
}

/** The delay when the form gives neither days nor a date, in days (the field's placeholder). */
export const DEFAULT_DELAY_DAYS = "14";

/** The days a form's values stand for when it gives no date: its own, else the default. */
export function delayDaysOf(v: Pick<RolloutFormValues, "enforcementDelayDays">): string {
  return v.enforcementDelayDays || DEFAULT_DELAY_DAYS;
}

/**
 * The deadline fields as JSON Schema, applied by readForm on Confirm and by schemaErrors to the
 * preview's query: days are 0–4 digits (the service bounds them to 0–3650), a date is YYYY-MM-DD.
 */
export const ROLLOUT_DEADLINE_FORM = {
  schema: {
    type: "object",
    properties: {
      enforcementDelayDays: { type: "string", pattern: "^\\s*([0-9]{1,4})?\\s*$" },
      deadline: { type: "string", pattern: "^\\s*([0-9]{4}-[0-9]{2}-[0-9]{2})?\\s*$" },
    },
  },
  messages: {
    enforcementDelayDays: "Enforcement delay must be a whole number of days from 0 to 3650.",
    deadline: "The deadline must be a date (YYYY-MM-DD).",
  },
  onInvalid: "report",
} as const satisfies FormSpec;

const DAY_MS = 86_400_000;

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
    // As the administrator gave them: the days field is not pre-filled (a chosen date alone would
    // otherwise meet the default days as "both"); deadlineOf takes the default when both are empty.
    enforcementDelayDays: one("enforcementDelayDays").trim(),
    deadline: one("deadline").trim(),
    moveDeadlines: one("moveDeadlines") === "true",
    includeInactive: one("includeInactive") === "true",
    ids: [...new Set(all.ids ?? [])].filter((id) => id !== ""),
    name: one("name").trim(),
    back: listState(one("back")),
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
  site: { timeZone: string; now: Date },
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
  if (v.q.length > SEARCH_MAX_LENGTH) errors.q = SEARCH_TOO_LONG;
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
  const deadline = deadlineOf(v, site, errors);
  if (Object.keys(errors).length || !deadline) return { errors };
  const selection: RolloutSelection = { siteId: v.scope === "all" ? null : session.activeSiteId };
  if (v.role) selection.role = v.role as RolloutRole;
  if (v.q.trim()) selection.q = v.q.trim();
  if (v.mfa && isMfaState(v.mfa)) selection.mfa = v.mfa;
  if (v.whereField) selection.where = { field: v.whereField, value: v.whereValue.trim() };
  if (v.ids.length) selection.ids = v.ids;
  return {
    selection,
    options: {
      ...deadline,
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
    ["deadline", v.deadline],
    ["name", v.name],
  ] as const) {
    if (val) p.set(k, val);
  }
  if (v.moveDeadlines) p.set("moveDeadlines", "true");
  if (v.includeInactive) p.set("includeInactive", "true");
  for (const id of v.ids) p.append("ids", id);
  if (v.back) p.set("back", v.back);
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
    deadline: "",
    moveDeadlines: r.moveDeadlines,
    includeInactive: false,
    ids: Array.isArray(sel.ids) ? sel.ids : [],
    name: r.name,
    back: "",
  });
}

/**
 * The deadline the form asks for: a number of days, or a date whose start (00:00 in the site's
 * zone) is the deadline and must be in the future; the days are then the whole days to it, rounded
 * up. At most one of the two (both is a message on the field, in `errors`); neither is the default
 * days (DEFAULT_DELAY_DAYS).
 */
function deadlineOf(
  v: RolloutFormValues,
  site: { timeZone: string; now: Date },
  errors: Record<string, string>,
): Pick<RolloutOptions, "enforcementDelayDays" | "requiredFrom"> | null {
  const problems = schemaErrors(ROLLOUT_DEADLINE_FORM, {
    enforcementDelayDays: v.enforcementDelayDays,
    deadline: v.deadline,
  });
  if (Object.keys(problems).length) {
    Object.assign(errors, problems);
    return null;
  }
  if (v.enforcementDelayDays && v.deadline) {
    errors.deadline = "Give a deadline date or a number of days, not both: clear one of them.";
    return null;
  }
  if (!v.deadline) return { enforcementDelayDays: Number(delayDaysOf(v)) };
  let requiredFrom: Date;
  try {
    requiredFrom = startOfDayIn(v.deadline, site.timeZone);
  } catch {
    errors.deadline = "The deadline must be a real date (YYYY-MM-DD).";
    return null;
  }
  if (requiredFrom.getTime() <= site.now.getTime()) {
    errors.deadline =
      `The deadline must be in the future: choose a day after ${isoDayIn(site.now, site.timeZone)} ` +
      `(it starts at 00:00 ${site.timeZone}; for "at the next sign-in" give 0 days).`;
    return null;
  }
  const days = Math.ceil((requiredFrom.getTime() - site.now.getTime()) / DAY_MS);
  if (days > 3650) {
    errors.deadline = "The deadline must be within 3650 days.";
    return null;
  }
  return { enforcementDelayDays: days, requiredFrom };
}
