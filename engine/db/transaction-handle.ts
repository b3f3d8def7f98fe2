import type { Db, QueryResult } from "./db.js";

type Runner = <T>(sql: string, params?: readonly unknown[]) => Promise<QueryResult<T>>;

let savepointCounter = 0;

/**
 * A Db bound to one open transaction. Its own transaction() nests with a
 * savepoint, so services can call transaction() without knowing whether a
 * caller already opened one.
 */
export function transactionHandle(run: Runner, exec: (sql: string) => Promise<void>, backend: Db["backend"]): Db {
  const handle: Db = {
    backend,
    query: run,
    exec,
    async transaction(fn) {
      const name = `fg_sp_${++savepointCounter}`;
      await run(`SAVEPOINT ${name}`);
      try {
        const result = await fn(handle);
        await run(`RELEASE SAVEPOINT ${name}`);
        return result;
      } catch (err) {
        await run(`ROLLBACK TO SAVEPOINT ${name}`);
        throw err;
      }
    },
    close() {
      return Promise.reject(new Error("close() called on a transaction handle"));
    },
  };
  return handle;
}
