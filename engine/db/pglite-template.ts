import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../log.js";
import { silentLogger } from "../log.js";
import { PATHS } from "../paths.js";
import { listMigrations, migrate, type Migration } from "./migrate.js";
import { openPgliteDb } from "./pglite-db.js";

const PREFIX = "pglite-template-";

/** 16 hex digits of SHA-256 over the migrations' ids and SQL: a template made from other migrations never matches. */
export function migrationsKey(migrations: Migration[] = listMigrations()): string {
  return createHash("sha256")
    .update(migrations.map((m) => m.id + m.sql).join("\n"))
    .digest("hex")
    .slice(0, 16);
}

/** Where the template for the current migrations is kept. */
export function pgliteTemplatePath(cacheDir = PATHS.cache, migrations: Migration[] = listMigrations()): string {
  return join(cacheDir, `${PREFIX}${migrationsKey(migrations)}.tar.gz`);
}

/**
 * A PGlite data directory with every migration applied and nothing else — no
 * user, session or key (secret.key lives beside the data directory and is
 * generated per DATA_DIR) — as the gzip tarball PGlite's `dumpDataDir("gzip")`
 * writes and `PGlite.create({ loadDataDir })` reads. initdb costs seconds in
 * PGlite; the template is made once per set of migrations (initdb in memory,
 * migrate, dump), kept in `cacheDir` under the migrations' key (older keys are
 * removed) and read from there afterwards. The build step makes it ahead of
 * time; if the cache cannot be written the tarball is used from memory.
 */
export async function pgliteTemplate(
  options: { cacheDir?: string; log?: Logger; migrations?: Migration[] } = {},
): Promise<Blob> {
  const cacheDir = options.cacheDir ?? PATHS.cache;
  const log = options.log ?? silentLogger;
  const migrations = options.migrations ?? listMigrations();
  const file = pgliteTemplatePath(cacheDir, migrations);
  try {
    return new Blob([readFileSync(file)]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const start = performance.now();
  const db = await openPgliteDb({});
  let dump: Blob;
  try {
    await migrate(db, migrations);
    dump = await db.pglite.dumpDataDir("gzip");
  } finally {
    await db.close();
  }
  const bytes = Buffer.from(await dump.arrayBuffer());
  try {
    mkdirSync(cacheDir, { recursive: true });
    // Written under a name of its own and renamed: processes making it at once never read half a file.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, file);
    for (const old of readdirSync(cacheDir)) {
      if (old.startsWith(PREFIX) && old.endsWith(".tar.gz") && join(cacheDir, old) !== file) {
        rmSync(join(cacheDir, old), { force: true });
      }
    }
  } catch (err) {
    log.warn("cannot keep the PGlite template", { file, error: (err as Error).message });
  }
  log.info("PGlite template made", { file, ms: Math.round(performance.now() - start) });
  return new Blob([bytes]);
}
