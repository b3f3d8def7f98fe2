// The SQL the records table is written with, shared by the store (app-records-store.ts) and the
// changes the designer applies to many records at once (choice-remap.ts): every write keeps the
// search text, the sort keys and the revisions the same way. Fixed fragments only: every value is
// a parameter.
import type { Db } from "../db/db.js";

/** One row of `records` as the store reads it (aliased `r`), with its sort key when listed. */
export interface RecordRow {
  id: string;
  version: number;
  data: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
  created_by: string | null;
  updated_by: string | null;
  updated_by_name?: string | null;
  key?: unknown;
}

/** The columns of a RecordRow, from `records r`. */
export const COLUMNS = "r.id, r.version, r.data, r.created_at, r.updated_at, r.created_by, r.updated_by";
/** The head of an INSERT of one or more revisions (values or a SELECT follow). */
export const REVISION =
  "INSERT INTO record_revisions (record_id, version, site_id, app_id, operation, data, at, actor_id, actor_name, surface)";

/**
 * The lowercased searchable fields of a data value: the same expression on every write and
 * rebuild. `data` and `fields` are SQL expressions the caller writes (a column, a placeholder).
 */
export const searchOf = (data: string, fields: string) =>
  `(SELECT lower(coalesce(string_agg(${data}->>f, ' '), '')) FROM unnest(${fields}::text[]) AS f)`;

/** A column's sort key: strings case-folded and cut (a btree entry must stay small), missing as JSON null. */
export const SORT_KEY = `CASE jsonb_typeof(r.data->f)
    WHEN 'string' THEN to_jsonb(left(lower(r.data->>f), 200))
    WHEN 'array' THEN to_jsonb(left((r.data->f)::text, 200))
    WHEN 'object' THEN 'null'::jsonb
    ELSE coalesce(r.data->f, 'null'::jsonb) END`;

/** Writes the sort keys of `recordIds` for the `sortable` columns (names of top-level fields), in `tx`. */
export async function writeSortKeys(tx: Db, sortable: string[], recordIds: string[]): Promise<void> {
  await tx.query(
    `INSERT INTO record_sort_keys (record_id, site_id, app_id, field, key)
     SELECT r.id, r.site_id, r.app_id, f, ${SORT_KEY}
     FROM records r, unnest($2::text[]) AS f WHERE r.id = ANY($1::uuid[])
     ON CONFLICT (record_id, field) DO UPDATE SET key = EXCLUDED.key`,
    [recordIds, sortable],
  );
}
