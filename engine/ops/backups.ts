import { createHash } from "node:crypto";
import { createReadStream, existsSync, lstatSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { inspectBackupFile, type BackupMaker, type WriteFn } from "./backup-file.js";
import { backupTo } from "./backup-restore.js";
import type { SpaceRule } from "./backup-target.js";

/** The folder under DATA_DIR that the server's backups go into. */
export const BACKUPS_FOLDER = "backups";

/** A backup file the list shows and the download serves: a plain name (no path) ending in .fgbackup. */
export const BACKUP_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.fgbackup$/;

/** The names the server gives its own backups: formgate-(manual|scheduled)-YYYYMMDDTHHMMSSZ[-N].fgbackup. */
const OWN_NAME = /^formgate-(manual|scheduled)-\d{8}T\d{6}Z(?:-\d{1,4})?\.fgbackup$/;

/** One backup in DATA_DIR/backups, as Configure > Backups lists it. */
export interface BackupEntry {
  name: string;
  bytes: number;
  /** When the backup was taken (its header), else the file's modification time. */
  createdAt: Date;
  /** SHA-256 of the whole file, lower-case hex: what `sha256sum FILE` prints. */
  sha256: string;
  /** Who made it (the header); null when the header does not say (a file from elsewhere). */
  madeBy: BackupMaker | null;
  /** Why the file cannot be a whole backup (inspectBackupFile: cut short, …), or null when its shape is right. */
  damaged: string | null;
}

/** Test seams of Backups: the free space and the write (a nearly full or a full disk). */
export interface BackupsIo {
  freeBytes?: SpaceRule["freeBytes"];
  reserveBytes?: number;
  write?: WriteFn;
}

/**
 * The backups of the embedded database in DATA_DIR/backups while the server runs: made one at a
 * time (Configure > Backups and BACKUP_SCHEDULE share one queue), listed with size, time and
 * SHA-256, pruned by the schedule (only its own files). `available` is false on PostgreSQL
 * (DATABASE_URL): use pg_dump there; create() then throws.
 */
export class Backups {
  readonly dir: string;
  readonly available: boolean;
  private readonly dataDir: string;
  #queue: Promise<unknown> = Promise.resolve();
  #scheduleFailure: { at: Date; error: string } | null = null;
  /** SHA-256 of files already hashed, by name, valid while size and mtime are unchanged. */
  readonly #hashes = new Map<string, { bytes: number; mtimeMs: number; sha256: string }>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    dataDir: string,
    private readonly secretKey: Buffer | null,
    private readonly io: BackupsIo = {},
  ) {
    this.dataDir = resolve(dataDir);
    this.dir = join(this.dataDir, BACKUPS_FOLDER);
    this.available = typeof db.snapshot === "function";
  }

  /**
   * Every backup file in the folder, newest first; none when the folder does not exist yet. Only
   * regular files: a symbolic link (to a file anywhere) is neither listed nor served.
   */
  async list(): Promise<BackupEntry[]> {
    if (!existsSync(this.dir)) return [];
    const out: BackupEntry[] = [];
    for (const name of readdirSync(this.dir)) {
      if (!BACKUP_FILE_NAME.test(name)) continue;
      const path = join(this.dir, name);
      let st;
      try {
        st = lstatSync(path);
      } catch {
        continue; // deleted meanwhile
      }
      if (!st.isFile()) continue;
      const { header, damaged } = inspectBackupFile(path);
      const createdAt = header ? new Date(header.createdAt) : st.mtime;
      out.push({
        name,
        bytes: st.size,
        createdAt: Number.isNaN(createdAt.getTime()) ? st.mtime : createdAt,
        sha256: await this.#sha256(name, st.size, st.mtimeMs),
        madeBy: header?.madeBy ?? null,
        damaged,
      });
    }
    return out.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.name.localeCompare(a.name));
  }

  /**
   * The path of the backup called `name` for a download, or null when there is no such regular file
   * (a symbolic link is not followed: it could point at any file the server can read).
   */
  pathOf(name: string): string | null {
    if (!BACKUP_FILE_NAME.test(name)) return null;
    const path = join(this.dir, name);
    try {
      return lstatSync(path).isFile() ? path : null;
    } catch {
      return null;
    }
  }

  /**
   * Makes one backup now (after any other in progress): a consistent snapshot (backupTo), written as
   * NAME.partial and renamed; the name carries the clock's time in UTC. Returns its entry.
   */
  create(madeBy: "page" | "schedule"): Promise<BackupEntry> {
    const run = this.#queue.then(() => this.#create(madeBy));
    this.#queue = run.catch(() => {});
    if (madeBy === "schedule") {
      // Kept for Configure > Backups: a schedule that fails (a full disk) is seen there, not only in the log.
      run.then(
        () => (this.#scheduleFailure = null),
        (err: Error) => (this.#scheduleFailure = { at: this.clock.now(), error: err.message }),
      );
    }
    return run;
  }

  /** The schedule's last run when it failed (when, why); null once a scheduled backup succeeds again. */
  get scheduleFailure(): { at: Date; error: string } | null {
    return this.#scheduleFailure;
  }

  async #create(madeBy: "page" | "schedule"): Promise<BackupEntry> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const now = this.clock.now();
    const stamp = now
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d+Z$/, "Z");
    const base = `formgate-${madeBy === "page" ? "manual" : "scheduled"}-${stamp}`;
    let name = `${base}.fgbackup`;
    for (let i = 2; existsSync(join(this.dir, name)); i++) name = `${base}-${i}.fgbackup`;
    const made = await backupTo(this.db, join(this.dir, name), now, {
      madeBy,
      secretKey: this.secretKey,
      space: { dataDir: this.dataDir, reserveBytes: this.io.reserveBytes, freeBytes: this.io.freeBytes },
      write: this.io.write,
    });
    const st = statSync(join(this.dir, name));
    this.#hashes.set(name, { bytes: st.size, mtimeMs: st.mtimeMs, sha256: made.fileSha256 });
    return { name, bytes: made.bytes, createdAt: now, sha256: made.fileSha256, madeBy, damaged: null };
  }

  /**
   * Deletes the schedule's own backups beyond the newest `keep`: only files named as the schedule
   * names them whose header says the schedule made them. Anything else in the folder (backups made
   * on the page or by `formgate backup`, files put there by hand) is never touched. Returns the
   * names deleted.
   */
  async pruneScheduled(keep: number): Promise<string[]> {
    const own = (await this.list()).filter((b) => b.madeBy === "schedule" && OWN_NAME.test(b.name));
    const gone = own.slice(keep).map((b) => b.name);
    for (const name of gone) {
      rmSync(join(this.dir, name), { force: true });
      this.#hashes.delete(name);
    }
    return gone;
  }

  /**
   * Removes the server's own unfinished files (`formgate-…fgbackup.partial`) that a process killed
   * during a backup left: only one process holds DATA_DIR, so at start none is being written.
   * Returns their names.
   */
  removeStalePartials(): string[] {
    if (!existsSync(this.dir)) return [];
    const stale = readdirSync(this.dir).filter((n) => n.endsWith(".partial") && OWN_NAME.test(n.slice(0, -8)));
    for (const name of stale) rmSync(join(this.dir, name), { force: true });
    return stale;
  }

  async #sha256(name: string, bytes: number, mtimeMs: number): Promise<string> {
    const known = this.#hashes.get(name);
    if (known && known.bytes === bytes && known.mtimeMs === mtimeMs) return known.sha256;
    const hash = createHash("sha256");
    for await (const chunk of createReadStream(join(this.dir, name))) hash.update(chunk as Buffer);
    const sha256 = hash.digest("hex");
    this.#hashes.set(name, { bytes, mtimeMs, sha256 });
    return sha256;
  }
}
