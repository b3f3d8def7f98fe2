import type { Child } from "hono/jsx";
import type { FormSectionView } from "../schema/field-nodes.js";
import { FORM_ERROR, type FieldErrors } from "../schema/record-validation.js";
import { Fields, type FieldContext, type RenderMode } from "./fields.js";
import { CsrfField } from "./layout.js";
import { ErrorSummary } from "./error-summary.js";
import { slotId } from "./field-context.js";
import { markupOf, ShellCache, trustedRaw, type SafeHtml } from "./shells.js";

/**
 * What a record form renders: its sections and fields, the values and per-field errors to show,
 * create or edit mode, where it posts, the CSRF token and the version edited (optimistic locking).
 */
export interface RecordFormProps {
  sections: FormSectionView[];
  values: Record<string, unknown>;
  errors: FieldErrors;
  mode: RenderMode;
  /** Where the form posts (plain POST without JavaScript). */
  action: string;
  csrfToken: string;
  /** The version being edited, posted back for optimistic concurrency. */
  version?: number;
  /** A new-record form's one-time token (`_submission`): posting the same form twice creates one record. */
  submission?: string;
  /**
   * Inline validation on change (htmx): the fields' container posts the form
   * here when any input changes; public/forms.js names the input in `_field`.
   */
  checkUrl?: string;
  /** Shown as a Delete button (with a confirm) in edit mode. */
  deleteUrl?: string;
  cancelUrl?: string;
  /** The state of the list the form was opened from (`_list`), so a save goes back to it as it was. */
  listState?: string;
  submitLabel?: string;
  /** In a dialog the form posts through htmx and replaces itself with the answer. */
  inDialog?: boolean;
  /** A live preview (designer): inert inputs, no buttons. */
  preview?: boolean;
  /** Above the fields, e.g. the explanation of a conflict. */
  notice?: Child;
  /** Between the fields and the buttons, e.g. the live MFA reset warning of the user dialog. */
  beforeActions?: Child;
}

function Sections({
  sections,
  values,
  ctx,
}: {
  sections: FormSectionView[];
  values: Record<string, unknown>;
  ctx: FieldContext;
}) {
  return (
    <>
      {sections.map((s) => (
        <section class="form-section">
          {s.title ? <h2>{s.title}</h2> : null}
          {s.description ? <p class="section-description">{s.description}</p> : null}
          <Fields nodes={s.fields} values={values} path={[]} ctx={ctx} />
        </section>
      ))}
    </>
  );
}

/**
 * The error summary of a record form: each field's message linking to its field (`field-<path>`);
 * the form's own message stays in its slot (err-form) right below.
 */
function FieldErrorSummary({ errors }: { errors: FieldErrors }) {
  const { [FORM_ERROR]: _form, ...fieldErrors } = errors;
  return (
    <ErrorSummary errors={fieldErrors} fallback="record-form" targetOf={(path) => `field-${slotId(path.split("."))}`} />
  );
}

const frames = new WeakMap<FormSectionView[], ShellCache>();

/** The form around its fields: everything of RecordForm but the fields, which arrive rendered. */
function FormFrame(
  p: RecordFormProps & {
    csrf: string;
    versionText: string;
    submissionText: string;
    listStateText: string;
    noticeHtml: SafeHtml;
    summaryHtml: SafeHtml;
    beforeActionsHtml: SafeHtml;
    formError: string;
    fieldsHtml: SafeHtml[];
  },
) {
  const hx = p.inDialog ? { "hx-post": p.action, "hx-target": "this", "hx-swap": "outerHTML" } : {};
  const sections = (
    <>
      {p.sections.map((s, i) => (
        <section class="form-section">
          {s.title ? <h2>{s.title}</h2> : null}
          {s.description ? <p class="section-description">{s.description}</p> : null}
          {p.fieldsHtml[i] === undefined ? null : trustedRaw(p.fieldsHtml[i])}
        </section>
      ))}
    </>
  );
  return (
    <form method="post" action={p.action} id="record-form" class="record-form" {...hx}>
      {/* Enter in a text field presses the form's first submit button: Save, not a list's "Add row". */}
      <button type="submit" class="implicit-submit" tabindex={-1} aria-hidden="true">
        {p.submitLabel ?? (p.mode === "create" ? "Create" : "Save")}
      </button>
      <CsrfField token={p.csrf} />
      {p.version !== undefined ? <input type="hidden" name="_version" value={p.versionText} /> : null}
      {p.submission !== undefined ? <input type="hidden" name="_submission" value={p.submissionText} /> : null}
      {p.inDialog ? <input type="hidden" name="_dialog" value="1" /> : null}
      {p.listState !== undefined ? <input type="hidden" name="_list" value={p.listStateText} /> : null}
      {trustedRaw(p.noticeHtml)}
      {trustedRaw(p.summaryHtml)}
      <div class="notice error" id="err-form" role="alert" hidden={!p.errors[FORM_ERROR]}>
        {p.formError}
      </div>
      {p.checkUrl ? (
        <div class="record-fields" hx-post={p.checkUrl} hx-trigger="change" hx-swap="none">
          <input type="hidden" name="_field" value="" />
          {sections}
        </div>
      ) : (
        sections
      )}
      {trustedRaw(p.beforeActionsHtml)}
      <div class="form-actions">
        <button type="submit" name="_action" value="save">
          {p.submitLabel ?? (p.mode === "create" ? "Create" : "Save")}
        </button>
        {p.cancelUrl ? (
          <a
            href={p.cancelUrl}
            role="button"
            class="secondary outline"
            data-close-dialog={p.inDialog ? "true" : undefined}
          >
            Cancel
          </a>
        ) : null}
      </div>
      {p.deleteUrl && p.mode === "edit" ? (
        <div class="form-danger">
          <button
            type="submit"
            formaction={p.deleteUrl}
            formnovalidate
            class="secondary outline delete"
            hx-post={p.deleteUrl}
            hx-confirm="Delete this record? This cannot be undone."
            hx-vals={JSON.stringify({ confirm: "yes" })}
            hx-target="closest form"
            hx-swap="outerHTML"
          >
            Delete…
          </button>
        </div>
      ) : null}
    </form>
  );
}

/**
 * A record's form from its definition, values, errors and mode. Every field
 * has its error slot (err-<path>); the form-level slot is err-form. The form's
 * frame (everything but the fields) is memoised per app and mode (shells.ts).
 */
export function RecordForm(p: RecordFormProps) {
  const ctx: FieldContext = { errors: p.errors, mode: p.mode };
  if (p.preview) ctx.preview = true;
  if (p.mode === "view" || p.preview) {
    return (
      <div class={p.preview ? "record-form preview" : "record-view"} id="record-form">
        {p.notice ?? null}
        <Sections sections={p.sections} values={p.values} ctx={ctx} />
        {p.cancelUrl && !p.preview ? (
          <p>
            <a href={p.cancelUrl} data-close-dialog={p.inDialog ? "true" : undefined}>
              Back to the list
            </a>
          </p>
        ) : null}
      </div>
    );
  }
  let cache = frames.get(p.sections);
  if (!cache) frames.set(p.sections, (cache = new ShellCache(64)));
  const formError = p.errors[FORM_ERROR];
  // The shape of the frame is the key; the URLs (they name the record) are slots like the token.
  const key = JSON.stringify([
    p.mode,
    p.checkUrl !== undefined,
    p.deleteUrl !== undefined,
    p.cancelUrl !== undefined,
    p.listState !== undefined,
    p.submitLabel ?? null,
    p.inDialog === true,
    p.version !== undefined,
    p.submission !== undefined,
    formError !== undefined,
  ]);
  const fields = p.sections.map((s) => ({
    html: markupOf(<Fields nodes={s.fields} values={p.values} path={[]} ctx={ctx} />),
  }));
  const slots = [
    { text: p.csrfToken },
    { text: String(p.version ?? "") },
    { text: p.submission ?? "" },
    { html: markupOf(<>{p.notice ?? null}</>) },
    { text: formError ?? "" },
    { text: p.action },
    { text: p.checkUrl ?? "" },
    { text: p.deleteUrl ?? "" },
    { text: p.cancelUrl ?? "" },
    { text: p.listState ?? "" },
    { html: markupOf(<>{p.beforeActions ?? null}</>) },
    { html: markupOf(<FieldErrorSummary errors={p.errors} />) },
    ...fields,
  ] as const;
  return trustedRaw(
    cache.render(
      key,
      slots,
      ([
        csrf,
        versionText,
        submissionText,
        noticeHtml,
        formErrorText,
        action,
        checkUrl,
        deleteUrl,
        cancelUrl,
        listStateText,
        beforeActionsHtml,
        summaryHtml,
        ...fieldsHtml
      ]) => (
        <FormFrame
          {...p}
          action={action}
          checkUrl={p.checkUrl === undefined ? undefined : checkUrl}
          deleteUrl={p.deleteUrl === undefined ? undefined : deleteUrl}
          cancelUrl={p.cancelUrl === undefined ? undefined : cancelUrl}
          listStateText={listStateText}
          csrf={csrf}
          versionText={versionText}
          submissionText={submissionText}
          noticeHtml={noticeHtml}
          beforeActionsHtml={beforeActionsHtml}
          summaryHtml={summaryHtml}
          formError={formErrorText}
          fieldsHtml={fieldsHtml}
        />
      ),
    ),
  );
}
