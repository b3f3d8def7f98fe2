import { decisionKey, type OptionDecision } from "../../../apps/choice-changes.js";
import type { RemovedOptionInUse } from "../../../apps/choice-remap.js";
import { removedOptionLabel } from "../../../schema/display-text.js";
import { CsrfField, Layout } from "../../../render/layout.js";
import { FormField } from "../../../render/form-field.js";
import type { PageFrame } from "../../../render/record-pages.js";
import type { AppScalar } from "../../../schema/types.js";
import { Breadcrumb } from "./designer-shell.js";

// "Check your answers" before a publish that takes away options records hold: per removed option,
// how many records hold it, and whether they keep the value or change to a remaining option.
// Posted back to Publish as `option-<i>` ("keep" or "to:<value as JSON>") with `option-key-<i>`
// naming the option it decides, so an answer to another question is never applied.

const plural = (n: number) => `${n} record${n === 1 ? "" : "s"}`;

/**
 * The decisions posted with Publish, by decisionKey: `option-<i>` is "keep" or "to:" and the
 * target option's value as JSON; `option-key-<i>` the decisionKey of the option it decides.
 * Anything else is left out (the page then asks again).
 */
export function postedDecisions(form: Record<string, string>): Map<string, OptionDecision> {
  const out = new Map<string, OptionDecision>();
  for (let i = 0; i < 1000 && form[`option-${i}`] !== undefined; i++) {
    const key = form[`option-key-${i}`];
    const raw = form[`option-${i}`]!;
    if (key === undefined) continue;
    if (raw === "keep") out.set(key, { keep: true });
    else if (raw.startsWith("to:")) {
      let to: unknown;
      try {
        to = JSON.parse(raw.slice(3));
      } catch {
        continue;
      }
      if (typeof to === "string" || typeof to === "number" || typeof to === "boolean") out.set(key, { to });
    }
  }
  return out;
}

const toValue = (v: AppScalar) => `to:${JSON.stringify(v)}`;

/** The question page: a table of the removed options in use and one choice per option, then Publish. */
export function RemovedOptionsPage(p: {
  frame: PageFrame;
  appId: string;
  title: string;
  stamp: string;
  options: RemovedOptionInUse[];
  /** Why the page is shown again (an answer to an older question). */
  problem?: string;
}) {
  return (
    <Layout title={`Publish ${p.title}`} csrfToken={p.frame.csrfToken} user={p.frame.user} siteName={p.frame.siteName}>
      <Breadcrumb here={p.title} />
      <h1>Publish {p.title}: removed options in use</h1>
      {p.problem ? (
        <p role="alert" class="notice error">
          {p.problem}
        </p>
      ) : null}
      <p>
        This version no longer offers {p.options.length === 1 ? "an option" : "options"} that records hold. Nothing is
        lost: records can keep the value (it shows as “(removed option) …” and stays until someone picks another
        option), or change to an option the field still has. The change is made with the publish, all or nothing, and
        written to the audit log.
      </p>
      <form method="post" action={`/configure/apps/${p.appId}/publish`}>
        <CsrfField token={p.frame.csrfToken} />
        <input type="hidden" name="draftStamp" value={p.stamp} />
        <table id="removed-options">
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Removed option</th>
              <th scope="col">Records</th>
              <th scope="col">What happens to them</th>
            </tr>
          </thead>
          <tbody>
            {p.options.map((o, i) => (
              <tr data-option={decisionKey(o)}>
                <td>{o.label}</td>
                <td>
                  {o.optionLabel}
                  {o.optionLabel === String(o.value) ? null : <small> ({String(o.value)})</small>}
                </td>
                <td class="count">{plural(o.records)}</td>
                <td>
                  <input type="hidden" name={`option-key-${i}`} value={decisionKey(o)} />
                  <FormField
                    id={`option-${i}`}
                    label={`${o.label}: ${plural(o.records)} with “${o.optionLabel}”`}
                    control={(attrs) => (
                      <select {...attrs} name={`option-${i}`}>
                        <option value="keep" selected={o.renamedTo === undefined}>
                          Keep as “{removedOptionLabel(o.value)}”
                        </option>
                        {o.remaining.map((r) => (
                          <option value={toValue(r.value)} selected={o.renamedTo === r.value}>
                            Change to “{r.label}”
                          </option>
                        ))}
                      </select>
                    )}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <button type="submit">Publish</button>{" "}
        <a href={`/configure/apps/${p.appId}`} role="button" class="secondary outline">
          Cancel
        </a>
      </form>
    </Layout>
  );
}
