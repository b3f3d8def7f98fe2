// The rules every saved record obeys, whoever sends it (web form, device API, import): the app's
// JSON Schema with the engine's bounds (schema/record-validation.ts) and storable text. The store
// checks them before it writes, so no caller can skip them; callers may check first to answer
// with the form again.
import { ValidationError } from "../errors.js";
import { fieldErrors, type FieldErrors, type FormMode } from "../schema/record-validation.js";
import type { FieldNode } from "../schema/field-nodes.js";
import { isObject } from "../schema/hidden-fields.js";
import { controlCharacterProblem, unstorablePaths, UNSTORABLE_TEXT_MESSAGE } from "../util/storable-text.js";
import type { CompiledApp } from "./compiled-app.js";
import { withoutKeptChoices } from "./kept-values.js";

/**
 * Values the app's rules refuse: `fields` holds one message per field by dot path
 * ("checklist.0.item"; "" for the record as a whole), as schema/record-validation.ts words them.
 */
export class RecordValidationError extends ValidationError {
  constructor(fields: FieldErrors) {
    super("Some fields are missing or invalid.", fields);
  }
}

/**
 * Text fields holding a control character (U+0001–U+001F; tab, line feed and carriage return are
 * allowed in long text only), one message per field by dot path as fieldErrors keys them: a row's
 * field "checklist.0.item", a row of single values "tags.0". Choices are left to their options
 * and passwords (never stored as text) are not looked at.
 */
function controlCharacters(nodes: FieldNode[], values: Record<string, unknown>, prefix = "", out: FieldErrors = {}) {
  const check = (node: FieldNode, v: unknown, path: string) => {
    if (typeof v !== "string" || node.options || node.writeOnly) return;
    const problem = controlCharacterProblem(v, node.widget === "textarea");
    if (problem) out[path] ??= `${node.label} ${problem}.`;
  };
  for (const node of nodes) {
    if (!Object.hasOwn(values, node.name)) continue;
    const v = values[node.name];
    const path = `${prefix}${node.name}`;
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        if (node.children && isObject(item)) controlCharacters(node.children, item, `${path}.${i}.`, out);
        else if (node.item) check(node.item, item, `${path}.${i}`);
      });
    } else if (node.children && isObject(v)) controlCharacters(node.children, v, `${path}.`, out);
    else check(node, v, path);
  }
  return out;
}

/**
 * What is wrong with `values` as a record of `app` being created or edited (mode), one message per
 * field by dot path; empty when nothing is. Text PostgreSQL cannot store (a NUL, an unpaired
 * surrogate) is named first, then control characters in text fields (they win over the schema's
 * message for the same field). With `stored` (the record's values before this edit), a choice the
 * record already held is not refused for not being one of the options any more (kept-values.ts):
 * a designer who removed the option chose to keep such values.
 */
export function recordProblems(
  app: CompiledApp,
  mode: FormMode,
  values: Record<string, unknown>,
  stored?: Record<string, unknown>,
): FieldErrors {
  const out: FieldErrors = {};
  for (const path of unstorablePaths(values)) {
    const name = path.join(".");
    out[name] ??= `${app.fields.find((f) => f.name === path[0])?.label ?? name} ${UNSTORABLE_TEXT_MESSAGE}.`;
  }
  if (Object.keys(out).length) return out;
  const control = controlCharacters(app.fields, values);
  const validate = app.validators[mode];
  if (validate(values)) return control;
  const errors = stored ? withoutKeptChoices(validate.errors ?? [], values, stored) : validate.errors;
  return { ...fieldErrors(errors, app.fields, values), ...control };
}

/**
 * Throws RecordValidationError unless `values` are a valid record of `app` for `mode`; `stored`
 * as for recordProblems.
 */
export function assertValidRecord(
  app: CompiledApp,
  mode: FormMode,
  values: Record<string, unknown>,
  stored?: Record<string, unknown>,
): void {
  const problems = recordProblems(app, mode, values, stored);
  if (Object.keys(problems).length) throw new RecordValidationError(problems);
}
