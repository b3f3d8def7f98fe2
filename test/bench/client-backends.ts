import type { Db } from "../../engine/db/db.js";

/**
 * The process ids of the client backends connected to `db`'s database now: what the benchmarks
 * count as PostgreSQL's CPU for requests. Not the autovacuum workers, which name the database too
 * and would run into whichever measurement was on when they started. `exceptThisConnection` leaves
 * out the connection that asks (a benchmark's own bookkeeping; the code-step benchmark runs its
 * bare compare-and-set on that pool, so it keeps it).
 */
export async function clientBackendPids(db: Db, opts: { exceptThisConnection?: boolean } = {}): Promise<number[]> {
  const { rows } = await db.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
     WHERE datname = current_database() AND backend_type = 'client backend'
       AND (NOT $1::boolean OR pid <> pg_backend_pid())`,
    [opts.exceptThisConnection ?? false],
  );
  return rows.map((r) => r.pid);
}
