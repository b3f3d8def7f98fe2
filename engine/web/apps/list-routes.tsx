// The list of an app's records (search, sort, keyset pages; the whole page or the list region for
// htmx) and its CSV export.
import type { Context, Hono } from "hono";
import type { Child } from "hono/jsx";
import { exportCsv, textStream } from "../../apps/csv-export.js";
import { encodeCursor } from "../../apps/record-store-contract.js";
import { ListSearch, RecordList } from "../../render/record-list.js";
import { AppListPage } from "../../render/record-pages.js";
import { listUrl, readListQuery, readMfaFilter } from "../forms/list-query.js";
import { MFA_STATE_LABELS } from "../../mfa/mfa-states.js";
import { MfaFilterBar } from "./mfa-filter.js";
import type { AppEnv } from "../http/env.js";
import { sendPage } from "../http/page.js";
import { queryParams, queryValues } from "../http/query.js";
import { type RecordRoutesOptions, type Resolved } from "./resolve.js";
import { wantsRegion } from "../http/htmx.js";

/**
 * A plain GET form around the users list, sent to the list itself: its page buttons turn the page
 * with every tick kept (repeated `ids`), and "Roll out MFA to selected" (`rollout=1`) is sent on to
 * the MFA rollout's preview with the ticked ids, which shows who would change before anything does.
 * htmx swaps the list inside it (search, sort) and the form stays.
 */
function RolloutSelectedForm({ list, action }: { list: Child; action: string }) {
  return (
    <form method="get" action={action} class="rollout-selected">
      {list}
      <button type="submit" name="rollout" value="1" class="secondary">
        Roll out MFA to selected
      </button>
    </form>
  );
}

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
    return { sortable, ...readListQuery(c, sortable, r.app.fields, r.app.list.sort) };
  }

  routes.get(base, async (c) => {
    const r = await resolve(c);
    const { sortable, q, sort, after, before } = listQuery(c, r);
    const mfa = readMfaFilter(c, Boolean(r.app.usersApp));
    // Administrators tick users in the users list to roll MFA out to them.
    const selectable = Boolean(r.app.usersApp) && r.frame.user.role === "admin";
    const ticked = selectable
      ? [...new Set((queryValues(c).ids ?? []).filter((id) => UUID.test(id)))].slice(0, MAX_TICKED)
      : [];
    if (selectable && queryParams(c).rollout) {
      const to = new URLSearchParams({ preview: "1" });
      for (const id of ticked) to.append("ids", id);
      return c.redirect(`/configure/mfa/rollout?${to}`, 303);
    }
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
        select={selectable ? { name: "ids", ticked } : undefined}
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
        list={selectable ? <RolloutSelectedForm list={list} action={r.href} /> : list}
        newUrl={r.canEdit ? `${r.href}/new` : undefined}
        newLabel={options.newLabel}
        exportUrl={`${r.href}/export.csv?${exportParams}`}
      />,
    );
  });

  routes.get(`${base}/export.csv`, async (c) => {
    const r = await resolve(c);
    const { q, sort } = listQuery(c, r);
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
