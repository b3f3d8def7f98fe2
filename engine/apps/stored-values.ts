// What records still hold under each top-level key, whatever the app's current definition says:
// a field deleted from the definition keeps its values in the records (the stores never drop keys
// they were not told about), so re-adding its name with another type must be checked against them.
import type { Db } from "../db/db.js";
import type { CompiledApp } from "./compiled-app.js";

/**
 * Where an app's records live on a site, for a query: the table, the condition (parameters $1 and,
 * for `records`, $2) and its parameters. `users.data` holds the designer fields of user accounts.
 */
export function recordSource(app: CompiledApp, siteId: string) {
  return app.usersApp
    ? { table: "users", where: "site_id = $1", params: [siteId] as unknown[] }
    : { table: "records", where: "site_id = $1 AND app_id = $2", params: [siteId, app.id] as unknown[] };
}

/** How many records an app has on a site (user accounts: the site's users), read with `db` (a transaction's). */
export async function recordCount(db: Db, app: CompiledApp, siteId: string): Promise<number> {
  const src = recordSource(app, siteId);
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${src.table} WHERE ${src.where}`,
    src.params,
  );
  return rows[0]!.n;
}

/** Per top-level key of the stored data: how many records hold a value of each JSON type (jsonb_typeof). */
export type StoredValueTypes = Map<string, Map<string, number>>;

/**
 * The JSON types (string, number, boolean, array, object; JSON null and the empty string, which
 * hold nothing, are left out) stored under each
 * top-level key of an app's records on a site: `records.data`, or `users.data` (designer fields)
 * for the user-accounts app. One grouped scan of the app's records.
 */
export async function storedValueTypes(db: Db, app: CompiledApp, siteId: string): Promise<StoredValueTypes> {
  const src = recordSource(app, siteId);
  const { rows } = await db.query<{ k: string; t: string; n: number }>(
    `SELECT e.key AS k, jsonb_typeof(e.value) AS t, count(*)::int AS n
     FROM (SELECT data FROM ${src.table} WHERE ${src.where}) AS r, jsonb_each(r.data) AS e
     WHERE jsonb_typeof(e.value) <> 'null' AND e.value <> '""'::jsonb GROUP BY 1, 2`,
    src.params,
  );
  const out: StoredValueTypes = new Map();
  for (const r of rows) {
    const m = out.get(r.k) ?? new Map<string, number>();
    m.set(r.t, r.n);
    out.set(r.k, m);
  }
  return out;
}

/** How many records hold a value under top-level key `name` (any type), per storedValueTypes. */
export function recordsHolding(stored: StoredValueTypes, name: string): number {
  let n = 0;
  for (const count of stored.get(name)?.values() ?? []) n += count;
  return n;
}

/** The JSON type (jsonb_typeof) a value of a field of JSON Schema type `type` has. */
export function jsonTypeOf(type: string | undefined): string | null {
  if (type === "integer" || type === "number") return "number";
  if (type === "string" || type === "boolean" || type === "array" || type === "object") return type;
  return null;
}
