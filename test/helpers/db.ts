import { randomBytes } from "node:crypto";
import pg from "pg";
import { alive } from "../../engine/db/data-dir-lock.js";
import type { Db } from "../../engine/db/db.js";
import type { Logger } from "../../engine/log.js";
import { migrate } from "../../engine/db/migrate.js";
import { openPgDb } from "../../engine/db/pg-db.js";
import { openPgliteDb } from "../../engine/db/pglite-db.js";
import { pgliteTemplate } from "../../engine/db/pglite-template.js";

export { pgliteTemplate };

/** Which backend this run tests: test/run.mjs runs storage suites once per backend. */
export const testBackend: "pglite" | "pg" = process.env.FORMGATE_TEST_BACKEND === "pg" ? "pg" : "pglite";

export function adminUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error("TEST_DATABASE_URL is not set");
  return url;
}

/** A URL for a database of this suite's own on the test PostgreSQL server. */
export function databaseUrl(name: string): string {
  const u = new URL(adminUrl());
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * Drops the databases of test processes that are gone (`formgate_test_PID_…` whose PID runs no
 * more): an interrupted suite or benchmark (Ctrl-C, a timeout's SIGKILL) never reached its own drop.
 */
async function dropAbandonedDatabases(admin: pg.Client): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname ~ '^formgate_test_[0-9]+_[0-9a-f]+$'",
  );
  for (const { datname } of rows) {
    if (alive(Number(datname.split("_")[2]))) continue;
    // Another suite may be dropping the same one at this moment: whoever comes second finds nothing.
    await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`).catch(() => undefined);
  }
}

export async function createDatabase(): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `formgate_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await dropAbandonedDatabases(admin);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    name,
    url: databaseUrl(name),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** How long a test's request waits for a pool connection (ms). */
const TEST_POOL_WAIT_MS = 30_000;

/** A migrated, empty database on the backend under test; close() also drops a PostgreSQL one. */
export async function openTestDb(options: { migrated?: boolean; log?: Logger } = {}): Promise<Db> {
  const migrated = options.migrated ?? true;
  if (testBackend === "pglite") {
    return migrated
      ? openPgliteDb({ loadDataDir: await pgliteTemplate() }, options.log)
      : openPgliteDb({}, options.log);
  }
  const database = await createDatabase();
  // Suites fire a hundred requests at once at a pool of ten on a machine that may be busy; the
  // production wait (PG_CONNECTION_TIMEOUT_MS) would turn a slow moment into a 503 that is not
  // what they test. test/db/unavailable.test.ts and the outage test check that wait on their own.
  const db = openPgDb(database.url, options.log, 10, TEST_POOL_WAIT_MS, TEST_POOL_WAIT_MS);
  if (migrated) await migrate(db);
  return {
    backend: db.backend,
    query: db.query.bind(db),
    exec: db.exec.bind(db),
    transaction: db.transaction.bind(db),
    async close() {
      await db.close();
      await database.drop();
    },
  };
}
