import { createRequire } from "node:module";
import type pg from "pg";
import type { Db, QueryResult } from "./db.js";
import { transactionHandle } from "./savepoint.js";
import { logQuery } from "./query-log.js";
import type { Logger } from "../log.js";
import { silentLogger } from "../log.js";

let loaded: typeof pg | undefined;

// node-postgres is required when the first pool opens: a server on PGlite never loads it.
function pgModule(): typeof pg {
  if (!loaded) {
    loaded = createRequire(import.meta.url)("pg") as typeof pg;
    // count(*) and other int8 values come back as numbers, as they do from PGlite.
    loaded.types.setTypeParser(loaded.types.builtins.INT8, (v) => Number(v));
  }
  return loaded;
}

/** PostgreSQL over node-postgres, for DATABASE_URL and for scaling out. */
export function openPgDb(connectionString: string, log: Logger = silentLogger, max = 10): Db & { pool: pg.Pool } {
  const pool = new (pgModule().Pool)({ connectionString, max });
  pool.on("error", (err) => log.error("idle database client failed", { error: err.message }));
  const runOn =
    (target: pg.Pool | pg.PoolClient) =>
    async <T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> => {
      const start = performance.now();
      const r = await target.query(sql, params as unknown[]);
      const result = { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
      logQuery(log, sql, start, result.rowCount);
      return result;
    };
  return {
    backend: "pg",
    pool,
    query: runOn(pool),
    exec: async (sql) => void (await pool.query(sql)),
    async transaction(fn) {
      const client = await pool.connect();
      const run = runOn(client);
      try {
        await run("BEGIN");
        const result = await fn(transactionHandle(run, async (sql) => void (await client.query(sql)), "pg"));
        await run("COMMIT");
        return result;
      } catch (err) {
        await run("ROLLBACK").catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
