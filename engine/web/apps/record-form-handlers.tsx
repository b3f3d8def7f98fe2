import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Child } from "hono/jsx";
import { mfaSummary } from "../../mfa/status.js";
import { flash } from "../http/flash.js";
import type { CompiledApp } from "../../apps/compiled-app.js";
import { conflictChanges } from "../../apps/conflict.js";
import { RecordConflictError, RecordInputError, type StoredRecord } from "../../apps/record-store-contract.js";
import { recordProblems } from "../../apps/record-rules.js";
import { USER_ACCOUNTS_APP } from "../../apps/app-registry.js";
import { RecordForm } from "../../render/record-form.js";
import { ConflictNotice, RecordFragment, RecordPage } from "../../render/record-pages.js";
import { applyRowAction, lastValue, parseForm, type FormBody } from "../../schema/form-post.js";
import { decidedFields } from "../../schema/hidden-fields.js";
import { DuplicateSubmissionError, SUBMISSION_TOKEN } from "../../db/submissions.js";
import { newToken } from "../../util/opaque-tokens.js";
import { FORM_ERROR, unstorableTextErrors, type FieldErrors, type FormMode } from "../../schema/record-validation.js";
import type { Services } from "../../services.js";
import { readForm, type FormSpec } from "../http/form-body.js";
import { listHref, listState } from "../forms/list-query.js";
import type { AppEnv } from "../http/env.js";
import { statusOf } from "../http/error-pages.js";
import { sendPage } from "../http/page.js";
import { checkField } from "./field-check.js";
import { withAllowedMethods } from "./mfa-methods-help.js";
import { RemindRegion, type RemindState } from "./remind-button.js";
import {
  mfaEnabledField,
  mfaResetRegion,
  passwordChangeNote,
  pendingReset,
  resetConfirmation,
  type PendingReset,
} from "./mfa-reset.js";
import { recordTitle, type RecordRoutesOptions, type Resolved } from "./resolve.js";

/**
 * How a record form is read: a form post only (415 otherwise), no files (400), and text that cannot
 * be stored reported per field so the form is shown again. The app's rules are the store's
 * (engine/apps/record-rules.ts), applied after parseForm types the values.
 */
export const RECORD_FORM = { formOnly: true, files: "refuse", onInvalid: "report" } as const satisfies FormSpec;

/** A record form's post: every value of each name, and a message per field for text that cannot be stored. */
async function readRecordForm(c: Context<AppEnv>, r: Resolved): Promise<{ body: FormBody; textErrors: FieldErrors }> {
  const input = await readForm(c, RECORD_FORM);
  return { body: input.all, textErrors: unstorableTextErrors(input.unstorable, r.app.fields) };
}

/** What a record form shows: its mode, values and errors, the record it edits, a notice, page or dialog. */
export interface FormState {
  mode: FormMode | "view";
  values: Record<string, unknown>;
  errors: FieldErrors;
  record?: StoredRecord;
  /** The version the posted form will claim to have edited. */
  version?: number;
  /** A new-record form's one-time token, kept when the form is shown again (a new one otherwise). */
  submission?: string;
  notice?: ReturnType<typeof ConflictNotice>;
  dialog: boolean;
  /** The MFA reset a save would ask about (slider off for an activated user), shown again with the form. */
  reset?: PendingReset | null;
  /** Shown after the form (its own forms): the user dialog's sign-in help (user-helpdesk.tsx). */
  after?: Child | null;
  /** Send reminder now: shown for a user whose MFA is on and not set up (users app, edit). */
  remind?: RemindState | null;
  /** The list's state the form came from (listState): Save, Delete and Cancel go back to it. */
  list?: string;
}

/**
 * The answers of a record form for the record routes (app-routes.tsx) under `options`: the form as a
 * page or dialog fragment (renderForm), a posted form saved (save: row actions, validation, the MFA
 * reset confirmation, create or update, 422 with a message per field, 409 with the changes of a
 * conflicting save), one field's inline check (check), and the answer after a save or delete (saved).
 */
export function recordFormHandlers(s: Services, options: RecordRoutesOptions) {
  // Only the users app at its own path has the live MFA reset warning (its route hangs there).
  const liveResetWarning = options.appId === USER_ACCOUNTS_APP;

  /**
   * The form's sections; a users app's MFA section names the ways to set MFA up that the site's
   * policy allows (withAllowedMethods).
   */
  async function sectionsOf(r: Resolved) {
    const enabledField = mfaEnabledField(r);
    if (!enabledField) return r.app.sections;
    const { allowedMethods } = await s.mfaPolicies.get(r.storeCtx.siteId);
    return withAllowedMethods(r.app.sections, enabledField, allowedMethods);
  }

  /** The form as a page, or as a fragment for the dialog. */
  async function renderForm(c: Context<AppEnv>, r: Resolved, st: FormState, status: ContentfulStatusCode = 200) {
    const action = st.record ? `${r.href}/${st.record.id}` : `${r.href}/new`;
    // Read-only fields (computed by the store) keep the stored values while the user's input is re-shown.
    const values = st.record ? { ...readOnlyValues(r.app, st.record.values), ...st.values } : st.values;
    const title = st.record ? recordTitle(r.app, st.record.values) : (options.newLabel ?? `New: ${r.app.title}`);
    const form = (
      <RecordForm
        sections={await sectionsOf(r)}
        values={values}
        errors={st.errors}
        mode={st.mode}
        action={action}
        csrfToken={c.var.csrfToken}
        version={st.version ?? st.record?.version}
        submission={st.mode === "create" ? (st.submission ?? newToken()) : undefined}
        checkUrl={`${action}/check`}
        deleteUrl={st.record && r.canEdit ? `${action}/delete` : undefined}
        cancelUrl={listHref(r.href, st.list ?? "")}
        listState={st.list || undefined}
        submitLabel={r.app.definition.form?.submitLabel}
        inDialog={st.dialog}
        notice={st.notice}
        beforeActions={
          liveResetWarning && st.mode === "edit" ? (
            <>
              {mfaResetRegion(r, st.record, st.reset)}
              {st.remind ? <RemindRegion state={st.remind} /> : null}
            </>
          ) : undefined
        }
      />
    );
    const body = (
      <>
        {form}
        {st.after ?? null}
      </>
    );
    if (st.dialog) return sendPage(c, <RecordFragment title={title}>{body}</RecordFragment>, status);
    return sendPage(
      c,
      <RecordPage
        frame={r.frame}
        title={title}
        backUrl={listHref(r.href, st.list ?? "")}
        backLabel={options.listLabel ?? r.app.title}
      >
        {body}
      </RecordPage>,
      status,
    );
  }

  function readOnlyValues(app: CompiledApp, values: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of app.fields) if (f.readOnly && values[f.name] !== undefined) out[f.name] = values[f.name];
    return out;
  }

  /** The answer after a save or delete: back to the list as it was (`list`: its state, listState). */
  function saved(c: Context<AppEnv>, r: Resolved, dialog: boolean, list = "") {
    const back = listHref(r.href, list);
    if (c.req.header("hx-request") === "true") {
      // In the dialog: close it and reload the list (it keeps its own state); elsewhere: go to the list.
      if (dialog) c.header("HX-Trigger", "fg-saved");
      else c.header("HX-Redirect", back);
      return c.body(null, 204);
    }
    return c.redirect(back, 303);
  }

  /** "Saved nora. MFA on: required from 2 December 2026." — the record's name and, for accounts, its MFA. */
  async function savedMessage(r: Resolved, verb: "Added" | "Saved", saved: StoredRecord): Promise<string> {
    const text = `${verb} ${recordTitle(r.app, saved.values)}.`;
    if (!r.app.usersApp || !r.app.bindings.has("mfa.enabled")) return text;
    return `${text} ${mfaSummary(await s.mfa.statusOf(saved.id))}.`;
  }

  async function save(c: Context<AppEnv>, r: Resolved, record: StoredRecord | null) {
    const mode: FormMode = record ? "edit" : "create";
    const { body, textErrors } = await readRecordForm(c, r);
    const dialog = lastValue(body._dialog) === "1";
    const parsed = parseForm(r.app.fields, body, mode);
    // Switching MFA off for an activated user resets it: a form shown again keeps saying so.
    const enabledField = mfaEnabledField(r);
    const reset =
      record && enabledField && parsed.values[enabledField] === false ? await pendingReset(s, record.id) : null;
    const list = listState(lastValue(body._list));
    const base: Omit<FormState, "errors"> = { mode, values: parsed.values, dialog, reset, ...(list ? { list } : {}) };
    if (record) base.record = record;
    if (parsed.version !== null) base.version = parsed.version;
    const submission = record ? undefined : lastValue(body._submission);
    if (submission !== undefined && SUBMISSION_TOKEN.test(submission)) base.submission = submission;
    else if (submission !== undefined) {
      const message = "The form's one-time token is not one this server made. Reload the page and try again.";
      return renderForm(c, r, { ...base, errors: { [FORM_ERROR]: message } }, 422);
    }
    if (Object.keys(textErrors).length) {
      const errors = recordProblems(r.app, mode, parsed.values, record?.values);
      return renderForm(c, r, { ...base, errors: { ...errors, ...textErrors } }, 422);
    }

    if (parsed.action.kind === "add" || parsed.action.kind === "remove") {
      applyRowAction(r.app.fields, parsed.values, parsed.action);
      return renderForm(c, r, { ...base, errors: {} });
    }
    if (parsed.action.kind === "refresh") return renderForm(c, r, { ...base, errors: {} });
    if (parsed.unknown.length) {
      return renderForm(
        c,
        r,
        { ...base, errors: { [FORM_ERROR]: `The form sent an unknown field "${parsed.unknown[0]}".` } },
        422,
      );
    }
    // The store's rules: a choice the record already held is kept though its option was removed.
    const problems = recordProblems(r.app, mode, parsed.values, record?.values);
    if (Object.keys(problems).length) return renderForm(c, r, { ...base, errors: problems }, 422);
    // The reset asks first: say what it ends, and wait for Confirm.
    let resetNote = "";
    if (record && reset) {
      if (lastValue(body.confirm) !== "mfa-reset") {
        return resetConfirmation(c, r, record, body, reset.consequences, dialog, options.listLabel);
      }
      resetNote = ` MFA reset (${reset.removed}); ${reset.ended} ended.`;
    }
    // An administrator's new password for someone else ends what a reset ends but the factor: say so
    // (not read when a reset's note, which says all of that, is shown instead).
    const passwordNote = record && !resetNote ? await passwordChangeNote(s, r, c, record.id, parsed.values) : "";
    try {
      if (!record) {
        const created = await r.store.create(r.app, r.storeCtx, parsed.values, { submission: base.submission });
        c.var.log.info("record created", { app: r.app.id, recordId: created.id });
        flash(c, await savedMessage(r, "Added", created));
      } else {
        if (parsed.version === null) {
          return renderForm(
            c,
            r,
            { ...base, errors: { [FORM_ERROR]: "The form did not say which version it edits. Reload the page." } },
            422,
          );
        }
        const updated = await r.store.update(r.app, r.storeCtx, record.id, {
          expectedVersion: parsed.version,
          values: parsed.values,
          fields: decidedFields(r.app.fields, parsed.fields, parsed.values, record.values),
        });
        c.var.log.info("record updated", { app: r.app.id, recordId: record.id });
        flash(c, (await savedMessage(r, "Saved", updated)) + (resetNote || passwordNote));
      }
    } catch (err) {
      if (err instanceof DuplicateSubmissionError) return alreadySent(c, r, err.recordId, dialog, list);
      if (err instanceof RecordInputError) {
        return renderForm(c, r, { ...base, errors: { ...err.fields } }, statusOf(err));
      }
      if (err instanceof RecordConflictError) {
        const current = err.current;
        const before =
          parsed.version !== null && r.store.revision
            ? await r.store.revision(r.app, r.storeCtx, current.id, parsed.version)
            : null;
        const changes = conflictChanges(r.app.fields, before, current.values, parsed.values);
        return renderForm(
          c,
          r,
          {
            ...base,
            record: current,
            // Saving again from this form knowingly replaces the version just shown.
            version: current.version,
            errors: {},
            notice: (
              <ConflictNotice
                by={current.updatedByName ?? null}
                at={current.updatedAt}
                version={current.version}
                changes={changes}
                showBefore={before !== null}
                timeZone={r.frame.timeZone}
              />
            ),
          },
          409,
        );
      }
      throw err;
    }
    return saved(c, r, dialog, list);
  }

  /**
   * The answer to a new-record form posted again (double click, Back and submit): nothing new is
   * created; the user is shown the record the first post created (303 to it, or the dialog closes).
   */
  async function alreadySent(c: Context<AppEnv>, r: Resolved, recordId: string | null, dialog: boolean, list: string) {
    const first = recordId ? await r.store.get(r.app, r.storeCtx, recordId) : null;
    flash(
      c,
      first
        ? `This form was sent already: ${recordTitle(r.app, first.values)} was added then. Nothing new was added.`
        : "This form was sent already; the record it added is no longer there. Nothing new was added.",
    );
    if (!first || c.req.header("hx-request") === "true") return saved(c, r, dialog, list);
    return c.redirect(`${r.href}/${first.id}`, 303);
  }

  /** Inline validation of one field on change (htmx); see checkField. */
  async function check(c: Context<AppEnv>, r: Resolved, mode: FormMode) {
    const { body, textErrors } = await readRecordForm(c, r);
    return sendPage(c, checkField(r.app, mode, body, textErrors));
  }

  return { renderForm, saved, save, check };
}
