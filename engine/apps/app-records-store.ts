import type { Clock } from "../clock.js";
import { searchPatterns } from "../db/like.js";
import type { Db } from "../db/db.js";
import type { CompiledApp } from "./compiled-app.js";
import { nextChangeSeq, readChanges, writeTombstone, type FeedPage, type SyncCursor } from "./record-feed.js";
import { assertValidRecord } from "./record-rules.js";
import {
  type CreateOptions,
  RecordConflictError,
  RecordNotFoundError,
  type Cursor,
  type ListPage,
  type ListQuery,
  type RecordChange,
  type RecordStore,
  type StoreContext,
  type StoredRecord,
  storedRecord,
} from "./record-store-contract.js";
import { claimSubmission, noteSubmission } from "../db/submissions.js";
import { COLUMNS, REVISION, searchOf, SORT_KEY, writeSortKeys, type RecordRow } from "./record-sql.js";

/** Up to this many matches a search pages through the matching ids; beyond, it filters the sorted walk. */
export const SEARCH_HITS_CAP = 2000;

/**
 * The default store: one `records` table for every ordinary app, data as
 * JSONB, a version per record for optimistic concurrency and a revision per
 * change. Lists sort on any listed column through `record_sort_keys` and
 * search through a trigram index on `search`; both are rebuilt when a
 * definition changes its columns or searchable fields.
 */
export class AppRecordsStore implements RecordStore {
  /** site:app -> the index spec this process knows is in place. */
  readonly #indexed = new Map<string, string>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  sortable(app: CompiledApp): string[] {
    return app.list.columns.map((c) => c.name);
  }

  #spec(app: CompiledApp) {
    return { sort: this.sortable(app), search: app.list.searchable };
  }

  /** Makes sure sort keys and search text match the app's list view on this site; cheap when they do. */
  async ensureIndexed(app: CompiledApp, siteId: string): Promise<void> {
    const spec = this.#spec(app);
    const memoKey = `${siteId}:${app.id}`;
    const specKey = JSON.stringify(spec);
    if (this.#indexed.get(memoKey) === specKey) return;
    await this.db.transaction(async (tx) => {
      // One rebuild at a time per site and app, across instances.
      await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`records-index:${memoKey}`]);
      const { rows } = await tx.query<{ sort_fields: string[]; search_fields: string[] }>(
        "SELECT sort_fields, search_fields FROM record_index_specs WHERE site_id = $1 AND app_id = $2",
        [siteId, app.id],
      );
      const current = rows[0];
      const same = (a: string[] | undefined, b: string[]) => JSON.stringify(a ?? null) === JSON.stringify(b);
      if (!same(current?.sort_fields, spec.sort)) {
        await tx.query(
          "DELETE FROM record_sort_keys WHERE site_id = $1 AND app_id = $2 AND NOT (field = ANY($3::text[]))",
          [siteId, app.id, spec.sort],
        );
        await tx.query(
          `INSERT INTO record_sort_keys (record_id, site_id, app_id, field, key)
           SELECT r.id, r.site_id, r.app_id, f, ${SORT_KEY}
           FROM records r, unnest($3::text[]) AS f WHERE r.site_id = $1 AND r.app_id = $2
           ON CONFLICT (record_id, field) DO NOTHING`,
          [siteId, app.id, spec.sort],
        );
      }
      if (!same(current?.search_fields, spec.search)) {
        await tx.query(`UPDATE records r SET search = ${searchOf("r.data", "$3")} WHERE site_id = $1 AND app_id = $2`, [
          siteId,
          app.id,
          spec.search,
        ]);
      }
      await tx.query(
        `INSERT INTO record_index_specs (site_id, app_id, sort_fields, search_fields) VALUES ($1, $2, $3, $4)
         ON CONFLICT (site_id, app_id) DO UPDATE SET sort_fields = EXCLUDED.sort_fields, search_fields = EXCLUDED.search_fields`,
        [siteId, app.id, spec.sort, spec.search],
      );
    });
    this.#indexed.set(memoKey, specKey);
  }

  #toRecord(app: CompiledApp, r: RecordRow): StoredRecord {
    const values: Record<string, unknown> = {};
    for (const f of app.fields) {
      // A writeOnly value is stored but never read back out.
      if (!f.writeOnly && r.data[f.name] !== undefined) values[f.name] = r.data[f.name];
    }
    return storedRecord(r, values);
  }

  async list(app: CompiledApp, ctx: StoreContext, query: ListQuery): Promise<ListPage> {
    await this.ensureIndexed(app, ctx.siteId);
    const sortField = this.sortable(app).includes(query.sort.field) ? query.sort.field : this.sortable(app)[0];
    if (!sortField) return { rows: [], next: null, prev: null, ...(query.count ? { total: 0, offset: 0 } : {}) };
    const cursor = query.after ?? query.before;
    // Walking backwards (a page before a cursor, or the last page) reverses the order; the page is flipped back below.
    const backwards = query.after === undefined && (query.before !== undefined || query.last === true);
    const ascending = (query.sort.direction === "asc") !== backwards;
    const params: unknown[] = [ctx.siteId, app.id, sortField];
    const where = ["k.site_id = $1", "k.app_id = $2", "k.field = $3"];
    const patterns = searchPatterns(query.q);
    if (patterns.length) {
      // PostgreSQL cannot estimate how many rows match '%word%'. Walking the sort index and
      // filtering is fast when matches are many and slow when they are few, so find the matches
      // through the trigram index first: when there are not too many, page through just those.
      const hits = await this.#searchHits(ctx.siteId, app.id, patterns);
      if (hits) {
        params.push(hits);
        where.push(`k.record_id = ANY($${params.length}::uuid[])`);
      } else {
        for (const pattern of patterns) {
          params.push(pattern);
          where.push(`r.search LIKE $${params.length}`);
        }
      }
    }
    // What matches, before the cursor: the count below reads the same rows.
    const matching = { where: [...where], params: [...params] };
    if (cursor) {
      params.push(JSON.stringify(cursor.key), cursor.id);
      where.push(
        `(k.key, k.record_id) ${ascending ? ">" : "<"} ($${params.length - 1}::jsonb, $${params.length}::uuid)`,
      );
    }
    params.push(query.limit + 1);
    const dir = ascending ? "ASC" : "DESC";
    const { rows } = await this.db.query<RecordRow>(
      `SELECT ${COLUMNS}, k.key FROM record_sort_keys k JOIN records r ON r.id = k.record_id
       WHERE ${where.join(" AND ")} ORDER BY k.key ${dir}, k.record_id ${dir} LIMIT $${params.length}`,
      params,
    );
    const more = rows.length > query.limit;
    const page = rows.slice(0, query.limit);
    if (backwards) page.reverse();
    const cursorOf = (r: RecordRow | undefined): Cursor | null => (r ? { key: r.key, id: r.id } : null);
    const first = cursorOf(page[0]);
    const last = cursorOf(page[page.length - 1]);
    const result: ListPage = {
      rows: page.map((r) => this.#toRecord(app, r)),
      next: backwards ? (cursor ? last : null) : more ? last : null,
      prev: backwards ? (more ? first : null) : cursor ? first : null,
    };
    if (query.count) {
      // The first page starts at 0 and the last ends at the total: only a page between counts what comes before it.
      const counted = await this.#count(matching, cursor ? first : null, query.sort.direction === "asc");
      const offset = cursor ? counted.offset : backwards ? Math.max(0, counted.total - page.length) : 0;
      Object.assign(result, { total: counted.total, offset });
    }
    return result;
  }

  /**
   * How many records match (`matching`: the list's WHERE over record_sort_keys k and records r, and
   * its parameters) and how many of them come before `first` in the list's order: one scan, two counts.
   */
  async #count(
    matching: { where: string[]; params: unknown[] },
    first: Cursor | null,
    ascending: boolean,
  ): Promise<{ total: number; offset: number }> {
    const params = [...matching.params];
    let before = "false";
    if (first) {
      params.push(JSON.stringify(first.key), first.id);
      before = `(k.key, k.record_id) ${ascending ? "<" : ">"} ($${params.length - 1}::jsonb, $${params.length}::uuid)`;
    }
    const { rows } = await this.db.query<{ total: number; offset: number }>(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE ${before})::int AS "offset"
       FROM record_sort_keys k JOIN records r ON r.id = k.record_id
       WHERE ${matching.where.join(" AND ")}`,
      params,
    );
    return rows[0]!;
  }

  /** Ids of the records that match every pattern, or null when there are more than SEARCH_HITS_CAP. */
  async #searchHits(siteId: string, appId: string, patterns: string[]): Promise<string[] | null> {
    const params: unknown[] = [siteId, appId, ...patterns, SEARCH_HITS_CAP + 1];
    const likes = patterns.map((_, i) => `search LIKE $${i + 3}`).join(" AND ");
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM records WHERE site_id = $1 AND app_id = $2 AND ${likes} LIMIT $${params.length}`,
      params,
    );
    return rows.length > SEARCH_HITS_CAP ? null : rows.map((r) => r.id);
  }

  async get(app: CompiledApp, ctx: StoreContext, id: string): Promise<StoredRecord | null> {
    return this.#get(this.db, app, ctx, id);
  }

  async #get(db: Db, app: CompiledApp, ctx: StoreContext, id: string): Promise<StoredRecord | null> {
    const { rows } = await db.query<RecordRow>(
      `SELECT ${COLUMNS}, u.username AS updated_by_name FROM records r LEFT JOIN users u ON u.id = r.updated_by
       WHERE r.id = $1 AND r.site_id = $2 AND r.app_id = $3`,
      [id, ctx.siteId, app.id],
    );
    return rows[0] ? this.#toRecord(app, rows[0]) : null;
  }

  async create(
    app: CompiledApp,
    ctx: StoreContext,
    values: Record<string, unknown>,
    options: CreateOptions = {},
  ): Promise<StoredRecord> {
    const [created] = await this.createMany(app, ctx, [values], options.submission);
    return created!;
  }

  /**
   * Creates many records in one transaction with one statement each for rows, keys and revisions
   * (imports, benchmarks). Throws RecordValidationError (nothing saved) when one breaks the app's rules,
   * DuplicateSubmissionError when `submission` (a new-record form's one-time token) was used before.
   */
  async createMany(
    app: CompiledApp,
    ctx: StoreContext,
    values: Record<string, unknown>[],
    submission?: string,
  ): Promise<StoredRecord[]> {
    await this.ensureIndexed(app, ctx.siteId);
    return this.db.transaction(async (tx) => {
      if (submission) await claimSubmission(tx, this.clock, { siteId: ctx.siteId, appId: app.id }, submission);
      const created = await this.insertIn(tx, app, ctx, values);
      if (submission) await noteSubmission(tx, submission, created[0]!.id);
      return created;
    });
  }

  /** createMany's work inside the caller's transaction `tx` (ensureIndexed must have run). */
  async insertIn(
    tx: Db,
    app: CompiledApp,
    ctx: StoreContext,
    values: Record<string, unknown>[],
  ): Promise<StoredRecord[]> {
    for (const v of values) assertValidRecord(app, "create", v);
    const now = this.clock.now();
    const last = await nextChangeSeq(tx, ctx.siteId, app.id, values.length);
    const { rows } = await tx.query<RecordRow>(
      `INSERT INTO records AS r (site_id, app_id, data, search, created_at, updated_at, created_by, updated_by, change_seq)
       SELECT $1, $2, n.data, ${searchOf("n.data", "$4")}, $5, $5, $6, $6, $7 + n.i
       FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS n (data, i) ORDER BY n.i
       RETURNING ${COLUMNS}`,
      [ctx.siteId, app.id, JSON.stringify(values), app.list.searchable, now, ctx.actor.id, last - values.length],
    );
    const ids = rows.map((r) => r.id);
    await writeSortKeys(tx, this.sortable(app), ids);
    await tx.query(
      `${REVISION} SELECT id, 1, site_id, app_id, 'create', data, $2, $3, $4, $5 FROM records WHERE id = ANY($1::uuid[])`,
      [ids, now, ctx.actor.id, ctx.actor.name, surfaceOf(ctx)],
    );
    return rows.map((r) => this.#toRecord(app, r));
  }

  async update(app: CompiledApp, ctx: StoreContext, id: string, change: RecordChange): Promise<StoredRecord> {
    await this.ensureIndexed(app, ctx.siteId);
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const seq = await nextChangeSeq(tx, ctx.siteId, app.id, 1);
      // Keys this form does not decide (fields removed from the definition, unchanged passwords) are kept.
      const { rows } = await tx.query<RecordRow & { before: Record<string, unknown> }>(
        `UPDATE records r SET data = n.data, search = ${searchOf("n.data", "$6")}, version = r.version + 1,
           updated_at = $7, updated_by = $8, change_seq = $10
         FROM (SELECT data AS before, (data - $4::text[]) || $5::jsonb AS data FROM records WHERE id = $1) n
         WHERE r.id = $1 AND r.site_id = $2 AND r.app_id = $3 AND r.version = $9
         RETURNING ${COLUMNS}, n.before`,
        [
          id,
          ctx.siteId,
          app.id,
          change.fields,
          JSON.stringify(change.values),
          app.list.searchable,
          now,
          ctx.actor.id,
          change.expectedVersion,
          seq,
        ],
      );
      const row = rows[0];
      if (!row) {
        const current = await this.#get(tx, app, ctx, id);
        if (!current) throw new RecordNotFoundError();
        throw new RecordConflictError(current);
      }
      // The record as saved, kept keys included, obeys the app's rules (else the transaction rolls
      // back); a value it held before that is no longer an option (kept by the designer) stays.
      const before = this.#toRecord(app, { ...row, data: row.before }).values;
      assertValidRecord(app, "edit", this.#toRecord(app, row).values, before);
      await writeSortKeys(tx, this.sortable(app), [id]);
      await tx.query(`${REVISION} VALUES ($1, $2, $3, $4, 'update', $5, $6, $7, $8, $9)`, [
        id,
        row.version,
        ctx.siteId,
        app.id,
        JSON.stringify(row.data),
        now,
        ctx.actor.id,
        ctx.actor.name,
        surfaceOf(ctx),
      ]);
      return this.#toRecord(app, { ...row, updated_by_name: ctx.actor.name });
    });
  }

  async delete(app: CompiledApp, ctx: StoreContext, id: string, expectedVersion: number): Promise<void> {
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const seq = await nextChangeSeq(tx, ctx.siteId, app.id, 1);
      const { rows } = await tx.query<RecordRow>(
        `DELETE FROM records r WHERE r.id = $1 AND r.site_id = $2 AND r.app_id = $3 AND r.version = $4
         RETURNING ${COLUMNS}`,
        [id, ctx.siteId, app.id, expectedVersion],
      );
      const row = rows[0];
      if (!row) {
        const current = await this.#get(tx, app, ctx, id);
        if (!current) throw new RecordNotFoundError();
        throw new RecordConflictError(current);
      }
      await tx.query(`${REVISION} VALUES ($1, $2, $3, $4, 'delete', $5, $6, $7, $8, $9)`, [
        id,
        row.version + 1,
        ctx.siteId,
        app.id,
        JSON.stringify(row.data),
        now,
        ctx.actor.id,
        ctx.actor.name,
        surfaceOf(ctx),
      ]);
      await writeTombstone(tx, ctx.siteId, app.id, id, seq, now);
    });
  }

  /**
   * The changes of an app's records after a sync cursor (0: all records), at most `limit`, in the
   * order they were made; see record-feed.ts readChanges for the cursor and its errors.
   */
  async changes(
    app: CompiledApp,
    ctx: StoreContext,
    from: SyncCursor | 0,
    limit: number,
  ): Promise<FeedPage<StoredRecord>> {
    const page = await readChanges<RecordRow>(this.db, ctx.siteId, app.id, from, limit, this.clock.now(), COLUMNS);
    return {
      cursor: page.cursor,
      changes: page.changes.map((c) => ({ ...c, row: c.row ? this.#toRecord(app, c.row) : null })),
    };
  }

  async count(app: CompiledApp, siteId: string): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM records WHERE site_id = $1 AND app_id = $2",
      [siteId, app.id],
    );
    return rows[0]!.n;
  }

  async revision(
    app: CompiledApp,
    ctx: StoreContext,
    id: string,
    version: number,
  ): Promise<Record<string, unknown> | null> {
    const { rows } = await this.db.query<{ data: Record<string, unknown> }>(
      "SELECT data FROM record_revisions WHERE record_id = $1 AND version = $2 AND site_id = $3 AND app_id = $4",
      [id, version, ctx.siteId, app.id],
    );
    if (!rows[0]) return null;
    return this.#toRecord(app, {
      id,
      version,
      data: rows[0].data,
      created_at: new Date(0),
      updated_at: new Date(0),
      created_by: null,
      updated_by: null,
    }).values;
  }
}

/** Where a change came from, for its revision: the actor's surface, the web unless it says otherwise. */
const surfaceOf = (ctx: StoreContext) => ctx.actor.surface ?? "web";
