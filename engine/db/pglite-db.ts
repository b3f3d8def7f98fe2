import type { PGlite, Results } from "@electric-sql/pglite";
import type { Db, QueryResult } from "./db.js";
import { transactionHandle } from "./transaction-handle.js";
import { logQuery } from "./query-log.js";
import { DatabaseUnavailableError, isDiskFull } from "./unavailable.js";
import type { Logger } from "../log.js";
import { silentLogger } from "../log.js";
import { WriteGate } from "./write-gate.js";
import { isReadOnlySql, spaceGuard, spaceShortfall, SPACE_RESERVE_BYTES } from "./space-guard.js";
import { pgliteWasmModule } from "./pglite-wasm.js";
import { deferWasmTierUp } from "./wasm-tiering.js";
import { preparedRunner } from "./pglite-prepared.js";

/**
 * PostgreSQL's buffer pool inside PGlite. PostgreSQL's default, 128 MB, is allocated and cleared
 * at every start inside the WebAssembly memory: about 0.1 s of the second start for 96 MB that an
 * embedded database rarely fills (issue 26). Pages beyond it are read from the data directory,
 * which the operating system caches. A larger database belongs on PostgreSQL (DATABASE_URL).
 */
export const PGLITE_SHARED_BUFFERS = "32MB";

function toResult<T>(r: Results<T>): QueryResult<T> {
  return { rows: r.rows, rowCount: r.fields.length > 0 ? r.rows.length : (r.affectedRows ?? 0) };
}

/**
 * Embedded PostgreSQL. One connection: PGlite's own transaction() holds its mutex, so other callers
 * wait. Every query and transaction passes a WriteGate, which `snapshot` closes for a backup.
 *
 * On disk (`dataDir`), every write first checks the free space (engine/db/space-guard.ts): below
 * `reserveBytes` (default SPACE_RESERVE_BYTES, 24 MiB; 0 turns the check off) writes are refused with
 * DatabaseUnavailableError (503) and reads go on, so PGlite never meets a full disk where it would
 * PANIC and hang; writes resume by themselves once space is freed.
 */
export async function openPgliteDb(
  options: { dataDir?: string; loadDataDir?: Blob | File; reserveBytes?: number },
  log: Logger = silentLogger,
): Promise<Db & { pglite: PGlite }> {
  deferWasmTierUp();
  // Imported here, not at the top: a server on PostgreSQL never loads PGlite.
  const [lib, { pg_trgm }, wasmModule] = await Promise.all([
    import("@electric-sql/pglite"),
    // pg_trgm backs the records search index (migration 002); PostgreSQL ships it as a contrib extension.
    import("@electric-sql/pglite/contrib/pg_trgm"),
    pgliteWasmModule(),
  ]);
  const pglite = await lib.PGlite.create({
    dataDir: options.dataDir,
    loadDataDir: options.loadDataDir,
    extensions: { pg_trgm },
    pgliteWasmModule: wasmModule,
    // Command-line settings win over the data directory's postgresql.conf.
    startParams: [...lib.PGlite.defaultStartParams, "-c", `shared_buffers=${PGLITE_SHARED_BUFFERS}`],
  });
  const runOn =
    (run: <T>(sql: string, params: readonly unknown[]) => Promise<Results<T>>) =>
    async <T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> => {
      const start = performance.now();
      let r: QueryResult<T>;
      try {
        r = toResult(await run<T>(sql, params));
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
  const gate = new WriteGate();
  const reserve = options.reserveBytes ?? SPACE_RESERVE_BYTES;
  const checkSpace = options.dataDir && reserve > 0 ? spaceGuard(options.dataDir, log, reserve) : () => {};
  const dataDir = options.dataDir;
  const writesRefused = (): string | null => (dataDir ? (spaceShortfall(dataDir, reserve)?.words ?? null) : null);
  const statements = preparedRunner(pglite, lib);
  const query = runOn(statements.query);
  const exec = async (sql: string) => void (await pglite.exec(sql));
  const transaction: Db["transaction"] = (fn) =>
    pglite.transaction((tx) =>
      fn(transactionHandle(runOn(statements.inTransaction(tx)), async (sql) => void (await tx.exec(sql)), "pglite")),
    );
  const bypass: Db = { backend: "pglite", query, exec, transaction, close: () => pglite.close() };
  return {
    backend: "pglite",
    pglite,
    query: async (sql, params) => {
      if (!isReadOnlySql(sql)) checkSpace();
      return gate.run(() => query(sql, params));
    },
    exec: async (sql) => {
      checkSpace();
      return gate.run(() => exec(sql));
    },
    transaction: async (fn) => {
      checkSpace();
      return gate.run(() => transaction(fn));
    },
    close: () => pglite.close(),
    writesRefused,
    poolStats: () => {
      const { active, waiting } = gate.stats();
      return { total: 1, idle: active ? 0 : 1, waiting };
    },
    snapshot: (atSnapshot) =>
      gate.exclusive(async () => {
        // A checkpoint first: the copy then opens without replaying the write-ahead log.
        await exec("CHECKPOINT");
        const seen = await atSnapshot?.(bypass);
        // Uncompressed: the caller compresses after the gate has opened again, so writes wait only for the copy.
        return { tarball: await pglite.dumpDataDir("none"), seen };
      }),
  };
}
