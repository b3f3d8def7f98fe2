import { lstatSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { freeBytes as statfsFreeBytes, SPACE_RESERVE_BYTES } from "../db/space-guard.js";
import { BackupNotWrittenError, notWritten } from "./backup-file.js";

/**
 * Checks, before a backup is taken, that `path` can receive it: not a folder, in a folder that
 * exists, and not an existing file unless `overwrite`. Throws BackupNotWrittenError saying which,
 * so that a snapshot is not taken for nothing and no .partial is left behind.
 */
export function checkBackupTarget(path: string, options: { overwrite: boolean }): void {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    st = null;
  }
  if (st?.isDirectory()) {
    throw notWritten(path, { code: "EISDIR", message: "" }, 0);
  }
  if (st && !options.overwrite) throw new BackupNotWrittenError(`${path} already exists`);
  const dir = dirname(path);
  let folder;
  try {
    folder = statSync(dir);
  } catch {
    throw notWritten(path, { code: "ENOENT", message: "" }, 0);
  }
  if (!folder.isDirectory()) throw notWritten(path, { code: "ENOTDIR", message: "" }, 0);
}

/** Where the embedded database lives and what it keeps free, for checkBackupSpace. */
export interface SpaceRule {
  /** The database's directory (DATA_DIR/pgdata or DATA_DIR). */
  dataDir: string;
  /** What the database keeps free for its writes: SPACE_RESERVE_BYTES unless a test says otherwise. */
  reserveBytes?: number;
  /** statfs(2) of a directory, free bytes; tests inject a nearly full disk. */
  freeBytes?: (dir: string) => number | null;
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

/**
 * Checks that a backup of `bytes` fits in the folder of `path` before a byte of it is written. On
 * the database's own file system it must also leave the database's write reserve free: a backup that
 * ate into it would have every write refused (503) after it, the sign-ins included
 * (engine/db/space-guard.ts says why the reserve exists). Throws BackupNotWrittenError (noSpace).
 */
export function checkBackupSpace(path: string, bytes: number, rule: SpaceRule): void {
  const dir = dirname(path);
  const free = (rule.freeBytes ?? statfsFreeBytes)(dir);
  if (free === null) return;
  const reserve = sameFileSystem(dir, rule.dataDir) ? (rule.reserveBytes ?? SPACE_RESERVE_BYTES) : 0;
  if (free - bytes >= reserve) return;
  const kept = reserve ? ` and the database keeps ${mib(reserve)} free there for its own writes` : "";
  throw new BackupNotWrittenError(
    `not enough space in ${dir} for the backup: it takes ${mib(bytes)}, ${mib(free)} are free${kept}; ` +
      `free some space (delete old backups), then back up again`,
    true,
  );
}

function sameFileSystem(a: string, b: string): boolean {
  try {
    return statSync(a).dev === statSync(b).dev;
  } catch {
    return false;
  }
}
