import type { FieldNode } from "../schema/field-nodes.js";
import type { FieldErrors } from "../schema/record-validation.js";
import { plainText } from "../util/plain-text.js";

// What the widgets, the shell caches and the field tree of a record form share: the render mode,
// the per-form context, and the names and ids a field's path gives.

/** How a record form renders: a new record, an existing one being edited, or read-only. */
export type RenderMode = "create" | "edit" | "view";

/** What every field of one form shares. */
export interface FieldContext {
  errors: FieldErrors;
  mode: RenderMode;
  /** A preview: inputs are inert and carry no name. */
  preview?: boolean;
}

/** What every field widget is rendered from: its schema node, its value, its path in the record, the form's context. */
export interface FieldProps {
  node: FieldNode;
  value: unknown;
  path: string[];
  ctx: FieldContext;
}

/** Stable ids for one field instance: its error slot is always `err-<sid>`. */
export const slotId = (path: string[]) => path.join("-");
/** The posted name of a field instance: its path joined with dots (`contacts.0.phone`), as form-post.ts reads it back. */
export const fieldName = (path: string[]) => path.join(".");

/**
 * The value as an input's `value` (or a textarea's text): "" for none, a UTC datetime without its
 * zone and seconds (`<input type="datetime-local">` shows no zone), objects as JSON, else String().
 */
export function inputValue(node: FieldNode, value: unknown): string {
  if (value === undefined || value === null) return "";
  if (node.widget === "datetime" && typeof value === "string") {
    // <input type="datetime-local"> shows no zone; stored times are UTC.
    const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2}(\.\d+)?)?(Z|[+-]00:00)$/.exec(value);
    return m ? m[1]! : value;
  }
  return typeof value === "object" ? JSON.stringify(value) : plainText(value);
}
