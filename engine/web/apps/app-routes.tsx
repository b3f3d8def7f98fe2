import { Hono, type Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../http/env.js";
import { queryParams } from "../http/query.js";
import { checkStorable, isFormContentType, readPostedForm, UnstorableTextError } from "../http/form-body.js";
import { requireSignIn, signedIn } from "../http/guards.js";
import { sendPage } from "../http/page.js";
import { isMfaState, MFA_STATE_LABELS, MFA_STATES, type MfaState } from "../../mfa/mfa-states.js";
import { MfaFilterBar } from "./mfa-filter.js";
import { mfaSummary } from "../../mfa/status.js";
import { flash } from "../http/flash.js";
import { ResetConfirm, resetConsequences } from "../../render/reset-confirm.js";
import { ErrorSlot, Field, slotId } from "../../render/fields.js";
import { RecordForm } from "../../render/record-form.js";
import { ListSearch, RecordList, type ListParams } from "../../render/record-list.js";
import {
  AppListPage,
  AppsIndexPage,
  ConflictNotice,
  DeleteConfirmPage,
  RecordFragment,
  RecordPage,
  type PageFrame,
} from "../../render/record-pages.js";
import type { FieldNode } from "../../schema/fields.js";
import { applyRowAction, initialValues, parseForm, type FormBody } from "../../schema/form-post.js";
import {
  FORM_ERROR,
  fieldErrors,
  unstorableTextErrors,
  type FieldErrors,
  type FormMode,
} from "../../schema/record-validation.js";
import type { Services } from "../../services.js";
import type { CompiledApp } from "../../apps/compiled-app.js";
import { exportCsv, textStream } from "../../apps/csv-export.js";
import { appHref, USER_ACCOUNTS_APP } from "../../apps/registry.js";
import { conflictChanges } from "../../apps/conflict.js";
import {
  CursorError,
  decodeCursor,
  encodeCursor,
  RecordConflictError,
  RecordInputError,
  RecordNotFoundError,
  type RecordStore,
  type SortSpec,
  type StoreContext,
  type StoredRecord,
} from "../../apps/record-store.js";
import { displayValue } from "../../schema/display-text.js";

/** Record forms are small; this bounds what one post can make the server parse. */
export const RECORD_BODY_LIMIT = 256 * 1024;

const RECORD_ID = ":recordId{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}}";

export interface RecordRoutesOptions {
  /**
   * Where the routes hang: "/apps/:appId" (the default) serves every app of
   * the site; a fixed path such as "/configure/users" serves `appId` only.
   */
  base?: string;
  appId?: string;
  /** Label of the link from a record back to its list. */
  listLabel?: string;
  /** Label of the button that opens an empty form, and the heading of that form. */
  newLabel?: string;
}

/** Everything a request on one app needs, resolved once. */
interface Resolved {
  app: CompiledApp;
  store: RecordStore;
  storeCtx: StoreContext;
  /** The list's path, e.g. /apps/equipment-inspections or /configure/users. */
  href: string;
  canEdit: boolean;
  frame: PageFrame;
}

/**
 * A post's fields, every value kept in order; a file is refused (no record field takes one). Throws
 * UnstorableTextError (422) for text PostgreSQL cannot store; save() shows it in the field's slot.
 */
async function formBody(c: Context<AppEnv>): Promise<FormBody> {
  if (!isFormContentType(c.req.header("content-type"))) {
    throw new HTTPException(415, { message: "Send the form as a form post." });
  }
  const posted = await readPostedForm(c);
  if (Object.values(posted).some((values) => values.some((x) => typeof x !== "string"))) {
    throw new HTTPException(400, { message: "Files are not accepted here." });
  }
  checkStorable(posted);
  return posted as FormBody;
}

const last = (v: string[] | undefined) => v?.[v.length - 1];

function parseSort(raw: string | undefined, sortable: string[], fallback: SortSpec): SortSpec {
  if (raw && /^-?[A-Za-z][A-Za-z0-9_]{0,63}$/.test(raw)) {
    const field = raw.replace(/^-/, "");
    if (sortable.includes(field)) return { field, direction: raw.startsWith("-") ? "desc" : "asc" };
  }
  return sortable.includes(fallback.field) ? fallback : { field: sortable[0] ?? "", direction: "asc" };
}

/** An htmx request that asks for one region of the page (by the target's id) rather than the whole page. */
function wantsRegion(c: Context<AppEnv>, id: string): boolean {
  return c.req.header("hx-request") === "true" && (c.req.header("hx-target") ?? "").endsWith(`#${id}`);
}

/** The record's name in headings: its first listed column. */
function recordTitle(app: CompiledApp, values: Record<string, unknown>): string {
  const first = app.list.columns[0];
  const text = first ? displayValue(first, values[first.name]) : "—";
  return text === "—" ? "Record" : text;
}

function containerOf(values: Record<string, unknown>, path: string[]): Record<string, unknown> | undefined {
  let cur: unknown = values;
  for (const part of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur && typeof cur === "object" && !Array.isArray(cur) ? (cur as Record<string, unknown>) : undefined;
}

function nodesAt(fields: FieldNode[], path: string[]): FieldNode[] | undefined {
  let level: FieldNode[] | undefined = fields;
  for (const part of path) {
    if (/^\d+$/.test(part)) continue;
    level = level?.find((f) => f.name === part)?.children;
  }
  return level;
}

/**
 * The generic record routes: list (search, sort, keyset pages), CSV export,
 * new, view/edit, inline checks and delete, for whichever store serves the
 * app. Mounted at /apps/:appId for every app, and at a fixed path for one app
 * (the User Account Management app at /configure/users).
 */
export function recordRoutes(s: Services, options: RecordRoutesOptions = {}): Hono<AppEnv> {
  const base = options.base ?? "/apps/:appId";
  const fixed = options.appId;
  const routes = new Hono<AppEnv>();
  routes.use(base, requireSignIn());
  routes.use(`${base}/*`, requireSignIn());
  // The app-wide body limit has already read the body (CSRF); a declared size over the record limit is refused here.
  routes.use(`${base}/*`, async (c, next) => {
    if (Number(c.req.header("content-length") ?? 0) > RECORD_BODY_LIMIT) {
      throw new HTTPException(413, { message: "The form is too large." });
    }
    return next();
  });

  async function resolve(c: Context<AppEnv>): Promise<Resolved> {
    const session = signedIn(c);
    const appId = fixed ?? (c.req.param() as Record<string, string>).appId ?? "";
    const app = await s.apps.get(session.activeSiteId, appId);
    if (!app) throw new HTTPException(404, { message: "There is no such app on this site." });
    if (app.adminOnly && session.user.role !== "admin") {
      throw new HTTPException(403, { message: "Only administrators can open this app." });
    }
    const site = await s.sites.byId(session.activeSiteId);
    const frame: PageFrame = { csrfToken: c.var.csrfToken, user: session.user };
    if (site) frame.siteName = site.name;
    return {
      app,
      store: s.apps.storeFor(app),
      storeCtx: {
        siteId: session.activeSiteId,
        actor: { id: session.user.id, name: session.user.username, credential: session.tokenHash },
      },
      href: fixed ? base : `/apps/${app.id}`,
      canEdit: session.user.role === "admin",
      frame,
    };
  }

  function requireEdit(r: Resolved) {
    if (!r.canEdit) throw new HTTPException(403, { message: "Only administrators can change records." });
  }

  async function loadRecord(c: Context<AppEnv>, r: Resolved): Promise<StoredRecord> {
    const id = (c.req.param() as Record<string, string>).recordId ?? "";
    const record = await r.store.get(r.app, r.storeCtx, id);
    if (!record) throw new HTTPException(404, { message: "There is no such record on this site." });
    return record;
  }

  interface FormState {
    mode: FormMode | "view";
    values: Record<string, unknown>;
    errors: FieldErrors;
    record?: StoredRecord;
    /** The version the posted form will claim to have edited. */
    version?: number;
    notice?: ReturnType<typeof ConflictNotice>;
    dialog: boolean;
  }

  /** The form as a page, or as a fragment for the dialog. */
  function renderForm(c: Context<AppEnv>, r: Resolved, st: FormState, status: 200 | 409 | 422 = 200) {
    const action = st.record ? `${r.href}/${st.record.id}` : `${r.href}/new`;
    // Read-only fields (computed by the store) keep the stored values while the user's input is re-shown.
    const values = st.record ? { ...readOnlyValues(r.app, st.record.values), ...st.values } : st.values;
    const title = st.record ? recordTitle(r.app, st.record.values) : (options.newLabel ?? `New: ${r.app.title}`);
    const form = (
      <RecordForm
        sections={r.app.sections}
        values={values}
        errors={st.errors}
        mode={st.mode}
        action={action}
        csrfToken={c.var.csrfToken}
        version={st.version ?? st.record?.version}
        checkUrl={`${action}/check`}
        deleteUrl={st.record && r.canEdit ? `${action}/delete` : undefined}
        cancelUrl={r.href}
        submitLabel={r.app.definition.form?.submitLabel}
        inDialog={st.dialog}
        notice={st.notice}
      />
    );
    if (st.dialog) return sendPage(c, <RecordFragment title={title}>{form}</RecordFragment>, status);
    return sendPage(
      c,
      <RecordPage frame={r.frame} title={title} backUrl={r.href} backLabel={options.listLabel ?? r.app.title}>
        {form}
      </RecordPage>,
      status,
    );
  }

  function readOnlyValues(app: CompiledApp, values: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of app.fields) if (f.readOnly && values[f.name] !== undefined) out[f.name] = values[f.name];
    return out;
  }

  function saved(c: Context<AppEnv>, r: Resolved, dialog: boolean) {
    if (c.req.header("hx-request") === "true") {
      // In the dialog: close it and reload the list; elsewhere: go to the list.
      if (dialog) c.header("HX-Trigger", "fg-saved");
      else c.header("HX-Redirect", r.href);
      return c.body(null, 204);
    }
    return c.redirect(r.href, 303);
  }

  // ---- list and export ------------------------------------------------------------------

  /** A list's ?q, ?sort, ?after and ?before: through the shared query reader, cursors checked against the sort column. */
  function listQuery(c: Context<AppEnv>, r: Resolved) {
    const query = queryParams(c);
    const sortable = r.store.sortable?.(r.app) ?? r.app.list.columns.map((col) => col.name);
    const q = (query.q ?? "").slice(0, 100);
    const sort = parseSort(query.sort, sortable, r.app.list.sort);
    const column = r.app.fields.find((f) => f.name === sort.field);
    const cursor = (name: "after" | "before") => {
      const raw = query[name];
      if (!raw || !column) return undefined;
      try {
        return decodeCursor(raw, column);
      } catch (err) {
        if (!(err instanceof CursorError)) throw err;
        throw new HTTPException(400, {
          message: `The page link (?${name}=) is not valid for this list: ${err.message}. Open the list again from its first page.`,
        });
      }
    };
    const after = cursor("after");
    const before = cursor("before");
    return { sortable, q, sort, after, before: after ? undefined : before };
  }

  /** ?mfa= on a list of user accounts: one of the MFA states, or absent. */
  function mfaFilter(c: Context<AppEnv>, r: Resolved): MfaState | undefined {
    const raw = queryParams(c).mfa;
    if (!r.app.usersApp || raw === undefined || raw === "") return undefined;
    if (!isMfaState(raw)) {
      throw new HTTPException(400, { message: `The filter ?mfa= must be one of: ${MFA_STATES.join(", ")}.` });
    }
    return raw;
  }

  const listUrl = (href: string, mfa?: MfaState) => (p: ListParams) => {
    const params = new URLSearchParams();
    if (mfa) params.set("mfa", mfa);
    if (p.q) params.set("q", p.q);
    if (p.sort) params.set("sort", p.sort);
    if (p.after) params.set("after", p.after);
    if (p.before) params.set("before", p.before);
    const qs = params.toString();
    return qs ? `${href}?${qs}` : href;
  };

  routes.get(base, async (c) => {
    const r = await resolve(c);
    const { sortable, q, sort, after, before } = listQuery(c, r);
    const mfa = mfaFilter(c, r);
    const page = await r.store.list(r.app, r.storeCtx, {
      q,
      sort,
      ...(mfa ? { mfa } : {}),
      limit: r.app.list.pageSize,
      ...(after ? { after } : {}),
      ...(before ? { before } : {}),
    });
    const list = (
      <RecordList
        columns={r.app.list.columns}
        rows={page.rows}
        rowHref={(row) => `${r.href}/${row.id}`}
        q={q}
        sort={sort}
        sortable={sortable}
        listUrl={listUrl(r.href, mfa)}
        next={page.next ? encodeCursor(page.next) : null}
        prev={page.prev ? encodeCursor(page.prev) : null}
        dialog={true}
        rowAction={r.canEdit ? "Edit" : undefined}
        emptyFiltered={mfa ? `No users are in this state: ${MFA_STATE_LABELS[mfa]}.` : undefined}
      />
    );
    if (wantsRegion(c, "record-list")) return sendPage(c, list);
    const exportParams = new URLSearchParams({ sort: sort.direction === "desc" ? `-${sort.field}` : sort.field });
    if (q) exportParams.set("q", q);
    if (mfa) exportParams.set("mfa", mfa);
    return sendPage(
      c,
      <AppListPage
        frame={r.frame}
        title={r.app.title}
        description={r.app.description}
        search={
          <ListSearch
            action={r.href}
            q={q}
            sort={sort}
            label={`Search ${r.app.title}`}
            keep={mfa ? { mfa } : undefined}
          />
        }
        filters={r.app.usersApp ? <MfaFilterBar href={r.href} current={mfa} q={q} /> : undefined}
        list={list}
        newUrl={r.canEdit ? `${r.href}/new` : undefined}
        newLabel={options.newLabel}
        exportUrl={`${r.href}/export.csv?${exportParams}`}
      />,
    );
  });

  routes.get(`${base}/export.csv`, async (c) => {
    const r = await resolve(c);
    const { q, sort } = listQuery(c, r);
    const mfa = mfaFilter(c, r);
    c.var.log.info("records exported", { app: r.app.id });
    return new Response(textStream(exportCsv(r.app, r.store, r.storeCtx, { q, sort, ...(mfa ? { mfa } : {}) })), {
      headers: {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": `attachment; filename="${r.app.id}.csv"`,
        "Cache-Control": "no-store",
      },
    });
  });

  // ---- create ---------------------------------------------------------------------------

  routes.get(`${base}/new`, async (c) => {
    const r = await resolve(c);
    requireEdit(r);
    const defaults = initialValues(r.app.fields);
    return renderForm(c, r, {
      mode: "create",
      values: (await r.store.newRecordValues?.(r.app, r.storeCtx, defaults)) ?? defaults,
      errors: {},
      dialog: wantsRegion(c, "record-dialog-body"),
    });
  });

  routes.post(`${base}/new`, async (c) => {
    const r = await resolve(c);
    requireEdit(r);
    return save(c, r, null);
  });

  routes.post(`${base}/new/check`, async (c) => {
    const r = await resolve(c);
    requireEdit(r);
    return check(c, r, "create");
  });

  // ---- one record -----------------------------------------------------------------------

  routes.get(`${base}/${RECORD_ID}`, async (c) => {
    const r = await resolve(c);
    const record = await loadRecord(c, r);
    return renderForm(c, r, {
      mode: r.canEdit ? "edit" : "view",
      values: record.values,
      errors: {},
      record,
      dialog: wantsRegion(c, "record-dialog-body"),
    });
  });

  routes.post(`${base}/${RECORD_ID}`, async (c) => {
    const r = await resolve(c);
    requireEdit(r);
    return save(c, r, await loadRecord(c, r));
  });

  routes.post(`${base}/${RECORD_ID}/check`, async (c) => {
    const r = await resolve(c);
    requireEdit(r);
    await loadRecord(c, r);
    return check(c, r, "edit");
  });

  routes.post(`${base}/${RECORD_ID}/delete`, async (c) => {
    const r = await resolve(c);
    requireEdit(r);
    const record = await loadRecord(c, r);
    const body = await formBody(c);
    const dialog = last(body._dialog) === "1";
    const rawVersion = last(body._version);
    const version = rawVersion && /^\d{1,9}$/.test(rawVersion) ? Number(rawVersion) : record.version;
    const title = recordTitle(r.app, record.values);
    if (last(body.confirm) !== "yes") {
      return sendPage(
        c,
        <DeleteConfirmPage
          frame={r.frame}
          title={title}
          action={`${r.href}/${record.id}/delete`}
          version={version}
          cancelUrl={`${r.href}/${record.id}`}
          backUrl={r.href}
          backLabel={options.listLabel ?? r.app.title}
        />,
      );
    }
    try {
      await r.store.delete(r.app, r.storeCtx, record.id, version);
    } catch (err) {
      if (err instanceof RecordConflictError) {
        return renderForm(
          c,
          r,
          {
            mode: "edit",
            values: err.current.values,
            errors: {
              [FORM_ERROR]: `This record was changed (version ${err.current.version}) after you opened it, so it was not deleted. Check the saved values below.`,
            },
            record: err.current,
            dialog,
          },
          409,
        );
      }
      if (err instanceof RecordNotFoundError) throw new HTTPException(404, { message: err.message });
      if (err instanceof RecordInputError) throw new HTTPException(409, { message: err.message });
      throw err;
    }
    c.var.log.info("record deleted", { app: r.app.id, recordId: record.id });
    flash(c, `Deleted ${title}.`);
    return saved(c, r, dialog);
  });

  // ---- save and check -------------------------------------------------------------------

  /** The warning before an MFA reset, with a Confirm form that posts the same save again. */
  function resetConfirmation(
    c: Context<AppEnv>,
    r: Resolved,
    record: StoredRecord,
    body: FormBody,
    consequences: string[],
    dialog: boolean,
  ) {
    const secret = new Set(r.app.fields.filter((f) => f.writeOnly).map((f) => f.name));
    const fields: [string, string][] = [];
    let droppedPassword = false;
    for (const [name, values] of Object.entries(body)) {
      if (name === "_csrf" || name === "confirm") continue;
      if (secret.has(name)) {
        droppedPassword ||= values.some((v) => v !== "");
        continue;
      }
      for (const v of values) fields.push([name, v]);
    }
    const title = recordTitle(r.app, record.values);
    const form = (
      <ResetConfirm
        csrfToken={c.var.csrfToken}
        username={title}
        action={`${r.href}/${record.id}`}
        fields={fields}
        consequences={consequences}
        cancelUrl={r.href}
        inDialog={dialog}
        droppedPassword={droppedPassword}
      />
    );
    if (dialog) return sendPage(c, form);
    return sendPage(
      c,
      <RecordPage
        frame={r.frame}
        title={`Reset MFA for ${title}?`}
        backUrl={r.href}
        backLabel={options.listLabel ?? r.app.title}
      >
        {form}
      </RecordPage>,
    );
  }

  /** "Saved nora. MFA on: required from 2 December 2026." — the record's name and, for accounts, its MFA. */
  async function savedMessage(r: Resolved, verb: "Added" | "Saved", saved: StoredRecord): Promise<string> {
    const text = `${verb} ${recordTitle(r.app, saved.values)}.`;
    if (!r.app.usersApp || !r.app.bindings.has("mfa.enabled")) return text;
    return `${text} ${mfaSummary(await s.mfa.statusOf(saved.id))}.`;
  }

  /** The post, or (text PostgreSQL cannot store) the post with that text replaced and a message per field. */
  async function readPost(c: Context<AppEnv>, r: Resolved): Promise<{ body: FormBody; textErrors: FieldErrors }> {
    try {
      return { body: await formBody(c), textErrors: {} };
    } catch (err) {
      if (!(err instanceof UnstorableTextError)) throw err;
      return { body: err.values, textErrors: unstorableTextErrors(Object.keys(err.fields), r.app.fields) };
    }
  }

  async function save(c: Context<AppEnv>, r: Resolved, record: StoredRecord | null) {
    const mode: FormMode = record ? "edit" : "create";
    const { body, textErrors } = await readPost(c, r);
    const dialog = last(body._dialog) === "1";
    const parsed = parseForm(r.app.fields, body, mode);
    const base: Omit<FormState, "errors"> = { mode, values: parsed.values, dialog };
    if (record) base.record = record;
    if (parsed.version !== null) base.version = parsed.version;
    if (Object.keys(textErrors).length) {
      const validate = r.app.validators[mode];
      const errors = validate(parsed.values) ? {} : fieldErrors(validate.errors, r.app.fields);
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
    const validate = r.app.validators[mode];
    if (!validate(parsed.values)) {
      return renderForm(c, r, { ...base, errors: fieldErrors(validate.errors, r.app.fields) }, 422);
    }
    // Switching MFA off for an activated user resets it: say what that ends, and wait for Confirm.
    let resetNote = "";
    const enabledField = r.app.usersApp ? r.app.bindings.get("mfa.enabled")?.name : undefined;
    if (record && enabledField && parsed.values[enabledField] === false) {
      const status = await s.mfa.statusOf(record.id);
      if (status.state === "active") {
        const live = await s.credentialCounts.of(record.id);
        const consequences = resetConsequences({
          method: status.activation!.method,
          tokenSerial: status.activation!.tokenSerial,
          ...live,
        });
        if (last(body.confirm) !== "mfa-reset") {
          return resetConfirmation(c, r, record, body, consequences, dialog);
        }
        const what =
          status.activation!.method === "hardware" ? "hardware token back in the pool" : "authenticator removed";
        resetNote = ` MFA reset (${what}); their sessions and device tokens ended.`;
      }
    }
    try {
      if (!record) {
        const created = await r.store.create(r.app, r.storeCtx, parsed.values);
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
          fields: parsed.fields,
        });
        c.var.log.info("record updated", { app: r.app.id, recordId: record.id });
        flash(c, (await savedMessage(r, "Saved", updated)) + resetNote);
      }
    } catch (err) {
      if (err instanceof RecordInputError) {
        return renderForm(c, r, { ...base, errors: { [err.field]: err.message } }, 422);
      }
      if (err instanceof RecordNotFoundError) throw new HTTPException(404, { message: err.message });
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
              />
            ),
          },
          409,
        );
      }
      throw err;
    }
    return saved(c, r, dialog);
  }

  /**
   * Inline validation of one field on change (htmx): answers with partials for
   * that field's error slot and for every field whose x-visibleWhen depends on
   * it, re-rendered from the posted values. Nothing is stored.
   */
  async function check(c: Context<AppEnv>, r: Resolved, mode: FormMode) {
    const { body, textErrors } = await readPost(c, r);
    const field = last(body._field) ?? "";
    if (!/^[A-Za-z0-9_.]{1,300}$/.test(field)) throw new HTTPException(400, { message: "No field to check." });
    const parsed = parseForm(r.app.fields, body, mode);
    const validate = r.app.validators[mode];
    const errors = { ...(validate(parsed.values) ? {} : fieldErrors(validate.errors, r.app.fields)), ...textErrors };
    const path = field.split(".");
    const parentPath = path.slice(0, -1);
    const name = path[path.length - 1]!;
    const siblings = containerOf(parsed.values, parentPath) ?? {};
    const dependents = (nodesAt(r.app.fields, parentPath) ?? []).filter((n) => n.visibleWhen?.field === name);
    const ctx = { errors: {}, mode };
    return sendPage(
      c,
      <>
        <hx-partial hx-target={`#err-${slotId(path)}`} hx-swap="outerHTML">
          <ErrorSlot sid={slotId(path)} message={errors[field]} />
        </hx-partial>
        {dependents.map((node) => (
          <hx-partial hx-target={`#field-${slotId([...parentPath, node.name])}`} hx-swap="outerHTML">
            <Field
              node={node}
              value={siblings[node.name] ?? node.schema.default}
              path={[...parentPath, node.name]}
              siblings={siblings}
              ctx={ctx}
            />
          </hx-partial>
        ))}
      </>,
    );
  }

  return routes;
}

/**
 * The User Account Management app (forms/user-accounts.app.json) at
 * /configure/users: the generic record routes for one fixed app, served by
 * the users store because the app binds user.* and mfa.* fields.
 */
export function userAccountRoutes(s: Services): Hono<AppEnv> {
  return recordRoutes(s, {
    base: "/configure/users",
    appId: USER_ACCOUNTS_APP,
    listLabel: "Users",
    newLabel: "Add user",
  });
}

/** GET /apps: the apps of the active site this user may open. */
export function appsIndexRoutes(s: Services): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get("/apps", requireSignIn(), async (c) => {
    const session = signedIn(c);
    const apps = (await s.apps.list(session.activeSiteId)).filter((a) => !a.adminOnly || session.user.role === "admin");
    const site = await s.sites.byId(session.activeSiteId);
    const frame: PageFrame = { csrfToken: c.var.csrfToken, user: session.user };
    if (site) frame.siteName = site.name;
    return sendPage(
      c,
      <AppsIndexPage
        frame={frame}
        apps={apps.map((a) => {
          const entry: { id: string; title: string; description?: string; href: string } = {
            id: a.id,
            title: a.title,
            href: appHref(a.id),
          };
          if (a.description) entry.description = a.description;
          return entry;
        })}
      />,
    );
  });
  return routes;
}
