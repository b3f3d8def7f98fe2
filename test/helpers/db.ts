import { createHash, randomBytes } from "node:crypto";
import pg from "pg";
import { alive } from "../../engine/db/data-dir-lock.js";
import type { Db } from "../../engine/db/db.js";
import type { Logger } from "../../engine/log.js";
import { listMigrations, migrate } from "../../engine/db/migrate.js";
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

/** A test database left longer than this is old enough to be someone's leftover, not a running suite's. */
const ABANDONED_AFTER_SECONDS = 3 * 3600;

/**
 * Drops the databases an interrupted suite or benchmark (Ctrl-C, a timeout's SIGKILL) never reached
 * its own drop for: named `formgate_test_PID_CREATED_…` with no process PID here, made more than
 * ABANDONED_AFTER_SECONDS ago, and with nobody connected. All three, because a process in another
 * PID namespace (a container, another machine on the same server) looks gone from here; and
 * without FORCE, so a connection made meanwhile keeps its database.
 */
async function dropAbandonedDatabases(admin: pg.Client): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(
    `SELECT d.datname FROM pg_database d
     WHERE d.datname ~ '^formgate_test_[0-9]+_[0-9]+_[0-9a-f]+$'
       AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)`,
  );
  const now = Math.floor(Date.now() / 1000);
  for (const { datname } of rows) {
    const [, , pid, created] = datname.split("_");
    if (alive(Number(pid)) || now - Number(created) < ABANDONED_AFTER_SECONDS) continue;
    // Someone connected, or another suite dropped it first: it stays, or is gone anyway.
    await admin.query(`DROP DATABASE IF EXISTS ${datname}`).catch(() => undefined);
  }
}

/**
 * A database on the test server with every migration applied, to copy rather than migrate anew:
 * `CREATE DATABASE … TEMPLATE` took ~0.11 s where an empty database and `migrate` took ~0.26 s
 * (8 December 2026), for each of the hundreds a run makes. Named by a hash of the migrations' text,
 * so a changed migration gets a template of its own, and built under another name then renamed, so
 * no suite copies a half-migrated one (two suites building it at once: the second rename fails and
 * that copy is dropped). Nobody stays connected to it, which `TEMPLATE` requires.
 */
async function migratedTemplate(admin: pg.Client): Promise<string> {
  const hash = createHash("sha256");
  for (const m of listMigrations()) hash.update(`${m.id}\0${m.sql}\0`);
  const name = `formgate_template_${hash.digest("hex").slice(0, 16)}`;
  const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
  if (rowCount) return name;
  const building = `formgate_test_${process.pid}_${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString("hex")}`;
  await admin.query(`CREATE DATABASE ${building}`);
  const db = openPgDb(databaseUrl(building));
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  try {
    await admin.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
  } catch (e) {
    // 42P04: another suite built it first.
    await admin.query(`DROP DATABASE IF EXISTS ${building}`);
    if ((e as { code?: string }).code !== "42P04") throw e;
  }
  return name;
}

/**
 * A database of this suite's own on the test server (see databaseUrl), empty or, with `migrated`,
 * a copy of the migrated template; `drop` removes it.
 */
export async function createDatabase(
  options: { migrated?: boolean } = {},
): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `formgate_test_${process.pid}_${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await dropAbandonedDatabases(admin);
  const template = options.migrated ? ` TEMPLATE ${await migratedTemplate(admin)}` : "";
  await admin.query(`CREATE DATABASE ${name}${template}`);
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
  const database = await createDatabase({ migrated });
  // Suites fire a hundred requests at once at a pool of ten on a machine that may be busy; the
  // production wait (PG_CONNECTION_TIMEOUT_MS) would turn a slow moment into a 503 that is not
  // what they test. test/db/unavailable.test.ts and the outage test check that wait on their own.
  const db = openPgDb(database.url, options.log, 10, TEST_POOL_WAIT_MS, TEST_POOL_WAIT_MS);
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
