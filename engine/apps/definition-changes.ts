import { bindsUsers, REQUIRED_USER_BINDINGS, type DefinitionProblem } from "../schema/app-definition.js";
import type { AppDefinition, FieldSchema } from "../schema/types.js";
import { escapePointer } from "../schema/identifiers.js";
import { designerTypeOf, fieldTypeInfo } from "./field-types.js";
import { jsonTypeOf, recordsHolding, type StoredValueTypes } from "./stored-values.js";
import { plural } from "../util/plural.js";

/** "1 stored record" / "2 stored records". */
export const storedRecords = (n: number) => plural(n, "stored record");
/** "1 stored record holds" / "2 stored records hold": the subject and its verb agree. */
export const hold = (n: number) => `${storedRecords(n)} ${n === 1 ? "holds" : "hold"}`;

/** What a field's values are, for two field types the designer calls alike (a Choice of text or of numbers). */
const VALUE_KINDS: Record<FieldSchema["type"], string> = {
  string: "text",
  integer: "whole numbers",
  number: "numbers",
  boolean: "yes/no",
  array: "lists",
  object: "groups",
};

/** "a Whole number", "an Email": the designer's name of a field's type with its article. */
export function aTypeName(f: FieldSchema): string {
  const label = fieldTypeInfo(designerTypeOf(f)).label;
  return `${/^[AEIOU]/.test(label) ? "an" : "a"} ${label}`;
}

/** "from Text to Whole number": the designer's names of the two types (DESIGNER_TYPES' labels). */
function typeChange(prev: FieldSchema, next: FieldSchema): string {
  const [a, b] = [prev, next].map((f) => fieldTypeInfo(designerTypeOf(f)).label);
  return a === b
    ? `from ${a} of ${VALUE_KINDS[prev.type]} to ${b} of ${VALUE_KINDS[next.type]}`
    : `from ${a!} to ${b!}`;
}

function typeChanges(
  before: Record<string, FieldSchema | undefined>,
  after: Record<string, FieldSchema | undefined>,
  at: string,
  recordCount: number,
  out: DefinitionProblem[],
  /** At the top level: what the records hold, so only records with a value count (none: no problem). */
  stored?: StoredValueTypes,
) {
  for (const [name, next] of Object.entries(after)) {
    const prev = before[name];
    if (!prev || !next) continue;
    const pointer = `${at}/properties/${escapePointer(name)}`;
    // Nested fields count the records holding their top-level field: at most that many hold them.
    const held = stored ? recordsHolding(stored, name) : recordCount;
    if (held > 0) compareField(prev, next, pointer, name, held, out);
  }
}

function compareField(
  prev: FieldSchema,
  next: FieldSchema,
  pointer: string,
  name: string,
  recordCount: number,
  out: DefinitionProblem[],
) {
  if (prev.type !== next.type) {
    out.push({
      pointer: `${pointer}/type`,
      message: `changes the type of "${next.title ?? name}" ${typeChange(prev, next)}, and ${hold(recordCount)} the old type. Add a new field instead, or move the data first.`,
    });
    return;
  }
  if (next.type === "object") typeChanges(prev.properties ?? {}, next.properties ?? {}, pointer, recordCount, out);
  if (next.type === "array" && prev.items && next.items) {
    compareField(prev.items, next.items, `${pointer}/items`, `${name}[]`, recordCount, out);
  }
}

/**
 * Fields of `after` that the published definition does not have (new, or added again after a
 * delete) whose name still holds values of another type in stored records: "note" deleted as text
 * and added again as a whole number would show text in a number input and fail every save.
 */
function reusedNames(before: AppDefinition, after: AppDefinition, stored: StoredValueTypes, out: DefinitionProblem[]) {
  for (const [name, next] of Object.entries(after.record.properties)) {
    if (!next || before.record.properties[name]) continue;
    const want = jsonTypeOf(next.type);
    const other = [...(stored.get(name) ?? new Map<string, number>())].filter(([t]) => t !== want);
    if (!other.length) continue;
    const n = other.reduce((sum, [, c]) => sum + c, 0);
    const kinds = other
      .map(([t]) => (t === "number" ? "numbers" : t === "string" ? "text" : `${t} values`))
      .join(" and ");
    out.push({
      pointer: `/record/properties/${escapePointer(name)}/type`,
      message: `"${name}" was the name of an earlier field: ${hold(n)} ${kinds} under it, which ${aTypeName(next)} field cannot show. Choose another name for the new field.`,
    });
  }
}

/**
 * Why a new version of a definition would break records already stored, or
 * nothing. Refused: changing a field's type while records exist, removing a
 * system field the records cannot do without (a required one, or one the
 * store needs), moving the app to another store while it has records, and
 * changing the id. Removing an ordinary field is allowed: its stored values
 * stay in the records (the store never drops keys it was not told about), so
 * with `stored` (storedValueTypes) a field added under a name whose stored
 * values have another type is refused too.
 */
export function breakingChanges(
  before: AppDefinition,
  after: AppDefinition,
  recordCount: number,
  stored?: StoredValueTypes,
): DefinitionProblem[] {
  const out: DefinitionProblem[] = [];
  if (stored) reusedNames(before, after, stored, out);
  if (before.id !== after.id) out.push({ pointer: "/id", message: `an app's id cannot change (it is "${before.id}")` });
  if (recordCount > 0) {
    typeChanges(before.record.properties, after.record.properties, "/record", recordCount, out, stored);
  }
  const usersBefore = bindsUsers(before);
  if (recordCount > 0 && usersBefore !== bindsUsers(after)) {
    out.push({
      pointer: "/record",
      message: usersBefore
        ? `removes every system field, which would turn ${storedRecords(recordCount)} of user accounts into ordinary records`
        : `adds system fields, which would move ${storedRecords(recordCount)} into user accounts`,
    });
  }
  const boundAfter = new Set(Object.values(after.record.properties).map((f) => f?.["x-system"]));
  const requiredBefore = new Set(before.record.required ?? []);
  for (const [name, f] of Object.entries(before.record.properties)) {
    const binding = f?.["x-system"];
    if (!binding || boundAfter.has(binding)) continue;
    const needed = requiredBefore.has(name) || (usersBefore && REQUIRED_USER_BINDINGS.includes(binding));
    if (needed) {
      out.push({
        pointer: "/record/properties",
        message: `removes the required system field "${name}" (${binding}); records cannot do without it`,
      });
    }
  }
  return out;
}
