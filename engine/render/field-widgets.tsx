import type { Child } from "hono/jsx";
import type { FieldNode } from "../schema/field-nodes.js";
import { removedChoices, removedOptionLabel } from "../schema/display-text.js";
import { describedBy, ErrorSlot, HelpText, RequiredMark } from "./form-field.js";
import { fieldName, inputValue, slotId, type FieldContext, type FieldProps } from "./field-context.js";

// The widgets of a record form: one input, select, textarea, radio group or checkbox list per
// field, with its label, help and error slot. Rendered with JSX every time; field-shells.tsx keeps
// shells of them.

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
      {removedChoices(node, value).map((v) => (
        <option value={String(v)} selected>
          {removedOptionLabel(v)}
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

/** A single-value field: label, input, help, error slot (also one row of an array of free values). */
export function ScalarField({
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
  const attrs: Record<string, unknown> = { ...common(node, path, ctx), id };
  if (node.placeholder) attrs.placeholder = node.placeholder; // x-placeholder (text-like inputs only)
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
        <fieldset class="choices" aria-describedby={attrs["aria-describedby"]}>
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
          {removedChoices(node, value).map((v) => (
            <label>
              <input {...attrs} id={`${id}-removed`} type="radio" value={String(v)} checked required={required} />
              {removedOptionLabel(v)}
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

function ChoiceList({ node, value, path, ctx }: FieldProps) {
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
      {removedChoices(node, picked).map((v, i) => (
        <label>
          <input {...attrs} id={`f-${sid}-removed-${i}`} type="checkbox" value={String(v)} checked />
          {removedOptionLabel(v)}
        </label>
      ))}
      <HelpText sid={sid} text={node.help} />
      <ErrorSlot sid={sid} message={ctx.errors[fieldName(path)]} />
    </fieldset>
  );
}

/** An input or choice list, rendered with JSX every time (Field reuses shells of it). */
export function Leaf({ node, value, path, ctx }: FieldProps) {
  if (node.widget === "checkboxes" || node.widget === "multiselect") {
    return <ChoiceList node={node} value={value} path={path} ctx={ctx} />;
  }
  return <ScalarField node={node} value={value} path={path} ctx={ctx} />;
}
