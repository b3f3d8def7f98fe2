import { recordsHolding } from "./stored-values.js";
import { hold, storedRecords } from "./definition-changes.js";
import type { AppDefinition, FieldSchema, ListView } from "../schema/types.js";
import {
  clone,
  fieldInputOf,
  finish,
  holderAt,
  isOn,
  locate,
  sectionIndex,
  setHelp,
  setRequired,
  tidySections,
  type EditContext,
  type EditResult,
  type FieldInput,
  type Located,
} from "./designer-edits.js";
import {
  designerTypeOf,
  fieldTypeInfo,
  isDesignerType,
  nameFromLabel,
  parseOptions,
  scalarFor,
  schemaForType,
  type DesignerFieldType,
} from "./field-types.js";
import { RESERVED_FIELD_NAMES as RESERVED_NAMES } from "../schema/field-nodes.js";
import { escapePointer, FIELD_NAME } from "../schema/identifiers.js";
import { defaultProblem, reservedNameMessage, unknownValues, visibleValueProblem } from "./designer-field-checks.js";
import { plural } from "../util/plural.js";

// The visual designer's changes to one field: add, change (rename, retype), delete. Pure
// functions from the draft to the next draft, checked by finish() like every change.

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
  const placeholder = (input.placeholder ?? "").trim();
  if (has("placeholder") && placeholder) f["x-placeholder"] = placeholder;
  if (isOn(input.readOnly)) f.readOnly = true;
  const control = (input.visibleField ?? "").trim();
  if (control && has("visibleWhen")) {
    const controlling = Object.hasOwn(siblings, control) ? siblings[control] : undefined;
    const raw = input.visibleValue ?? "";
    // An unknown field is left to the definition check, which names it on this form field.
    const value = controlling ? scalarFor(controlling.type, raw) : raw;
    const problem =
      controlling && value !== undefined
        ? visibleValueProblem(controlling, value, `"${controlling.title ?? control}"`)
        : null;
    if (value === undefined)
      errors.visibleValue = `"${control}" holds ${controlling!.type === "boolean" ? "yes/no: give true or false" : "numbers: give a number"}.`;
    else if (problem) errors.visibleValue = problem;
    else f["x-visibleWhen"] = { field: control, equals: value };
  }
  const wrongDefault = errors.default ? null : defaultProblem(f);
  if (wrongDefault) errors.default = wrongDefault;
  return f;
}
/**
 * Why a field keeps its name: "1 stored record holds a value under "notes"" (only the records
 * holding a value count; a nested field: those holding its top-level field, which may hold one), or
 * that the app has records, when none holds a value under it.
 */
function nameKeeper(ctx: EditContext, at: Located): string {
  const path = [...at.parentPath, at.name].join(".");
  const held = ctx.stored ? recordsHolding(ctx.stored, at.parentPath[0] ?? at.name) : ctx.recordCount;
  if (held === 0) return `The app has ${storedRecords(ctx.recordCount)} (none with a value under "${path}")`;
  if (at.parentPath.length) return `${storedRecords(held)} may hold a value under "${path}"`;
  return `${hold(held)} a value under "${path}"`;
}

/** Makes a name unique among siblings: visitDate, visitDate2, … */
function uniqueName(base: string, taken: Record<string, unknown>): string {
  const free = (n: string) => !Object.hasOwn(taken, n) && !RESERVED_NAMES.has(n);
  if (free(base)) return base;
  for (let i = 2; ; i++) if (free(`${base}${i}`)) return `${base}${i}`;
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
  else if (name && RESERVED_NAMES.has(name)) errors.name = reservedNameMessage(name);
  else if (name && Object.hasOwn(properties, name)) errors.name = `There is already a field named "${name}" here.`;
  Object.assign(errors, unknownValues(input, false));
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
  for (const s of def.form?.sections ?? []) s.fields = s.fields.map((n) => (n === from ? to : n));
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
  Object.assign(errors, unknownValues(posted, !!at.field["x-system"]));
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
      errors.name = `${nameKeeper(ctx, at)}, so the name cannot change once records exist. Change the label instead.`;
    } else if (!FIELD_NAME.test(newName))
      errors.name = "A name starts with a letter: letters, digits and _ (at most 64).";
    else if (RESERVED_NAMES.has(newName)) errors.name = reservedNameMessage(newName);
    else if (Object.hasOwn(at.holder.properties ?? {}, newName))
      errors.name = `There is already a field named "${newName}" here.`;
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
    for (const s of def.form.sections) s.fields = s.fields.filter((n) => n !== at.name);
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
    for (const s of def.form?.sections ?? []) s.fields = s.fields.filter((n) => n !== at.name);
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
  // Only the records holding a value count (a nested field: those holding its top-level field).
  const held = ctx.stored ? recordsHolding(ctx.stored, at.parentPath[0] ?? at.name) : ctx.recordCount;
  const may = at.parentPath.length ? "may hold" : held === 1 ? "holds" : "hold";
  const kept =
    held > 0
      ? ` Values already stored under "${at.name}" are kept in the ${plural(held, "record")} that ${may} one; they are no longer shown.`
      : ctx.recordCount > 0
        ? ` No record holds a value under "${at.name}".`
        : " Values stored under its name, if any, are kept in the records.";
  const result = finish(def, ctx, `Deleted "${label}".${kept}`);
  if (!result.ok && result.errors._?.includes("/record/properties: must NOT have fewer than 1")) {
    return { ok: false, errors: { _: "An app needs at least one field: add another before deleting this one." } };
  }
  return result;
}
