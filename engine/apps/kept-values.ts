// Values a save keeps without the user touching them: a choice whose option the designer removed
// stays stored ("(removed option) X") until someone picks another one, so validating an edit must
// not refuse the record only because such an untouched value is no longer one of the options.
import type { ErrorObject } from "ajv/dist/2020.js";

/** The Ajv keywords of a value that is not one of a field's options (oneOf is validated as enum). */
const CHOICE_KEYWORDS = new Set(["enum", "const", "oneOf"]);

const unescape = (s: string) => s.replace(/~1/g, "/").replace(/~0/g, "~");

/** The value at a JSON Pointer ("/checklist/0/status") of `root`; undefined when there is none. */
function at(root: unknown, pointer: string[]): unknown {
  let v: unknown = root;
  for (const part of pointer) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

const same = (a: unknown, b: unknown) => a !== undefined && JSON.stringify(a) === JSON.stringify(b);

/**
 * Whether the value at `instancePath` of `values` is one the record already held in `stored` at
 * the same place: the same value, or (for an item of a list of choices) an item the stored list
 * holds too. Such a value was not touched by the user, whatever the options say now.
 */
export function isKeptValue(values: unknown, stored: unknown, instancePath: string): boolean {
  const pointer = instancePath.split("/").slice(1).map(unescape);
  if (!pointer.length) return false;
  const value = at(values, pointer);
  if (same(value, at(stored, pointer))) return true;
  const parent = at(stored, pointer.slice(0, -1));
  return /^\d+$/.test(pointer.at(-1)!) && Array.isArray(parent) && parent.some((item) => same(value, item));
}

/**
 * `errors` without those that only say an untouched stored value is not one of the field's
 * options (any longer): a choice error at a value `stored` already held (isKeptValue).
 */
export function withoutKeptChoices(
  errors: readonly ErrorObject[],
  values: Record<string, unknown>,
  stored: Record<string, unknown>,
): ErrorObject[] {
  const kept = new Set(
    errors
      .filter((e) => CHOICE_KEYWORDS.has(e.keyword) && isKeptValue(values, stored, e.instancePath))
      .map((e) => e.instancePath),
  );
  // oneOf's branches report their own errors below the value's path (const of each branch): drop them too.
  return errors.filter((e) => !kept.has(e.instancePath) || !CHOICE_KEYWORDS.has(e.keyword));
}
