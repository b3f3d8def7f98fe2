// The list of an app's records (search, sort, keyset pages; the whole page or the list region for
// htmx) and its CSV export.
import type { Context, Hono } from "hono";
import type { Child } from "hono/jsx";
import { exportCsv, textStream } from "../../apps/csv-export.js";
import { encodeCursor } from "../../apps/record-store-contract.js";
import { ListSearch, RecordList } from "../../render/record-list.js";
import { AppListPage } from "../../render/record-pages.js";
import {
  listState,
  listUrl,
  MAX_CARRIED_TICKS,
  pageSizes,
  readListQuery,
  readMfaFilter,
  SEARCH_TOO_LONG,
} from "../forms/list-query.js";
import { MFA_STATE_LABELS } from "../../mfa/mfa-states.js";
import { MfaFilterBar } from "./mfa-filter.js";
import type { AppEnv } from "../http/env.js";
import { sendPage } from "../http/page.js";
import { queryParams, queryValues } from "../http/query.js";
import { type RecordRoutesOptions, type Resolved } from "./resolve.js";
import { wantsRegion } from "../http/htmx.js";
import { HTTPException } from "hono/http-exception";

/**
 * A plain GET form around the users list, sent to the list itself: its page buttons turn the page
 * with every tick kept (repeated `ids`), "Roll out MFA to selected" (`rollout=1`) is sent on to
 * the MFA rollout's preview with the ticked ids, and "Roll out MFA to all N matching"
 * (`rollout=matching`) with the list's search and filter instead; the preview shows who would
 * change before anything does, and its Confirm comes back to the list as it was (`back`).
 * htmx swaps the list inside it (search, sort) and the form stays.
 */
function RolloutSelectedForm({ list, action }: { list: Child; action: string }) {
  return (
    <form method="get" action={action} class="rollout-selected">
      {list}
    </form>
  );
}

/** The bulk action of the users list (see RolloutSelectedForm). */
const ROLLOUT_ACTIONS = {
  name: "rollout",
  selected: { value: "1", label: "Roll out MFA to selected" },
  matching: { value: "matching", label: (n: string) => `Roll out MFA to all ${n} matching` },
};

/** The most ticks a list carries from page to page (a rollout by search or role covers more). */
const MAX_TICKED = 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Adds GET `base` (the list) and GET `base`/export.csv to `routes`. */
export function listRoutes(
  routes: Hono<AppEnv>,
  base: string,
  resolve: (c: Context<AppEnv>) => Promise<Resolved>,
  options: RecordRoutesOptions,
): void {
  // ---- list and export ------------------------------------------------------------------

  /** A list's query, read by the forms layer against the store's sortable columns. */
  function listQuery(c: Context<AppEnv>, r: Resolved) {
    const sortable = r.store.sortable?.(r.app) ?? r.app.list.columns.map((col) => col.name);
    return { sortable, ...readListQuery(c, sortable, r.app.fields, r.app.list.sort, r.app.list.pageSize) };
  }

  routes.get(base, async (c) => {
    const r = await resolve(c);
    const { sortable, q, refusedQ, sort, after, before, last, size } = listQuery(c, r);
    // A search over the limit is not run: the list as it opens, with why, answered 400.
    const refused = refusedQ === undefined ? undefined : `${SEARCH_TOO_LONG} Shorten it and search again.`;
    const status = refused ? 400 : 200;
    const mfa = readMfaFilter(c, Boolean(r.app.usersApp));
    const query = queryParams(c);
    // Administrators tick users in the users list to roll MFA out to them.
    const selectable = Boolean(r.app.usersApp) && r.frame.user.role === "admin";
    const ticked = selectable
      ? [...new Set((queryValues(c).ids ?? []).filter((id) => UUID.test(id)))].slice(0, MAX_TICKED)
      : [];
    const state = (extra: Record<string, string | readonly string[]>) => {
      const p = new URLSearchParams();
      if (mfa) p.set("mfa", mfa);
      if (q) p.set("q", q);
      // The default order is left out, so a list as it opens carries no state.
      const sortText = sort.direction === "desc" ? `-${sort.field}` : sort.field;
      const defaultSort = r.app.list.sort;
      if (sortText !== (defaultSort.direction === "desc" ? `-${defaultSort.field}` : defaultSort.field)) {
        p.set("sort", sortText);
      }
      if (size !== r.app.list.pageSize) p.set("size", String(size));
      for (const [name, value] of Object.entries(extra)) {
        if (typeof value === "string") p.set(name, value);
        else for (const v of value) p.append(name, v);
      }
      return p.toString();
    };
    const rollout = query.rollout;
    if (selectable && rollout !== undefined && rollout !== "" && !refused) {
      // The list as it was (search, filter, sort, size, ticks), for the rollout's Confirm to come back to.
      const back = listState(state({ ids: ticked.slice(0, MAX_CARRIED_TICKS) }));
      const to = new URLSearchParams({ preview: "1" });
      if (rollout === "matching") {
        // Every user the list matches, on every page: the same search and filter, nobody left out.
        if (q) to.set("q", q);
        if (mfa) to.set("mfa", mfa);
        to.set("includeInactive", "true");
      } else if (rollout === "1") {
        for (const id of ticked) to.append("ids", id);
      } else {
        throw new HTTPException(400, {
          message: "The bulk action (?rollout=) must be 1 (the ticked users) or matching.",
        });
      }
      if (back) to.set("back", back);
      return c.redirect(`/configure/mfa/rollout?${to}`, 303);
    }
    const page = await r.store.list(r.app, r.storeCtx, {
      q,
      sort,
      ...(mfa ? { mfa } : {}),
      limit: size,
      count: true,
      ...(after ? { after } : {}),
      ...(before ? { before } : {}),
      ...(last ? { last } : {}),
    });
    // A "tick this page" (no JavaScript: the button; with it, the header checkbox does it in place).
    if (selectable && query.tick === "page") {
      for (const row of page.rows) if (!ticked.includes(row.id) && ticked.length < MAX_TICKED) ticked.push(row.id);
    }
    const position: Record<string, string> = after
      ? { after: encodeCursor(after) }
      : before
        ? { before: encodeCursor(before) }
        : last
          ? { page: "last" }
          : {};
    // Each record's link carries the list's state, so its Save, Delete and Cancel come back here.
    const carried = listState(state({ ...position, ids: ticked.slice(0, MAX_CARRIED_TICKS) }));
    const list = (
      <RecordList
        columns={r.app.list.columns}
        rows={page.rows}
        rowHref={(row) =>
          carried ? `${r.href}/${row.id}?${new URLSearchParams({ list: carried })}` : `${r.href}/${row.id}`
        }
        q={q}
        sort={sort}
        sortable={sortable}
        listUrl={listUrl(r.href, mfa)}
        next={page.next ? encodeCursor(page.next) : null}
        prev={page.prev ? encodeCursor(page.prev) : null}
        position={position}
        {...(page.total !== undefined ? { total: page.total, offset: page.offset ?? 0 } : {})}
        size={size}
        defaultSize={r.app.list.pageSize}
        sizes={pageSizes(r.app.list.pageSize)}
        dialog={true}
        rowAction={r.canEdit ? "Edit" : undefined}
        emptyFiltered={mfa ? `No users are in this state: ${MFA_STATE_LABELS[mfa]}.` : undefined}
        select={selectable ? { name: "ids", ticked, actions: ROLLOUT_ACTIONS } : undefined}
        refused={refused}
      />
    );
    if (wantsRegion(c, "record-list")) return sendPage(c, list, status);
    const exportParams = new URLSearchParams({ sort: sort.direction === "desc" ? `-${sort.field}` : sort.field });
    if (q) exportParams.set("q", q);
    if (mfa) exportParams.set("mfa", mfa);
    const keep: Record<string, string> = {};
    if (mfa) keep.mfa = mfa;
    if (size !== r.app.list.pageSize) keep.size = String(size);
    return sendPage(
      c,
      <AppListPage
        frame={r.frame}
        title={r.app.title}
        description={r.app.description}
        search={
          <ListSearch
            action={r.href}
            q={refusedQ ?? q}
            sort={sort}
            label={`Search ${r.app.title}`}
            keep={Object.keys(keep).length ? keep : undefined}
            refused={Boolean(refused)}
          />
        }
        filters={r.app.usersApp ? <MfaFilterBar href={r.href} current={mfa} q={q} /> : undefined}
        list={selectable ? <RolloutSelectedForm list={list} action={r.href} /> : list}
        newUrl={r.canEdit ? `${r.href}/new` : undefined}
        newLabel={options.newLabel}
        exportUrl={`${r.href}/export.csv?${exportParams}`}
      />,
      status,
    );
  });

  routes.get(`${base}/export.csv`, async (c) => {
    const r = await resolve(c);
    const { q, refusedQ, sort } = listQuery(c, r);
    if (refusedQ !== undefined) throw new HTTPException(400, { message: SEARCH_TOO_LONG });
    const mfa = readMfaFilter(c, Boolean(r.app.usersApp));
    c.var.log.info("records exported", { app: r.app.id });
    return new Response(textStream(exportCsv(r.app, r.store, r.storeCtx, { q, sort, ...(mfa ? { mfa } : {}) })), {
      headers: {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": `attachment; filename="${r.app.id}.csv"`,
        "Cache-Control": "no-store",
      },
    });
  });
}
