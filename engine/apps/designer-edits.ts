import { checkDefinition, type DefinitionProblem } from "../schema/app-definition.js";
import type { AppDefinition, FieldSchema, FormSection, ListView } from "../schema/types.js";
import { breakingChanges } from "./definition-changes.js";
import {
  designerTypeOf,
  fieldTypeInfo,
  isDesignerType,
  nameFromLabel,
  optionsText,
  parseOptions,
  scalarFor,
  schemaForType,
  type DesignerFieldType,
} from "./field-types.js";

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
}

/** A change's outcome: the next draft and a sentence saying what happened, or messages by form field ("_": the form). */
export type EditResult =
  { ok: true; definition: AppDefinition; message: string } | { ok: false; errors: Record<string, string> };

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
];

/** Picks the field properties out of a posted form. */
export function fieldInputFrom(form: Record<string, string>): FieldInput {
  const out: FieldInput = {};
  for (const k of FIELD_INPUT_KEYS) if (form[k] !== undefined) out[k] = form[k];
  return out;
}

const isOn = (v: string | undefined) => v !== undefined && /^(on|true|yes|1)$/i.test(v.trim());
const clone = <T>(v: T): T => structuredClone(v);
const escapePointer = (s: string) => s.replace(/~/g, "~0").replace(/\//g, "~1");
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** Where a field lives: its parent's property map and required list, addressed by a dot path. */
interface Located {
  parentPath: string[];
  name: string;
  field: FieldSchema;
  /** The object schema holding the field (the record, a group, or a rows item). */
  holder: { properties?: Record<string, FieldSchema | undefined>; required?: string[] };
  /** JSON Pointer of the field in the definition. */
  pointer: string;
}

function holderAt(def: AppDefinition, parentPath: string[]): { holder: Located["holder"]; pointer: string } | null {
  let holder: Located["holder"] = def.record;
  let pointer = "/record";
  for (const part of parentPath) {
    const f = holder.properties?.[part];
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
  const field = at?.holder.properties?.[name];
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

function problemsToErrors(
  problems: DefinitionProblem[],
  fieldPointer: string | null,
  fieldName: string | null,
): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const p of problems) {
    const key = formFieldOf(p.pointer, fieldPointer, fieldName);
    const text = key === "_" ? `${p.pointer || "/"}: ${p.message}` : capital(p.message);
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
  if (!check.ok) return { ok: false, errors: problemsToErrors(check.problems, fieldPointer, fieldName) };
  const breaking = breakingChanges(ctx.published, next, ctx.recordCount);
  if (breaking.length) return { ok: false, errors: problemsToErrors(breaking, fieldPointer, fieldName) };
  return { ok: true, definition: next, message };
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
    default: f.default === undefined ? "" : String(f.default),
    minimum: f.minimum === undefined ? "" : String(f.minimum),
    maximum: f.maximum === undefined ? "" : String(f.maximum),
    maxLength: f.maxLength === undefined ? "" : String(f.maxLength),
    pattern: f.pattern ?? "",
    readOnly: f.readOnly ? "on" : "",
    visibleField: rule?.field ?? "",
    visibleValue: rule ? String("equals" in rule ? rule.equals : (rule.in ?? []).join(",")) : "",
  };
  if (!at.parentPath.length) {
    const i = (def.form?.sections ?? []).findIndex((s) => s.fields.includes(at.name));
    out.section = i < 0 ? "" : String(i + 1);
  }
  return out;
}

/** A field's schema from the posted properties; `errors` collects what cannot be read. */
function buildSchema(
  type: DesignerFieldType,
  input: FieldInput,
  previous: FieldSchema | undefined,
  siblings: Record<string, FieldSchema | undefined>,
  errors: Record<string, string>,
): FieldSchema {
  const info = fieldTypeInfo(type);
  let options = null;
  if (info.properties.includes("options")) {
    const parsed = parseOptions(input.options ?? "");
    if (parsed.ok) options = parsed.options;
    else errors.options = parsed.message;
  }
  const f: FieldSchema = schemaForType(type, options ?? [{ const: "x", title: "x" }], previous);
  const title = (input.title ?? "").trim();
  if (title) f.title = title;
  // Keywords the designer does not show survive an edit that keeps the type.
  if (previous && designerTypeOf(previous) === type) {
    for (const k of [
      "minLength",
      "exclusiveMinimum",
      "exclusiveMaximum",
      "multipleOf",
      "minItems",
      "maxItems",
      "$comment",
    ] as const) {
      if (previous[k] !== undefined) (f as unknown as Record<string, unknown>)[k] = previous[k];
    }
  }
  const has = (p: string) => info.properties.includes(p as never);
  const number = (key: "minimum" | "maximum" | "maxLength", integer: boolean) => {
    const raw = (input[key] ?? "").trim();
    if (!raw) return;
    const n = Number(raw);
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n)))
      errors[key] = integer ? "Must be a whole number." : "Must be a number.";
    else f[key] = n;
  };
  if (has("minimum")) number("minimum", type === "integer");
  if (has("maximum")) number("maximum", type === "integer");
  if (has("maxLength")) number("maxLength", true);
  if (has("pattern") && (input.pattern ?? "").trim()) f.pattern = input.pattern!.trim();
  if (has("default") && (input.default ?? "").trim() !== "") {
    const v = scalarFor(f.type, input.default!);
    if (v === undefined)
      errors.default = `Must be ${f.type === "boolean" ? "true or false" : f.type === "integer" ? "a whole number" : "a number"}.`;
    else f.default = v;
  }
  if (isOn(input.readOnly)) f.readOnly = true;
  const control = (input.visibleField ?? "").trim();
  if (control && has("visibleWhen")) {
    const controlling = siblings[control];
    const raw = input.visibleValue ?? "";
    // An unknown field is left to the definition check, which names it on this form field.
    const value = controlling ? scalarFor(controlling.type, raw) : raw;
    if (value === undefined)
      errors.visibleValue = `"${control}" holds ${controlling!.type === "boolean" ? "yes/no: give true or false" : "numbers: give a number"}.`;
    else f["x-visibleWhen"] = { field: control, equals: value };
  }
  return f;
}

function setHelp(def: AppDefinition, path: string, help: string | undefined) {
  if (help === undefined) return;
  const text = help.trim();
  const map = { ...(def.form?.help ?? {}) };
  if (text) map[path] = text;
  else delete map[path];
  def.form = { ...(def.form ?? {}), help: map };
  if (!Object.keys(map).length) delete def.form.help;
  if (!Object.keys(def.form).length) delete def.form;
}

function setRequired(holder: Located["holder"], name: string, required: boolean) {
  const list = (holder.required ?? []).filter((n) => n !== name);
  if (required) list.push(name);
  if (list.length) holder.required = list;
  else delete holder.required;
}

/** Sections without empty ones (a section holds at least one field). */
function tidySections(def: AppDefinition) {
  if (!def.form?.sections) return;
  def.form.sections = def.form.sections.filter((s) => s.fields.length > 0);
  if (!def.form.sections.length) delete def.form.sections;
  if (!Object.keys(def.form).length) delete def.form;
}

/** Makes a name unique among siblings: visitDate, visitDate2, … */
function uniqueName(base: string, taken: Record<string, unknown>): string {
  if (!(base in taken)) return base;
  for (let i = 2; ; i++) if (!(`${base}${i}` in taken)) return `${base}${i}`;
}

function sectionIndex(def: AppDefinition, raw: string | undefined, errors: Record<string, string>): number | null {
  const t = (raw ?? "").trim();
  if (!t) return null;
  const n = /^\d{1,3}$/.test(t) ? Number(t) : 0;
  if (n < 1 || n > (def.form?.sections?.length ?? 0)) {
    errors.section = `There is no section ${t} in this form.`;
    return null;
  }
  return n - 1;
}

/** Adds a field (any type but Section) to the draft. */
export function addField(draft: AppDefinition, input: FieldInput, ctx: EditContext): EditResult {
  const errors: Record<string, string> = {};
  const type = (input.type ?? "").trim();
  if (!isDesignerType(type) || type === "section") return { ok: false, errors: { type: "Pick a field type." } };
  const def = clone(draft);
  const parentPath = (input.parent ?? "").trim() ? input.parent!.trim().split(".") : [];
  const at = holderAt(def, parentPath);
  if (!at || (parentPath.length && !locate(def, parentPath.join(".")))) {
    return { ok: false, errors: { parent: "There is no such group or repeating rows field." } };
  }
  const title = (input.title ?? "").trim();
  if (!title) errors.title = "Give the field a label.";
  const properties = at.holder.properties ?? {};
  let name = (input.name ?? "").trim();
  if (!name && title) name = uniqueName(nameFromLabel(title), properties);
  else if (name && !FIELD_NAME.test(name))
    errors.name = "A name starts with a letter: letters, digits and _ (at most 64).";
  else if (name && properties[name]) errors.name = `There is already a field named "${name}" here.`;
  const section = parentPath.length ? null : sectionIndex(def, input.section, errors);
  const schema = buildSchema(type, input, undefined, properties, errors);
  if (Object.keys(errors).length) return { ok: false, errors };
  at.holder.properties = { ...properties, [name]: schema };
  setRequired(at.holder, name, isOn(input.required));
  const path = [...parentPath, name].join(".");
  setHelp(def, path, input.help);
  if (!parentPath.length && def.form?.sections?.length) {
    const target = def.form.sections[section ?? def.form.sections.length - 1]!;
    target.fields.push(name);
  }
  return finish(def, ctx, `Added "${title}".`, `${at.pointer}/properties/${escapePointer(name)}`, name);
}

/** Renames a top-level or nested field everywhere the definition names it. */
function renameEverywhere(def: AppDefinition, at: Located, to: string) {
  const from = at.name;
  const entries = Object.entries(at.holder.properties ?? {}).map(([k, v]) => [k === from ? to : k, v] as const);
  at.holder.properties = Object.fromEntries(entries);
  if (at.holder.required) at.holder.required = at.holder.required.map((n) => (n === from ? to : n));
  for (const sibling of Object.values(at.holder.properties)) {
    const rule = sibling?.["x-visibleWhen"];
    if (rule?.field === from) rule.field = to;
  }
  const prefix = [...at.parentPath, from].join(".");
  const renamed = [...at.parentPath, to].join(".");
  if (def.form?.help) {
    def.form.help = Object.fromEntries(
      Object.entries(def.form.help).map(([k, v]) => [
        k === prefix ? renamed : k.startsWith(`${prefix}.`) ? renamed + k.slice(prefix.length) : k,
        v,
      ]),
    );
  }
  if (at.parentPath.length) return;
  for (const s of def.form?.sections ?? [])
    s.fields = s.fields.map((n) => (n === from ? to : n)) as FormSection["fields"];
  if (def.list) {
    def.list.columns = def.list.columns.map((n) => (n === from ? to : n)) as ListView["columns"];
    if (def.list.searchable) def.list.searchable = def.list.searchable.map((n) => (n === from ? to : n));
    if (def.list.sort?.replace(/^-/, "") === from) def.list.sort = def.list.sort.replace(from, to);
  }
}

/**
 * Changes a field's properties. A system field keeps everything but its
 * label and help text (retyping or renaming it is refused); a name changes
 * only while the app has no records, since stored values are kept under it.
 */
export function updateField(draft: AppDefinition, path: string, posted: FieldInput, ctx: EditContext): EditResult {
  const def = clone(draft);
  const at = locate(def, path);
  if (!at) return { ok: false, errors: { _: "There is no such field." } };
  // A property not posted keeps its value (a client may send only what changes); a section only moves when sent.
  const { section: currentSection, ...kept } = fieldInputOf(draft, path)!;
  const input: FieldInput = { ...kept, ...posted };
  const errors: Record<string, string> = {};
  const currentType = designerTypeOf(at.field);
  const type = (input.type ?? currentType).trim();
  const newName = (input.name ?? at.name).trim() || at.name;
  const label = at.field.title ?? at.name;
  if (at.field["x-system"]) {
    if (type !== currentType)
      errors.type = `"${label}" is a system field (${at.field["x-system"]}): its type cannot change.`;
    if (newName !== at.name)
      errors.name = `"${label}" is a system field: the engine finds it by its name, which cannot change.`;
    if (Object.keys(errors).length) return { ok: false, errors };
    const title = (input.title ?? "").trim();
    if (title) at.field.title = title;
    else if (input.title !== undefined) return { ok: false, errors: { title: "Give the field a label." } };
    setHelp(def, path, input.help);
    return finish(def, ctx, `Saved "${at.field.title ?? at.name}".`, at.pointer, at.name);
  }
  if (!isDesignerType(type) || type === "section") return { ok: false, errors: { type: "Pick a field type." } };
  if (newName !== at.name) {
    if (ctx.recordCount > 0 && locate(ctx.published, path)) {
      errors.name = `${ctx.recordCount} stored record${ctx.recordCount === 1 ? " holds its value" : "s hold their values"} under "${at.name}", so the name cannot change once records exist. Change the label instead.`;
    } else if (!FIELD_NAME.test(newName))
      errors.name = "A name starts with a letter: letters, digits and _ (at most 64).";
    else if (at.holder.properties?.[newName]) errors.name = `There is already a field named "${newName}" here.`;
  }
  if (!(input.title ?? at.field.title ?? "").trim()) errors.title = "Give the field a label.";
  const siblings = at.holder.properties ?? {};
  const schema = buildSchema(
    type,
    { ...input, title: input.title ?? at.field.title ?? "" },
    at.field,
    siblings,
    errors,
  );
  const moveTo = input.section !== undefined && input.section.trim() !== currentSection ? input.section : undefined;
  const section = at.parentPath.length ? null : sectionIndex(def, moveTo, errors);
  if (Object.keys(errors).length) return { ok: false, errors };
  // Only a type change may change the JSON type; the breaking-change check refuses it on stored records.
  at.holder.properties![at.name] = schema;
  setRequired(at.holder, at.name, isOn(input.required));
  setHelp(def, path, input.help);
  if (section !== null && def.form?.sections) {
    for (const s of def.form.sections) s.fields = s.fields.filter((n) => n !== at.name) as FormSection["fields"];
    def.form.sections[section]!.fields.push(at.name);
    tidySections(def);
  }
  let pointer = at.pointer;
  if (newName !== at.name) {
    renameEverywhere(def, at, newName);
    pointer = pointer.replace(/[^/]+$/, escapePointer(newName));
  }
  return finish(def, ctx, `Saved "${schema.title ?? newName}".`, pointer, newName);
}

/**
 * Deletes a field from the form. Stored values stay in the records (the
 * store never drops keys it was not told about); the message says so.
 */
export function deleteField(draft: AppDefinition, path: string, ctx: EditContext): EditResult {
  const def = clone(draft);
  const at = locate(def, path);
  if (!at) return { ok: false, errors: { _: "There is no such field." } };
  const label = at.field.title ?? at.name;
  if (at.field["x-system"]) {
    return {
      ok: false,
      errors: {
        _: `"${label}" is a system field (${at.field["x-system"]}): it can be relabelled, moved and given help text, never deleted.`,
      },
    };
  }
  const dependant = Object.entries(at.holder.properties ?? {}).find(([, f]) => f?.["x-visibleWhen"]?.field === at.name);
  if (dependant) {
    return {
      ok: false,
      errors: {
        _: `"${dependant[1]!.title ?? dependant[0]}" is shown only when "${label}" has a value; change that rule first.`,
      },
    };
  }
  const rest = Object.fromEntries(Object.entries(at.holder.properties ?? {}).filter(([k]) => k !== at.name));
  at.holder.properties = rest;
  setRequired(at.holder, at.name, false);
  if (def.form?.help) {
    for (const k of Object.keys(def.form.help)) if (k === path || k.startsWith(`${path}.`)) delete def.form.help[k];
    if (!Object.keys(def.form.help).length) delete def.form.help;
  }
  if (!at.parentPath.length) {
    for (const s of def.form?.sections ?? []) s.fields = s.fields.filter((n) => n !== at.name) as FormSection["fields"];
    tidySections(def);
    if (def.list) {
      const columns = def.list.columns.filter((n) => n !== at.name);
      const searchable = (def.list.searchable ?? []).filter((n) => n !== at.name);
      if (def.list.sort?.replace(/^-/, "") === at.name) delete def.list.sort;
      if (def.list.searchable) def.list.searchable = searchable;
      if (columns.length) def.list.columns = columns as ListView["columns"];
      else delete def.list;
    }
  }
  const kept =
    ctx.recordCount > 0
      ? ` Values already stored under "${at.name}" are kept in the ${ctx.recordCount} record${ctx.recordCount === 1 ? "" : "s"}; they are no longer shown.`
      : " Values stored under its name, if any, are kept in the records.";
  const result = finish(def, ctx, `Deleted "${label}".${kept}`);
  if (!result.ok && result.errors._?.includes("/record/properties: must NOT have fewer than 1")) {
    return { ok: false, errors: { _: "An app needs at least one field: add another before deleting this one." } };
  }
  return result;
}

/** The top-level fields in form order, grouped by section (the last group: fields in no section). */
function groups(def: AppDefinition): { section: number | null; fields: string[] }[] {
  const sections = def.form?.sections ?? [];
  const placed = new Set(sections.flatMap((s) => s.fields));
  const out: { section: number | null; fields: string[] }[] = sections.map((s, i) => ({
    section: i,
    fields: [...s.fields],
  }));
  out.push({ section: null, fields: Object.keys(def.record.properties).filter((n) => !placed.has(n)) });
  return out;
}

function applyGroups(def: AppDefinition, gs: { section: number | null; fields: string[] }[]) {
  const sections = def.form?.sections ?? [];
  gs.forEach((g) => {
    if (g.section !== null) sections[g.section]!.fields = g.fields as FormSection["fields"];
  });
  const order = gs.flatMap((g) => g.fields);
  def.record.properties = Object.fromEntries(order.map((n) => [n, def.record.properties[n]]));
  tidySections(def);
}

/**
 * Where to move a field: a step up or down, before another field, to the end
 * of a section (1-based; 0: the fields in no section), or last among its
 * siblings (drag and drop onto the end of a group's list).
 */
export type Move = { direction: "up" | "down" } | { before: string } | { section: number } | { last: true };

/** Moves a field; a step past a section's edge moves it into the neighbouring section. */
export function moveField(draft: AppDefinition, path: string, move: Move, ctx: EditContext): EditResult {
  const def = clone(draft);
  const at = locate(def, path);
  if (!at) return { ok: false, errors: { _: "There is no such field." } };
  const label = at.field.title ?? at.name;
  if (at.parentPath.length) {
    const names = Object.keys(at.holder.properties ?? {});
    const i = names.indexOf(at.name);
    names.splice(i, 1);
    let to: number;
    if ("direction" in move) to = move.direction === "up" ? i - 1 : i + 1;
    else if ("before" in move) to = names.indexOf(move.before);
    else if ("last" in move) to = names.length;
    else return { ok: false, errors: { section: "Fields of a group stay in their group." } };
    if (to < 0 || to > names.length) {
      return {
        ok: false,
        errors: {
          _: "before" in move ? `There is no field "${move.before}" beside it.` : `"${label}" cannot move further.`,
        },
      };
    }
    names.splice(to, 0, at.name);
    at.holder.properties = Object.fromEntries(names.map((n) => [n, at.holder.properties![n]]));
    return finish(def, ctx, `Moved "${label}".`);
  }
  const gs = groups(def);
  const g = gs.findIndex((x) => x.fields.includes(at.name));
  const i = gs[g]!.fields.indexOf(at.name);
  gs[g]!.fields.splice(i, 1);
  if ("direction" in move) {
    if (move.direction === "up") {
      if (i > 0) gs[g]!.fields.splice(i - 1, 0, at.name);
      else {
        const prev = g - 1;
        if (prev < 0) return { ok: false, errors: { _: `"${label}" is already first.` } };
        gs[prev]!.fields.push(at.name);
      }
    } else if (i < gs[g]!.fields.length) gs[g]!.fields.splice(i + 1, 0, at.name);
    else {
      const next = g + 1 < gs.length && (gs[g + 1]!.section !== null || gs[g + 1]!.fields.length) ? g + 1 : -1;
      if (next < 0) return { ok: false, errors: { _: `"${label}" is already last.` } };
      gs[next]!.fields.unshift(at.name);
    }
  } else if ("before" in move) {
    const tg = gs.findIndex((x) => x.fields.includes(move.before));
    if (tg < 0) return { ok: false, errors: { before: `There is no field "${move.before}" in the form.` } };
    gs[tg]!.fields.splice(gs[tg]!.fields.indexOf(move.before), 0, at.name);
  } else if ("last" in move) {
    gs[g]!.fields.push(at.name);
  } else {
    const target = move.section === 0 ? gs.at(-1) : gs.find((x) => x.section === move.section - 1);
    if (!target) return { ok: false, errors: { section: `There is no section ${move.section} in this form.` } };
    target.fields.push(at.name);
  }
  applyGroups(def, gs);
  return finish(def, ctx, `Moved "${label}".`);
}

/** Adds a Section: a titled part of the form holding the picked fields (or, if none are picked, the fields in no section yet). */
export function addSection(
  draft: AppDefinition,
  input: { title?: string; fields: string[] },
  ctx: EditContext,
): EditResult {
  const def = clone(draft);
  const title = (input.title ?? "").trim();
  if (!title) return { ok: false, errors: { title: "Give the section a title." } };
  const gs = groups(def);
  const picked = input.fields.length ? input.fields : gs.at(-1)!.fields;
  const unknown = picked.find((n) => !def.record.properties[n]);
  if (unknown) return { ok: false, errors: { fields: `There is no field "${unknown}" in the form.` } };
  if (!picked.length) {
    return { ok: false, errors: { fields: "A section holds at least one field: pick the fields it starts with." } };
  }
  def.form = { ...(def.form ?? {}) };
  const sections = (def.form.sections ?? []).map((s): FormSection => ({
    ...s,
    fields: s.fields.filter((n) => !picked.includes(n)) as FormSection["fields"],
  }));
  sections.push({ title, fields: picked as FormSection["fields"] });
  def.form.sections = sections;
  tidySections(def);
  const placedOrder = def.form?.sections?.flatMap((s) => s.fields) ?? [];
  const restOrder = Object.keys(def.record.properties).filter((n) => !placedOrder.includes(n));
  def.record.properties = Object.fromEntries([...placedOrder, ...restOrder].map((n) => [n, def.record.properties[n]]));
  return finish(def, ctx, `Added the section "${title}".`);
}

/** Changes the list view: its columns, the fields a search looks in, and the default sort ("name" or "-name"). */
export function setList(
  draft: AppDefinition,
  input: { columns: string[]; searchable: string[]; sort: string },
  ctx: EditContext,
): EditResult {
  const def = clone(draft);
  if (!input.columns.length) return { ok: false, errors: { columns: "Pick at least one column." } };
  const list: ListView = { ...(def.list ?? {}), columns: input.columns as ListView["columns"] };
  if (input.searchable.length) list.searchable = input.searchable;
  else delete list.searchable;
  if (input.sort.trim()) list.sort = input.sort.trim();
  else delete list.sort;
  def.list = list;
  return finish(def, ctx, "Saved the list.");
}

/** Changes the app's title, description and who may open it (administrators only, or every signed-in user). */
export function setSettings(
  draft: AppDefinition,
  input: { title: string; description: string; adminOnly: boolean },
  ctx: EditContext,
): EditResult {
  const def = clone(draft);
  def.title = input.title.trim();
  if (input.description.trim()) def.description = input.description.trim();
  else delete def.description;
  if (input.adminOnly) def.adminOnly = true;
  else delete def.adminOnly;
  return finish(def, ctx, "Saved the settings.");
}
