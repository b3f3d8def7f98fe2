import { accessSync, constants, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Creates the directory `dir` (DATA_DIR) with its parents, mode 0700. When it cannot be made,
 * throws an Error that names the directory and the real cause: mkdir(2) with parents reports
 * ENOENT for a path under a read-only file system, which hid the cause behind "no such file or
 * directory". The cause is found at the nearest ancestor that exists.
 */
export function makeDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new Error(`DATA_DIR ${dir} cannot be created: ${whyNot(dir, err as NodeJS.ErrnoException)}`, { cause: err });
  }
}

function whyNot(dir: string, err: NodeJS.ErrnoException): string {
  let existing = dirname(dir);
  for (;;) {
    try {
      if (!statSync(existing).isDirectory()) return `${existing} is not a directory`;
      break;
    } catch {
      const up = dirname(existing);
      if (up === existing) break;
      existing = up;
    }
  }
  try {
    accessSync(existing, constants.W_OK);
  } catch (access) {
    const code = (access as NodeJS.ErrnoException).code;
    if (code === "EROFS") return `${existing} is on a read-only file system`;
    return `this process (uid ${process.getuid?.() ?? "?"}) may not write into ${existing}`;
  }
  if (err.code === "EROFS") return `${existing} is on a read-only file system`;
  if (err.code === "ENOSPC") return `no space left on the device of ${existing}`;
  return err.message;
}
