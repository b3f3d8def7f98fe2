import type { PGlite, Results } from "@electric-sql/pglite";
import type { Db, QueryResult } from "./db.js";
import { transactionHandle } from "./savepoint.js";
import { logQuery } from "./query-log.js";
import { DatabaseUnavailableError, isDiskFull } from "./unavailable.js";
import type { Logger } from "../log.js";
import { silentLogger } from "../log.js";

function toResult<T>(r: Results<T>): QueryResult<T> {
  return { rows: r.rows, rowCount: r.fields.length > 0 ? r.rows.length : (r.affectedRows ?? 0) };
}

/** Embedded PostgreSQL. One connection: PGlite's own transaction() holds its mutex, so other callers wait. */
export async function openPgliteDb(
  options: { dataDir?: string; loadDataDir?: Blob | File },
  log: Logger = silentLogger,
): Promise<Db & { pglite: PGlite }> {
  // Imported here, not at the top: a server on PostgreSQL never loads PGlite.
  const [{ PGlite }, { pg_trgm }] = await Promise.all([
    import("@electric-sql/pglite"),
    // pg_trgm backs the records search index (migration 002); PostgreSQL ships it as a contrib extension.
    import("@electric-sql/pglite/contrib/pg_trgm"),
  ]);
  const pglite = await PGlite.create({
    dataDir: options.dataDir,
    loadDataDir: options.loadDataDir,
    extensions: { pg_trgm },
  });
  const runOn =
    (target: { query: PGlite["query"] }) =>
    async <T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> => {
      const start = performance.now();
      let r: QueryResult<T>;
      try {
        r = toResult(await target.query<T>(sql, params as unknown[]));
      } catch (err) {
        // A full disk is not a bug of the request: 503 with one clear line, reads go on.
        if (isDiskFull(err)) {
          log.error("no space left on device", { error: (err as Error).message });
          throw new DatabaseUnavailableError(err);
        }
        throw err;
      }
      logQuery(log, sql, start, r.rowCount);
      return r;
    };
  return {
    backend: "pglite",
    pglite,
    query: runOn(pglite),
    exec: async (sql) => void (await pglite.exec(sql)),
    transaction: (fn) =>
      pglite.transaction((tx) => fn(transactionHandle(runOn(tx), async (sql) => void (await tx.exec(sql)), "pglite"))),
    close: () => pglite.close(),
  };
}
