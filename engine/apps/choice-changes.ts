// The options a new version of a definition takes away from a choice field (removed, or renamed:
// values are stored, so a new value is a removed option and an added one), and what to do with a
// stored value of such an option: keep it ("(removed option) X") or map it to a remaining option.
// Pure functions over definitions and record data; the SQL is in choice-remap.ts.
import { optionsOf, type FieldOptionView } from "../schema/field-nodes.js";
import type { AppDefinition, AppScalar, FieldSchema } from "../schema/types.js";

/** One step from a record's data down to a choice: a property, and whether it holds rows (an array of groups). */
export interface ChoiceStep {
  name: string;
  rows: boolean;
}

/** An option of a choice field that the new version no longer offers. */
export interface RemovedOption {
  /** The field's dot path ("checklist.status") and label. */
  path: string;
  label: string;
  steps: ChoiceStep[];
  /** A list of choices (each stored value is an array of options). */
  multi: boolean;
  value: AppScalar;
  /** The option's label in the published version. */
  optionLabel: string;
  /** The options the field offers in the new version. */
  remaining: FieldOptionView[];
  /** A remaining option with the same label (a renamed value), the mapping offered first. */
  renamedTo?: AppScalar;
}

/** What to do with the stored values of one removed option. */
export type OptionDecision = { keep: true } | { to: AppScalar };

interface Choice {
  label: string;
  steps: ChoiceStep[];
  multi: boolean;
  options: FieldOptionView[];
}

function choices(props: Record<string, FieldSchema | undefined>, steps: ChoiceStep[], out: Map<string, Choice>) {
  for (const [name, f] of Object.entries(props)) {
    if (!f) continue;
    const label = f.title ?? name;
    const here = [...steps, { name, rows: false }];
    const path = here.map((s) => s.name).join(".");
    const single = optionsOf(f);
    const multi = f.type === "array" && f.items ? optionsOf(f.items) : undefined;
    if (single) out.set(path, { label, steps: here, multi: false, options: single });
    else if (multi) out.set(path, { label, steps: here, multi: true, options: multi });
    else if (f.type === "object") choices(f.properties ?? {}, here, out);
    else if (f.type === "array" && f.items?.type === "object") {
      choices(f.items.properties ?? {}, [...steps, { name, rows: true }], out);
    }
  }
}

/** Every choice field of a definition by dot path, nested ones (groups, rows) included. */
function choiceFields(def: AppDefinition): Map<string, Choice> {
  const out = new Map<string, Choice>();
  choices(def.record.properties, [], out);
  return out;
}

/**
 * The options `after` takes away from choice fields both versions have (at the same path, a choice
 * in both), in field order. A field removed as a whole is not listed: its values stay stored.
 */
export function removedOptions(before: AppDefinition, after: AppDefinition): RemovedOption[] {
  const old = choiceFields(before);
  const out: RemovedOption[] = [];
  for (const [path, next] of choiceFields(after)) {
    const prev = old.get(path);
    if (!prev || prev.multi !== next.multi) continue;
    for (const o of prev.options) {
      if (next.options.some((n) => n.value === o.value)) continue;
      const r: RemovedOption = {
        path,
        label: next.label,
        steps: next.steps,
        multi: next.multi,
        value: o.value,
        optionLabel: o.label,
        remaining: next.options,
      };
      const twin = next.options.find((n) => n.label === o.label && !prev.options.some((p) => p.value === n.value));
      if (twin) r.renamedTo = twin.value;
      out.push(r);
    }
  }
  return out;
}

/**
 * The SQL/JSON path (jsonpath) that finds a stored value of a removed option in a record's data,
 * with the value as the variable `$v`: `$."checklist"[*]."status" ? (@ == $v)`.
 */
export function jsonPathOf(r: Pick<RemovedOption, "steps" | "multi">): string {
  const parts = r.steps.map((s) => `.${JSON.stringify(s.name)}${s.rows ? "[*]" : ""}`).join("");
  return `$${parts}${r.multi ? "[*]" : ""} ? (@ == $v)`;
}

/** A removed option's key among the decisions: its field path and its value as JSON. */
export const decisionKey = (r: Pick<RemovedOption, "path" | "value">) => `${r.path}=${JSON.stringify(r.value)}`;

function mapIn(holder: unknown, steps: ChoiceStep[], multi: boolean, from: AppScalar, to: AppScalar): boolean {
  if (holder === null || typeof holder !== "object" || Array.isArray(holder)) return false;
  const obj = holder as Record<string, unknown>;
  const [step, ...rest] = steps;
  if (!step || !Object.hasOwn(obj, step.name)) return false;
  const v = obj[step.name];
  if (rest.length) {
    if (!step.rows) return mapIn(v, rest, multi, from, to);
    if (!Array.isArray(v)) return false;
    return v.map((row) => mapIn(row, rest, multi, from, to)).some(Boolean);
  }
  if (multi) {
    if (!Array.isArray(v)) return false;
    const list = v as unknown[];
    if (!list.includes(from)) return false;
    // A list of choices holds each option once: the mapped value takes the removed one's place.
    obj[step.name] = list.flatMap((x) => (x === from ? (list.includes(to) ? [] : [to]) : [x]));
    return true;
  }
  if (v !== from) return false;
  obj[step.name] = to;
  return true;
}

/**
 * `data` (a record's stored values, changed in place) with every value of the removed option
 * `r` replaced by `to`; true when something changed.
 */
export function mapStoredValue(
  data: Record<string, unknown>,
  r: Pick<RemovedOption, "steps" | "multi" | "value">,
  to: AppScalar,
): boolean {
  return mapIn(data, r.steps, r.multi, r.value, to);
}
