// Reading a record list's query string: ?q (search), ?sort, ?after and ?before (keyset cursors).
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { CursorError, decodeCursor, type Cursor, type SortSpec } from "../../apps/record-store-contract.js";
import { isMfaState, MFA_STATES, type MfaState } from "../../mfa/mfa-states.js";
import type { FieldNode } from "../../schema/field-nodes.js";
import { SORT_KEY } from "../../schema/identifiers.js";
import type { ListParams } from "../../render/record-list.js";
import type { AppEnv } from "../http/env.js";
import { queryParams } from "../http/query.js";

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

/** What a list request asks for; `before` is dropped when `after` is given. */
export interface ListQuery {
  /** Search text, at most 100 characters. */
  q: string;
  sort: SortSpec;
  after: Cursor | undefined;
  before: Cursor | undefined;
}

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
): ListQuery {
  const query = queryParams(c);
  const q = (query.q ?? "").slice(0, 100);
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
  return { q, sort, after, before: after ? undefined : before };
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
    const qs = params.toString();
    return qs ? `${href}?${qs}` : href;
  };
