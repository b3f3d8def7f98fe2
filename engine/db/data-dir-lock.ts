import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";

// PGlite is single-process: two processes on one data directory each keep their own copy of the
// database in memory and the last one to close overwrites the other's changes. Whoever opens an
// embedded DATA_DIR (the server, every CLI command) first takes DATA_DIR/formgate.lock, created
// with O_EXCL ("wx") and holding the owner's PID; the lock goes on close and on process exit. A lock
// whose PID is no longer alive (the holder was killed) is taken over.

/** The lock file's name inside DATA_DIR. */
export const LOCK_FILE = "formgate.lock";

/** Who holds a data directory: the PID and a description such as "the Formgate server". */
export interface LockOwner {
  pid: number;
  by: string;
}

/**
 * The data directory is open in another live process. The message is one line for an operator:
 * which process holds it and what to do.
 */
export class DataDirInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly owner: LockOwner,
  ) {
    super(
      `the data directory ${dir} is in use by process ${owner.pid} (${owner.by}): stop it first, ` +
        `or use PostgreSQL (DATABASE_URL) to run commands beside a running server`,
    );
    this.name = "DataDirInUseError";
  }
}

/** True when a process with this PID exists (EPERM: it exists but belongs to another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The lock file's owner, or null when it is unreadable or half-written (treated as stale). */
function readOwner(path: string): LockOwner | null {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<LockOwner>;
    return Number.isInteger(parsed.pid) && (parsed.pid as number) > 0
      ? { pid: parsed.pid as number, by: String(parsed.by ?? "another process") }
      : null;
  } catch {
    return null;
  }
}

/**
 * Takes the exclusive lock on the embedded data directory `dir` (which must exist) for this process,
 * described as `by` (e.g. "the Formgate server", "formgate mfa reset"). Returns the function that
 * releases it (idempotent; also run on process exit). Throws DataDirInUseError when a live process
 * holds it — this one included: PGlite cannot open one directory twice in a process either. A lock
 * left by a dead process, or one that cannot be read, is removed and taken.
 */
export function lockDataDir(dir: string, by: string): () => void {
  const path = join(dir, LOCK_FILE);
  const content = JSON.stringify({ pid: process.pid, by } satisfies LockOwner) + "\n";
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, "wx", 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 2) throw err;
      const owner = readOwner(path);
      if (owner && alive(owner.pid)) throw new DataDirInUseError(dir, owner);
      // Stale: its holder died without removing it. Remove it and race for it again with O_EXCL.
      try {
        unlinkSync(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      }
      continue;
    }
    try {
      writeSync(fd, content);
    } finally {
      closeSync(fd);
    }
    break;
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off("exit", release);
    // Only our own lock: never remove one another process took over.
    if (readOwner(path)?.pid !== process.pid) return;
    try {
      unlinkSync(path);
    } catch {
      // Already gone: nothing to release.
    }
  };
  process.on("exit", release);
  return release;
}
