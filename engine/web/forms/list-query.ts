// Reading a record list's query string: ?q (search), ?sort, ?after and ?before (keyset cursors),
// ?page=last (the last page), ?size (rows per page); and the list state a record form carries back.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { CursorError, decodeCursor, type Cursor, type SortSpec } from "../../apps/record-store-contract.js";
import { isMfaState, MFA_STATES, type MfaState } from "../../mfa/mfa-states.js";
import type { FieldNode } from "../../schema/field-nodes.js";
import { SORT_KEY } from "../../schema/identifiers.js";
import type { ListParams } from "../../render/record-list.js";
import type { AppEnv } from "../http/env.js";
import { queryParams } from "../http/query.js";
import { isStorableText } from "../../util/storable-text.js";

/**
 * `?sort=name` or `?sort=-name` (descending) when `name` is sortable; else `fallback` when it is
 * sortable, else the first sortable column ascending.
 */
export function parseSort(raw: string | undefined, sortable: string[], fallback: SortSpec): SortSpec {
  if (raw && SORT_KEY.test(raw)) {
    const field = raw.replace(/^-/, "");
    if (sortable.includes(field)) return { field, direction: raw.startsWith("-") ? "desc" : "asc" };
  }
  return sortable.includes(fallback.field) ? fallback : { field: sortable[0] ?? "", direction: "asc" };
}

/** The longest search a list (and the MFA rollout's selection) takes, in characters. */
export const SEARCH_MAX_LENGTH = 100;
/** What a list and the MFA rollout say to a longer search. */
export const SEARCH_TOO_LONG = `Search is at most ${SEARCH_MAX_LENGTH} characters.`;

/** What a list request asks for; `before` is dropped when `after` is given, `last` when either is. */
export interface ListQuery {
  /** Search text, at most SEARCH_MAX_LENGTH characters ("" when a longer one was refused). */
  q: string;
  /**
   * A longer search, refused: its first SEARCH_MAX_LENGTH characters, for the search box (the list
   * answers 400 with SEARCH_TOO_LONG and is not searched). Absent when the search was taken.
   */
  refusedQ?: string;
  sort: SortSpec;
  after: Cursor | undefined;
  before: Cursor | undefined;
  /** ?page=last: the last page (keyset from the end, no OFFSET). */
  last: boolean;
  /** Rows per page: ?size= (one of PAGE_SIZES or the app's own size), else `defaultSize`. */
  size: number;
}

/** The page sizes a list offers (besides the app's own `list.pageSize`). */
export const PAGE_SIZES: readonly number[] = [25, 50, 100, 200];

/** The sizes offered for a list whose definition says `defaultSize`, in order. */
export const pageSizes = (defaultSize: number): number[] =>
  [...new Set([...PAGE_SIZES, defaultSize])].sort((a, b) => a - b);

/**
 * Reads ?q, ?sort, ?after and ?before through the shared query reader (engine/web/http/query.ts),
 * cursors checked against the sort column of `fields`. Throws HTTPException 400 for a cursor that
 * is not one a list of that column could have made.
 */
export function readListQuery(
  c: Context<AppEnv>,
  sortable: string[],
  fields: FieldNode[],
  defaultSort: SortSpec,
  defaultSize = 25,
): ListQuery {
  const query = queryParams(c);
  const page = query.page ?? "";
  if (page !== "" && page !== "first" && page !== "last") {
    throw new HTTPException(400, {
      message: "The page (?page=) must be first or last; other pages are links of the list.",
    });
  }
  const sizes = pageSizes(defaultSize);
  const rawSize = query.size ?? "";
  if (rawSize !== "" && !sizes.includes(Number(rawSize))) {
    throw new HTTPException(400, { message: `The page size (?size=) must be one of ${sizes.join(", ")}.` });
  }
  const size = rawSize === "" ? defaultSize : Number(rawSize);
  const typed = query.q ?? "";
  const refused = typed.length > SEARCH_MAX_LENGTH;
  const q = refused ? "" : typed;
  const sort = parseSort(query.sort, sortable, defaultSort);
  const column = fields.find((f) => f.name === sort.field);
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
  return {
    q,
    ...(refused ? { refusedQ: typed.slice(0, SEARCH_MAX_LENGTH) } : {}),
    sort,
    after,
    before: after ? undefined : before,
    last: !after && !before && page === "last",
    size,
  };
}

/**
 * ?mfa= on a list of user accounts (`usersApp`): one of the MFA states, or undefined when absent or
 * the list is not of accounts. Throws HTTPException 400 for any other value.
 */
export function readMfaFilter(c: Context<AppEnv>, usersApp: boolean): MfaState | undefined {
  const raw = queryParams(c).mfa;
  if (!usersApp || raw === undefined || raw === "") return undefined;
  if (!isMfaState(raw)) {
    throw new HTTPException(400, { message: `The filter ?mfa= must be one of: ${MFA_STATES.join(", ")}.` });
  }
  return raw;
}

/** The URL of a list page with ?mfa, ?q, ?sort, ?after, ?before as given (empty ones left out). */
export const listUrl =
  (href: string, mfa?: MfaState) =>
  (p: ListParams): string => {
    const params = new URLSearchParams();
    if (mfa) params.set("mfa", mfa);
    if (p.q) params.set("q", p.q);
    if (p.sort) params.set("sort", p.sort);
    if (p.after) params.set("after", p.after);
    if (p.before) params.set("before", p.before);
    if (p.page) params.set("page", p.page);
    if (p.size) params.set("size", p.size);
    for (const id of p.ids ?? []) params.append("ids", id);
    const qs = params.toString();
    return qs ? `${href}?${qs}` : href;
  };

/** The names a list's state is made of (see listState). */
const STATE_NAMES = ["mfa", "q", "sort", "after", "before", "page", "size", "ids"] as const;
/** At most this many ticks ride along with a record form (each is a UUID in every row's link). */
export const MAX_CARRIED_TICKS = 20;
const CURSOR_TEXT = /^[A-Za-z0-9_-]{1,2000}$/;
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A list's state (search, filter, sort, page, page size, ticks) as the query string a record form
 * carries (`?list=` on the record's link, `_list` in its form) so that Save, Delete and Cancel come
 * back to the list as it was. Only those names are kept, each value checked for its shape (the list
 * itself checks what they mean when it is opened), and written again with URLSearchParams, so what
 * comes back is always a query of the list's own address: never another page's, never an open
 * redirect. Anything else is dropped; "" when nothing is left.
 */
export function listState(raw: string | undefined): string {
  if (!raw || raw.length > 8000) return "";
  const input = new URLSearchParams(raw.startsWith("?") ? raw.slice(1) : raw);
  const out = new URLSearchParams();
  for (const name of STATE_NAMES) {
    const values = input.getAll(name);
    if (name === "ids") {
      for (const id of [...new Set(values)].filter((v) => UUID_TEXT.test(v)).slice(0, MAX_CARRIED_TICKS)) {
        out.append("ids", id);
      }
      continue;
    }
    const v = values[0];
    if (v === undefined || v === "") continue;
    const ok =
      name === "q"
        ? v.length <= SEARCH_MAX_LENGTH && isStorableText(v)
        : name === "sort"
          ? SORT_KEY.test(v)
          : name === "mfa"
            ? isMfaState(v)
            : name === "page"
              ? v === "first" || v === "last"
              : name === "size"
                ? /^\d{1,3}$/.test(v)
                : CURSOR_TEXT.test(v);
    if (ok) out.set(name, v);
  }
  return out.toString();
}

/** The list's address with its state (listState) — where a save, a delete or Cancel goes back to. */
export const listHref = (href: string, state: string): string => (state ? `${href}?${state}` : href);
