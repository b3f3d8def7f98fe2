import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import type { Db } from "./db.js";
import { openPgDb } from "./pg-db.js";
import { openPgliteDb } from "./pglite-db.js";
import { pgliteTemplate } from "./pglite-template.js";

/**
 * DATABASE_URL selects PostgreSQL; otherwise the embedded database lives in
 * DATA_DIR/pgdata. A new data directory starts from the migrated template
 * (engine/db/pglite-template.ts) instead of running initdb.
 */
export async function openDb(config: Pick<Config, "DATABASE_URL" | "DATA_DIR">, log: Logger): Promise<Db> {
  const dbLog = log.child({ component: "db" });
  if (config.DATABASE_URL) return openPgDb(config.DATABASE_URL, dbLog);
  const dir = resolve(config.DATA_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const dataDir = join(dir, "pgdata");
  // PGlite refuses a tarball where a database exists; PG_VERSION is what it checks for.
  const isNew = !existsSync(join(dataDir, "PG_VERSION"));
  return openPgliteDb({ dataDir, loadDataDir: isNew ? await pgliteTemplate({ log: dbLog }) : undefined }, dbLog);
}
