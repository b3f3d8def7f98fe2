import type { AppVersionInfo } from "../../apps/registry.js";
import { FormField } from "../../render/form-field.js";
import { DesignerShell, ButtonForm, when, type DesignerFrame } from "./apps-designer-shell.js";

/** One line of a diff: kept, removed (only in the older version) or added. */
export interface DiffLine {
  kind: " " | "-" | "+";
  text: string;
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
export function DesignerHistoryPage(
  p: DesignerFrame & { history: AppVersionInfo[]; diff: { from: number; to: number; lines: DiffLine[] } | null },
) {
  const versions = p.history.map((h) => h.version);
  return (
    <DesignerShell {...p} tab="history">
      <table>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Published</th>
            <th scope="col">By</th>
            <th scope="col"></th>
          </tr>
        </thead>
        <tbody>
          {p.history.map((h) => (
            <tr>
              <td>
                {h.version === 0 ? "0 (built-in)" : h.version}
                {h.restoredFrom !== null ? ` (restored from ${h.restoredFrom})` : ""}
              </td>
              <td>{when(h.createdAt)}</td>
              <td>{h.createdBy ?? ""}</td>
              <td>
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
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {versions.length > 1 ? (
        <form method="get" action={`/configure/apps/${p.appId}/history`} class="grid" id="compare">
          <VersionSelect name="from" label="From version" versions={versions} selected={p.diff?.from ?? versions[1]!} />
          <VersionSelect name="to" label="to version" versions={versions} selected={p.diff?.to ?? versions[0]!} />
          <button type="submit">Show what changed</button>
        </form>
      ) : null}
      {p.diff ? (
        <section id="diff">
          <h2>
            What changed from version {p.diff.from} to {p.diff.to}
          </h2>
          <pre class="diff">
            {p.diff.lines.map((l) => (
              <span
                class={l.kind === "+" ? "added" : l.kind === "-" ? "removed" : "same"}
              >{`${l.kind} ${l.text}\n`}</span>
            ))}
          </pre>
        </section>
      ) : null}
    </DesignerShell>
  );
}
