// The rules every saved record obeys, whoever sends it (web form, device API, import): the app's
// JSON Schema with the engine's bounds (schema/record-validation.ts) and storable text. The store
// checks them before it writes, so no caller can skip them; callers may check first to answer
// with the form again.
import { ValidationError } from "../errors.js";
import { fieldErrors, type FieldErrors, type FormMode } from "../schema/record-validation.js";
import { unstorablePaths, UNSTORABLE_TEXT_MESSAGE } from "../util/storable-text.js";
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
 * What is wrong with `values` as a record of `app` being created or edited (mode), one message per
 * field by dot path; empty when nothing is. Text PostgreSQL cannot store (a NUL, an unpaired
 * surrogate) is named first. With `stored` (the record's values before this edit), a choice the
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
  const validate = app.validators[mode];
  if (validate(values)) return {};
  const errors = stored ? withoutKeptChoices(validate.errors ?? [], values, stored) : validate.errors;
  return fieldErrors(errors, app.fields, values);
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
