// The users list of the User Account Management app (UserRecordsStore.list): a keyset page in any
// sortable column, filtered by MFA state and searched, with the total and the page's offset.
import { MFA_STATE_JOINS, mfaStateCondition } from "../mfa/mfa-states.js";
import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { searchPatterns } from "../db/like.js";
import type { CompiledApp } from "./compiled-app.js";
import type { Cursor, ListPage, ListQuery, StoreContext } from "./record-store-contract.js";
import type { UserRecordMfa } from "./user-record-mfa.js";
import { USER_RECORD_COLUMNS, userRecord, userSearchText, userSortKey, type UserRecordRow } from "./user-rows.js";

/**
 * The joins a list statement over `users u` needs: the MFA settings (`m`) and the state joins (`ms`,
 * `me`) only when its sort key or conditions read them (a sort on MFA status, an ?mfa= filter), so a
 * list by username scans `users` alone. Each join is at most one row per user: leaving it out
 * changes no count.
 */
function mfaJoins(key: string, where: readonly string[]): string {
  const sql = `${key} ${where.join(" ")}`;
  const joins: string[] = [];
  if (/\bm\./.test(sql)) joins.push("LEFT JOIN mfa_settings m ON m.user_id = u.id");
  if (/\bm[se]\./.test(sql)) joins.push(MFA_STATE_JOINS);
  return joins.join("\n");
}

/**
 * One page of `app`'s users on the context's site: `query`'s sort (one of `sortable`, else the
 * first), MFA filter, search and cursor (after/before, or the last page), `limit` rows and the
 * cursors either way; with `query.count` also how many match and how many come before the page.
 */
export async function listUserPage(
  db: Db,
  clock: Clock,
  mfa: UserRecordMfa,
  sortable: string[],
  app: CompiledApp,
  ctx: StoreContext,
  query: ListQuery,
): Promise<ListPage> {
  const field = sortable.includes(query.sort.field) ? query.sort.field : sortable[0];
  if (!field) return { rows: [], next: null, prev: null, ...(query.count ? { total: 0, offset: 0 } : {}) };
  const cursor = query.after ?? query.before;
  // Walking backwards (a page before a cursor, or the last page) reverses the order; the page is flipped back below.
  const backwards = query.after === undefined && (query.before !== undefined || query.last === true);
  const ascending = (query.sort.direction === "asc") !== backwards;
  const params: unknown[] = [ctx.siteId];
  const where = ["u.site_id = $1"];
  const key = userSortKey(app, field, params, clock);
  if (query.mfa) {
    params.push(clock.now());
    where.push(mfaStateCondition(query.mfa, `$${params.length}`));
  }
  const patterns = searchPatterns(query.q);
  const text = patterns.length ? userSearchText(app, params) : "";
  for (const pattern of patterns) {
    params.push(pattern);
    where.push(`${text} LIKE $${params.length}`);
  }
  // What matches, before the cursor: the count below reads the same rows.
  const matching = { where: [...where], params: [...params] };
  if (cursor) {
    params.push(JSON.stringify(cursor.key), cursor.id);
    where.push(`(${key}, u.id) ${ascending ? ">" : "<"} ($${params.length - 1}::jsonb, $${params.length}::uuid)`);
  }
  params.push(query.limit + 1);
  const dir = ascending ? "ASC" : "DESC";
  const { rows } = await db.query<UserRecordRow>(
    `SELECT ${USER_RECORD_COLUMNS}, ${key} AS sort_key FROM users u ${mfaJoins(key, where)}
     WHERE ${where.join(" AND ")} ORDER BY ${key} ${dir}, u.id ${dir} LIMIT $${params.length}`,
    params,
  );
  const more = rows.length > query.limit;
  const page = rows.slice(0, query.limit);
  if (backwards) page.reverse();
  const statuses = await mfa.statuses(
    app,
    page.map((r) => r.id),
    db,
  );
  const cursorOf = (r: UserRecordRow | undefined): Cursor | null => (r ? { key: r.sort_key, id: r.id } : null);
  const first = cursorOf(page[0]);
  const last = cursorOf(page[page.length - 1]);
  const result: ListPage = {
    rows: page.map((r) => userRecord(app, r, statuses.get(r.id))),
    next: backwards ? (cursor ? last : null) : more ? last : null,
    prev: backwards ? (more ? first : null) : cursor ? first : null,
  };
  if (query.count) {
    // The first page starts at 0 and the last ends at the total: only a page between counts what comes before it.
    const counted = await countUsers(db, key, matching, cursor ? first : null, query.sort.direction === "asc");
    const offset = cursor ? counted.offset : backwards ? Math.max(0, counted.total - page.length) : 0;
    Object.assign(result, { total: counted.total, offset });
  }
  return result;
}

/**
 * How many users match (`matching`: the list's WHERE and its parameters, the sort key's among them)
 * and how many of them come before `first` in the list's order: one scan, two counts.
 */
export async function countUsers(
  db: Db,
  key: string,
  matching: { where: string[]; params: unknown[] },
  first: Cursor | null,
  ascending: boolean,
): Promise<{ total: number; offset: number }> {
  const params = [...matching.params];
  // The key's own parameters (a designer field's name, now) are in every statement: PostgreSQL
  // refuses a parameter it cannot type.
  let before = `(${key} IS NULL AND false)`;
  if (first) {
    params.push(JSON.stringify(first.key), first.id);
    before = `(${key}, u.id) ${ascending ? "<" : ">"} ($${params.length - 1}::jsonb, $${params.length}::uuid)`;
  }
  const { rows } = await db.query<{ total: number; offset: number }>(
    `SELECT count(*)::int AS total, count(*) FILTER (WHERE ${before})::int AS "offset"
     FROM users u ${mfaJoins(key, matching.where)}
     WHERE ${matching.where.join(" AND ")}`,
    params,
  );
  return rows[0]!;
}
