import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import type { Db } from "./db.js";
import { openPgDb } from "./pg-db.js";
import { openPgliteDb } from "./pglite-db.js";
import { copyPgliteTemplate } from "./pglite-template.js";

/**
 * DATABASE_URL selects PostgreSQL; otherwise the embedded database lives in
 * DATA_DIR/pgdata. A new data directory is a copy of the migrated template
 * (engine/db/pglite-template.ts) instead of a fresh initdb; if the template
 * cannot be made (the cache is not writable), PGlite runs initdb as before.
 */
export async function openDb(config: Pick<Config, "DATABASE_URL" | "DATA_DIR">, log: Logger): Promise<Db> {
  const dbLog = log.child({ component: "db" });
  if (config.DATABASE_URL) return openPgDb(config.DATABASE_URL, dbLog);
  const dir = resolve(config.DATA_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const dataDir = join(dir, "pgdata");
  if (!existsSync(dataDir)) {
    await copyPgliteTemplate(dataDir, { log: dbLog }).catch((err: Error) =>
      dbLog.warn("no PGlite template, creating the database", { error: err.message }),
    );
  }
  return openPgliteDb({ dataDir }, dbLog);
}
