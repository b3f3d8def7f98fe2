// A new definition against the values records already hold: one whose field rules would refuse
// values stored in a site's records of the app (a format, a limit, a pattern, a field made required
// while records lack it, free text made a Choice) is refused, with a message per field saying in
// how many records and why, wherever a definition changes (a designer save, Publish, the JSON
// editor, Restore). Only the fields whose rules change are read, grouped by value in SQL; each
// distinct value is validated with the field's old and new rules (the record validators' schema,
// schema/record-validation.ts, on the shared Ajv). A value the old rules refused already (a kept
// removed option) is not the change's doing, and a removed option is Publish's keep/change question
// (choice-remap.ts), not a refusal.
import type { ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import type { Db } from "../db/db.js";
import { ValidationError } from "../errors.js";
import { compileSchema, errorPointer } from "../schema/ajv.js";
import type { DefinitionProblem } from "../schema/app-definition.js";
import { optionsOf } from "../schema/field-nodes.js";
import { atPointer, escapePointer, unescapePointer } from "../schema/identifiers.js";
import { formatName, validationSchema } from "../schema/record-validation.js";
import type { AppDefinition, AppFieldMap, FieldSchema } from "../schema/types.js";
import type { CompiledApp } from "./compiled-app.js";
import { aTypeName, breakingChanges, storedRecords } from "./definition-changes.js";
import { locate } from "./designer-edits.js";
import { designerTypeOf, fieldTypeInfo } from "./field-types.js";
import { recordCount, recordSource, recordsHolding, storedValueTypes, type StoredValueTypes } from "./stored-values.js";

type Json = Record<string, unknown>;

/** Keywords that describe a value rather than restrict it: left out when two fields' rules are compared. */
const ANNOTATIONS = new Set([
  "title",
  "description",
  "default",
  "$comment",
  "examples",
  "readOnly",
  "writeOnly",
  "x-widget",
  "x-placeholder",
  "x-visibleWhen",
  "x-system",
]);

/** A schema's rules, keys sorted, annotations left out: equal results validate alike. */
function rulesOf(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(rulesOf);
  if (v === null || typeof v !== "object") return v;
  const out: Json = {};
  for (const k of Object.keys(v).sort()) {
    const x = (v as Json)[k];
    if (k === "properties") {
      const props = x as Json;
      out[k] = Object.fromEntries(
        Object.keys(props)
          .sort()
          .map((n) => [n, rulesOf(props[n])]),
      );
    } else if (!ANNOTATIONS.has(k)) out[k] = k === "enum" || k === "const" ? x : rulesOf(x);
  }
  return out;
}

/**
 * The rules a top-level field's stored value meets on an edit (the edit validator's, for this field
 * alone): its schema with the engine's bounds, required (while shown, for a field with Visible
 * when: the projection then holds the controlling field's value too, unchecked). Null for a system
 * field (its value lives in the users table's columns, and its rules are fixed) and a missing one.
 */
function projection(def: AppDefinition, name: string): { schema: Json; control?: string } | null {
  const props = def.record.properties;
  const f = Object.hasOwn(props, name) ? props[name] : undefined;
  if (!f || f["x-system"]) return null;
  const rule = f["x-visibleWhen"];
  const control = rule && rule.field !== name && Object.hasOwn(props, rule.field) ? rule.field : undefined;
  const properties: AppFieldMap = { [name]: f };
  if (control) properties[control] = props[control];
  const required = (def.record.required ?? []).includes(name) ? { required: [name] } : {};
  const schema = validationSchema({ type: "object", properties, ...required }, "edit");
  delete schema.additionalProperties;
  if (control) (schema.properties as Json)[control] = true;
  return control ? { schema, control } : { schema };
}

/** A top-level field whose rules change: its name, the field its required-ness depends on, old and new rules. */
interface Checked {
  name: string;
  control?: string;
  next: ValidateFunction;
  /** Null for a field the old version did not have. */
  prev: ValidateFunction | null;
}

/** Why some stored values of one field fail its new rules: the Ajv keyword, how many records, an example. */
interface Finding {
  /** The field's dot path ("checklist.score"). */
  path: string;
  keyword: string;
  records: number;
  params: Record<string, unknown>;
  /** The lowest or highest number, shortest or longest text, of the values concerned. */
  extreme?: number;
  /** The first few distinct values concerned (for options). */
  values: unknown[];
}

const compile = (schema: Json) => compileSchema(schema, { transient: true });

function changedFields(before: AppDefinition, after: AppDefinition, opts: StoredValueCheckOptions): Checked[] {
  const out: Checked[] = [];
  for (const name of Object.keys(after.record.properties)) {
    const at = `/record/properties/${escapePointer(name)}`;
    if (opts.skip?.some((p) => p.pointer === at || p.pointer.startsWith(`${at}/`))) continue;
    const next = projection(after, name);
    if (!next) continue;
    const rules = JSON.stringify(rulesOf(next.schema));
    const prev = projection(before, name);
    if (prev && JSON.stringify(rulesOf(prev.schema)) === rules) continue;
    const since = opts.since && projection(opts.since, name);
    if (since && JSON.stringify(rulesOf(since.schema)) === rules) continue;
    // No record holds a value, and the field is not required: no stored value can fail it.
    const required = "required" in next.schema || "allOf" in next.schema;
    if (opts.stored && !required && recordsHolding(opts.stored, name) === 0) continue;
    const c: Checked = { name, next: compile(next.schema), prev: prev ? compile(prev.schema) : null };
    if (next.control) c.control = next.control;
    out.push(c);
  }
  return out;
}

/** The stored values of `names` (top-level keys) as objects, each distinct one once with how many records hold it. */
async function storedValues(db: Db, app: CompiledApp, siteId: string, names: string[]) {
  const src = recordSource(app, siteId);
  const columns = names.map((_, i) => `data -> $${src.params.length + i + 1}::text AS k${i}`);
  const { rows } = await db.query<Record<string, unknown> & { n: number }>(
    `SELECT ${columns.join(", ")}, count(*)::int AS n FROM ${src.table} WHERE ${src.where}
     GROUP BY ${names.map((_, i) => i + 1).join(", ")}`,
    [...src.params, ...names],
  );
  return rows.map((r) => {
    const v: Json = {};
    // A JSON null and the empty string hold nothing (as storedValueTypes counts them): a form sends neither.
    names.forEach((name, i) => {
      const x = r[`k${i}`];
      if (x !== null && x !== undefined && x !== "") v[name] = x;
    });
    return { v, n: r.n };
  });
}

const IGNORED = new Set([
  "if", // the then-branch's own error (required) says it
  "additionalProperties", // a nested field removed: its values stay, as a top-level field's do
]);

/** Errors about the field `name` (its value, or it missing), by their JSON Pointer. */
function errorsOf(validate: ValidateFunction, value: Json, name: string): ErrorObject[] {
  if (validate(value)) return [];
  const at = `/${escapePointer(name)}`;
  return (validate.errors ?? []).filter((e) => {
    const p = errorPointer(e);
    return !IGNORED.has(e.keyword) && (p === at || p.startsWith(`${at}/`));
  });
}

const tokens = (pointer: string) => pointer.split("/").slice(1).map(unescapePointer);
/** The field a value's pointer names: "/checklist/0/score" is "checklist.score" (field names never are digits). */
const fieldPath = (pointer: string) =>
  tokens(pointer)
    .filter((t) => !/^\d+$/.test(t))
    .join(".");

const CHOICE_KEYWORDS = new Set(["enum", "const"]);
/** Whether the field at `path` offers options (a Choice, or a Multiple choice's items). */
function isChoice(def: AppDefinition, path: string): boolean {
  const f = locate(def, path)?.field;
  return !!f && !!(optionsOf(f) ?? (f.type === "array" && f.items ? optionsOf(f.items) : undefined));
}

/** What a value of a finding measures: the number itself, a text's length in characters, a list's length. */
function measure(keyword: string, v: unknown): number | undefined {
  if (/imum$/.test(keyword)) return typeof v === "number" ? v : undefined;
  if (/Length$/.test(keyword)) return typeof v === "string" ? [...v].length : undefined;
  if (/Items$/.test(keyword)) return Array.isArray(v) ? v.length : undefined;
  return undefined;
}

function note(f: Finding, value: unknown) {
  const m = measure(f.keyword, value);
  if (m !== undefined) {
    const low = /^(minimum|exclusiveMinimum|minLength|minItems)$/.test(f.keyword);
    f.extreme = f.extreme === undefined ? m : low ? Math.min(f.extreme, m) : Math.max(f.extreme, m);
  }
  if (CHOICE_KEYWORDS.has(f.keyword) && f.values.length < 4 && !f.values.includes(value)) f.values.push(value);
}

function findings(c: Checked, before: AppDefinition, rows: { v: Json; n: number }[]): Finding[] {
  const found = new Map<string, Finding>();
  for (const row of rows) {
    const fresh = errorsOf(c.next, row.v, c.name);
    if (!fresh.length) continue;
    // What the old rules refused already is not this change's doing.
    const old = new Set(c.prev ? errorsOf(c.prev, row.v, c.name).map(errorPointer) : []);
    const counted = new Set<Finding>();
    for (const e of fresh) {
      const pointer = errorPointer(e);
      const path = fieldPath(pointer);
      if (old.has(pointer) || (CHOICE_KEYWORDS.has(e.keyword) && isChoice(before, path))) continue;
      const key = `${path} ${e.keyword}`;
      let f = found.get(key);
      if (!f) found.set(key, (f = { path, keyword: e.keyword, records: 0, params: e.params, values: [] }));
      if (!counted.has(f)) f.records += row.n;
      counted.add(f);
      note(f, atPointer(row.v, pointer));
    }
  }
  return [...found.values()];
}

const quoted = (values: unknown[]) =>
  values
    .slice(0, 3)
    .map((v) => JSON.stringify(v))
    .join(", ") + (values.length > 3 ? ", …" : "");

/** The sentence after the subject ("holds a value below …") and what to do, for one finding. */
function wording(f: Finding, next: FieldSchema, prev: FieldSchema | undefined): [string, string] {
  const one = f.records === 1;
  const holds = one ? "holds a value" : "hold values";
  const are = one ? "is" : "are";
  const change = `Change ${one ? "that record" : "those records"} first`;
  const limit = `${change}, or keep the limit.`;
  const keepType = prev ? `keep the type ${fieldTypeInfo(designerTypeOf(prev)).label}` : "choose another type";
  const p = f.params as { limit?: number; pattern?: string; format?: string; multipleOf?: number };
  const list = one ? "a list" : "lists";
  switch (f.keyword) {
    case "minimum":
      return [`${holds} below the new minimum ${p.limit} (the lowest is ${f.extreme})`, limit];
    case "exclusiveMinimum":
      return [
        `${holds} of ${p.limit} or less, below the new limit (more than ${p.limit}; the lowest is ${f.extreme})`,
        limit,
      ];
    case "maximum":
      return [`${holds} above the new maximum ${p.limit} (the highest is ${f.extreme})`, limit];
    case "exclusiveMaximum":
      return [
        `${holds} of ${p.limit} or more, above the new limit (less than ${p.limit}; the highest is ${f.extreme})`,
        limit,
      ];
    case "maxLength":
      return [
        `${one ? "holds" : "hold"} text longer than the new maximum length ${p.limit} (the longest has ${f.extreme} characters)`,
        limit,
      ];
    case "minLength":
      return [
        `${one ? "holds" : "hold"} text shorter than the new minimum length ${p.limit} (the shortest has ${f.extreme} character${f.extreme === 1 ? "" : "s"})`,
        limit,
      ];
    case "pattern":
      return [
        `${one ? "holds" : "hold"} text that does not match the new pattern ${p.pattern}`,
        `${change}, or keep the pattern.`,
      ];
    case "format":
      return [
        `${holds} that ${are} not ${formatName(p.format ?? "")}, which ${aTypeName(next)} field cannot show`,
        `${change}, or ${keepType}.`,
      ];
    case "enum":
    case "const": {
      const add = f.values.length === 1 ? "add it as an option" : "add them as options";
      return [`${holds} that ${are} none of the options (${quoted(f.values)})`, `${change}, ${add}, or ${keepType}.`];
    }
    case "required": {
      const shown = next["x-visibleWhen"] ? " while it is shown" : "";
      const then = prev
        ? `Fill ${one ? "it" : "them"} in first, or leave the field optional.`
        : "Add the field as optional first, fill it in, then make it required.";
      return [`${one ? "has" : "have"} no value${shown}, and a required field needs one`, then];
    }
    case "type":
      return [`${holds} of another type, which ${aTypeName(next)} field cannot show`, `${change}, or ${keepType}.`];
    case "multipleOf":
      return [`${holds} that ${are} not a multiple of ${p.multipleOf}`, limit];
    case "minItems":
      return [`${one ? "holds" : "hold"} ${list} of fewer than ${p.limit} entries`, limit];
    case "maxItems":
      return [`${one ? "holds" : "hold"} ${list} of more than ${p.limit} entries`, limit];
    case "uniqueItems":
      return [`${one ? "holds" : "hold"} ${list} naming an entry twice`, limit];
    default:
      return [`${holds} that the new rules refuse (${f.keyword})`, `${change}, or keep the field as it was.`];
  }
}

/** The problem of one finding, at the keyword of the field it concerns (the required list for `required`). */
function problemOf(f: Finding, before: AppDefinition, after: AppDefinition): DefinitionProblem {
  const at = locate(after, f.path)!;
  const parts = f.path.split(".");
  const label = parts.map((_, i) => {
    const field = locate(after, parts.slice(0, i + 1).join("."))?.field;
    return field?.title ?? parts[i]!;
  });
  const [what, then] = wording(f, at.field, locate(before, f.path)?.field);
  let pointer = `${at.pointer}/${f.keyword}`;
  if (CHOICE_KEYWORDS.has(f.keyword)) {
    const holder = at.field.type === "array" && at.field.items ? at.field.items : at.field;
    pointer = `${at.pointer}${holder === at.field ? "" : "/items"}/${holder.oneOf ? "oneOf" : "enum"}`;
  }
  if (f.keyword === "required") {
    const holderPointer = at.pointer.slice(0, at.pointer.lastIndexOf("/properties/"));
    pointer = `${holderPointer}/required/${(at.holder.required ?? []).indexOf(at.name)}`;
  }
  return { pointer, message: `"${label.join(" › ")}": ${storedRecords(f.records)} ${what}. ${then}` };
}

/** What storedValueProblems checks, beyond the two definitions. */
export interface StoredValueCheckOptions {
  /** Problems already found (breakingChanges): a field they name is not checked again. */
  skip?: readonly DefinitionProblem[];
  /** The draft being replaced: only fields whose rules differ from it too are checked (a designer save). */
  since?: AppDefinition;
  /** What the records hold (storedValueTypes): a field no record holds a value of is read only if required. */
  stored?: StoredValueTypes;
}

/**
 * Why `after` would refuse values the records of `app` on a site hold, which `before` (the
 * published version) accepts: one problem per field and reason, in field order, or none. Reads only
 * the fields whose rules change (one grouped query each), with `db` (a transaction's at Publish).
 */
export async function storedValueProblems(
  db: Db,
  app: CompiledApp,
  siteId: string,
  before: AppDefinition,
  after: AppDefinition,
  opts: StoredValueCheckOptions = {},
): Promise<DefinitionProblem[]> {
  const out: DefinitionProblem[] = [];
  for (const c of changedFields(before, after, opts)) {
    const rows = await storedValues(db, app, siteId, c.control ? [c.name, c.control] : [c.name]);
    for (const f of findings(c, before, rows)) out.push(problemOf(f, before, after));
  }
  return out;
}

/**
 * Everything that stops `after` from replacing `before` for the records of `app` on a site, read
 * with `db`: the breaking changes (types, system fields, stores) and the stored values the new
 * rules would refuse.
 */
export async function changeProblems(
  db: Db,
  app: CompiledApp,
  siteId: string,
  before: AppDefinition,
  after: AppDefinition,
): Promise<DefinitionProblem[]> {
  const count = await recordCount(db, app, siteId);
  const stored = count > 0 ? await storedValueTypes(db, app, siteId) : undefined;
  const out = breakingChanges(before, after, count, stored);
  if (stored) out.push(...(await storedValueProblems(db, app, siteId, before, after, { skip: out, stored })));
  return out;
}

/** A new version refused for what it would break (or its own problems): nothing of it was saved (HTTP 422). */
export class DefinitionRefused extends ValidationError {
  constructor(readonly problems: DefinitionProblem[]) {
    super(
      `Nothing was published: ${problems.map((p) => p.message.charAt(0).toUpperCase() + p.message.slice(1)).join(" ")}`,
    );
  }
}
