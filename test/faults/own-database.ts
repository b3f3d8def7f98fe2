import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Db } from "../../engine/db/db.js";
import { migrate } from "../../engine/db/migrate.js";
import { openPgDb } from "../../engine/db/pg-db.js";
import { openPgliteDb } from "../../engine/db/pglite-db.js";
import { TEST_SECRET_KEY } from "../helpers/app.js";
import { createDatabase, pgliteTemplate, testBackend } from "../helpers/db.js";

/** A migrated database that a child `formgate` process opens, and this suite reopens after killing it. */
export interface OwnDatabase {
  /** What a child process needs: DATA_DIR (PGlite on disk) or DATABASE_URL, and the secret key. */
  env: Record<string, string>;
  /** A scratch directory for files the suite writes (removed by drop()). */
  dir: string;
  /** Opens it in this process. On PGlite only one process may hold it: close before the next child starts. */
  open(): Promise<Db>;
  drop(): Promise<void>;
}

/**
 * On the backend under test: a PGlite data directory on disk, or a PostgreSQL
 * database of its own, migrated; `prepare` fills it while it is open here.
 */
export async function ownDatabase(prepare: (db: Db) => Promise<void> = async () => {}): Promise<OwnDatabase> {
  const dir = mkdtempSync(join(tmpdir(), "formgate-faults-"));
  const env: Record<string, string> = { FORMGATE_SECRET_KEY: TEST_SECRET_KEY, DATA_DIR: join(dir, "data") };
  if (testBackend === "pglite") {
    const dataDir = join(dir, "data", "pgdata");
    mkdirSync(dataDir, { recursive: true });
    const db = await openPgliteDb({ dataDir, loadDataDir: await pgliteTemplate() });
    try {
      await prepare(db);
    } finally {
      await db.close();
    }
    return {
      env,
      dir,
      open: () => openPgliteDb({ dataDir }),
      drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    };
  }
  const database = await createDatabase();
  const db = openPgDb(database.url);
  try {
    await migrate(db);
    await prepare(db);
  } finally {
    await db.close();
  }
  return {
    env: { ...env, DATABASE_URL: database.url },
    dir,
    open: () => Promise.resolve(openPgDb(database.url)),
    drop: async () => {
      rmSync(dir, { recursive: true, force: true });
      await database.drop();
    },
  };
}
