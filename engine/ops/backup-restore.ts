import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Db } from "../db/db.js";
import { lockDataDir } from "../db/data-dir-lock.js";
import { listMigrations } from "../db/migrate.js";
import { openPgliteDb } from "../db/pglite-db.js";
import { BackupFileError, decodeBackup, encodeBackup, writeFileAtomically } from "./backup-file.js";

/**
 * Backs the embedded database up into `file` while it may be in use: Db.snapshot pauses every query
 * and transaction, dumps the data directory, and the file is written under a temporary name and
 * renamed when complete. Returns the file's checksum and size. Throws when `db` is not embedded.
 */
export async function backupTo(db: Db, file: string, now: Date): Promise<{ sha256: string; bytes: number }> {
  if (!db.snapshot) throw new BackupFileError("only the embedded database is backed up here: use pg_dump");
  const { tarball, seen } = await db.snapshot(async (raw) =>
    (await raw.query<{ id: string }>("SELECT id FROM schema_migrations ORDER BY id")).rows.map((r) => r.id),
  );
  const bytes = encodeBackup(Buffer.from(await tarball.arrayBuffer()), {
    createdAt: now.toISOString(),
    migrations: seen ?? [],
  });
  writeFileAtomically(resolve(file), bytes);
  return { sha256: decodeBackup(bytes).sha256, bytes: bytes.length };
}

/**
 * Restores `file` into DATA_DIR/pgdata with no server running (the data directory's lock is taken):
 * the file is checked first (format, checksum, migrations this Formgate knows) and unpacked into a
 * new directory that must open; only then is the current pgdata moved aside (its new name is
 * returned) and the restored one put in its place. Throws BackupFileError, changing nothing, for a
 * foreign, truncated or corrupt file; DataDirInUseError when a server holds the directory.
 */
export async function restoreFrom(dataDir: string, file: string, now: Date): Promise<{ replacedBy: string | null }> {
  const dir = resolve(dataDir);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new BackupFileError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const { header, payload } = decodeBackup(bytes);
  const known = new Set(listMigrations().map((m) => m.id));
  const unknown = header.migrations.filter((id) => !known.has(id));
  if (unknown.length) throw new BackupFileError(`the backup comes from a newer Formgate (migration ${unknown[0]})`);
  const unlock = lockDataDir(dir, "formgate restore");
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\..*$/, "Z");
  const restoring = join(dir, `pgdata.restoring-${stamp}`);
  try {
    rmSync(restoring, { recursive: true, force: true });
    try {
      const db = await openPgliteDb({ dataDir: restoring, loadDataDir: new Blob([new Uint8Array(payload)]) });
      await db.query("SELECT count(*) FROM schema_migrations");
      await db.close();
    } catch (err) {
      rmSync(restoring, { recursive: true, force: true });
      throw new BackupFileError(`the backup does not open as a database: ${(err as Error).message}`);
    }
    const current = join(dir, "pgdata");
    let aside: string | null = null;
    if (existsSync(current)) {
      aside = join(dir, `pgdata.replaced-${stamp}`);
      renameSync(current, aside);
    }
    renameSync(restoring, current);
    return { replacedBy: aside };
  } finally {
    unlock();
  }
}
