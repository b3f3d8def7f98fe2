import { compileSchema, describeError } from "../schema/ajv.js";
import { optionsOf } from "../schema/field-nodes.js";
import type { AppScalar, FieldSchema } from "../schema/types.js";
import type { FieldInput } from "./designer-edits.js";
import { PATTERN_PRESETS } from "./field-types.js";
import { plainText } from "../util/plain-text.js";

// Checks of the designer's posted field properties that the definition check does not make:
// a default must pass the field's own rules, a visible-when value must be one the controlling
// field can hold, and a switch or preset must be one of the values the form offers.

/** The words a yes/no property may be posted as (a checkbox sends "on"; a cleared one, nothing). */
const ON_OFF = /^(|on|off|true|false|yes|no|1|0)$/i;

/**
 * Why a field's default would be refused by the field itself (format, pattern, bounds, length,
 * choices), as "Default must be a valid email."; null when it passes or there is no default. A
 * schema Ajv cannot compile (a broken pattern) is left to the definition check, which names it.
 */
export function defaultProblem(f: FieldSchema): string | null {
  if (f.default === undefined) return null;
  const choices = optionsOf(f);
  if (choices && !choices.some((c) => c.value === f.default))
    return `Default must be one of the choices: ${choices.map((c) => String(c.value)).join(", ")}.`;
  const { default: value, ...rules } = f;
  let validate;
  try {
    validate = compileSchema(rules, { transient: true });
  } catch {
    return null;
  }
  if (validate(value)) return null;
  const e = validate.errors?.[0];
  return `Default ${e ? describeError(e) : "is not a value this field accepts"}.`;
}

/**
 * Why a visible-when value cannot be one the controlling field holds: for a Choice or Yes/No, the
 * value must be one of its values (a label typed instead is named); null when it can.
 */
export function visibleValueProblem(control: FieldSchema, value: AppScalar, controlLabel: string): string | null {
  const choices =
    optionsOf(control) ??
    (control.type === "boolean"
      ? [
          { value: true, label: "Yes" },
          { value: false, label: "No" },
        ]
      : undefined);
  if (!choices || choices.some((c) => c.value === value)) return null;
  const byLabel = choices.find((c) => c.label.toLowerCase() === String(value).trim().toLowerCase());
  if (byLabel) return `Pick the value, not the label: "${byLabel.label}" is stored as "${String(byLabel.value)}".`;
  const list = choices.map((c) => `${c.label} (${String(c.value)})`).join(", ");
  return `"${String(value)}" is not one of ${controlLabel}'s values: ${list}.`;
}

/**
 * Posted properties a field form does not offer as typed: a read-only switch that is not on or
 * off, a pattern preset that is none of the presets, and (for a system field, which keeps
 * everything but its label and help text) a default, read-only or visible-when rule (keyed "_":
 * its panel has no such controls). Returns the messages keyed by form field ({} when all is well).
 */
export function unknownValues(input: FieldInput & { patternPreset?: string }, system: boolean): Record<string, string> {
  const errors: Record<string, string> = {};
  if (input.readOnly !== undefined && !ON_OFF.test(input.readOnly.trim()))
    errors.readOnly = "Read-only must be on or off.";
  if (input.required !== undefined && !ON_OFF.test(input.required.trim()))
    errors.required = "Required must be on or off.";
  const preset = input.patternPreset;
  if (preset && !PATTERN_PRESETS.some((p) => p.pattern === preset))
    errors.patternPreset = "Pick one of the presets, or leave it at —.";
  if (system) {
    // The panel of a system field has no such controls: the message goes to the form's slot, naming them.
    const fixed: string[] = [];
    if ((input.default ?? "").trim()) fixed.push("a default");
    if (/^(on|true|yes|1)$/i.test((input.readOnly ?? "").trim())) fixed.push("read-only");
    if ((input.visibleField ?? "").trim() || (input.visibleValue ?? "").trim()) fixed.push("visible when");
    if (fixed.length)
      errors._ = `A system field cannot be given ${fixed.join(", ")}: only its label and help text change.`;
  }
  return errors;
}

/**
 * A definition-check message as the designer says it, naming the property (the checks speak
 * JSON Schema: "must be a valid regex", "is larger than maximum"); the message unchanged when
 * there is no plainer one. `key` is the form field it is shown on; `at` what the problem's pointer
 * names in the definition (for a repeated item: which one).
 */
export function plainMessage(key: string, message: string, at?: unknown, pointer = ""): string {
  const m = message.toLowerCase();
  if (key === "pattern" && /regex/.test(m)) return "Pattern is not a valid regular expression.";
  if (key === "minimum" && /larger than maximum/.test(m)) return "Maximum must be at least the minimum.";
  if (key === "maxLength" && /larger than maxlength/.test(m))
    return "Maximum length must be at least the minimum length.";
  const dup = m.match(/duplicate items \(items ## (\d+) and (\d+) are identical\)/);
  if (dup) {
    const item = Array.isArray(at) ? (at as unknown[])[Number(dup[2])] : undefined;
    const what = { options: "option value", columns: "column", searchable: "searchable field" }[key] ?? "entry";
    const shown =
      item === undefined
        ? `items ${Number(dup[1]) + 1} and ${Number(dup[2]) + 1} are the same`
        : `'${plainText((item as { const?: unknown })?.const ?? item)}' is repeated`;
    return `Each ${what} may appear once: ${shown}.`;
  }
  if (/must be at least 1 characters?/.test(m) || /must not have fewer than 1 characters/.test(m)) {
    const names: Record<string, string> = {
      title: "Label",
      description: "Description",
      help: "Help text",
      section: "Section title",
    };
    return `${pointer === "/title" ? "Title" : (names[key] ?? "It")} must not be empty.`;
  }
  return message;
}

/** The message for a name no field may have (RESERVED_FIELD_NAMES). */
export const reservedNameMessage = (name: string) =>
  `"${name}" is a name JavaScript objects use for themselves (it would read as a function, not your field); pick another name.`;
