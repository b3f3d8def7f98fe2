import { statfsSync } from "node:fs";
import type { Logger } from "../log.js";
import { DatabaseUnavailableError } from "./unavailable.js";

/**
 * Free space an embedded database keeps in reserve: 24 MiB, one write-ahead-log segment (16 MiB,
 * PostgreSQL's default, which PGlite keeps) and 8 MiB for the tables a write extends.
 *
 * Why: a write the disk refuses while extending a table is an ordinary error, but one that needs a
 * new WAL segment fails inside a critical section, which PostgreSQL escalates to PANIC. In PGlite
 * that PANIC never returns: the WebAssembly instance spins on the event loop's thread, so the
 * process answers nothing (not even /healthz or SIGTERM) until it is killed — measured with DATA_DIR
 * on a full tmpfs (test/faults/full-disk.test.ts). Refusing writes before the disk gets that full
 * keeps PGlite out of that path.
 */
export const SPACE_RESERVE_BYTES = 24 * 1024 * 1024;

/**
 * The bytes free for this process (not root's reserved blocks) on the file system of `dir`, one
 * statfs(2); null when it cannot be read (the caller then does not guard).
 */
export function freeBytes(dir: string): number | null {
  try {
    const fs = statfsSync(dir);
    return fs.bavail * fs.bsize;
  } catch {
    return null;
  }
}

/** SQL that only reads: SELECT/WITH/SHOW/EXPLAIN without a locking clause or a sequence change. */
export function isReadOnlySql(sql: string): boolean {
  return (
    /^\s*(SELECT|WITH|SHOW|EXPLAIN)\b/i.test(sql) &&
    !/\b(INSERT|UPDATE|DELETE|MERGE|FOR\s+(NO\s+KEY\s+)?UPDATE|FOR\s+(KEY\s+)?SHARE|nextval|setval)\b/i.test(sql)
  );
}

const mib = (bytes: number) => Math.floor(bytes / 1048576);

/**
 * The rule spaceGuard applies before each write, asked without a write (for /health/ready): null
 * while `reserveBytes` are free in `dir` (or its free space cannot be read, or no reserve is kept),
 * else the free bytes and the refusal in words ("N MiB free, M MiB kept in reserve: …").
 */
export function spaceShortfall(
  dir: string,
  reserveBytes = SPACE_RESERVE_BYTES,
): { free: number; words: string } | null {
  if (reserveBytes <= 0) return null;
  const free = freeBytes(dir);
  if (free === null || free >= reserveBytes) return null;
  return {
    free,
    words: `${mib(free)} MiB free, ${mib(reserveBytes)} MiB kept in reserve: writes are refused until space is freed`,
  };
}

/**
 * A check to run before each write to the database in `dir`: throws DatabaseUnavailableError (a 503
 * with Retry-After) while the file system has less than `reserveBytes` free for this process, and
 * logs "no space left on device" once when space runs short and "space for the database again" once
 * when it returns, so writes resume by themselves. One statfs(2) per call (a few microseconds).
 * A file system whose free space cannot be read is not guarded (the check passes).
 */
export function spaceGuard(dir: string, log: Logger, reserveBytes = SPACE_RESERVE_BYTES): () => void {
  let short = false;
  return () => {
    const shortfall = spaceShortfall(dir, reserveBytes);
    if (!shortfall) {
      if (short) log.info("space for the database again", { dir, freeMiB: mib(freeBytes(dir) ?? 0) });
      short = false;
      return;
    }
    const { free } = shortfall;
    if (!short) {
      log.error("no space left on device", {
        dir,
        freeMiB: mib(free),
        reserveMiB: mib(reserveBytes),
        writes: "refused until space is freed",
      });
    }
    short = true;
    throw new DatabaseUnavailableError(
      Object.assign(
        new Error(`No space left on device: ${free} bytes free in ${dir}, ${reserveBytes} kept in reserve`),
        {
          code: "ENOSPC",
        },
      ),
    );
  };
}
