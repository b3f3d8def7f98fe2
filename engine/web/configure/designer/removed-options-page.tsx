import { decisionKey, type OptionDecision } from "../../../apps/choice-changes.js";
import type { RemovedOptionInUse, RemovedOptionsInUse } from "../../../apps/choice-remap.js";
import { removedOptionLabel } from "../../../schema/display-text.js";
import { CsrfField, Layout } from "../../../render/layout.js";
import { FormField } from "../../../render/form-field.js";
import type { PageFrame } from "../../../render/record-pages.js";
import type { AppScalar } from "../../../schema/types.js";
import { Breadcrumb } from "./designer-shell.js";

// "Check your answers" before a publish (or a restore of an older version) that takes away options
// records hold: per removed option, how many records hold it, and whether they keep the value or
// change to a remaining option. Posted back to Publish (or Restore) as `option-<i>` ("keep" or
// "to:<value as JSON>") with `option-key-<i>` naming the option it decides, so an answer to another
// question is never applied, and `option-count-<i>` the number of records the page showed, so an
// answer is not applied to more (or fewer) records than the designer saw.

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

/**
 * The record counts posted with the decisions, by decisionKey: `option-count-<i>` is how many
 * records the page said hold the option `option-key-<i>` names. Anything else is left out.
 */
export function postedCounts(form: Record<string, string>): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < 1000 && form[`option-${i}`] !== undefined; i++) {
    const key = form[`option-key-${i}`];
    const count = form[`option-count-${i}`] ?? "";
    if (key !== undefined && /^\d{1,9}$/.test(count)) out.set(key, Number(count));
  }
  return out;
}

/**
 * Why the question is asked again, for RemovedOptionsInUse thrown at an answer (`answered`: the
 * form carried decisions): the records holding an option changed in number, or the options did.
 */
export function askedAgainBecause(err: RemovedOptionsInUse, answered: boolean): string | undefined {
  if (err.countsChanged)
    return "The number of records holding a removed option changed since the page was shown: the counts below are as they are now. Nothing was changed; check them, then send again.";
  return answered ? "The removed options changed since the page was shown: check them again." : undefined;
}

const toValue = (v: AppScalar) => `to:${JSON.stringify(v)}`;

/** What the answer is for: the Publish of the draft (its stamp), or the Restore of an older version on the newest (`base`). */
export type RemovedOptionsPurpose =
  { kind: "publish"; stamp: string } | { kind: "restore"; version: number; base: number };

/** The question page: a table of the removed options in use and one choice per option, then Publish (or Restore). */
export function RemovedOptionsPage(p: {
  frame: PageFrame;
  appId: string;
  title: string;
  purpose: RemovedOptionsPurpose;
  options: RemovedOptionInUse[];
  /** Why the page is shown again (an answer to an older question, counts that changed). */
  problem?: string;
}) {
  const restore = p.purpose.kind === "restore" ? p.purpose : null;
  const what = restore ? `Restore version ${restore.version} of ${p.title}` : `Publish ${p.title}`;
  const some = p.options.length === 1 ? "an option" : "options";
  return (
    <Layout title={what} csrfToken={p.frame.csrfToken} user={p.frame.user} siteName={p.frame.siteName}>
      <Breadcrumb here={p.title} />
      <h1>{what}: removed options in use</h1>
      {p.problem ? (
        <p role="alert" class="notice error">
          {p.problem}
        </p>
      ) : null}
      <p>
        {restore ? `Version ${restore.version} does not offer ${some}` : `This version no longer offers ${some}`} that
        records hold. Nothing is lost: records can keep the value (it shows as “(removed option) …” and stays until
        someone picks another option), or change to an option the field still has. The change is made with the{" "}
        {restore ? "restore" : "publish"}, all or nothing, and written to the audit log.
      </p>
      <form method="post" action={`/configure/apps/${p.appId}/${restore ? "restore" : "publish"}`}>
        <CsrfField token={p.frame.csrfToken} />
        {p.purpose.kind === "publish" ? (
          <input type="hidden" name="draftStamp" value={p.purpose.stamp} />
        ) : (
          <>
            <input type="hidden" name="version" value={String(p.purpose.version)} />
            <input type="hidden" name="_version" value={String(p.purpose.base)} />
          </>
        )}
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
                  <input type="hidden" name={`option-count-${i}`} value={String(o.records)} />
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
        <button type="submit">{restore ? `Restore version ${restore.version}` : "Publish"}</button>{" "}
        <a href={`/configure/apps/${p.appId}${restore ? "/history" : ""}`} role="button" class="secondary outline">
          Cancel
        </a>
      </form>
    </Layout>
  );
}
