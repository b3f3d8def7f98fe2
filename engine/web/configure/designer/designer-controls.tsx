import type { Child } from "hono/jsx";
import { describedBy, ErrorSlot, FormField, InputField } from "../../../render/form-field.js";

// The labelled controls of the designer's forms, all laid out by engine/render/form-field.tsx.
// A control's id is `p-<name>` (p for property, so it never meets a previewed record field's id);
// its error slot keeps the posted name: `err-<name>`, as the routes' messages are keyed.

/** Messages by posted field name; "_" is a refusal of the whole form. */
export type Errors = Record<string, string>;

/** The banner of a refusal that concerns the whole form (error key "_"), id `err-_`; hidden when there is none. */
export function FormProblem({ errors }: { errors: Errors }) {
  return (
    <div class="notice error" role="alert" id="err-_" hidden={!errors._}>
      {errors._ ?? ""}
    </div>
  );
}

/** What every labelled control of a designer form shares: its posted name, label, help, the form's messages. */
interface PropControl {
  name: string;
  label: Child;
  errors: Errors;
  help?: Child;
}

/** FormField's props for a designer control: id `p-<name>`, slots and message keyed by the posted name. */
const fieldProps = (p: PropControl) => ({
  id: `p-${p.name}`,
  slot: p.name,
  label: p.label,
  help: p.help,
  error: p.errors[p.name],
});

/** A text input of a designer form: id `p-<name>`, error slot `err-<name>`, the posted value shown again. */
export function PropInput(
  p: PropControl & { value: string | undefined; required?: boolean; attrs?: Record<string, unknown> },
) {
  return <InputField {...fieldProps(p)} name={p.name} value={p.value ?? ""} required={p.required} attrs={p.attrs} />;
}

/** A textarea of a designer form, tied to its label and slots like PropInput. */
export function PropTextarea(p: PropControl & { value: string | undefined; rows: number; maxlength?: number }) {
  return (
    <FormField
      {...fieldProps(p)}
      control={(a) => (
        <textarea {...a} name={p.name} rows={p.rows} maxlength={p.maxlength}>
          {p.value ?? ""}
        </textarea>
      )}
    />
  );
}

/** One option of a PropSelect: value, text and whether it is picked. */
export interface SelectOption {
  value: string;
  label: Child;
  selected?: boolean;
  /** Shown but not pickable (e.g. a sort on a field that is not a column yet). */
  disabled?: boolean;
}

/** A select of a designer form, tied to its label and slots like PropInput. */
export function PropSelect(p: PropControl & { options: SelectOption[] }) {
  return (
    <FormField
      {...fieldProps(p)}
      control={(a) => (
        <select {...a} name={p.name}>
          {p.options.map((o) => (
            <option value={o.value} selected={o.selected} disabled={o.disabled}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    />
  );
}

/** One box of a CheckboxGroup: posted value, text, an optional note and whether it is ticked. */
export interface Box {
  value: string;
  label: Child;
  note?: Child;
  checked?: boolean;
}

/**
 * A fieldset of checkboxes that post the same name repeatedly (list columns, a section's fields):
 * the legend labels the group, and the fieldset is tied to the error slot `err-<name>`.
 */
export function CheckboxGroup(p: { name: string; legend: Child; boxes: Box[]; errors: Errors }) {
  return (
    <fieldset id={`p-${p.name}`} {...describedBy(p.name, { error: p.errors[p.name] })}>
      <legend>{p.legend}</legend>
      {p.boxes.map((b) => (
        <label>
          <input type="checkbox" name={p.name} value={b.value} checked={b.checked} /> {b.label}
          {b.note ? <small> {b.note}</small> : null}
        </label>
      ))}
      <ErrorSlot sid={p.name} message={p.errors[p.name]} />
    </fieldset>
  );
}

/**
 * A yes/no switch posted as "on" or "off": unchecked boxes send nothing, so a hidden "off" goes
 * first (the last value wins). Tied to the error slot `err-<name>`.
 */
export function OnOffBox(p: { name: string; label: Child; on: boolean; errors: Errors }) {
  return (
    <>
      <input type="hidden" name={p.name} value="off" />
      <label>
        <input
          type="checkbox"
          id={`p-${p.name}`}
          name={p.name}
          value="on"
          checked={p.on}
          {...describedBy(p.name, { error: p.errors[p.name] })}
        />{" "}
        {p.label}
      </label>
      <ErrorSlot sid={p.name} message={p.errors[p.name]} />
    </>
  );
}
