import type { FieldNode } from "../schema/field-nodes.js";
import { displayValue } from "../schema/display-text.js";
import { HelpText } from "./form-field.js";
import { slotId } from "./field-context.js";

// A field shown as text (readOnly fields, and every field in view mode): its label and its value in
// words, from engine/schema/display-text.ts.

/** readOnly fields (and every field in view mode): text, not an input. */
export function ReadonlyField({ node, value, path }: { node: FieldNode; value: unknown; path: string[] }) {
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
