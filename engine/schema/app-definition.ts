import type { ErrorObject } from "ajv/dist/2020.js";
import type { DefinitionCheck, DefinitionProblem } from "./definition-problems.js";
import { describeError, errorPointer, validatorFor } from "./ajv.js";
import { optionsOf, RESERVED_FIELD_NAMES } from "./field-nodes.js";
import { SYSTEM_BINDINGS } from "./keywords.js";
import { escapePointer, pointerOf } from "./identifiers.js";
import { compileRecordValidators } from "./record-validation.js";
import { missingOptionProblem } from "./visible-when-options.js";
import type { AppDefinition, FieldSchema, SystemBinding } from "./types.js";
import { JsonTooDeepError, parseClientJson } from "../util/json-depth.js";
import { UNSTORABLE_TEXT_MESSAGE, unstorablePaths } from "../util/storable-text.js";

export {
  DefinitionError,
  formatProblems,
  type DefinitionCheck,
  type DefinitionProblem,
} from "./definition-problems.js";

// Which of the field keywords make sense for which type; anything else is a mistake worth naming.
const TYPE_KEYWORDS: Record<FieldSchema["type"], string[]> = {
  string: ["minLength", "maxLength", "pattern", "format", "enum", "oneOf"],
  integer: ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "enum", "oneOf"],
  number: ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "enum", "oneOf"],
  boolean: [],
  object: ["properties", "required", "additionalProperties"],
  array: ["items", "minItems", "maxItems", "uniqueItems"],
};
const TYPED_KEYWORDS = new Set(Object.values(TYPE_KEYWORDS).flat());

const WIDGETS_BY_TYPE: Record<string, (s: FieldSchema) => boolean> = {
  text: (s) => s.type === "string" && !optionsOf(s),
  textarea: (s) => s.type === "string" && !optionsOf(s),
  password: (s) => s.type === "string" && !optionsOf(s),
  select: (s) => isChoice(s) || (s.type === "array" && !!s.items && isChoice(s.items)),
  radio: (s) => isChoice(s),
  checkboxes: (s) => s.type === "array" && !!s.items && isChoice(s.items),
  switch: (s) => s.type === "boolean",
  checkbox: (s) => s.type === "boolean",
};

function isChoice(s: FieldSchema): boolean {
  return (s.type === "string" || s.type === "integer" || s.type === "number") && !!optionsOf(s);
}

function matchesType(value: unknown, type: FieldSchema["type"]): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "boolean":
      return typeof value === "boolean";
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "array":
      return Array.isArray(value);
  }
}

const typeName = (t: FieldSchema["type"]) => (t === "integer" ? "an integer" : t === "array" ? "an array" : `a ${t}`);

/** What each system binding needs of its field (DESIGN.md, User Account Management system fields). */
const BINDING_RULES: Record<SystemBinding, (s: FieldSchema) => string | null> = {
  "user.username": (s) => (s.type === "string" ? null : "user.username must be bound to a string field"),
  "user.displayName": (s) => (s.type === "string" ? null : "user.displayName must be bound to a string field"),
  "user.email": (s) => (s.type === "string" ? null : "user.email must be bound to a string field"),
  "user.password": (s) =>
    s.type !== "string"
      ? "user.password must be bound to a string field"
      : s.writeOnly !== true
        ? 'user.password must be writeOnly ("writeOnly": true), so it is never shown'
        : null,
  "user.role": (s) => {
    if (s.type !== "string") return "user.role must be bound to a string field";
    const values = optionsOf(s)?.map((o) => o.value);
    if (!values) return "user.role needs an enum (or oneOf) of admin, designer, user";
    const bad = values.filter((v) => v !== "admin" && v !== "designer" && v !== "user");
    return bad.length ? `user.role may only offer admin, designer and user (not ${JSON.stringify(bad[0])})` : null;
  },
  "user.webAccess": (s) => (s.type === "boolean" ? null : "user.webAccess must be bound to a boolean field"),
  "user.deviceAccess": (s) => (s.type === "boolean" ? null : "user.deviceAccess must be bound to a boolean field"),
  "user.disabled": (s) => (s.type === "boolean" ? null : "user.disabled must be bound to a boolean field"),
  "mfa.enabled": (s) => (s.type === "boolean" ? null : "mfa.enabled must be bound to a boolean field"),
  "mfa.enforcementDelayDays": (s) =>
    s.type !== "integer"
      ? "mfa.enforcementDelayDays must be bound to an integer field"
      : s.minimum === undefined || s.minimum < 0
        ? 'mfa.enforcementDelayDays needs "minimum": 0 (a delay is never negative)'
        : null,
  "mfa.status": (s) =>
    s.type !== "string"
      ? "mfa.status must be bound to a string field"
      : s.readOnly !== true
        ? 'mfa.status must be readOnly ("readOnly": true): the engine writes it'
        : null,
};

/** Fields an app bound to user accounts cannot do without. */
export const REQUIRED_USER_BINDINGS: SystemBinding[] = ["user.username"];

/** Whether a definition's records are user accounts (any user.* or mfa.* binding). */
export function bindsUsers(definition: AppDefinition): boolean {
  return Object.values(definition.record.properties).some((f) => f?.["x-system"] !== undefined);
}

function metaSchemaProblems(input: unknown): DefinitionProblem[] {
  const validate = validatorFor<AppDefinition>("app.schema.json");
  if (validate(input)) return [];
  const seen = new Set<string>();
  const problems: DefinitionProblem[] = [];
  for (const e of validate.errors ?? []) {
    // The anyOf error itself says what a scalar may be; its branches' errors would repeat it.
    if (e.schemaPath.includes("/anyOf/")) continue;
    const p = metaProblem(e);
    const key = `${p.pointer} ${p.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(p);
  }
  return problems;
}

function metaProblem(e: ErrorObject): DefinitionProblem {
  if (e.keyword === "additionalProperties") {
    const name = (e.params as { additionalProperty: string }).additionalProperty;
    // A field schema (or the record itself) takes keywords; other objects take properties.
    const inRecord = /^\/record((\/properties\/[^/]+)|\/items)*$/.test(e.instancePath);
    return {
      pointer: `${e.instancePath}/${escapePointer(name)}`,
      message: inRecord
        ? `unknown keyword "${name}"${name.startsWith("x-") ? " (engine keywords are x-system, x-widget, x-visibleWhen and x-placeholder)" : ""}`
        : `unknown property "${name}"`,
    };
  }
  if (e.keyword === "const" && e.instancePath.endsWith("/additionalProperties")) {
    return { pointer: e.instancePath, message: "must be false: records never carry unknown fields" };
  }
  if (e.keyword === "anyOf" || e.keyword === "oneOf") {
    return { pointer: e.instancePath, message: "must be a string, a number or a boolean" };
  }
  return { pointer: errorPointer(e), message: describeError(e) };
}

/** Checks that need more than the meta-schema: references between parts, types, bindings. */
function semanticProblems(def: AppDefinition): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const add = (pointer: string, message: string) => problems.push({ pointer, message });
  const top = def.record.properties;
  const bound = new Map<SystemBinding, string>();

  const walkObject = (
    properties: Record<string, FieldSchema | undefined>,
    required: string[],
    at: string,
    depth: number,
  ) => {
    required.forEach((name, i) => {
      if (!Object.hasOwn(properties, name)) add(`${at}/required/${i}`, `names "${name}", which is not a property`);
    });
    for (const [name, field] of Object.entries(properties)) {
      const pointer = `${at}/properties/${escapePointer(name)}`;
      if (RESERVED_FIELD_NAMES.has(name)) add(pointer, `"${name}" is a name JavaScript objects use; pick another`);
      if (field) walkField(name, field, properties, `${at}/properties/${escapePointer(name)}`, depth, at === "/record");
    }
  };

  const walkField = (
    name: string,
    f: FieldSchema,
    siblings: Record<string, FieldSchema | undefined>,
    at: string,
    depth: number,
    topLevel: boolean,
  ) => {
    for (const k of Object.keys(f)) {
      if (TYPED_KEYWORDS.has(k) && !TYPE_KEYWORDS[f.type].includes(k)) {
        add(`${at}/${k}`, `does not apply to ${typeName(f.type)} field`);
      }
    }
    if (f.enum && f.oneOf) add(`${at}/oneOf`, "use enum or oneOf for the choices, not both");
    const choices = f.oneOf?.map((o) => o.const) ?? f.enum;
    const choiceKey = f.oneOf ? "oneOf" : "enum";
    choices?.forEach((v, i) => {
      if (!matchesType(v, f.type)) {
        add(`${at}/${choiceKey}/${i}${f.oneOf ? "/const" : ""}`, `must be ${typeName(f.type)} like the field`);
      }
    });
    if (f.readOnly && f.writeOnly) add(`${at}/writeOnly`, "a field cannot be both readOnly and writeOnly");
    if (f.minLength !== undefined && f.maxLength !== undefined && f.minLength > f.maxLength) {
      add(`${at}/minLength`, "is larger than maxLength");
    }
    if (f.minimum !== undefined && f.maximum !== undefined && f.minimum > f.maximum) {
      add(`${at}/minimum`, "is larger than maximum");
    }
    if (f.default !== undefined) {
      if (!matchesType(f.default, f.type)) add(`${at}/default`, `must be ${typeName(f.type)} like the field`);
      else if (choices && !choices.some((c) => c === f.default)) add(`${at}/default`, "must be one of the choices");
    }
    const widget = f["x-widget"];
    if (widget && !WIDGETS_BY_TYPE[widget]!(f)) {
      add(
        `${at}/x-widget`,
        `the ${widget} widget does not fit ${typeName(f.type)} field${choices ? " with choices" : ""}`,
      );
    }
    const textLike =
      !choices &&
      (f.type === "number" || f.type === "integer" || (f.type === "string" && !/^date/.test(f.format ?? "")));
    if (f["x-placeholder"] !== undefined && !textLike) {
      add(`${at}/x-placeholder`, "shows only in a text-like input: text, long text, number, email or link");
    }
    const rule = f["x-visibleWhen"];
    if (rule) {
      const control = Object.hasOwn(siblings, rule.field) ? siblings[rule.field] : undefined;
      if (rule.field === name) add(`${at}/x-visibleWhen/field`, "a field cannot depend on itself");
      else if (!control)
        add(`${at}/x-visibleWhen/field`, `names "${rule.field}", which is not a field of the same object`);
      else if (!["string", "integer", "number", "boolean"].includes(control.type)) {
        add(
          `${at}/x-visibleWhen/field`,
          `"${rule.field}" is ${typeName(control.type)}; only a single value can control a field`,
        );
      } else if (control.readOnly) {
        add(
          `${at}/x-visibleWhen/field`,
          `"${rule.field}" is readOnly, so a form never sends it; it cannot control a field`,
        );
      } else if (control["x-visibleWhen"]) {
        add(
          `${at}/x-visibleWhen/field`,
          `"${rule.field}" is itself conditional; chain conditions on one field instead`,
        );
      } else {
        const values = "equals" in rule ? [rule.equals] : (rule.in ?? []);
        if (values.some((v) => !matchesType(v, control.type))) {
          add(`${at}/x-visibleWhen`, `compares "${rule.field}" with a value that is not ${typeName(control.type)}`);
        } else {
          const missing = missingOptionProblem(at, name, f, rule.field, control, values);
          if (missing) problems.push(missing);
        }
      }
    }
    const binding = f["x-system"];
    if (binding) {
      if (!topLevel) add(`${at}/x-system`, "system fields must be top-level properties of the record");
      const problem = BINDING_RULES[binding](f);
      if (problem) add(`${at}/x-system`, problem);
      const first = bound.get(binding);
      if (first) add(`${at}/x-system`, `${binding} is already bound to ${first}; bind each system field once`);
      else bound.set(binding, at);
    }
    if (f.type === "object") {
      if (depth >= 4) add(at, "nests objects and arrays too deeply (at most 4 levels)");
      if (!f.properties) add(at, 'an object field needs "properties"');
      else walkObject(f.properties, f.required ?? [], at, depth + 1);
    }
    if (f.type === "array") {
      if (depth >= 4) add(at, "nests objects and arrays too deeply (at most 4 levels)");
      const items = f.items;
      if (!items) add(at, 'an array field needs "items"');
      else if (items.type === "array")
        add(`${at}/items`, "arrays of arrays are not supported; use an array of objects");
      else if (items["x-system"] || items["x-visibleWhen"]) {
        add(`${at}/items`, "items cannot carry x-system or x-visibleWhen");
      } else walkField(name, items, {}, `${at}/items`, depth + 1, false);
    }
  };

  walkObject(top, def.record.required ?? [], "/record", 0);

  // Apps whose records are user accounts must identify them.
  if (bound.size) {
    for (const b of REQUIRED_USER_BINDINGS) {
      const at = bound.get(b);
      if (!at) add("/record/properties", `an app with system fields must bind ${b}`);
      else {
        const name = at.split("/").pop()!;
        if (!(def.record.required ?? []).includes(name))
          add("/record/required", `the ${b} field "${name}" must be required`);
      }
    }
  }

  if (def.adminOnly === true && def.openTo !== undefined && def.openTo !== "admin") {
    add("/openTo", `contradicts "adminOnly": true (administrators only); drop adminOnly and keep openTo`);
  }
  const placed = new Map<string, number>();
  def.form?.sections?.forEach((s, i) =>
    s.fields.forEach((name, j) => {
      const at = `/form/sections/${i}/fields/${j}`;
      if (!top[name]) add(at, `names "${name}", which is not a top-level field`);
      else if (placed.has(name)) add(at, `"${name}" is already placed in section ${placed.get(name)}`);
      else placed.set(name, i);
    }),
  );
  for (const path of Object.keys(def.form?.help ?? {})) {
    if (!resolvePath(def, path)) add(`/form/help/${escapePointer(path)}`, `names "${path}", which is not a field`);
  }

  const list = def.list;
  if (list) {
    if (list.columns.length > 12) add("/list/columns", "at most 12 columns");
    list.columns.forEach((name, i) => {
      const f = top[name];
      const at = `/list/columns/${i}`;
      if (!f) add(at, `names "${name}", which is not a top-level field`);
      else if (f.writeOnly) add(at, `"${name}" is writeOnly and is never shown`);
      else if (f.type === "object" || (f.type === "array" && !(f.items && isChoice(f.items)))) {
        add(at, `"${name}" holds ${f.type === "object" ? "an object" : "rows"}; a column shows a single value`);
      }
    });
    if (list.sort) {
      const name = list.sort.replace(/^-/, "");
      if (!list.columns.includes(name)) add("/list/sort", `sorts on "${name}", which is not a column`);
    }
    if ((list.searchable ?? []).length > 12) add("/list/searchable", "at most 12 searchable fields");
    (list.searchable ?? []).forEach((name, i) => {
      const f = top[name];
      const at = `/list/searchable/${i}`;
      if (!f) add(at, `names "${name}", which is not a top-level field`);
      else if (f.type !== "string") add(at, `"${name}" is not a text field`);
      else if (f.writeOnly) add(at, `"${name}" is writeOnly and cannot be searched`);
    });
  }
  return problems;
}

function resolvePath(def: AppDefinition, path: string): FieldSchema | undefined {
  let props: Record<string, FieldSchema | undefined> | undefined = def.record.properties;
  let found: FieldSchema | undefined;
  for (const part of path.split(".")) {
    found = props?.[part];
    if (!found) return undefined;
    props = found.type === "array" ? found.items?.properties : found.properties;
  }
  return found;
}

/**
 * Validates an app definition: against schemas/app.schema.json (with the x-
 * keywords' own meta-schemas), then the rules a schema cannot express, then by
 * compiling its record schema with the strict Ajv instance.
 */
export function checkDefinition(input: unknown): DefinitionCheck {
  // Definitions are stored as jsonb: a NUL or an unpaired surrogate (from a \u escape) cannot be.
  const unstorable = unstorablePaths(input).map((path) => ({
    pointer: pointerOf(path),
    message: UNSTORABLE_TEXT_MESSAGE,
  }));
  if (unstorable.length) return { ok: false, problems: unstorable };
  const meta = metaSchemaProblems(input);
  if (meta.length) return { ok: false, problems: meta };
  const definition = input as AppDefinition;
  const semantic = semanticProblems(definition);
  if (semantic.length) return { ok: false, problems: semantic };
  try {
    compileRecordValidators(definition.record);
  } catch (err) {
    return { ok: false, problems: [{ pointer: "/record", message: (err as Error).message }] };
  }
  return { ok: true, definition };
}

/** Parses JSON text and checks it; a syntax error is a problem at the root with the position. */
export function checkDefinitionText(text: string): DefinitionCheck {
  let input: unknown;
  try {
    // A designer's upload: nested deeper than any definition needs is refused before it is parsed.
    input = parseClientJson(text);
  } catch (err) {
    if (err instanceof JsonTooDeepError) return { ok: false, problems: [{ pointer: "", message: err.message }] };
    return { ok: false, problems: [{ pointer: "", message: `not valid JSON: ${(err as Error).message}` }] };
  }
  return checkDefinition(input);
}

export { SYSTEM_BINDINGS };
