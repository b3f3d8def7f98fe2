import { isVisible, type FieldNode } from "../schema/field-nodes.js";
import { markupOf, trustedRaw, withFirstClass } from "./shells.js";
import { ErrorSlot, HelpText, RequiredMark } from "./form-field.js";
import { fieldName, slotId, type FieldContext, type FieldProps } from "./field-context.js";
import { Leaf, ScalarField } from "./field-widgets.js";
import { ReadonlyField } from "./readonly-field.js";
import { fromShell } from "./field-shells.js";
import { rowsMarkup } from "./rows-markup.js";

// The field tree of a record form: each field at its path, hidden while its x-visibleWhen says so,
// a group or a repeatable field around its children, a widget (field-widgets.tsx) from its kept
// shell (field-shells.tsx) where one fits, a read-only field as text (readonly-field.tsx).

export { fieldName, slotId, type FieldContext, type RenderMode } from "./field-context.js";
export { Leaf } from "./field-widgets.js";

function ObjectField({ node, value, path, ctx }: FieldProps) {
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
function RowsField({ node, value, path, ctx }: { node: FieldNode; value: unknown; path: string[]; ctx: FieldContext }) {
  const rows = Array.isArray(value) ? value : [];
  const bodies = rows.map((row, i) => markupOf(RowBody({ node, row, rowPath: [...path, String(i)], index: i, ctx })));
  return trustedRaw(rowsMarkup(node, path, ctx, bodies));
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

/** A hidden conditional field keeps its place (and id), so showing it again is one swap. */
/**
 * A field its x-visibleWhen hides for now: in the form, so a browser without
 * JavaScript posts it in the same save (the server ignores it while hidden,
 * engine/schema/form-post.ts); with JavaScript the page hides it (the `js`
 * class, public/app.js) and the inline check swaps it in when the condition holds.
 * Never required while hidden: the browser would refuse a save the server accepts.
 */
function HiddenField(props: FieldProps) {
  const html = markupOf(<>{VisibleField({ ...props, node: optionalTwin(props.node) })}</>);
  return trustedRaw(withFirstClass(html, "when-hidden"));
}

const optionalTwins = new WeakMap<FieldNode, FieldNode>();

/**
 * The node as a hidden field renders it: the same, not required. One object per node, kept as long
 * as the node is, so the widget shells (field-shells.tsx, keyed by node) serve hidden fields too
 * rather than rendering them anew on every request.
 */
function optionalTwin(node: FieldNode): FieldNode {
  let twin = optionalTwins.get(node);
  if (!twin) optionalTwins.set(node, (twin = { ...node, required: false }));
  return twin;
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

function VisibleField(props: FieldProps) {
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
