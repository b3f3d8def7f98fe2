import { OPEN_TO, OPEN_TO_LABELS } from "../../../apps/open-to.js";
import { describedBy, ErrorSlot, HelpText } from "../../../render/form-field.js";
import { CsrfField } from "../../../render/layout.js";
import type { AppDefinition, FieldSchema } from "../../../schema/types.js";
import { CheckboxGroup, FormProblem, PropInput, PropSelect, PropTextarea, type Errors } from "./designer-controls.js";
import { DesignerShell, DraftStampField, type DesignerFrame } from "./designer-shell.js";

/** The List tab: columns, searchable fields and the default sort. */
export function DesignerListPage(
  p: DesignerFrame & {
    definition: AppDefinition;
    input: { columns: string[]; searchable: string[]; sort: string };
    errors: Errors;
  },
) {
  const top = Object.entries(p.definition.record.properties).filter(([, f]) => f && !f.writeOnly) as [
    string,
    FieldSchema,
  ][];
  const columnable = top.filter(([, f]) => f.type !== "object" && !(f.type === "array" && f.items?.type === "object"));
  const text = top.filter(([, f]) => f.type === "string");
  const e = p.errors;
  return (
    <DesignerShell {...p} tab="list">
      <form method="post" action={`/configure/apps/${p.appId}/list`} id="list-form">
        <CsrfField token={p.frame.csrfToken} />
        <DraftStampField />
        <FormProblem errors={e} />
        <CheckboxGroup
          name="columns"
          legend="Columns (in form order)"
          errors={e}
          boxes={columnable.map(([n, f]) => ({ value: n, label: f.title ?? n, checked: p.input.columns.includes(n) }))}
        />
        <CheckboxGroup
          name="searchable"
          legend="Searchable fields"
          errors={e}
          boxes={text.map(([n, f]) => ({ value: n, label: f.title ?? n, checked: p.input.searchable.includes(n) }))}
        />
        <PropSelect
          name="sort"
          label="Default sort"
          help="The list sorts on one of its columns: to sort on another field, tick it as a column and save first."
          errors={e}
          options={[
            { value: "", label: "(newest first)" },
            // Only columns are accepted (the store sorts on a column): other fields are offered
            // disabled; public/designer.js enables one when its column box is ticked.
            ...columnable.flatMap(([n, f]) => [
              {
                value: n,
                label: `${f.title ?? n}, ascending`,
                selected: p.input.sort === n,
                disabled: !p.input.columns.includes(n),
              },
              {
                value: `-${n}`,
                label: `${f.title ?? n}, descending`,
                selected: p.input.sort === `-${n}`,
                disabled: !p.input.columns.includes(n),
              },
            ]),
          ]}
        />
        <button type="submit">Save list</button>
      </form>
    </DesignerShell>
  );
}

/** The Settings tab: title, description and who may open the app. */
export function DesignerSettingsPage(
  p: DesignerFrame & {
    input: { title: string; description: string; openTo: string };
    errors: Errors;
    bindsUsers: boolean;
  },
) {
  const e = p.errors;
  return (
    <DesignerShell {...p} tab="settings">
      <form method="post" action={`/configure/apps/${p.appId}/settings`} id="settings-form">
        <CsrfField token={p.frame.csrfToken} />
        <DraftStampField />
        <FormProblem errors={e} />
        <PropInput name="title" label="Title" value={p.input.title} errors={e} required attrs={{ maxlength: 200 }} />
        <PropTextarea
          name="description"
          label="Description"
          value={p.input.description}
          errors={e}
          rows={3}
          maxlength={2000}
        />
        <fieldset id="p-openTo" {...describedBy("openTo", { help: true, error: e.openTo })}>
          <legend>Who may open the app</legend>
          {p.bindsUsers ? (
            <p>Administrators only: this app holds user accounts.</p>
          ) : (
            OPEN_TO.map((o) => (
              <label>
                <input type="radio" name="openTo" value={o} checked={p.input.openTo === o} /> {OPEN_TO_LABELS[o]}
              </label>
            ))
          )}
          <HelpText
            sid="openTo"
            text="Opening means seeing the app and reading its records; only administrators add, change or delete records."
          />
          <ErrorSlot sid="openTo" message={e.openTo} />
        </fieldset>
        <button type="submit">Save settings</button>
      </form>
    </DesignerShell>
  );
}
