// Display text of field values: what a page shows for a value that is read, not edited, and what a
// save conflict reports. Here, below both rendering (engine/render/) and the services
// (engine/apps/conflict.ts), so neither imports the other.
import type { FieldNode } from "./field-nodes.js";

/**
 * The label of a stored choice that is none of the field's options any more: the designer removed
 * the option and kept the values ("(removed option) Yard").
 */
export const removedOptionLabel = (value: unknown) => `(removed option) ${String(value)}`;

/**
 * The values of `value` (one, or a list) that a choice field holds but offers no option for any
 * more (removed options the records keep); [] for a field without options.
 */
export function removedChoices(node: FieldNode, value: unknown): unknown[] {
  if (!node.options) return [];
  const values = Array.isArray(value) ? value : [value];
  return values.filter(
    (v) =>
      v !== undefined && v !== null && v !== "" && typeof v !== "object" && !node.options!.some((o) => o.value === v),
  );
}

/** Text for a value shown, not edited: choices by their label ("(removed option) X" for a removed one), booleans as Yes/No. */
export function displayValue(node: FieldNode, value: unknown): string {
  if (value === undefined || value === null || value === "") return "—";
  const label = (v: unknown) =>
    node.options ? (node.options.find((o) => o.value === v)?.label ?? removedOptionLabel(v)) : String(v);
  if (Array.isArray(value)) {
    if (value.some((v) => v !== null && typeof v === "object")) {
      return `${value.length} ${value.length === 1 ? "entry" : "entries"}`;
    }
    return value.length ? value.map(label).join(", ") : "—";
  }
  if (typeof value === "boolean") return value ? "Yes" : "No";
  if (typeof value === "object") return JSON.stringify(value);
  return label(value);
}

/** One field of a save conflict, as display text (displayValue): the value the user started from, the saved one, theirs. */
export interface FieldChange {
  label: string;
  before?: string;
  now: string;
  yours: string;
}
