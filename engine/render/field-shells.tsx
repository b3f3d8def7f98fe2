import type { FieldNode } from "../schema/field-nodes.js";
import { fillAround, markupOf, splitAround, type SafeHtml, type TextShell } from "./shells.js";
import { fieldName, inputValue, type FieldContext } from "./field-context.js";
import { Leaf } from "./field-widgets.js";

// A field's markup depends on its schema (fixed per app version), its path, the mode, its value and
// its error. The first render of a field at a path is kept as a shell: for text-like inputs split
// around the value, for choices and switches per value (few). Later renders without an error only
// fill in the value, which makes an edit form several times cheaper to render; the markup is the
// same as JSX's (test/render/widgets.test.tsx compares them).
const VALUE_SENTINEL = "fg0valuesentinel0";
const TEMPLATED = new Set<FieldNode["widget"]>(["text", "email", "url", "date", "datetime", "number", "textarea"]);
const PER_VALUE = new Set<FieldNode["widget"]>([
  "select",
  "radio",
  "switch",
  "checkbox",
  "checkboxes",
  "multiselect",
  "password",
]);
const MAX_SHELLS_PER_FIELD = 128;
const shells = new WeakMap<FieldNode, Map<string, SafeHtml | TextShell | null>>();

/**
 * The markup of a widget (Leaf) from its kept shell, or null when it has none to give: a preview,
 * view mode or a field with an error is always rendered with JSX, as is a widget kind kept in no
 * shell. The first render at a path is direct, and makes the shell.
 */
export function fromShell(node: FieldNode, value: unknown, path: string[], ctx: FieldContext): SafeHtml | null {
  const name = fieldName(path);
  if (ctx.preview || ctx.mode === "view" || ctx.errors[name]) return null;
  let cache = shells.get(node);
  if (!cache) shells.set(node, (cache = new Map<string, SafeHtml | TextShell | null>()));
  const base = `${ctx.mode}|${name}`;
  if (TEMPLATED.has(node.widget)) {
    const shell = cache.get(base);
    if (shell === undefined) {
      // The first render is direct, and the shell is kept only if it gives the same markup.
      const direct = markupOf(<Leaf node={node} value={value} path={path} ctx={ctx} />);
      const marked = markupOf(<Leaf node={node} value={VALUE_SENTINEL} path={path} ctx={ctx} />);
      const made = splitAround(marked, VALUE_SENTINEL, inputValue(node, value), direct);
      if (cache.size < MAX_SHELLS_PER_FIELD) cache.set(base, made);
      return direct;
    }
    if (shell === null || typeof shell === "string") return null;
    return fillAround(shell, inputValue(node, value));
  }
  if (PER_VALUE.has(node.widget)) {
    const key = node.widget === "password" ? base : `${base}|${JSON.stringify(value) ?? ""}`;
    let html = cache.get(key);
    if (typeof html !== "string") {
      html = markupOf(<Leaf node={node} value={value} path={path} ctx={ctx} />);
      if (cache.size < MAX_SHELLS_PER_FIELD) cache.set(key, html);
    }
    return html;
  }
  return null;
}
