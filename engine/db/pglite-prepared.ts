import type { PGlite, Results, Transaction } from "@electric-sql/pglite";
import { isStalePlan, preparedStatementNamer } from "./prepared-statements.js";

type PgliteModule = typeof import("@electric-sql/pglite");

/** A statement prepared in the embedded backend: its name and its parameters' type OIDs. */
interface Prepared {
  name: string;
  paramTypes: number[];
}

/**
 * Runs statements in PGlite as named prepared statements, as engine/db/pg-db.ts does on PostgreSQL.
 * PGlite's own `query` sends every statement unnamed, in six calls into the WebAssembly backend
 * (Parse, Describe, Bind, Describe, Execute, Sync), so PostgreSQL parses and plans it on every run:
 * on a page's read of a user's MFA status, planning was most of its 1.4 ms. Here a text is parsed
 * once (Parse with a name, Describe for its parameter types); each run is then one call with Bind,
 * Describe, Execute and Sync (PostgreSQL frontend/backend protocol, "Extended Query"), and its
 * messages are read by PGlite's own result parser with the instance's type parsers and serializers,
 * so rows come back exactly as from `query`. Texts preparedStatementNamer does not name (utility
 * statements, texts beyond its bound) go through `query`.
 *
 * `inTransaction` says the caller already holds PGlite's transaction (the transaction handle's
 * statements): then only its query mutex is taken, and nothing is synced to the file system, as
 * PGlite's own transaction does. Throws PGlite's DatabaseError (with PostgreSQL's `code`) as
 * `query` does; a statement whose result columns changed under it (0A000) goes once more unnamed
 * outside a transaction.
 */
export function preparedRunner(pglite: PGlite, lib: Pick<PgliteModule, "protocol" | "parse">) {
  const nameOf = preparedStatementNamer();
  const prepared = new Map<string, Prepared>();
  const { serialize } = lib.protocol;

  // Names whose statement went stale (0A000): closed in the same call that parses them again.
  const stale = new Set<string>();

  const prepare = async (name: string, text: string): Promise<Prepared> => {
    const parse = [serialize.parse({ name, text }), serialize.describe({ type: "S", name }), serialize.sync()];
    const { messages } = await pglite.execProtocol(
      concat(stale.has(name) ? [serialize.close({ type: "S", name }), ...parse] : parse),
      { syncToFs: false },
    );
    stale.delete(name);
    return { name, paramTypes: lib.parse.parseDescribeStatementResults(messages) };
  };

  const run = async <T>(st: Prepared, params: readonly unknown[]): Promise<Results<T>> => {
    // PGlite's own serialisation of a parameter (its `query`): the type's serializer, else toString.
    const values = params.map((v, i) => {
      if (v === null || v === undefined) return null;
      const toText = pglite.serializers[st.paramTypes[i]!];
      return toText ? toText(v) : (v as { toString(): string }).toString();
    });
    const { messages } = await pglite.execProtocol(
      concat([
        serialize.bind({ statement: st.name, values }),
        serialize.describe({ type: "P" }),
        serialize.execute({}),
        serialize.sync(),
      ]),
      { syncToFs: false },
    );
    return lib.parse.parseResults(messages, pglite.parsers)[0] as Results<T>;
  };

  const once = async <T>(sql: string, name: string, params: readonly unknown[], inTransaction: boolean) => {
    let st = prepared.get(sql);
    if (!st) {
      st = await prepare(name, sql);
      prepared.set(sql, st);
    }
    try {
      return await run<T>(st, params);
    } catch (err) {
      if (!isStalePlan(err)) throw err;
      // Parsed again at its next run; outside a transaction that is now, inside one the error has
      // aborted the transaction (its caller sees the error, as on PostgreSQL).
      prepared.delete(sql);
      stale.add(name);
      if (inTransaction) throw err;
      st = await prepare(name, sql);
      prepared.set(sql, st);
      return run<T>(st, params);
    }
  };

  return {
    /** A statement outside any transaction: PGlite's transaction and query mutexes, then its file-system sync. */
    query: <T>(sql: string, params: readonly unknown[] = []): Promise<Results<T>> => {
      const name = nameOf(sql);
      if (name === undefined) return pglite.query<T>(sql, params as unknown[]);
      return pglite._runExclusiveTransaction(() =>
        pglite._runExclusiveQuery(async () => {
          await pglite._checkReady();
          const r = await once<T>(sql, name, params, false);
          await pglite.syncToFs();
          return r;
        }),
      );
    },
    /** The query of a transaction the caller holds (PGlite's transaction handle `tx`). */
    inTransaction:
      (tx: Pick<Transaction, "query" | "closed">) =>
      <T>(sql: string, params: readonly unknown[] = []): Promise<Results<T>> => {
        // As PGlite's tx.query: a handle whose transaction has ended would run its statement outside
        // it, or inside whichever transaction holds PGlite next.
        if (tx.closed) return Promise.reject(new Error("Transaction is closed"));
        const name = nameOf(sql);
        if (name === undefined) return tx.query<T>(sql, params as unknown[]);
        return pglite._runExclusiveQuery(() => once<T>(sql, name, params, true));
      },
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
