import { mayChangeRecords, mayOpen, notOpenMessage } from "../../apps/open-to.js";
// What every record route resolves first: the app of the request, the store that serves it, the
// caller's rights and the page frame.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { CompiledApp } from "../../apps/compiled-app.js";
import type { RecordStore, StoreContext, StoredRecord } from "../../apps/record-store-contract.js";
import type { PageFrame } from "../../render/record-pages.js";
import { displayValue } from "../../schema/display-text.js";
import type { Services } from "../../services.js";
import type { AppEnv } from "../http/env.js";
import { signedIn } from "../http/guards.js";
import { pageFrameOf } from "../http/page-frame.js";

/**
 * Where record routes hang and how they are labelled: a base path serving every app of the site, or
 * a fixed path serving one app.
 */
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
export interface Resolved {
  app: CompiledApp;
  store: RecordStore;
  storeCtx: StoreContext;
  /** The list's path, e.g. /apps/equipment-inspections or /configure/users. */
  href: string;
  canEdit: boolean;
  frame: PageFrame;
}

/** The record's name in headings: its first listed column, as display text ("Record" when empty). */
export function recordTitle(app: CompiledApp, values: Record<string, unknown>): string {
  const first = app.list.columns[0];
  const text = first ? displayValue(first, values[first.name]) : "—";
  return text === "—" ? "Record" : text;
}

/**
 * The resolvers of the record routes mounted with `options`: `resolve` (HTTPException 404 for no
 * such app, 403 for an administrators' app), `requireEdit` (403) and `loadRecord` (404).
 */
export function appResolver(s: Services, options: RecordRoutesOptions) {
  const base = options.base ?? "/apps/:appId";
  const fixed = options.appId;

  /** The app, store and page frame of a request (404 no such app, 403 an admin-only app). */
  async function resolve(c: Context<AppEnv>): Promise<Resolved> {
    const session = signedIn(c);
    const appId = fixed ?? (c.req.param() as Record<string, string>).appId ?? "";
    const app = await s.apps.get(session.activeSiteId, appId);
    if (!app) throw new HTTPException(404, { message: "There is no such app on this site." });
    if (!mayOpen(app.openTo, session.user.role)) {
      throw new HTTPException(403, { message: notOpenMessage(app.openTo) });
    }
    const frame = await pageFrameOf(c, s.sites);
    return {
      app,
      store: s.apps.storeFor(app),
      storeCtx: {
        siteId: session.activeSiteId,
        actor: { id: session.user.id, name: session.user.username, credential: session.tokenHash },
      },
      href: fixed ? base : `/apps/${app.id}`,
      canEdit: mayChangeRecords(session.user.role),
      frame,
    };
  }

  /** Throws HTTPException 403 unless the user may change records (administrators). */
  function requireEdit(r: Resolved) {
    if (!r.canEdit) throw new HTTPException(403, { message: "Only administrators can change records." });
  }

  /** The record named by :recordId; HTTPException 404 when the store has none on this site. */
  async function loadRecord(c: Context<AppEnv>, r: Resolved): Promise<StoredRecord> {
    const id = (c.req.param() as Record<string, string>).recordId ?? "";
    const record = await r.store.get(r.app, r.storeCtx, id);
    if (!record) throw new HTTPException(404, { message: "There is no such record on this site." });
    return record;
  }

  return { resolve, requireEdit, loadRecord };
}
