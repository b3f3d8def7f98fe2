import { checkDefinition, type DefinitionProblem } from "../schema/app-definition.js";
import type { AppDefinition, FieldSchema } from "../schema/types.js";
import { atPointer, escapePointer, FIELD_NAME } from "../schema/identifiers.js";
import { breakingChanges } from "./definition-changes.js";
import type { StoredValueTypes } from "./stored-values.js";
import { plainMessage } from "./designer-field-checks.js";
import { designerTypeOf, optionsText } from "./field-types.js";
import { plainText } from "../util/plain-text.js";

/**
 * The visual designer's changes to a definition: pure functions from the
 * draft (and the published version, whose records must keep working) to the
 * next draft, or to messages keyed by the form field they concern. Each
 * result is checked exactly as the JSON editor checks a save (the meta-schema
 * and semantic checks, then the breaking-change rules), so nothing the JSON
 * editor would refuse gets in here either.
 */

/** What a change is checked against: the published definition and how many records it has. */
export interface EditContext {
  published: AppDefinition;
  recordCount: number;
  /** What the records hold under each key (storedValueTypes), for names of deleted fields used again. */
  stored?: StoredValueTypes;
}

/** A change's outcome: the next draft and a sentence saying what happened, or messages by form field ("_": the form). */
export type EditResult =
  | {
      ok: true;
      definition: AppDefinition;
      message: string;
      /** The field the change was made on, as it is in the result: where a later refusal is shown. */
      field?: { pointer: string; name: string };
    }
  | { ok: false; errors: Record<string, string> };

/** The posted properties of a field (strings as posted; absent = not sent). */
export interface FieldInput {
  type?: string;
  title?: string;
  name?: string;
  required?: string;
  help?: string;
  options?: string;
  section?: string;
  parent?: string;
  default?: string;
  minimum?: string;
  maximum?: string;
  maxLength?: string;
  pattern?: string;
  readOnly?: string;
  visibleField?: string;
  visibleValue?: string;
  placeholder?: string;
  /** A preset's pattern (the form's "Or a preset"); fills a blank pattern. */
  patternPreset?: string;
}

const FIELD_INPUT_KEYS: (keyof FieldInput)[] = [
  "type",
  "title",
  "name",
  "required",
  "help",
  "options",
  "section",
  "parent",
  "default",
  "minimum",
  "maximum",
  "maxLength",
  "pattern",
  "readOnly",
  "visibleField",
  "visibleValue",
  "placeholder",
  "patternPreset",
];

/** Picks the field properties out of a posted form. */
export function fieldInputFrom(form: Record<string, string>): FieldInput {
  const out: FieldInput = {};
  for (const k of FIELD_INPUT_KEYS) if (form[k] !== undefined) out[k] = form[k];
  return out;
}

/** True for a posted yes: "on", "true", "yes" or "1" (any case). */
export const isOn = (v: string | undefined) => v !== undefined && /^(on|true|yes|1)$/i.test(v.trim());
/** A deep copy: every change works on a copy of the draft. */
export const clone = <T>(v: T): T => structuredClone(v);
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Where a field lives: its parent's property map and required list, addressed by a dot path. */
export interface Located {
  parentPath: string[];
  name: string;
  field: FieldSchema;
  /** The object schema holding the field (the record, a group, or a rows item). */
  holder: { properties?: Record<string, FieldSchema | undefined>; required?: string[] };
  /** JSON Pointer of the field in the definition. */
  pointer: string;
}

/** The object schema holding fields at a parent path (the record, a group, a rows item) and its JSON Pointer; null if none. */
export function holderAt(
  def: AppDefinition,
  parentPath: string[],
): { holder: Located["holder"]; pointer: string } | null {
  let holder: Located["holder"] = def.record;
  let pointer = "/record";
  for (const part of parentPath) {
    const f = holder.properties && Object.hasOwn(holder.properties, part) ? holder.properties[part] : undefined;
    if (!f) return null;
    pointer += `/properties/${escapePointer(part)}`;
    if (f.type === "object") holder = f;
    else if (f.type === "array" && f.items?.type === "object") {
      holder = f.items;
      pointer += "/items";
    } else return null;
  }
  return { holder, pointer };
}

/** Finds a field by dot path ("visitor", "companions.name"); null when there is none. */
export function locate(def: AppDefinition, path: string): Located | null {
  const parts = path.split(".");
  if (!parts.every((p) => FIELD_NAME.test(p)) || parts.length > 8) return null;
  const name = parts.pop()!;
  const at = holderAt(def, parts);
  const props = at?.holder.properties;
  const field = props && Object.hasOwn(props, name) ? props[name] : undefined;
  if (!at || !field) return null;
  return {
    parentPath: parts,
    name,
    field,
    holder: at.holder,
    pointer: `${at.pointer}/properties/${escapePointer(name)}`,
  };
}

/** Which form field a problem at a pointer belongs to, for the field at `fieldPointer`. */
function formFieldOf(pointer: string, fieldPointer: string | null, fieldName: string | null): string {
  if (fieldPointer && (pointer === fieldPointer || pointer.startsWith(`${fieldPointer}/`))) {
    const rest = pointer.slice(fieldPointer.length).replace(/^\/items(?=\/|$)/, "");
    const key = rest.split("/")[1] ?? "";
    if (key === "title") return "title";
    if (key === "default") return "default";
    if (key === "minimum" || key === "exclusiveMinimum") return "minimum";
    if (key === "maximum" || key === "exclusiveMaximum") return "maximum";
    if (key === "maxLength" || key === "minLength") return "maxLength";
    if (key === "pattern") return "pattern";
    if (key === "oneOf" || key === "enum") return "options";
    if (key === "x-visibleWhen") return "visibleField";
    if (key === "x-placeholder") return "placeholder";
    if (key === "readOnly" || key === "writeOnly") return "readOnly";
    if (key === "properties") return "_";
    return "type";
  }
  if (fieldName && /\/required(\/|$)/.test(pointer)) return "required";
  if (pointer.startsWith("/form/help")) return "help";
  if (pointer.startsWith("/form/sections")) return "section";
  if (pointer.startsWith("/list/columns")) return "columns";
  if (pointer.startsWith("/list/sort")) return "sort";
  if (pointer.startsWith("/list/searchable")) return "searchable";
  if (pointer === "/title") return "title";
  if (pointer === "/description") return "description";
  if (fieldPointer && /\/x-visibleWhen(\/|$)/.test(pointer)) return "_";
  return "_";
}

/**
 * Messages by form field for problems of a change (`fieldPointer`, `fieldName`: the field it was made
 * on, as it is in the result; `def`: the result, to name a repeated item).
 */
export function problemsToErrors(
  problems: DefinitionProblem[],
  fieldPointer: string | null,
  fieldName: string | null,
  def?: AppDefinition,
): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const p of problems) {
    const key = formFieldOf(p.pointer, fieldPointer, fieldName);
    const plain = plainMessage(key, capital(p.message), def && atPointer(def, p.pointer), p.pointer);
    const text = key === "_" ? `${p.pointer || "/"}: ${p.message}` : plain;
    errors[key] = errors[key] ? `${errors[key]} ${text}` : text;
  }
  return errors;
}

/**
 * The last step of every change: the JSON editor's checks on the result. A
 * problem is reported on the form field it concerns (`fieldPointer`: the
 * field being changed, as it is in the result).
 */
export function finish(
  next: AppDefinition,
  ctx: EditContext,
  message: string,
  fieldPointer: string | null = null,
  fieldName: string | null = null,
): EditResult {
  const check = checkDefinition(next);
  if (!check.ok) return { ok: false, errors: problemsToErrors(check.problems, fieldPointer, fieldName, next) };
  const breaking = breakingChanges(ctx.published, next, ctx.recordCount, ctx.stored);
  if (breaking.length) return { ok: false, errors: problemsToErrors(breaking, fieldPointer, fieldName) };
  const result: EditResult = { ok: true, definition: next, message };
  if (fieldPointer && fieldName) result.field = { pointer: fieldPointer, name: fieldName };
  return result;
}

/** The edit form's values for an existing field. */
export function fieldInputOf(def: AppDefinition, path: string): FieldInput | null {
  const at = locate(def, path);
  if (!at) return null;
  const f = at.field;
  const rule = f["x-visibleWhen"];
  const out: FieldInput = {
    type: designerTypeOf(f),
    title: f.title ?? "",
    name: at.name,
    required: (at.holder.required ?? []).includes(at.name) ? "on" : "",
    help: def.form?.help?.[path] ?? "",
    options: optionsText(f),
    default: f.default === undefined ? "" : plainText(f.default),
    minimum: f.minimum === undefined ? "" : String(f.minimum),
    maximum: f.maximum === undefined ? "" : String(f.maximum),
    maxLength: f.maxLength === undefined ? "" : String(f.maxLength),
    pattern: f.pattern ?? "",
    readOnly: f.readOnly ? "on" : "",
    visibleField: rule?.field ?? "",
    visibleValue: rule ? String("equals" in rule ? rule.equals : (rule.in ?? []).join(",")) : "",
    placeholder: f["x-placeholder"] ?? "",
  };
  if (!at.parentPath.length) {
    const i = (def.form?.sections ?? []).findIndex((s) => s.fields.includes(at.name));
    out.section = i < 0 ? "" : String(i + 1);
  }
  return out;
}

/** Sets (or, when blank, removes) a field's help text in form.help; undefined leaves it. */
export function setHelp(def: AppDefinition, path: string, help: string | undefined) {
  if (help === undefined) return;
  const text = help.trim();
  const map = { ...(def.form?.help ?? {}) };
  if (text) map[path] = text;
  else delete map[path];
  def.form = { ...(def.form ?? {}), help: map };
  if (!Object.keys(map).length) delete def.form.help;
  if (!Object.keys(def.form).length) delete def.form;
}

/** Adds the name to (or removes it from) the holder's required list. */
export function setRequired(holder: Located["holder"], name: string, required: boolean) {
  const list = (holder.required ?? []).filter((n) => n !== name);
  if (required) list.push(name);
  if (list.length) holder.required = list;
  else delete holder.required;
}

/**
 * Tidies the layout after a change: no `form.sections` without a section, no empty `form`. An
 * emptied section stays (a place to move fields to) until the designer deletes it.
 */
export function tidySections(def: AppDefinition) {
  if (!def.form?.sections) return;
  if (!def.form.sections.length) delete def.form.sections;
  if (!Object.keys(def.form).length) delete def.form;
}

/** The 0-based section a posted 1-based number names; null when blank, or (with a message in errors.section) when there is none. */
export function sectionIndex(
  def: AppDefinition,
  raw: string | undefined,
  errors: Record<string, string>,
): number | null {
  const t = (raw ?? "").trim();
  if (!t) return null;
  const n = /^\d{1,3}$/.test(t) ? Number(t) : 0;
  if (n < 1 || n > (def.form?.sections?.length ?? 0)) {
    errors.section = `There is no section ${t} in this form.`;
    return null;
  }
  return n - 1;
}
