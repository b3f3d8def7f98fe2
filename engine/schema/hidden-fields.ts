// The one rule for fields that x-visibleWhen hides, for every way a record is saved (the web's form
// post, the device API's create and change): a hidden field is not part of the record, whatever was
// sent for it; and an edit leaves alone a field hidden both before and after it (its author never saw
// it), while a field the edit hides is dropped.
import { isVisible, type FieldNode } from "./field-nodes.js";

/**
 * Deletes from `values` (one object of a record: the record, a group, a row) each field of `nodes`,
 * that object's fields, hidden by its x-visibleWhen given the object's values. This level only.
 */
export function dropHiddenFields(nodes: readonly FieldNode[], values: Record<string, unknown>): void {
  for (const node of nodes) {
    if (node.visibleWhen && !isVisible(node, values)) delete values[node.name];
  }
}

/**
 * A copy of a record's `values` without the fields x-visibleWhen hides, at every level: groups and
 * the rows of repeatable groups too (dropHiddenFields on each object). Values that are not what the
 * schema says (a row that is no object) are left for validation to refuse. Recurses along the field
 * tree, so its depth is the schema's, not the value's.
 */
export function withoutHiddenFields(
  nodes: readonly FieldNode[],
  values: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...values };
  for (const node of nodes) {
    const v = out[node.name];
    if (!node.children || v === undefined) continue;
    if (node.widget === "fieldset" && isObject(v)) out[node.name] = withoutHiddenFields(node.children, v);
    else if (node.widget === "rows" && Array.isArray(v)) {
      out[node.name] = v.map((row: unknown) => (isObject(row) ? withoutHiddenFields(node.children!, row) : row));
    }
  }
  dropHiddenFields(nodes, out);
  return out;
}

/** A JSON object (not null, not an array): what a fieldset's value or a row of a repeatable group is. */
export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The top-level fields an edit decides, of those it would (`fields`): less a designer field hidden
 * both on the record as stored and in the edited `values`. Its author never saw it, so its stored
 * value is kept, not dropped; a field the edit hides is dropped as before. System fields (the MFA
 * delay under its switch) keep their own rules.
 */
export function decidedFields(
  nodes: readonly FieldNode[],
  fields: string[],
  values: Record<string, unknown>,
  stored: Record<string, unknown>,
): string[] {
  const hidden = new Set(
    nodes
      .filter((f) => f.visibleWhen && !f.system && !isVisible(f, values) && !isVisible(f, stored))
      .map((f) => f.name),
  );
  return fields.filter((name) => !hidden.has(name));
}
