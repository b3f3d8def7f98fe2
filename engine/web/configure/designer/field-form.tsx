import { DraftStampField } from "./designer-shell.js";
import { optionsOf } from "../../../schema/field-nodes.js";
import { SYSTEM_MEANINGS, systemNote } from "../../../schema/system-meanings.js";
import type { SystemBinding } from "../../../schema/types.js";
import type { FieldInput } from "../../../apps/designer-edits.js";
import {
  FIELD_TYPES,
  fieldTypeInfo,
  PATTERN_PRESETS,
  type DesignerType,
  type FieldProperty,
} from "../../../apps/field-types.js";
import { FormField } from "../../../render/form-field.js";
import { CsrfField } from "../../../render/layout.js";
import type { AppDefinition, FieldSchema } from "../../../schema/types.js";
import { FIELD_NAME_SOURCE } from "../../../schema/identifiers.js";
import {
  CheckboxGroup,
  FormProblem,
  OnOffBox,
  PropInput,
  PropSelect,
  PropTextarea,
  type Errors,
} from "./designer-controls.js";
import { LockIcon } from "../../../render/icons.js";

const isOn = (v: string | undefined) => v !== undefined && /^(on|true|yes|1)$/i.test(v);

/** What the properties panel shows: a new field of a type, or an existing field with its posted values and errors. */
export interface FieldFormProps {
  appId: string;
  csrf: string;
  definition: AppDefinition;
  mode: "new" | "edit";
  path?: string;
  type: DesignerType;
  input: FieldInput;
  errors: Errors;
  system?: string;
  /** Why the name cannot change (records exist), or null. */
  nameLocked?: string | null;
  siblings: Record<string, FieldSchema | undefined>;
}

/** The form of a new Section: its title and the fields it starts with. */
function SectionForm(p: FieldFormProps & { action: string }) {
  const sections = p.definition.form?.sections ?? [];
  const placedIn = new Map(sections.flatMap((s, i) => s.fields.map((n) => [n, i + 1] as const)));
  return (
    <form method="post" action={p.action} id="field-form" class="field-form">
      <h2>New section</h2>
      <CsrfField token={p.csrf} />
      <DraftStampField />
      <input type="hidden" name="type" value="section" />
      <FormProblem errors={p.errors} />
      <PropInput
        name="title"
        label="Title"
        value={p.input.title}
        errors={p.errors}
        required
        attrs={{ maxlength: 200 }}
      />
      <CheckboxGroup
        name="fields"
        legend="Fields it starts with (none picked: the fields not in a section yet)"
        errors={p.errors}
        boxes={Object.entries(p.definition.record.properties).map(([n, f]) => ({
          value: n,
          label: f?.title ?? n,
          note: placedIn.has(n) ? `(now in section ${placedIn.get(n)})` : undefined,
        }))}
      />
      <button type="submit">Add section</button>
    </form>
  );
}

/** The type of a field: fixed for a new or system field, else a select of every field type. */
function TypeControl(p: FieldFormProps) {
  const label = fieldTypeInfo(p.type).label;
  if (p.system || p.mode === "new") {
    return (
      <FormField
        id="p-type"
        slot="type"
        label="Type"
        error={p.errors.type}
        control={(a) => (
          <>
            <input type="hidden" name="type" value={p.type} />
            <input {...a} value={label} readonly />
          </>
        )}
      />
    );
  }
  return (
    <PropSelect
      name="type"
      label="Type"
      errors={p.errors}
      options={FIELD_TYPES.filter((t) => t.type !== "section").map((t) => ({
        value: t.type,
        label: t.label,
        selected: t.type === p.type,
      }))}
    />
  );
}

/** The properties only some types have: options, default, bounds, length, pattern, visible-when. */
function TypeProperties(p: FieldFormProps) {
  const e = p.errors;
  const v = p.input;
  const info = fieldTypeInfo(p.type);
  const has = (prop: FieldProperty) => !p.system && info.properties.includes(prop);
  const controls = Object.entries(p.siblings).filter(
    ([n, f]) =>
      f &&
      n !== p.path?.split(".").pop() &&
      ["string", "integer", "number", "boolean"].includes(f.type) &&
      !f.readOnly &&
      !f["x-visibleWhen"],
  );
  // A Choice or Yes/No controlling the field: its values, labels shown, as a select.
  const control = controls.find(([n]) => n === v.visibleField)?.[1];
  const valueChoices = control
    ? (optionsOf(control) ??
      (control.type === "boolean"
        ? [
            { value: true, label: "Yes" },
            { value: false, label: "No" },
          ]
        : undefined))
    : undefined;
  return (
    <>
      {has("options") ? (
        <PropTextarea
          name="options"
          label="Options"
          help="One per line; value|Label, or a value that is its own label."
          value={v.options}
          errors={e}
          rows={5}
        />
      ) : null}
      {has("default") ? <PropInput name="default" label="Default" value={v.default} errors={e} /> : null}
      {has("placeholder") ? (
        <PropInput
          name="placeholder"
          label="Placeholder"
          help="A hint shown inside the empty input, e.g. an example value; never stored."
          value={v.placeholder}
          errors={e}
          attrs={{ maxlength: 200 }}
        />
      ) : null}
      {has("minimum") ? (
        <div class="grid">
          <PropInput name="minimum" label="Minimum" value={v.minimum} errors={e} attrs={{ inputmode: "decimal" }} />
          <PropInput name="maximum" label="Maximum" value={v.maximum} errors={e} attrs={{ inputmode: "decimal" }} />
        </div>
      ) : null}
      {has("maxLength") ? (
        <PropInput
          name="maxLength"
          label="Maximum length"
          value={v.maxLength}
          errors={e}
          attrs={{ inputmode: "numeric" }}
        />
      ) : null}
      {has("pattern") ? (
        <div class="grid">
          <PropInput
            name="pattern"
            label="Pattern"
            help="A regular expression the value must match."
            value={v.pattern}
            errors={e}
          />
          <PropSelect
            name="patternPreset"
            label="Or a preset"
            errors={e}
            options={[
              { value: "", label: "—" },
              ...PATTERN_PRESETS.map((pr) => ({ value: pr.pattern, label: pr.label })),
            ]}
          />
        </div>
      ) : null}
      {has("visibleWhen") ? (
        <div class="grid">
          <PropSelect
            name="visibleField"
            label="Visible when"
            errors={e}
            options={[
              { value: "", label: "always" },
              ...controls.map(([n, f]) => ({ value: n, label: f!.title ?? n, selected: v.visibleField === n })),
            ]}
          />
          {valueChoices ? (
            <PropSelect
              name="visibleValue"
              label="has the value"
              help="Another field picked above? Save, and its values are offered here."
              errors={e}
              options={[
                { value: "", label: "—" },
                ...valueChoices.map((o) => ({
                  value: String(o.value),
                  label: o.label,
                  selected: v.visibleValue === String(o.value),
                })),
              ]}
            />
          ) : (
            <>
              <PropInput
                name="visibleValue"
                label="has the value"
                value={v.visibleValue}
                errors={e}
                attrs={{ list: "visible-values" }}
              />
              <datalist id="visible-values">
                {controls.flatMap(([, f]) =>
                  f!.type === "boolean"
                    ? [<option value="true" />, <option value="false" />]
                    : (f!.oneOf ?? []).map((o) => <option value={String(o.const)}>{o.title}</option>),
                )}
              </datalist>
            </>
          )}
        </div>
      ) : null}
    </>
  );
}

/** The properties panel: a new field of a type, or an existing field (locked down to label and help for a system field). */
export function FieldForm(p: FieldFormProps) {
  const e = p.errors;
  const v = p.input;
  const info = fieldTypeInfo(p.type);
  const action =
    p.mode === "new" ? `/configure/apps/${p.appId}/fields/new` : `/configure/apps/${p.appId}/fields/${p.path}`;
  if (p.type === "section") return <SectionForm {...p} action={action} />;
  const topLevel = !(v.parent ?? "") && !(p.path ?? "").includes(".");
  const sections = p.definition.form?.sections ?? [];
  // With htmx the save swaps the work area (outline, panel, preview); without it, a plain POST.
  const hx = { "hx-post": action, "hx-target": "#designer-work", "hx-swap": "outerHTML" };
  return (
    <form method="post" action={action} id="field-form" class="field-form" {...hx}>
      <h2>
        {p.mode === "new" ? `New field: ${info.label}` : `${v.title || p.path}`}{" "}
        {p.system ? (
          <mark class="flag system">
            <LockIcon /> system field ({p.system})
          </mark>
        ) : null}
      </h2>
      <CsrfField token={p.csrf} />
      <DraftStampField />
      {v.parent ? <input type="hidden" name="parent" value={v.parent} /> : null}
      <FormProblem errors={e} />
      {p.system ? (
        <p class="notice">
          A system field is bound to engine behaviour: you can change its label and help text and move it, but not
          delete it or change its type.{" "}
          <strong id="system-meaning">
            System meaning: {SYSTEM_MEANINGS[p.system as SystemBinding].label} —{" "}
            {SYSTEM_MEANINGS[p.system as SystemBinding].meaning}.
          </strong>{" "}
          {systemNote(p.system as SystemBinding, v.title)
            ? "A label that says otherwise misleads whoever fills in the form."
            : null}
        </p>
      ) : null}
      <TypeControl {...p} />
      <PropInput name="title" label="Label" value={v.title} errors={e} required attrs={{ maxlength: 200 }} />
      <PropInput
        name="name"
        label="Name"
        help={p.nameLocked ?? "How the value is stored; derived from the label when left blank."}
        value={v.name}
        errors={e}
        attrs={{ pattern: FIELD_NAME_SOURCE, readonly: p.system !== undefined || !!p.nameLocked }}
      />
      <PropTextarea name="help" label="Help text" value={v.help} errors={e} rows={2} maxlength={2000} />
      {!p.system ? (
        <fieldset>
          <OnOffBox name="required" label="Required" on={isOn(v.required)} errors={e} />
          <OnOffBox name="readOnly" label="Read-only (shown, never entered)" on={isOn(v.readOnly)} errors={e} />
        </fieldset>
      ) : null}
      <TypeProperties {...p} />
      {topLevel && sections.length ? (
        <PropSelect
          name="section"
          label="Section"
          errors={e}
          options={[
            ...(p.mode === "edit" ? [{ value: "", label: "(keep)" }] : []),
            ...sections.map((s, i) => ({
              value: String(i + 1),
              label: s.title ?? `Section ${i + 1}`,
              selected: v.section === String(i + 1) || (p.mode === "new" && !v.section && i === sections.length - 1),
            })),
          ]}
        />
      ) : null}
      <button type="submit" id="field-form-submit">
        {p.mode === "new" ? "Add field" : "Save field"}
      </button>{" "}
      <a href={`/configure/apps/${p.appId}`} role="button" class="secondary outline">
        Close
      </a>
    </form>
  );
}

/** Deletes the selected field; says its stored values are kept. */
export function DeleteFieldForm({ appId, path, csrf }: { appId: string; path: string; csrf: string }) {
  return (
    <form method="post" action={`/configure/apps/${appId}/fields/${path}/delete`} class="delete-field">
      <CsrfField token={csrf} />
      <DraftStampField />
      <button type="submit" class="secondary outline">
        Delete this field
      </button>
      <small> Values already stored under its name are kept in the records.</small>
    </form>
  );
}
