// A Visible when rule compares its controlling field with values; for a Choice those must be among
// its options, or the field it shows can never appear again (an option removed from under it).
import type { DefinitionProblem } from "./definition-problems.js";
import { optionsOf } from "./field-nodes.js";
import { escapePointer } from "./identifiers.js";
import type { FieldSchema } from "./types.js";

/**
 * The problem of field `name` (schema `f` at JSON Pointer `at`) whose x-visibleWhen compares its
 * sibling `controlName` (`control`) with `values` that are not all among that field's options, or
 * null. It is put on the controlling field's options, where removing an option is refused: "Reason
 * is shown when Status is hold, which is not one of Status's options: change Reason's Visible when
 * first." (labels; for several values, which of them are missing).
 */
export function missingOptionProblem(
  at: string,
  name: string,
  f: FieldSchema,
  controlName: string,
  control: FieldSchema,
  values: readonly unknown[],
): DefinitionProblem | null {
  const offered = optionsOf(control)?.map((o) => o.value);
  const gone = offered ? values.filter((v) => !offered.includes(v as never)) : [];
  if (!gone.length) return null;
  const [field, controlLabel] = [f.title ?? name, control.title ?? controlName];
  const options = `${controlLabel}'s options`;
  const which =
    values.length === 1
      ? `${String(values[0])}, which is not one of ${options}`
      : `${values.map(String).join(" or ")}, and ${gone.map(String).join(" and ")} ${gone.length === 1 ? `is not one of ${options}` : `are not among ${options}`}`;
  return {
    pointer: `${at.replace(/[^/]+$/, escapePointer(controlName))}/${control.oneOf ? "oneOf" : "enum"}`,
    message: `${field} is shown when ${controlLabel} is ${which}: change ${field}'s Visible when first.`,
  };
}
