/** The one storage interface; PGlite and node-postgres implement it with the same SQL. */
export interface Db {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Runs fn in a transaction and commits when it resolves, rolls back when it throws.
   * Nest-safe: called on a transaction handle it opens a savepoint.
   */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  readonly backend: "pglite" | "pg";
  close(): Promise<void>;
  /** The connections now (for /metrics); the top-level handles have it, transaction handles not. */
  poolStats?(): PoolStats;
  /**
   * The embedded database only: with every query and transaction paused, runs `atSnapshot` (on a
   * handle that bypasses the pause) and dumps the data directory as PGlite's dumpDataDir("none")
   * tar (uncompressed: compress it after, with queries running again). What `atSnapshot` reads is
   * exactly what the tar holds.
   */
  snapshot?<T>(atSnapshot?: (db: Db) => Promise<T>): Promise<{ tarball: Blob; seen: T | undefined }>;
  /**
   * The embedded database on disk only: why writes are refused right now (its file system has less
   * free space than the write reserve, engine/db/space-guard.ts), or null when they are not. One
   * statfs(2); /health/ready asks it.
   */
  writesRefused?(): string | null;
}

/** A database's connections: open, idle, and queries waiting for one. */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

/** Rows of a query, typed by the caller, and the number of rows returned or changed. */
export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

/** PostgreSQL SQLSTATE codes the services react to. */
export const PgError = {
  uniqueViolation: "23505",
  serializationFailure: "40001",
} as const;

/**
 * True when `err` is a PostgreSQL error with this SQLSTATE code (e.g. "23505" unique_violation),
 * from pg or PGlite.
 */
export function isPgError(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === code;
}
