import type { StoredRecord, SortSpec } from "../apps/record-store-contract.js";
import { Badges } from "./mfa-badges.js";
import { SelectedCount, SelectPager, SelectState } from "./list-selection.js";
import type { FieldNode } from "../schema/field-nodes.js";
import { displayValue } from "../schema/display-text.js";

/**
 * The list parameters of a record list URL, as strings: search words, sort (`field` or `-field`)
 * and keyset cursors.
 */
export interface ListParams {
  q?: string;
  sort?: string;
  after?: string;
  before?: string;
  /** "last" (or "first"): a page without a cursor. */
  page?: string;
  /** Rows per page, when not the list's default. */
  size?: string;
  /** Ticked rows (a selectable list). */
  ids?: readonly string[];
}

/**
 * What a record list renders: the columns, one page of rows, links to each record, the search, sort
 * and the hrefs of neighbouring pages.
 */
export interface RecordListProps {
  columns: FieldNode[];
  rows: StoredRecord[];
  /** Extra, store-provided text per row and column (e.g. a computed MFA status), by column name. */
  cell?: (row: StoredRecord, column: FieldNode) => string | undefined;
  rowHref: (row: StoredRecord) => string;
  q: string;
  sort: SortSpec;
  sortable: string[];
  /** Builds the list's own URL with other parameters (search, sort, page). */
  listUrl: (p: ListParams) => string;
  /** Encoded cursors of the neighbouring pages. */
  next: string | null;
  prev: string | null;
  /** Where this page is (a cursor, or the last page): the list reloads it after a save. */
  position?: Pick<ListParams, "after" | "before" | "page">;
  /** How many rows match, and how many come before this page (the "26–50 of 3,214" line). */
  total?: number;
  offset?: number;
  /** Rows per page now, the list's default and the sizes offered. */
  size: number;
  defaultSize: number;
  sizes: number[];
  /** Rows open in the page's dialog (htmx); plain links still work without JavaScript. */
  dialog: boolean;
  /** An action link at the end of each row ("Edit"), to the row's record. */
  rowAction?: string;
  /** The text of an empty list when a filter is applied. */
  emptyFiltered?: string;
  /** Why the search was refused (the list is then not searched): an alert above the table, #search-refused. */
  refused?: string;
  /**
   * A checkbox at the start of each row named `name` with the row's id as value, for a form
   * around the list (the users list's "Roll out MFA to selected").
   */
  select?: {
    name: string;
    /**
     * Ids ticked so far, on this page or others (the list's own query carries them as repeated
     * `name`): this page's rows show them ticked, the others ride along as hidden inputs, and the
     * pages are buttons of the form around the list, so turning a page keeps every tick without
     * JavaScript.
     */
    ticked?: readonly string[];
    /** The bulk action's buttons for the ticked rows and for every matching row ("all N matching"). */
    actions?: {
      name: string;
      selected: { value: string; label: string };
      matching: { value: string; label: (n: string) => string };
    };
  };
}

/** "3,214": a count as people read it. */
export const countText = (n: number) => new Intl.NumberFormat("en-US").format(n);

/** A sort as the `sort` URL parameter writes it: the field name, with a leading `-` when descending. */
export const sortParam = (s: SortSpec) => (s.direction === "desc" ? `-${s.field}` : s.field);

/**
 * The list region (#record-list): a table whose headers sort, rows that link
 * to their record, and keyset paging. It reloads itself when a record is
 * saved in the dialog (the fg-saved event).
 */
export function RecordList(p: RecordListProps) {
  const size = p.size === p.defaultSize ? undefined : String(p.size);
  const current = p.listUrl({ q: p.q, sort: sortParam(p.sort) });
  const region = { "hx-target": "#record-list", "hx-swap": "outerHTML" };
  const ticked = new Set(p.select?.ticked ?? []);
  const onPage = new Set(p.rows.map((r) => r.id));
  // After a save in the dialog the list reloads this very page, with its size and the ticks of
  // other pages; the ticks of this page come from its checkboxes (hx-include).
  const here = p.listUrl({
    q: p.q,
    sort: sortParam(p.sort),
    ...p.position,
    ...(size ? { size } : {}),
    ids: [...ticked].filter((id) => !onPage.has(id)),
  });
  // htmx sets a name it includes in place of the URL's values of that name: every tick is included
  // (this page's checkboxes, and the hidden inputs of other pages' ticks).
  const reload = p.select ? { "hx-include": `#record-list input[name='${p.select.name}']` } : {};
  return (
    <div id="record-list" hx-get={here} hx-trigger="fg-saved from:body" {...region} {...reload}>
      {p.select ? <SelectState name={p.select.name} ticked={ticked} onPage={onPage} current={current} /> : null}
      {p.refused ? (
        <p class="notice error" role="alert" id="search-refused">
          {p.refused}
        </p>
      ) : null}
      <ListSummary {...p} sizeParam={size} />
      <div class="table-scroll" tabindex={0}>
        <table class="striped record-list">
          <thead>
            <tr>
              {p.select ? (
                <th scope="col" class="row-select">
                  <input
                    type="checkbox"
                    class="select-page"
                    aria-label="Select every row on this page"
                    checked={p.rows.length > 0 && p.rows.every((r) => ticked.has(r.id))}
                    data-select-page="true"
                  />
                </th>
              ) : null}
              {p.columns.map((col) => {
                const active = p.sort.field === col.name;
                const next: SortSpec = {
                  field: col.name,
                  direction: active && p.sort.direction === "asc" ? "desc" : "asc",
                };
                const href = p.listUrl({ q: p.q, sort: sortParam(next), ...(size ? { size } : {}) });
                const ariaSort = active ? (p.sort.direction === "asc" ? "ascending" : "descending") : undefined;
                return (
                  <th scope="col" aria-sort={ariaSort}>
                    {p.sortable.includes(col.name) ? (
                      <a href={href} hx-get={href} hx-push-url="true" {...region} {...reload}>
                        {col.label}
                        {active ? (p.sort.direction === "asc" ? " ▲" : " ▼") : ""}
                      </a>
                    ) : (
                      col.label
                    )}
                  </th>
                );
              })}
              {p.rowAction ? (
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {p.rows.length === 0 ? (
              <tr>
                <td colspan={p.columns.length + (p.rowAction ? 1 : 0) + (p.select ? 1 : 0)}>
                  {p.q ? "No records match your search." : (p.emptyFiltered ?? "No records yet.")}
                </td>
              </tr>
            ) : null}
            {p.rows.map((row) => {
              const href = p.rowHref(row);
              const dialog = p.dialog
                ? { "hx-get": href, "hx-target": "#record-dialog-body", "hx-swap": "innerHTML" }
                : {};
              const name = displayValue(p.columns[0]!, row.values[p.columns[0]?.name ?? ""]);
              return (
                <tr>
                  {p.select ? (
                    <td class="row-select">
                      <input
                        type="checkbox"
                        name={p.select.name}
                        value={row.id}
                        checked={ticked.has(row.id)}
                        aria-label={`Select ${name === "—" ? "(untitled)" : name}`}
                      />
                    </td>
                  ) : null}
                  {p.columns.map((col, i) => {
                    const text = p.cell?.(row, col) ?? displayValue(col, row.values[col.name]);
                    // One line per row: a long value is cut, its full text is the cell's title and in the dialog.
                    return i === 0 ? (
                      <th scope="row" title={text.length > 24 ? text : undefined}>
                        <a href={href} {...dialog}>
                          {text === "—" ? "(untitled)" : text}
                        </a>
                      </th>
                    ) : (
                      <td title={text.length > 24 ? text : undefined}>
                        {row.badges?.[col.name] ? <Badges badges={row.badges[col.name]!} compact /> : text}
                      </td>
                    );
                  })}
                  {p.rowAction ? (
                    <td class="row-action">
                      <a href={href} {...dialog} aria-label={`${p.rowAction} ${name === "—" ? "(untitled)" : name}`}>
                        {p.rowAction}
                      </a>
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {p.select ? (
        <>
          <SelectPager prev={p.prev} next={p.next} />
          <SelectedCount ticked={ticked} onPage={onPage} paged={Boolean(p.prev || p.next)} />
          {p.rows.length ? (
            <p class="when-hidden tick-page">
              <a href={`${here}${here.includes("?") ? "&" : "?"}tick=page`}>Tick every row on this page</a>
            </p>
          ) : null}
          {p.select.actions ? (
            <BulkActions actions={p.select.actions} total={p.total} pageRows={p.rows.length} />
          ) : null}
        </>
      ) : (
        <Pager {...p} sizeParam={size} />
      )}
    </div>
  );
}

/**
 * "26–50 of 3,214" and the page size: a GET form of its own, or (a selectable list) fields of the
 * form around the list, sent with its "Show" button so the ticks ride along.
 */
function ListSummary(p: RecordListProps & { sizeParam: string | undefined }) {
  const range =
    p.total === undefined
      ? null
      : p.total === 0 || p.rows.length === 0
        ? `0 of ${countText(p.total)}`
        : `${countText((p.offset ?? 0) + 1)}–${countText((p.offset ?? 0) + p.rows.length)} of ${countText(p.total)}`;
  const sizeSelect = (
    <label class="page-size">
      Rows per page{" "}
      <select name="size">
        {p.sizes.map((n) => (
          <option value={String(n)} selected={n === p.size}>
            {String(n)}
          </option>
        ))}
      </select>
    </label>
  );
  const query = [...new URLSearchParams(p.listUrl({ q: p.q, sort: sortParam(p.sort) }).split("?")[1] ?? "").entries()];
  const action = p.listUrl({}).split("?")[0]!;
  return (
    <div class="list-summary">
      {range ? (
        <p class="list-range" aria-live="polite" data-total={String(p.total)}>
          {range}
        </p>
      ) : null}
      {p.select ? (
        <div class="page-size-form">
          {sizeSelect}
          <button type="submit" name="page" value="first" class="secondary outline">
            Show
          </button>
        </div>
      ) : (
        <form method="get" action={action} class="page-size-form" hx-get={action} hx-trigger="change" {...regionAttrs}>
          {query.map(([name, value]) => (name === "size" ? null : <input type="hidden" name={name} value={value} />))}
          {sizeSelect}
          <button type="submit" class="secondary outline">
            Show
          </button>
        </form>
      )}
    </div>
  );
}

const regionAttrs = { "hx-target": "#record-list", "hx-swap": "outerHTML", "hx-push-url": "true" };

/**
 * The bulk action of a selectable list: for the ticked rows, and for every row that matches the
 * search and filter ("all 3,214 matching"), not only those on this page.
 */
function BulkActions(props: {
  actions: NonNullable<NonNullable<RecordListProps["select"]>["actions"]>;
  total: number | undefined;
  pageRows: number;
}) {
  const a = props.actions;
  return (
    <div class="bulk-actions">
      <button type="submit" name={a.name} value={a.selected.value} class="secondary">
        {a.selected.label}
      </button>
      {props.total !== undefined && props.total > 0 ? (
        <button
          type="submit"
          name={a.name}
          value={a.matching.value}
          class="secondary outline"
          data-matching={String(props.total)}
        >
          {a.matching.label(countText(props.total))}
        </button>
      ) : null}
    </div>
  );
}

/** Links to the first, previous, next and last pages (keyset: a cursor each way, the last page from the end). */
function Pager(p: RecordListProps & { sizeParam: string | undefined }) {
  const base = { q: p.q, sort: sortParam(p.sort), ...(p.sizeParam ? { size: p.sizeParam } : {}) };
  return (
    <nav class="pager" aria-label="Pages">
      <ul>
        {p.prev ? <PagerLink url={p.listUrl(base)} label="First page" /> : null}
        {p.prev ? <PagerLink url={p.listUrl({ ...base, before: p.prev })} rel="prev" label="Previous" /> : null}
        {p.next ? <PagerLink url={p.listUrl({ ...base, after: p.next })} rel="next" label="Next" /> : null}
        {p.next ? <PagerLink url={p.listUrl({ ...base, page: "last" })} label="Last page" /> : null}
      </ul>
    </nav>
  );
}

/** The search box: a GET form (works without JavaScript) that searches as you type with htmx. */
export function ListSearch(p: {
  action: string;
  q: string;
  sort: SortSpec;
  label: string;
  /** Other parameters the search keeps (a filter such as ?mfa=). */
  keep?: Record<string, string>;
  /** The search was refused: the box is marked invalid and names the list's #search-refused alert. */
  refused?: boolean;
}) {
  return (
    <form method="get" action={p.action} role="search" class="list-search">
      <input type="hidden" name="sort" value={sortParam(p.sort)} />
      {Object.entries(p.keep ?? {}).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <input
        type="search"
        name="q"
        value={p.q}
        maxlength={100}
        placeholder={p.label}
        aria-label={p.label}
        aria-invalid={p.refused ? "true" : undefined}
        aria-describedby={p.refused ? "search-refused" : undefined}
        hx-get={p.action}
        hx-trigger="input changed delay:300ms, search"
        hx-include="closest form"
        hx-target="#record-list"
        hx-swap="outerHTML"
        hx-replace-url="true"
      />
      <button type="submit">Search</button>
    </form>
  );
}

/** A pager link: a plain link without JavaScript, an in-place swap of the list region with htmx. */
function PagerLink(props: { url: string; label: string; rel?: string }) {
  return (
    <li>
      <a
        href={props.url}
        hx-get={props.url}
        hx-push-url="true"
        rel={props.rel}
        hx-target="#record-list"
        hx-swap="outerHTML"
      >
        {props.label}
      </a>
    </li>
  );
}
