import { linkSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

// PGlite is single-process: two processes on one data directory each keep their own copy of the
// database in memory and the last one to close overwrites the other's changes. Whoever opens an
// embedded DATA_DIR (the server, every CLI command) first takes DATA_DIR/formgate.lock, created
// exclusively (link(2), like O_EXCL) and holding the owner's PID; the lock goes on close and on process exit. A lock
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
export function alive(pid: number): boolean {
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
 * Creates `path` holding `content` only if it does not exist, atomically and whole: the content is
 * written to a file of this process first and hard-linked into place (link(2) fails with EEXIST
 * like O_EXCL), so a reader never sees a lock that is half written. False when `path` exists.
 */
function createExclusive(path: string, content: string): boolean {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EXDEV") throw err;
    // A file system without hard links: O_EXCL, with a moment where the file is still empty.
    try {
      writeFileSync(path, content, { flag: "wx", mode: 0o600 });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw e;
    }
  } finally {
    unlinkIfThere(tmp);
  }
}

/** Removes a file; one already gone is fine. */
function unlinkIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}

/**
 * Removes the lock at `path` if it is still stale, under a second O_EXCL file (`.takeover`), so
 * that two processes taking over one stale lock at once never remove the fresh lock one of them
 * just made: only takers remove another process's lock, one at a time, after reading it again.
 * When another live process is taking over, returns without doing anything (the caller retries).
 */
function removeStale(path: string): void {
  const mutex = `${path}.takeover`;
  if (!createExclusive(mutex, String(process.pid))) {
    let holder: number;
    try {
      holder = Number(readFileSync(mutex, "utf8"));
    } catch {
      return; // gone meanwhile: retry
    }
    if (!Number.isInteger(holder) || holder <= 0 || !alive(holder)) unlinkIfThere(mutex);
    return;
  }
  try {
    const now = readOwner(path);
    if (!now || !alive(now.pid)) unlinkIfThere(path);
  } finally {
    unlinkIfThere(mutex);
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
  for (let attempt = 0; !createExclusive(path, content); attempt++) {
    const owner = readOwner(path);
    if (owner && alive(owner.pid)) throw new DataDirInUseError(dir, owner);
    if (attempt >= 20) throw new Error(`cannot take the lock ${path}: remove it if no Formgate process runs`);
    // Stale: its holder died without removing it. Remove it and race for it again.
    removeStale(path);
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off("exit", release);
    // Only our own lock: never remove one another process took over.
    if (readOwner(path)?.pid !== process.pid) return;
    unlinkIfThere(path);
  };
  process.on("exit", release);
  return release;
}
