import { existsSync, statfsSync } from "node:fs";
import { makeDataDir } from "./data-dir.js";
import { join, resolve } from "node:path";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import type { Db } from "./db.js";
import { openPgDb } from "./pg-db.js";
import { openPgliteDb } from "./pglite-db.js";
import { copyPgliteTemplate } from "./pglite-template.js";
import { lockDataDir } from "./data-dir-lock.js";

/**
 * DATABASE_URL selects PostgreSQL; otherwise the embedded database lives in
 * DATA_DIR/pgdata. A new data directory is a copy of the migrated template
 * (engine/db/pglite-template.ts) instead of a fresh initdb; if the template
 * cannot be made (the cache is not writable), PGlite runs initdb as before.
 *
 * PGlite is single-process, so an embedded DATA_DIR is locked for this process first
 * (engine/db/data-dir-lock.ts; `by` says who holds it, e.g. "the Formgate server"): throws
 * DataDirInUseError when another live process has it open. Closing the Db releases the lock.
 */
export async function openDb(
  config: Pick<Config, "DATABASE_URL" | "DATA_DIR">,
  log: Logger,
  by = "a formgate command",
): Promise<Db> {
  const dbLog = log.child({ component: "db" });
  if (config.DATABASE_URL) return openPgDb(config.DATABASE_URL, dbLog);
  const dir = resolve(config.DATA_DIR);
  makeDataDir(dir);
  warnIfLowOnSpace(dir, dbLog);
  const unlock = lockDataDir(dir, by);
  try {
    const dataDir = join(dir, "pgdata");
    if (!existsSync(dataDir)) {
      await copyPgliteTemplate(dataDir, { log: dbLog }).catch((err: Error) =>
        dbLog.warn("no PGlite template, creating the database", { error: err.message }),
      );
    }
    const db = await openPgliteDb({ dataDir }, dbLog);
    return { ...db, close: () => db.close().finally(unlock) };
  } catch (err) {
    unlock();
    throw err;
  }
}

/** Below this much free space in DATA_DIR the server warns at start: 256 MiB. */
export const LOW_SPACE_BYTES = 256 * 1024 * 1024;

/** Logs a warning when the file system of `dir` has less than LOW_SPACE_BYTES free for this process. */
export function warnIfLowOnSpace(dir: string, log: Logger, threshold = LOW_SPACE_BYTES): void {
  try {
    const fs = statfsSync(dir);
    const free = fs.bavail * fs.bsize;
    if (free < threshold) {
      log.warn("little free space for the database", {
        dir,
        freeMiB: Math.floor(free / 1048576),
        thresholdMiB: Math.floor(threshold / 1048576),
      });
    }
  } catch (err) {
    log.warn("could not read the free space for the database", { dir, error: (err as Error).message });
  }
}
