import { displayValue, type FieldChange } from "../schema/display-text.js";
import type { FieldNode } from "../schema/field-nodes.js";

/** JSON with sorted keys: stored JSONB and posted values order keys differently. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v ?? null);
}

/**
 * True when two field values are equal as JSON, whatever the key order of nested objects (arrays
 * keep their order).
 */
export const sameValue = (a: unknown, b: unknown) => canonical(a) === canonical(b);

/**
 * What a conflict shows: with the version the user started from (`before`),
 * the fields the other save changed; without it, the fields where the saved
 * record and the user's input differ. Passwords are never listed.
 */
export function conflictChanges(
  fields: FieldNode[],
  before: Record<string, unknown> | null,
  current: Record<string, unknown>,
  yours: Record<string, unknown>,
): FieldChange[] {
  const out: FieldChange[] = [];
  for (const f of conflictFields(fields, before, current, yours)) {
    const change: FieldChange = {
      label: f.label,
      now: displayValue(f, current[f.name]),
      yours: displayValue(f, yours[f.name]),
    };
    if (before) change.before = displayValue(f, before[f.name]);
    out.push(change);
  }
  return out;
}

/**
 * The fields a conflict names, in form order (the web's conflict page and the device API's 409
 * `changed` list both come from here): with the version the user started from (`before`), the
 * fields the other save changed; without it, those where the saved record and the user's input
 * differ. Passwords (writeOnly) and read-only fields are never listed.
 */
export function conflictFields(
  fields: FieldNode[],
  before: Record<string, unknown> | null,
  current: Record<string, unknown>,
  yours: Record<string, unknown>,
): FieldNode[] {
  return fields.filter(
    (f) =>
      !f.writeOnly &&
      !f.readOnly &&
      (before ? !sameValue(before[f.name], current[f.name]) : !sameValue(current[f.name], yours[f.name])),
  );
}
