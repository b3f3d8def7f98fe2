import type { FieldNode } from "../schema/field-nodes.js";
import { ROW_MARKER } from "../schema/form-post.js";
import { ShellCache, trustedRaw, type SafeHtml } from "./shells.js";
import { ErrorSlot, HelpText, RequiredMark } from "./form-field.js";
import { fieldName, slotId, type FieldContext } from "./field-context.js";

// The frame of a repeatable field (legend, row wrappers, add and remove buttons) depends on the
// field, the mode and the number of rows only: it is memoised per field (shells.ts), and only the
// rows' own fields and the error message are filled in per request.
const rowFrames = new WeakMap<FieldNode, ShellCache>();

/**
 * The markup of a repeatable field at `path` around its rows' rendered bodies (one per row, in
 * order), from the field's memoised frame: legend, help, one wrapper per row with its remove
 * button, the add button (below maxItems) and the error slot.
 */
export function rowsMarkup(node: FieldNode, path: string[], ctx: FieldContext, bodies: SafeHtml[]): SafeHtml {
  const error = ctx.errors[fieldName(path)];
  let cache = rowFrames.get(node);
  if (!cache) rowFrames.set(node, (cache = new ShellCache(64)));
  const key = JSON.stringify([fieldName(path), ctx.mode, ctx.preview === true, bodies.length, error !== undefined]);
  const slots = [{ text: error ?? "" }, ...bodies.map((html) => ({ html }))] as const;
  return cache.render(key, slots, ([errorText, ...rowHtml]) => (
    <RowsFrame
      node={node}
      path={path}
      ctx={ctx}
      rowHtml={rowHtml}
      error={error === undefined ? undefined : errorText}
    />
  ));
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
