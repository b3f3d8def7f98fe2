import { Hono } from "hono";
import { UUID_PATTERN } from "../../util/uuid.js";
import { HTTPException } from "hono/http-exception";
import { flash } from "../http/flash.js";
import { RecordConflictError } from "../../apps/record-store-contract.js";
import { USER_ACCOUNTS_APP } from "../../apps/app-registry.js";
import { DeleteConfirmPage } from "../../render/record-pages.js";
import { initialValues } from "../../schema/form-post.js";
import { FORM_ERROR } from "../../schema/record-validation.js";
import type { Services } from "../../services.js";
import { lastValue } from "../../schema/form-post.js";
import { readForm } from "../http/form-body.js";
import type { AppEnv } from "../http/env.js";
import { requireSignIn } from "../http/guards.js";
import { sendPage } from "../http/page.js";
import { listRoutes } from "./list-routes.js";
import { mfaResetWarningRoute } from "./mfa-reset.js";
import { helpdeskPanel, helpdeskRoutes } from "./user-helpdesk.js";
import { remindState } from "./remind-button.js";
import { RECORD_FORM, recordFormHandlers } from "./record-form-handlers.js";
import { appResolver, recordTitle, type RecordRoutesOptions } from "./resolve.js";
import { wantsRegion } from "../http/htmx.js";
import { queryParams } from "../http/query.js";
import { listHref, listState } from "../forms/list-query.js";

/** Record forms are small; this bounds what one post can make the server parse. */
export const RECORD_BODY_LIMIT = 256 * 1024;

export type { RecordRoutesOptions };

const RECORD_ID = `:recordId{${UUID_PATTERN}}`;

/**
 * The generic record routes: list (search, sort, keyset pages), CSV export,
 * new, view/edit, inline checks and delete, for whichever store serves the
 * app. Mounted at /apps/:appId for every app, and at a fixed path for one app
 * (the User Account Management app at /configure/users).
 */
export function recordRoutes(s: Services, options: RecordRoutesOptions = {}): Hono<AppEnv> {
  const base = options.base ?? "/apps/:appId";
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

  const resolver = appResolver(s, options);
  const { resolve, requireEdit, loadRecord } = resolver;
  // Only the users app at its own path has the live MFA reset warning (its route hangs there).
  const liveResetWarning = options.appId === USER_ACCOUNTS_APP;
  const { renderForm, saved, save, check } = recordFormHandlers(s, options);

  listRoutes(routes, base, resolve, options);

  // ---- create ---------------------------------------------------------------------------

  routes.get(`${base}/new`, async (c) => {
    const r = await resolve(c);
    requireEdit(r);
    const defaults = initialValues(r.app.fields);
    const list = listState(queryParams(c).list);
    return renderForm(c, r, {
      ...(list ? { list } : {}),
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
    const list = listState(queryParams(c).list);
    return renderForm(c, r, {
      ...(list ? { list } : {}),
      mode: r.canEdit ? "edit" : "view",
      values: record.values,
      errors: {},
      record,
      dialog: wantsRegion(c, "record-dialog-body"),
      after: liveResetWarning ? await helpdeskPanel(s, c, r, record) : undefined,
      ...(liveResetWarning && r.canEdit ? { remind: await remindState(s, record.id) } : {}),
    });
  });

  routes.post(`${base}/${RECORD_ID}`, async (c) => {
    const r = await resolve(c);
    requireEdit(r);
    return save(c, r, await loadRecord(c, r));
  });

  if (liveResetWarning) {
    mfaResetWarningRoute(routes, s, `${base}/${RECORD_ID}/mfa-reset-warning`, resolver);
    helpdeskRoutes(routes, s, `${base}/${RECORD_ID}`, resolver, options.listLabel ?? "the list");
  }

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
    const body = (await readForm(c, { ...RECORD_FORM, onInvalid: "throw" })).all;
    const dialog = lastValue(body._dialog) === "1";
    const rawVersion = lastValue(body._version);
    const version = rawVersion && /^\d{1,9}$/.test(rawVersion) ? Number(rawVersion) : record.version;
    const title = recordTitle(r.app, record.values);
    const list = listState(lastValue(body._list));
    if (lastValue(body.confirm) !== "yes") {
      return sendPage(
        c,
        <DeleteConfirmPage
          frame={r.frame}
          title={title}
          action={`${r.href}/${record.id}/delete`}
          version={version}
          cancelUrl={`${r.href}/${record.id}${list ? `?${new URLSearchParams({ list })}` : ""}`}
          backUrl={listHref(r.href, list)}
          list={list || undefined}
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
      throw err;
    }
    c.var.log.info("record deleted", { app: r.app.id, recordId: record.id });
    flash(c, `Deleted ${title}.`);
    return saved(c, r, dialog, list);
  });

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
