import type { ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import { compileSchema, describeError, errorPointer } from "./ajv.js";
import { findField, type FieldNode } from "./field-nodes.js";
import { atPointer, unescapePointer } from "./identifiers.js";
import type { FieldSchema, RecordSchema } from "./types.js";
import { UNSTORABLE_TEXT_MESSAGE } from "../util/storable-text.js";
import { patternInWords } from "./pattern-words.js";

/** Strings without a maxLength are bounded all the same, so no field can take megabytes. */
export const DEFAULT_MAX_STRING = 10_000;
/**
 * Largest number of items an array field accepts when its schema sets no `maxItems`, so a post
 * cannot grow a record without bound.
 */
export const DEFAULT_MAX_ITEMS = 200;
/**
 * Whole numbers are bounded by what a JavaScript number holds exactly (2^53 - 1) when their schema
 * sets no bound: beyond it 9007199254740993 would be stored as 9007199254740992.
 */
export const WHOLE_NUMBER_LIMIT = Number.MAX_SAFE_INTEGER;

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
  if (f.type === "integer") {
    if (f.maximum === undefined && f.exclusiveMaximum === undefined) out.maximum = WHOLE_NUMBER_LIMIT;
    if (f.minimum === undefined && f.exclusiveMinimum === undefined) out.minimum = -WHOLE_NUMBER_LIMIT;
  }
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

/** What a value of a string format is, in words: "an email address", "a date (YYYY-MM-DD)". */
export function formatName(format: string): string {
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
 * A number of the wrong type names the field's range when it has one: "12a" or "3.5" for a whole
 * number from 0 to 3650 gets "must be a whole number from 0 to 3650" ("a number more than 0 and
 * less than 1" for exclusive bounds), not a bare "must be a whole number".
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

/** 9007199254740991 as "9,007,199,254,740,991". */
const grouped = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 0 });

/**
 * The message of a number beyond what is stored (or beyond the field's own bound): a bound the
 * engine set (WHOLE_NUMBER_LIMIT) says so, and posted digits too long to read as a number (they stay
 * text, see form-post.ts) are too large, not "not a whole number". Undefined for any other error.
 */
function beyondRange(e: ErrorObject, schema: FieldSchema, data: unknown): string | undefined {
  const limit = (e.params as { limit?: unknown }).limit;
  const tooLarge = `is too large: a whole number is stored exactly only up to ${grouped(WHOLE_NUMBER_LIMIT)}`;
  const tooSmall = `is too small: a whole number is stored exactly only down to ${grouped(-WHOLE_NUMBER_LIMIT)}`;
  if (e.keyword === "maximum" && limit === WHOLE_NUMBER_LIMIT) return tooLarge;
  if (e.keyword === "minimum" && limit === -WHOLE_NUMBER_LIMIT) return tooSmall;
  const type = (e.params as { type?: unknown }).type;
  if (e.keyword !== "type" || typeof data !== "string") return undefined;
  const n = Number(data);
  const beyond =
    type === "integer"
      ? /^[+-]?\d+$/.test(data) && !Number.isSafeInteger(n)
      : type === "number" && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(data) && !Number.isFinite(n);
  if (!beyond) return undefined;
  const b = schema as { minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number };
  if (data.startsWith("-")) {
    if (b.minimum !== undefined) return `must be at least ${b.minimum}`;
    if (b.exclusiveMinimum !== undefined) return `must be more than ${b.exclusiveMinimum}`;
    return type === "integer" ? tooSmall : `is too small: a number can be at least ${-Number.MAX_VALUE}`;
  }
  if (b.maximum !== undefined) return `must be at most ${b.maximum}`;
  if (b.exclusiveMaximum !== undefined) return `must be less than ${b.exclusiveMaximum}`;
  return type === "integer" ? tooLarge : `is too large: a number can be at most ${Number.MAX_VALUE}`;
}

/**
 * What a value that does not match the field's pattern should look like: the field's help (a
 * system field's help also says what the field means to the engine: not used), else its
 * placeholder as an example, else the pattern in plain words (pattern-words.ts), else the pattern.
 */
function patternMessage(node: FieldNode, pattern: string): string {
  const help = node.system ? undefined : node.help?.trim().replace(/\.+$/, "");
  if (help) return `does not have the expected format: ${help}`;
  const example = node.placeholder?.trim().replace(/^(e\.g\.|for example|example)[:,]?\s*/i, "");
  if (example) return `does not have the expected format, such as “${example}”`;
  const words = patternInWords(pattern);
  if (words) return `does not have the expected format: ${words}`;
  return `does not have the expected format (it must match the pattern ${pattern})`;
}

/** The message of one error about `node` (after its label); `data`: the value it is about. */
function messageFor(e: ErrorObject, node: FieldNode, data: unknown): string {
  // An item of an array (a row of single values) has the bounds of the array's items.
  const item = /\/\d+$/.test(e.instancePath) && node.schema.type === "array" ? node.schema.items : undefined;
  const schema = item ?? node.schema;
  const beyond = beyondRange(e, schema, data);
  if (beyond) return beyond;
  if (e.keyword === "pattern") return patternMessage(node, (e.params as { pattern: string }).pattern);
  return withRange(describeForField(e), e, schema);
}

/**
 * Maps Ajv errors to one plain message per field slot; what belongs to no field goes to FORM_ERROR.
 * `values`, the values validated, lets a message depend on the value (digits too long to be a
 * number are too large, not "not a whole number").
 */
export function fieldErrors(
  errors: readonly ErrorObject[] | null | undefined,
  fields: FieldNode[],
  values?: Record<string, unknown>,
): FieldErrors {
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
    out[path] ??= `${node.label} ${messageFor(e, node, atPointer(values, pointer))}.`;
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
