import type { FieldChange, PropertyChange } from "../../../apps/definition-diff.js";
import type { AppVersionInfo } from "../../../apps/app-registry.js";
import { FormField } from "../../../render/form-field.js";
import { AppVersionsTable } from "./app-versions-table.js";
import { DesignerShell, ButtonForm, type DesignerFrame } from "./designer-shell.js";

/** One line of a diff: kept, removed (only in the older version) or added. */
export interface DiffLine {
  kind: " " | "-" | "+";
  text: string;
}

/** What changed between two versions: per field, for the app, and the JSON line diff for experts. */
export interface VersionDiff {
  from: number;
  to: number;
  fields: FieldChange[];
  app: PropertyChange[];
  lines: DiffLine[];
}

const KIND_WORDS: Record<FieldChange["kind"], string> = {
  added: "added",
  removed: "removed (its stored values are kept)",
  renamed: "renamed?",
  changed: "changed",
};

/** "Label: “Company” → “Company name”" for each changed property. */
function Changes({ changes }: { changes: PropertyChange[] }) {
  return changes.length ? (
    <ul class="property-changes">
      {changes.map((c) => (
        <li>
          {c.property}: {c.before ? <del>{c.before}</del> : <em>none</em>} →{" "}
          {c.after ? <ins>{c.after}</ins> : <em>none</em>}
        </li>
      ))}
    </ul>
  ) : null;
}

/** The per-field table of what changed, the app's own changes, and the JSON diff folded away. */
function DiffSection({ diff }: { diff: VersionDiff }) {
  const nothing = !diff.fields.length && !diff.app.length;
  return (
    <section id="diff">
      <h2>
        What changed from version {diff.from} to {diff.to}
      </h2>
      {nothing ? <p id="no-changes">Nothing a designer sees changed.</p> : null}
      {diff.fields.length ? (
        <div class="table-scroll" tabindex={0}>
          <table id="field-changes">
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Change</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {diff.fields.map((f) => (
                <tr data-path={f.path} class={`change-${f.kind}`}>
                  <th scope="row">
                    {f.label} <code>{f.path}</code>
                  </th>
                  <td>
                    {KIND_WORDS[f.kind]}
                    {f.from ? (
                      <small>
                        {" "}
                        from <code>{f.from}</code>
                      </small>
                    ) : null}
                  </td>
                  <td>
                    <Changes changes={f.changes} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {diff.app.length ? (
        <div id="app-changes">
          <h3>The app</h3>
          <Changes changes={diff.app} />
        </div>
      ) : null}
      <details id="json-diff">
        <summary>The JSON, line by line (for experts)</summary>
        <pre class="diff">
          {diff.lines.map((l) => (
            <span
              class={l.kind === "+" ? "added" : l.kind === "-" ? "removed" : "same"}
            >{`${l.kind} ${l.text}\n`}</span>
          ))}
        </pre>
      </details>
    </section>
  );
}

/** A select of version numbers for the compare form (a GET form: no error slot is ever filled). */
function VersionSelect(p: { name: string; label: string; versions: number[]; selected: number }) {
  return (
    <FormField
      id={`p-${p.name}`}
      slot={p.name}
      label={p.label}
      control={(a) => (
        <select {...a} name={p.name}>
          {p.versions.map((v) => (
            <option value={String(v)} selected={v === p.selected}>
              {v}
            </option>
          ))}
        </select>
      )}
    />
  );
}

/** The History tab: every version, what changed between two, restore. */
export function DesignerHistoryPage(p: DesignerFrame & { history: AppVersionInfo[]; diff: VersionDiff | null }) {
  const versions = p.history.map((h) => h.version);
  return (
    <DesignerShell {...p} tab="history">
      <div class="table-scroll" tabindex={0}>
        <AppVersionsTable
          history={p.history}
          dateLabel="Published"
          timeZone={p.frame.timeZone}
          action={(h) => (
            <>
              {h.version === p.publishedVersion ? (
                "live"
              ) : (
                <ButtonForm
                  action={`/configure/apps/${p.appId}/restore`}
                  csrf={p.frame.csrfToken}
                  hidden={{ version: String(h.version), _version: String(p.publishedVersion) }}
                  class="secondary outline small"
                  label="Restore"
                />
              )}{" "}
              <a href={`/configure/apps/${p.appId}?version=${h.version}`}>JSON</a>
            </>
          )}
        />
      </div>
      {versions.length > 1 ? (
        <form method="get" action={`/configure/apps/${p.appId}/history`} class="grid" id="compare">
          <VersionSelect name="from" label="From version" versions={versions} selected={p.diff?.from ?? versions[1]!} />
          <VersionSelect name="to" label="to version" versions={versions} selected={p.diff?.to ?? versions[0]!} />
          <button type="submit">Show what changed</button>
        </form>
      ) : null}
      {p.diff ? <DiffSection diff={p.diff} /> : null}
    </DesignerShell>
  );
}
