import type { Child } from "hono/jsx";

// Every labelled control of every page (record forms, Configure, the designer, sign-in and MFA
// setup) is laid out by the pieces below, so a screen reader hears the same thing everywhere: the
// label, then the help text, then the error, both tied to the control with aria-describedby.
// Ids follow one rule: the control is `id`, its help is `help-<slot>`, its error `err-<slot>`.

/**
 * The error slot of a control: always rendered (empty when valid, hidden by CSS) with id
 * `err-<slot>`, which the control names in `aria-describedby`, and `aria-live` so an htmx check
 * that fills it later is announced.
 */
export function ErrorSlot({ sid, message }: { sid: string; message: string | undefined }) {
  return (
    <small class="field-error" id={`err-${sid}`} aria-live="polite">
      {message ?? ""}
    </small>
  );
}

/** The help text under a control, id `help-<slot>`; nothing when there is no text. */
export function HelpText({ sid, text }: { sid: string; text: Child | undefined }) {
  return text ? (
    <small class="field-help" id={`help-${sid}`}>
      {text}
    </small>
  ) : null;
}

/** The "*" after a required control's label, spelled out for assistive technology. */
export function RequiredMark({ required }: { required: boolean | undefined }) {
  return required ? (
    <abbr class="required" title="required">
      *
    </abbr>
  ) : null;
}

/**
 * The ARIA attributes a control needs to be tied to its help and error slots:
 * `aria-describedby` ("help-<slot> err-<slot>", or only the error slot without help) and
 * `aria-invalid="true"` while it has an error.
 */
export function describedBy(
  sid: string,
  opts: { help?: boolean; error?: string | undefined },
): { "aria-describedby": string; "aria-invalid": "true" | undefined } {
  return {
    "aria-describedby": opts.help ? `help-${sid} err-${sid}` : `err-${sid}`,
    "aria-invalid": opts.error ? "true" : undefined,
  };
}

/** The attributes FormField hands to its control: id plus the ARIA ties of describedBy. */
export interface ControlAttrs {
  id: string;
  "aria-describedby": string;
  "aria-invalid": "true" | undefined;
}

/** Props of FormField (see there). */
export interface FormFieldProps {
  /** The control's id (the label's `for`). */
  id: string;
  /** The stem of the help and error slot ids; defaults to `id`. */
  slot?: string;
  label: Child;
  /** Help text shown under the control. */
  help?: Child;
  /** The error message for this control, if any (a 4xx answer's per-field message). */
  error?: string | undefined;
  /** Adds the "*" mark; the control itself still needs its own `required` attribute. */
  required?: boolean;
  /** Extra class on the wrapper (e.g. "field" for the record forms' layout). */
  class?: string;
  /** The control, given the attributes that tie it to the label and the slots. */
  control: (attrs: ControlAttrs) => Child;
}

/**
 * One labelled control: label (with the required mark), the control, help text, error slot.
 * The caller renders the control itself (input, select, textarea) from the attributes it is given,
 * so any control fits; InputField covers the plain `<input>`.
 */
export function FormField(props: FormFieldProps) {
  const sid = props.slot ?? props.id;
  const attrs: ControlAttrs = { id: props.id, ...describedBy(sid, { help: !!props.help, error: props.error }) };
  return (
    <div class={props.class ? `form-field ${props.class}` : "form-field"}>
      <label for={props.id}>
        {props.label}
        <RequiredMark required={props.required} />
      </label>
      {props.control(attrs)}
      <HelpText sid={sid} text={props.help} />
      <ErrorSlot sid={sid} message={props.error} />
    </div>
  );
}

/** Props of InputField: FormField's without `control`, plus the `<input>`'s own attributes. */
export type InputFieldProps = Omit<FormFieldProps, "control"> & {
  name: string;
  type?: string;
  value?: string | number | undefined;
  autocomplete?: string;
  /** Any further attribute of the input (min, max, minlength, pattern, inputmode, autofocus…). */
  attrs?: Record<string, unknown>;
};

/** A FormField whose control is an `<input>` named `name` (type text unless given). */
export function InputField(props: InputFieldProps) {
  return (
    <FormField
      {...props}
      control={(a) => (
        <input
          {...a}
          type={props.type ?? "text"}
          name={props.name}
          value={props.value}
          autocomplete={props.autocomplete}
          required={props.required || undefined}
          {...props.attrs}
        />
      )}
    />
  );
}
