import type { Child } from "hono/jsx";
import { isVisible, type FieldNode } from "../schema/fields.js";
import { displayValue } from "../schema/display-text.js";
import { ROW_MARKER } from "../schema/form-post.js";
import {
  fillAround,
  markupOf,
  ShellCache,
  splitAround,
  trustedRaw,
  withFirstClass,
  type SafeHtml,
  type TextShell,
} from "./shells.js";
import type { FieldErrors } from "../schema/record-validation.js";
import { describedBy, ErrorSlot, HelpText, RequiredMark } from "./form-field.js";

/** How a record form renders: a new record, an existing one being edited, or read-only. */
export type RenderMode = "create" | "edit" | "view";

/** What every field of one form shares. */
export interface FieldContext {
  errors: FieldErrors;
  mode: RenderMode;
  /** A preview: inputs are inert and carry no name. */
  preview?: boolean;
}

/** Stable ids for one field instance: its error slot is always `err-<sid>`. */
export const slotId = (path: string[]) => path.join("-");
/** The posted name of a field instance: its path joined with dots (`contacts.0.phone`), as form-post.ts reads it back. */
export const fieldName = (path: string[]) => path.join(".");

function inputValue(node: FieldNode, value: unknown): string {
  if (value === undefined || value === null) return "";
  if (node.widget === "datetime" && typeof value === "string") {
    // <input type="datetime-local"> shows no zone; stored times are UTC.
    const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2}(\.\d+)?)?(Z|[+-]00:00)$/.exec(value);
    return m ? m[1]! : value;
  }
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/**
 * Attributes every input of a field gets: name, described-by, invalid state.
 * (Inline validation is one listener on the form's fields, see RecordForm.)
 */
function common(node: FieldNode, path: string[], ctx: FieldContext): Record<string, unknown> {
  const sid = slotId(path);
  return {
    name: ctx.preview ? undefined : fieldName(path),
    ...describedBy(sid, { help: !!node.help, error: ctx.errors[fieldName(path)] }),
    disabled: ctx.preview || undefined,
  };
}

function Options({ node, value, placeholder }: { node: FieldNode; value: unknown; placeholder: boolean }) {
  const picked = Array.isArray(value) ? value : [value];
  return (
    <>
      {placeholder ? (
        <option value="" selected={value === undefined || value === ""}>
          {node.required ? "Choose…" : "—"}
        </option>
      ) : null}
      {(node.options ?? []).map((o) => (
        <option value={String(o.value)} selected={picked.some((v) => v === o.value || v === String(o.value))}>
          {o.label}
        </option>
      ))}
    </>
  );
}

const INPUT_TYPES: Partial<Record<FieldNode["widget"], string>> = {
  text: "text",
  email: "email",
  url: "url",
  date: "date",
  datetime: "datetime-local",
  number: "number",
  password: "password",
};

function numberAttrs(node: FieldNode): Record<string, unknown> {
  const s = node.schema;
  const step = node.scalarType === "integer" ? (s.multipleOf ?? 1) : (s.multipleOf ?? "any");
  return { min: s.minimum ?? s.exclusiveMinimum, max: s.maximum ?? s.exclusiveMaximum, step };
}

/**
 * The JSON Schema pattern as an HTML pattern attribute, when it means the same there: HTML anchors
 * the pattern (so only an anchored one is copied) and compiles it with the `v` flag, which refuses
 * some classes JSON Schema's `u` regexes accept (e.g. an unescaped "-" in [A-Z0-9-]). Otherwise the
 * browser would report an invalid pattern; the server checks it either way.
 */
function htmlPattern(pattern: string | undefined): string | undefined {
  if (!pattern || !pattern.startsWith("^") || !pattern.endsWith("$")) return undefined;
  try {
    new RegExp(`^(?:${pattern})$`, "v");
    return pattern;
  } catch {
    return undefined;
  }
}

function textAttrs(node: FieldNode): Record<string, unknown> {
  const s = node.schema;
  return { maxlength: s.maxLength, minlength: s.minLength, pattern: htmlPattern(s.pattern) };
}

/** A single-value field: label, input, help, error slot. */
function ScalarField({
  node,
  value,
  path,
  ctx,
  label,
}: {
  node: FieldNode;
  value: unknown;
  path: string[];
  ctx: FieldContext;
  label?: string;
}) {
  const sid = slotId(path);
  const id = `f-${sid}`;
  const attrs: Record<string, unknown> = { ...common(node, path, ctx), id, placeholder: node.placeholder };
  const required = node.required && !(node.writeOnly && ctx.mode === "edit") ? true : undefined;
  const text = label ?? node.label;
  let input: Child;
  let labelled = true;
  switch (node.widget) {
    case "textarea":
      input = (
        <textarea {...attrs} {...textAttrs(node)} required={required} rows={4}>
          {inputValue(node, value)}
        </textarea>
      );
      break;
    case "select":
      input = (
        <select {...attrs} required={required}>
          <Options node={node} value={value} placeholder={true} />
        </select>
      );
      break;
    case "radio":
      labelled = false;
      input = (
        <fieldset class="choices" aria-describedby={attrs["aria-describedby"] as string}>
          <legend>
            {text}
            <RequiredMark required={node.required} />
          </legend>
          {(node.options ?? []).map((o, i) => (
            <label>
              <input
                {...attrs}
                id={`${id}-${i}`}
                type="radio"
                value={String(o.value)}
                checked={value === o.value}
                required={required}
              />
              {o.label}
            </label>
          ))}
        </fieldset>
      );
      break;
    case "switch":
    case "checkbox":
      labelled = false;
      input = (
        <label for={id}>
          <input
            {...attrs}
            type="checkbox"
            role={node.widget === "switch" ? "switch" : undefined}
            value="true"
            checked={value === true}
          />
          {text}
        </label>
      );
      break;
    case "password":
      // Never echoed back: not the stored value, not what the user typed.
      input = (
        <input
          {...attrs}
          {...textAttrs(node)}
          type="password"
          autocomplete="new-password"
          required={required}
          placeholder={ctx.mode === "edit" ? "Leave blank to keep it unchanged" : undefined}
        />
      );
      break;
    default:
      input = (
        <input
          {...attrs}
          {...(node.widget === "number" ? numberAttrs(node) : textAttrs(node))}
          type={INPUT_TYPES[node.widget] ?? "text"}
          value={inputValue(node, value)}
          required={required}
        />
      );
  }
  return (
    <div class="field" id={`field-${sid}`} data-widget={node.widget}>
      {labelled ? (
        <label for={id}>
          {text}
          {node.writeOnly && ctx.mode === "edit" ? null : <RequiredMark required={node.required} />}
        </label>
      ) : null}
      {input}
      <HelpText sid={sid} text={node.help} />
      <ErrorSlot sid={sid} message={ctx.errors[fieldName(path)]} />
    </div>
  );
}

/** readOnly fields (and every field in view mode): text, not an input. */
function ReadonlyField({ node, value, path }: { node: FieldNode; value: unknown; path: string[] }) {
  const sid = slotId(path);
  return (
    <div class="field readonly" id={`field-${sid}`} data-widget="readonly">
      <span class="field-label" id={`label-${sid}`}>
        {node.label}
      </span>
      <output id={`f-${sid}`} aria-labelledby={`label-${sid}`}>
        {displayValue(node, value)}
      </output>
      <HelpText sid={sid} text={node.help} />
    </div>
  );
}

function ChoiceList({
  node,
  value,
  path,
  ctx,
}: {
  node: FieldNode;
  value: unknown;
  path: string[];
  ctx: FieldContext;
}) {
  const sid = slotId(path);
  const attrs = common(node, path, ctx);
  const picked = Array.isArray(value) ? value : [];
  if (node.widget === "multiselect") {
    return (
      <div class="field" id={`field-${sid}`} data-widget="multiselect">
        <label for={`f-${sid}`}>
          {node.label}
          <RequiredMark required={node.required} />
        </label>
        <select {...attrs} id={`f-${sid}`} multiple>
          <Options node={node} value={picked} placeholder={false} />
        </select>
        <HelpText sid={sid} text={node.help} />
        <ErrorSlot sid={sid} message={ctx.errors[fieldName(path)]} />
      </div>
    );
  }
  return (
    <fieldset class="field choices" id={`field-${sid}`} data-widget="checkboxes" aria-describedby={`err-${sid}`}>
      <legend>
        {node.label}
        <RequiredMark required={node.required} />
      </legend>
      {(node.options ?? []).map((o, i) => (
        <label>
          <input
            {...attrs}
            id={`f-${sid}-${i}`}
            type="checkbox"
            value={String(o.value)}
            checked={picked.some((v) => v === o.value)}
          />
          {o.label}
        </label>
      ))}
      <HelpText sid={sid} text={node.help} />
      <ErrorSlot sid={sid} message={ctx.errors[fieldName(path)]} />
    </fieldset>
  );
}

function ObjectField({
  node,
  value,
  path,
  ctx,
}: {
  node: FieldNode;
  value: unknown;
  path: string[];
  ctx: FieldContext;
}) {
  const sid = slotId(path);
  const obj = value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  return (
    <fieldset class="field group" id={`field-${sid}`} data-widget="fieldset">
      <legend>
        {node.label}
        <RequiredMark required={node.required} />
      </legend>
      <HelpText sid={sid} text={node.help} />
      <Fields nodes={node.children ?? []} values={obj} path={path} ctx={ctx} />
      <ErrorSlot sid={sid} message={ctx.errors[fieldName(path)]} />
    </fieldset>
  );
}

/** Arrays of objects or of free values: one row each, with add and remove as submit buttons (work without JS). */
// The frame of a repeatable field (legend, row wrappers, add and remove buttons) depends on the
// field, the mode and the number of rows only: it is memoised per field (shells.ts), and only the
// rows' own fields and the error message are filled in per request.
const rowFrames = new WeakMap<FieldNode, ShellCache>();

function RowsField({ node, value, path, ctx }: { node: FieldNode; value: unknown; path: string[]; ctx: FieldContext }) {
  const rows = Array.isArray(value) ? value : [];
  const bodies = rows.map((row, i) => markupOf(RowBody({ node, row, rowPath: [...path, String(i)], index: i, ctx })));
  const error = ctx.errors[fieldName(path)];
  let cache = rowFrames.get(node);
  if (!cache) rowFrames.set(node, (cache = new ShellCache(64)));
  const key = JSON.stringify([fieldName(path), ctx.mode, ctx.preview === true, rows.length, error !== undefined]);
  const slots = [{ text: error ?? "" }, ...bodies.map((html) => ({ html }))] as const;
  return trustedRaw(
    cache.render(key, slots, ([errorText, ...rowHtml]) => (
      <RowsFrame
        node={node}
        path={path}
        ctx={ctx}
        rowHtml={rowHtml}
        error={error === undefined ? undefined : errorText}
      />
    )),
  );
}

function RowBody({
  node,
  row,
  rowPath,
  index,
  ctx,
}: {
  node: FieldNode;
  row: unknown;
  rowPath: string[];
  index: number;
  ctx: FieldContext;
}) {
  if (node.children) {
    return Fields({
      nodes: node.children,
      values: row && typeof row === "object" ? (row as Record<string, unknown>) : {},
      path: rowPath,
      ctx,
    });
  }
  return ctx.mode === "view" ? (
    <ReadonlyField node={node.item!} value={row} path={rowPath} />
  ) : (
    <ScalarField node={node.item!} value={row} path={rowPath} ctx={ctx} label={`${node.label} ${index + 1}`} />
  );
}

function RowsFrame({
  node,
  path,
  ctx,
  rowHtml,
  error,
}: {
  node: FieldNode;
  path: string[];
  ctx: FieldContext;
  rowHtml: SafeHtml[];
  error: string | undefined;
}) {
  const sid = slotId(path);
  const editable = ctx.mode !== "view" && !ctx.preview;
  const max = node.schema.maxItems;
  return (
    <fieldset class="field rows" id={`field-${sid}`} data-widget="rows">
      <legend>
        {node.label}
        <RequiredMark required={node.required} />
      </legend>
      <HelpText sid={sid} text={node.help} />
      {rowHtml.length === 0 ? <p class="rows-empty">No entries.</p> : null}
      {rowHtml.map((html, i) => {
        const rowPath = [...path, String(i)];
        return (
          <div class="row" id={`row-${slotId(rowPath)}`}>
            {node.children && editable ? (
              <input type="hidden" name={`${fieldName(rowPath)}.${ROW_MARKER}`} value="1" />
            ) : null}
            {trustedRaw(html)}
            {editable ? (
              <button
                type="submit"
                name="_action"
                value={`remove:${fieldName(rowPath)}`}
                formnovalidate
                class="secondary outline row-remove"
                aria-label={`Remove row ${i + 1} of ${node.label}`}
              >
                Remove
              </button>
            ) : null}
          </div>
        );
      })}
      {editable && (max === undefined || rowHtml.length < max) ? (
        <button type="submit" name="_action" value={`add:${fieldName(path)}`} formnovalidate class="secondary row-add">
          Add to {node.label}
        </button>
      ) : null}
      <ErrorSlot sid={sid} message={error} />
    </fieldset>
  );
}

/** A hidden conditional field keeps its place (and id), so showing it again is one swap. */
/**
 * A field its x-visibleWhen hides for now: in the form, so a browser without
 * JavaScript posts it in the same save (the server ignores it while hidden,
 * engine/schema/form-post.ts); with JavaScript the page hides it (the `js`
 * class, public/app.js) and the inline check swaps it in when the condition holds.
 * Never required while hidden: the browser would refuse a save the server accepts.
 */
function HiddenField(props: { node: FieldNode; value: unknown; path: string[]; ctx: FieldContext }) {
  const html = markupOf(<>{VisibleField({ ...props, node: { ...props.node, required: false } })}</>);
  return trustedRaw(withFirstClass(html, "when-hidden"));
}

/** An input or choice list, rendered with JSX every time (Field reuses shells of it). */
export function Leaf({
  node,
  value,
  path,
  ctx,
}: {
  node: FieldNode;
  value: unknown;
  path: string[];
  ctx: FieldContext;
}) {
  if (node.widget === "checkboxes" || node.widget === "multiselect") {
    return <ChoiceList node={node} value={value} path={path} ctx={ctx} />;
  }
  return <ScalarField node={node} value={value} path={path} ctx={ctx} />;
}

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

function fromShell(node: FieldNode, value: unknown, path: string[], ctx: FieldContext): SafeHtml | null {
  const name = fieldName(path);
  if (ctx.preview || ctx.mode === "view" || ctx.errors[name]) return null;
  let cache = shells.get(node);
  if (!cache) shells.set(node, (cache = new Map()));
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

/** One field at `path`, given the values of the object it belongs to (for x-visibleWhen). */
export function Field(props: {
  node: FieldNode;
  value: unknown;
  path: string[];
  siblings: Record<string, unknown>;
  ctx: FieldContext;
}) {
  const { node, value, path, ctx } = props;
  if (!isVisible(node, props.siblings)) return <HiddenField node={node} value={value} path={path} ctx={ctx} />;
  return VisibleField(props);
}

function VisibleField(props: { node: FieldNode; value: unknown; path: string[]; ctx: FieldContext }) {
  const { node, value, path, ctx } = props;
  if (node.widget === "fieldset") return <ObjectField node={node} value={value} path={path} ctx={ctx} />;
  if (node.widget === "rows") return <RowsField node={node} value={value} path={path} ctx={ctx} />;
  if (node.widget === "readonly" || ctx.mode === "view") {
    // A password is never displayed, not even as dots.
    if (node.writeOnly) return null;
    return <ReadonlyField node={node} value={value} path={path} />;
  }
  const html = fromShell(node, value, path, ctx);
  if (html !== null) return trustedRaw(html);
  return <Leaf node={node} value={value} path={path} ctx={ctx} />;
}

/** The fields of a form level in order (`nodes` at `path`, their values from `values`), each rendered by Field. */
export function Fields(props: {
  nodes: FieldNode[];
  values: Record<string, unknown>;
  path: string[];
  ctx: FieldContext;
}) {
  // Field is called directly: most fields come back as ready markup, and a component node each
  // would only add work.
  return (
    <>
      {props.nodes.map((node) =>
        Field({
          node,
          value: props.values[node.name],
          path: [...props.path, node.name],
          siblings: props.values,
          ctx: props.ctx,
        }),
      )}
    </>
  );
}
