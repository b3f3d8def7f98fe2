import { createRequire } from "node:module";
import type pg from "pg";
import type { Db, QueryResult } from "./db.js";
import { transactionHandle } from "./transaction-handle.js";
import { logQuery } from "./query-log.js";
import type { Logger } from "../log.js";
import { silentLogger } from "../log.js";
import { classifyDbError, DatabaseUnavailableError } from "./unavailable.js";
import { isStalePlan, preparedStatementNamer } from "./prepared-statements.js";

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

/** How long a request waits for a pool connection before it fails (503) instead of hanging. */
export const PG_CONNECTION_TIMEOUT_MS = 3000;

/**
 * How long an idle pool connection is kept (milliseconds). Each connection holds the statements it
 * has prepared (planned once, preparedStatementNamer); node-postgres's default of 10 s closed them
 * whenever a server was quiet for 10 s, so the next requests paid a new backend and planned every
 * statement again (five custom plans before PostgreSQL settles on a generic one). Not longer: a
 * connection whose peer vanished without a word (a network cut) is only found out when used — a
 * request then waits PG_STATEMENT_TIMEOUT_MS + PG_ANSWER_GRACE_MS for its 503 — or by TCP
 * keep-alive, which the pool switches on after PG_KEEPALIVE_DELAY_MS idle.
 */
export const PG_IDLE_TIMEOUT_MS = 60_000;
/** Idle time before TCP keep-alive probes start on a pool connection (milliseconds). */
export const PG_KEEPALIVE_DELAY_MS = 10_000;

/**
 * How long one statement may run (PostgreSQL's statement_timeout, milliseconds). The client gives up
 * on an answer a little later (node-postgres's query_timeout), which is what bounds a request when
 * the server does not answer at all (frozen, or a network black hole): 503 within about
 * PG_STATEMENT_TIMEOUT_MS + PG_ANSWER_GRACE_MS, and the connection is dropped, not pooled.
 */
export const PG_STATEMENT_TIMEOUT_MS = 5000;
/** How much longer than statement_timeout the client waits for an answer, in milliseconds. */
export const PG_ANSWER_GRACE_MS = 1000;

/**
 * PostgreSQL over node-postgres, for DATABASE_URL and for scaling out. Sessions run in UTC, whatever
 * the server's or database's TimeZone, so timestamptz arithmetic in SQL agrees with the engine's.
 * A connection error (server down, restarting, unreachable, or no pool connection within
 * PG_CONNECTION_TIMEOUT_MS) and a statement over its timeout (the server's statement_timeout, or no
 * answer at all within the client's query_timeout: a stalled server) are thrown as
 * DatabaseUnavailableError; the pool reconnects when the server is back.
 * Statements are sent as named prepared statements (preparedStatementNamer): planned once per
 * connection, not on every request.
 */
export function openPgDb(
  connectionString: string,
  log: Logger = silentLogger,
  max = 10,
  connectionTimeoutMillis = PG_CONNECTION_TIMEOUT_MS,
  statementTimeoutMillis = PG_STATEMENT_TIMEOUT_MS,
): Db & { pool: pg.Pool } {
  const pool = new (pgModule().Pool)({
    connectionString,
    max,
    connectionTimeoutMillis,
    idleTimeoutMillis: PG_IDLE_TIMEOUT_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: PG_KEEPALIVE_DELAY_MS,
    options: `-c TimeZone=UTC -c statement_timeout=${Math.round(statementTimeoutMillis)}`,
    query_timeout: statementTimeoutMillis + PG_ANSWER_GRACE_MS,
  });
  pool.on("error", (err) => log.error("idle database client failed", { error: err.message }));
  const nameOf = preparedStatementNamer();
  const runOn =
    (target: pg.Pool | pg.PoolClient) =>
    async <T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> => {
      const start = performance.now();
      const name = nameOf(sql);
      let r: pg.QueryResult;
      try {
        r = await target.query(
          name ? { name, text: sql, values: params as unknown[] } : { text: sql, values: params as unknown[] },
        );
      } catch (err) {
        // Outside a transaction the statement can go again, unnamed; inside one the transaction is aborted.
        if (!(name && isStalePlan(err) && target === pool)) throw classifyDbError(err);
        try {
          r = await target.query(sql, params as unknown[]);
        } catch (again) {
          throw classifyDbError(again);
        }
      }
      const result = { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
      logQuery(log, sql, start, result.rowCount);
      return result;
    };
  return {
    backend: "pg",
    pool,
    query: runOn(pool),
    exec: async (sql) => {
      try {
        await pool.query(sql);
      } catch (err) {
        throw classifyDbError(err);
      }
    },
    async transaction(fn) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw classifyDbError(err);
      }
      const run = runOn(client);
      // A client whose ROLLBACK failed, or whose connection died, is in an unknown state: release(err)
      // destroys it instead of pooling it.
      let broken: Error | undefined;
      // A connection lost between two statements is reported as an 'error' event of the checked-out
      // client, not of the pool; without a listener it would end the process. The next statement fails.
      const onError = (err: Error) => {
        broken ??= err;
        log.warn("database connection lost during a transaction", { error: err.message });
      };
      client.on("error", onError);
      try {
        await run("BEGIN");
        const exec = async (sql: string) => {
          try {
            await client.query(sql);
          } catch (err) {
            throw classifyDbError(err);
          }
        };
        const result = await fn(transactionHandle(run, exec, "pg"));
        await run("COMMIT");
        return result;
      } catch (err) {
        if (err instanceof DatabaseUnavailableError) {
          // The server did not answer (or the connection is gone): a ROLLBACK would wait as long
          // again. Dropping the connection rolls the transaction back on the server.
          broken ??= err;
        } else {
          await run("ROLLBACK").catch((rollbackError: Error) => {
            broken = rollbackError;
          });
        }
        throw err;
      } finally {
        client.off("error", onError);
        client.release(broken);
      }
    },
    close: () => pool.end(),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
  };
}
