import { lstatSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { freeBytes as statfsFreeBytes, SPACE_RESERVE_BYTES } from "../db/space-guard.js";
import { plural } from "../util/plural.js";
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

/**
 * How a refusal writes its sizes: in MiB with one decimal, or two or three where that is what tells
 * two different sizes of `pairs` apart, else in bytes; one precision for the whole message.
 */
function sizesApart(pairs: readonly (readonly [number, number])[]): (bytes: number) => string {
  for (const decimals of [1, 2, 3]) {
    const mib = (bytes: number) => `${(bytes / 1048576).toFixed(decimals)} MiB`;
    if (pairs.every(([a, b]) => a === b || mib(a) !== mib(b))) return mib;
  }
  return (bytes) => plural(bytes, "byte");
}

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
  // What is short is the backup and the reserve together: that sum and the free space never read
  // alike, nor do the backup's size and the free space unless they are the same (refused for the reserve).
  const size = sizesApart([
    [bytes + reserve, free],
    [bytes, free],
  ]);
  const needed = reserve
    ? `${size(bytes)} and the database keeps ${size(reserve)} free there for its own writes, ${size(bytes + reserve)} in all,`
    : size(bytes);
  throw new BackupNotWrittenError(
    `not enough space in ${dir} for the backup: it takes ${needed} but only ${size(free)} ${free === 1 ? "is" : "are"} free; ` +
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
