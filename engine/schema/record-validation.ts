import type { ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import { compileSchema, describeError, errorPointer } from "./ajv.js";
import { findField, type FieldNode } from "./field-nodes.js";
import { unescapePointer } from "./identifiers.js";
import type { FieldSchema, RecordSchema } from "./types.js";
import { UNSTORABLE_TEXT_MESSAGE } from "../util/storable-text.js";

/** Strings without a maxLength are bounded all the same, so no field can take megabytes. */
export const DEFAULT_MAX_STRING = 10_000;
/**
 * Largest number of items an array field accepts when its schema sets no `maxItems`, so a post
 * cannot grow a record without bound.
 */
export const DEFAULT_MAX_ITEMS = 200;

/** Whether a record form creates a record or edits one: required fields and writeOnly fields differ. */
export type FormMode = "create" | "edit";

/** One message per field, keyed by the field's dot path ("checklist.0.item"); FORM_ERROR is for the whole form. */
export type FieldErrors = Record<string, string>;
/** The error key of a message about the whole form rather than one field (the empty path). */
export const FORM_ERROR = "";

/**
 * The compiled Ajv validators (draft 2020-12) of an app's record, one for creating and one for
 * editing.
 */
export interface RecordValidators {
  create: ValidateFunction;
  edit: ValidateFunction;
}

type Json = Record<string, unknown>;

function transformObject(
  properties: Record<string, FieldSchema | undefined>,
  required: string[],
  mode: FormMode,
): Json {
  const props: Json = {};
  const req: string[] = [];
  const conditions: Json[] = [];
  for (const [name, f] of Object.entries(properties)) {
    if (!f) continue;
    props[name] = transformField(f, mode);
    // Read-only fields are never posted; a blank password on edit means "unchanged".
    const exempt = f.readOnly === true || (mode === "edit" && f.writeOnly === true);
    if (!required.includes(name) || exempt) continue;
    const rule = f["x-visibleWhen"];
    if (!rule) {
      req.push(name);
      continue;
    }
    // A conditional field is required only while it is shown.
    const test = "equals" in rule ? { const: rule.equals } : { enum: rule.in };
    conditions.push({
      if: { type: "object", properties: { [rule.field]: test }, required: [rule.field] },
      then: { type: "object", properties: { [name]: true }, required: [name] },
    });
  }
  const out: Json = { type: "object", properties: props, additionalProperties: false };
  if (req.length) out.required = req;
  if (conditions.length) out.allOf = conditions;
  return out;
}

function transformField(f: FieldSchema, mode: FormMode): Json {
  const out: Json = { ...f };
  // A select's oneOf of {const, title} is an enum for validation: one clear error, not one per option.
  if (f.oneOf) {
    delete out.oneOf;
    out.enum = f.oneOf.map((o) => o.const);
  }
  if (f.type === "string" && f.maxLength === undefined) out.maxLength = DEFAULT_MAX_STRING;
  if (f.type === "array") {
    if (f.maxItems === undefined) out.maxItems = DEFAULT_MAX_ITEMS;
    if (f.items) out.items = transformField(f.items, mode);
  }
  if (f.type === "object") Object.assign(out, transformObject(f.properties ?? {}, f.required ?? [], mode));
  return out;
}

/** The schema a posted record is validated with: the definition's, with the engine's bounds and form rules. */
export function validationSchema(record: RecordSchema, mode: FormMode): Json {
  return transformObject(record.properties, record.required ?? [], mode);
}

/**
 * The create and edit validators, compiled with the shared strict Ajv once per
 * record schema (checking a definition and serving it reuse them) or generated
 * at build time for the built-in apps. Ajv's own cache drops the schema
 * objects at once: definitions change while the server runs (designer).
 * Throws Ajv's error for a schema strict mode refuses.
 */
export function compileRecordValidators(record: RecordSchema): RecordValidators {
  const compile = (mode: FormMode) => compileSchema(validationSchema(record, mode), { transient: true });
  return { create: compile("create"), edit: compile("edit") };
}

function formatName(format: string): string {
  switch (format) {
    case "email":
      return "an email address";
    case "uri":
      return "a full web address (https://…)";
    case "date":
      return "a date (YYYY-MM-DD)";
    case "date-time":
      return "a date and time";
    default:
      return `a valid ${format}`;
  }
}

function describeForField(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "required":
      return "is required";
    case "type": {
      const t = p.type as string;
      return t === "integer"
        ? "must be a whole number"
        : t === "number"
          ? "must be a number"
          : t === "boolean"
            ? "must be yes or no"
            : t === "string"
              ? "must be text"
              : `must be ${t === "array" ? "a list" : "a group of fields"}`;
    }
    case "enum":
      return "must be one of the options";
    case "format":
      return `must be ${formatName(p.format as string)}`;
    case "exclusiveMinimum":
      return `must be more than ${p.limit as number}`;
    case "exclusiveMaximum":
      return `must be less than ${p.limit as number}`;
    case "multipleOf":
      return `must be a multiple of ${p.multipleOf as number}`;
    case "minItems":
      return `needs at least ${p.limit as number} ${p.limit === 1 ? "entry" : "entries"}`;
    case "maxItems":
      return `takes at most ${p.limit as number} entries`;
    case "uniqueItems":
      return "must not list the same entry twice";
    case "pattern":
      return "does not have the expected format";
    default:
      return describeError(e);
  }
}

/**
 * A number of the wrong type names the field's range when it has one: a value too long to read as
 * a number ("99999999999999999999" stays text, see form-post.ts) gets "must be a whole number from
 * 0 to 3650" ("a number more than 0 and less than 1" for exclusive bounds), not a bare "must be a
 * whole number" that the digits seem to satisfy.
 */
function withRange(message: string, e: ErrorObject, schema: FieldSchema): string {
  const type = (e.params as { type?: unknown }).type;
  if (e.keyword !== "type" || (type !== "integer" && type !== "number")) return message;
  const b = schema as { minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number };
  if (b.minimum !== undefined && b.maximum !== undefined) return `${message} from ${b.minimum} to ${b.maximum}`;
  const lower =
    b.minimum !== undefined
      ? `at least ${b.minimum}`
      : b.exclusiveMinimum !== undefined
        ? `more than ${b.exclusiveMinimum}`
        : "";
  const upper =
    b.maximum !== undefined
      ? `at most ${b.maximum}`
      : b.exclusiveMaximum !== undefined
        ? `less than ${b.exclusiveMaximum}`
        : "";
  const range = [lower, upper].filter(Boolean).join(" and ");
  return range ? `${message} ${range}` : message;
}

/** Maps Ajv errors to one plain message per field slot; what belongs to no field goes to FORM_ERROR. */
export function fieldErrors(errors: readonly ErrorObject[] | null | undefined, fields: FieldNode[]): FieldErrors {
  const out: FieldErrors = {};
  for (const e of errors ?? []) {
    if (e.keyword === "if") continue; // the then-branch's own error says which field
    if (e.keyword === "additionalProperties") {
      const name = (e.params as { additionalProperty: string }).additionalProperty;
      out[FORM_ERROR] ??= `The form sent an unknown field "${name}".`;
      continue;
    }
    const pointer = errorPointer(e);
    let path = pointer.split("/").slice(1).map(unescapePointer).join(".");
    const node = path ? findField(fields, path) : undefined;
    // A checkbox group or multi-select has one slot for the whole list.
    if (node && (node.widget === "checkboxes" || node.widget === "multiselect")) path = path.replace(/(\.\d+)+$/, "");
    if (!node) {
      out[FORM_ERROR] ??= `${pointer || "The record"} ${describeForField(e)}.`;
      continue;
    }
    out[path] ??= `${node.label} ${withRange(describeForField(e), e, node.schema)}.`;
  }
  return out;
}

/**
 * Messages for the slots of posted names whose text PostgreSQL cannot store (UnstorableTextError's
 * `fields`): "Name contains a character that cannot be stored …" in the field's own slot, a name
 * that is no field of the form (the version, an unknown name) in the form's.
 */
export function unstorableTextErrors(names: Iterable<string>, fields: FieldNode[]): FieldErrors {
  const out: FieldErrors = {};
  for (const name of names) {
    const node = /^[A-Za-z0-9_.]{1,300}$/.test(name) ? findField(fields, name) : undefined;
    if (node) out[name] ??= `${node.label} ${UNSTORABLE_TEXT_MESSAGE}.`;
    else out[FORM_ERROR] ??= `The form field "${name}" ${UNSTORABLE_TEXT_MESSAGE}.`;
  }
  return out;
}
