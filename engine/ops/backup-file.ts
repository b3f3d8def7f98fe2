import { createHash, timingSafeEqual } from "node:crypto";
import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { ValidationError } from "../errors.js";

/** The first line of every backup file: the format's name and version. */
export const BACKUP_MAGIC = "FORMGATE-BACKUP/1\n";

/** What a backup file says about itself (its second line, JSON). */
export interface BackupHeader {
  format: 1;
  /** ISO 8601, UTC. */
  createdAt: string;
  /** The migrations the database had: a restore refuses a backup from a newer Formgate. */
  migrations: string[];
  /** The payload: PGlite's dumpDataDir("gzip") tarball of the data directory. */
  payload: "pglite-datadir-tar-gzip";
  payloadBytes: number;
  /** Who made it: `formgate backup` (cli), Configure > Backups (page) or BACKUP_SCHEDULE (schedule). Absent in early files. */
  madeBy?: BackupMaker;
  /**
   * The id of the secret key the server sealed its secrets with (SecretBox.idOf: 8 hex of the key's
   * SHA-256, the id every sealed value already carries; never the key). Absent in early files.
   */
  secretKeyId?: string;
}

/** Who made a backup file. */
export type BackupMaker = "cli" | "page" | "schedule";

/**
 * A file that is not a whole, intact Formgate backup, or a backup this server cannot make; the
 * message says what is wrong, for an operator. A ValidationError (422, code "invalid_backup") when
 * it reaches a route; the CLI words it as its own error.
 */
export class BackupFileError extends ValidationError {
  constructor(message: string) {
    super(message, {}, { code: "invalid_backup" });
  }
}

/**
 * The bytes of a backup file: BACKUP_MAGIC, the header as one JSON line, the payload, then a last
 * line `SHA256:<64 hex>` with the SHA-256 (FIPS 180-4) of everything before it.
 */
export function encodeBackup(
  payload: Buffer,
  header: Omit<BackupHeader, "format" | "payload" | "payloadBytes">,
): Buffer {
  const full: BackupHeader = { format: 1, ...header, payload: "pglite-datadir-tar-gzip", payloadBytes: payload.length };
  const body = Buffer.concat([Buffer.from(BACKUP_MAGIC + JSON.stringify(full) + "\n"), payload]);
  const sum = createHash("sha256").update(body).digest("hex");
  return Buffer.concat([body, Buffer.from(`SHA256:${sum}\n`)]);
}

const TRAILER_BYTES = "SHA256:".length + 64 + 1;

/**
 * Checks a backup file's bytes (format, version, checksum, length) and returns its header, payload
 * and checksum. Throws BackupFileError for a foreign, truncated or corrupt file.
 */
export function decodeBackup(file: Buffer): { header: BackupHeader; payload: Buffer; sha256: string } {
  if (file.subarray(0, BACKUP_MAGIC.length).toString("latin1") !== BACKUP_MAGIC) {
    throw new BackupFileError("this is not a Formgate backup (it does not start with FORMGATE-BACKUP/1)");
  }
  const trailer = file.subarray(file.length - TRAILER_BYTES).toString("latin1");
  const m = /^SHA256:([0-9a-f]{64})\n$/.exec(trailer);
  if (!m) throw new BackupFileError("the backup is truncated or damaged: its checksum line is missing");
  const body = file.subarray(0, file.length - TRAILER_BYTES);
  const actual = createHash("sha256").update(body).digest();
  if (!timingSafeEqual(actual, Buffer.from(m[1]!, "hex"))) {
    throw new BackupFileError("the backup is damaged: its SHA-256 checksum does not match its content");
  }
  const headerEnd = body.indexOf(0x0a, BACKUP_MAGIC.length);
  let header: BackupHeader;
  try {
    header = JSON.parse(body.subarray(BACKUP_MAGIC.length, headerEnd).toString("utf8")) as BackupHeader;
  } catch {
    throw new BackupFileError("the backup's header is not readable");
  }
  const payload = body.subarray(headerEnd + 1);
  if (header.format !== 1 || header.payload !== "pglite-datadir-tar-gzip") {
    throw new BackupFileError(
      `the backup's format is not one this Formgate reads (format ${String(header.format)}, payload ${String(header.payload)})`,
    );
  }
  // The checksum matched, so the file was made this way: a header that disagrees with its own
  // payload was written wrong, not cut short in transit.
  if (header.payloadBytes !== payload.length) {
    throw new BackupFileError(
      `the backup is damaged: its header says the payload has ${String(header.payloadBytes)} bytes but it has ${payload.length}`,
    );
  }
  return { header, payload, sha256: m[1]! };
}

/** The most a header line may take (with the magic line), for inspectBackupFile: 64 KiB. */
const MAX_HEADER_BYTES = 64 * 1024;

/** What a cheap look at a backup file found: its header, and what is wrong with it if anything is. */
export interface BackupFileLook {
  /** Null when the file is not a Formgate backup (no magic line, no readable header) or cannot be read. */
  header: BackupHeader | null;
  /** Why the file cannot be a whole backup (cut short, longer than it says), or null when its shape is right. */
  damaged: string | null;
}

/**
 * A look at the backup file at `path` that reads its first 64 KiB and its last line only, for
 * listing and pruning: the magic line, the header's shape, the size the header implies and the
 * checksum line's shape. The checksum itself is not computed (decodeBackup does, reading the whole
 * file), so a file damaged inside but of the right length passes here.
 */
export function inspectBackupFile(path: string): BackupFileLook {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return { header: null, damaged: null };
  }
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(MAX_HEADER_BYTES, size));
    const text = head.subarray(0, readSync(fd, head, 0, head.length, 0));
    if (text.subarray(0, BACKUP_MAGIC.length).toString("latin1") !== BACKUP_MAGIC)
      return { header: null, damaged: null };
    const end = text.indexOf(0x0a, BACKUP_MAGIC.length);
    if (end === -1) return { header: null, damaged: "its header is cut short" };
    const header = JSON.parse(text.subarray(BACKUP_MAGIC.length, end).toString("utf8")) as BackupHeader;
    if (!header || header.format !== 1 || typeof header.createdAt !== "string") return { header: null, damaged: null };
    const expected = end + 1 + header.payloadBytes + TRAILER_BYTES;
    if (size < expected) return { header, damaged: `cut short: ${size} of ${expected} bytes` };
    if (size > expected) return { header, damaged: `${size - expected} bytes more than its header says` };
    const tail = Buffer.alloc(TRAILER_BYTES);
    readSync(fd, tail, 0, TRAILER_BYTES, size - TRAILER_BYTES);
    if (!/^SHA256:[0-9a-f]{64}\n$/.test(tail.toString("latin1")))
      return { header, damaged: "its checksum line is missing" };
    return { header, damaged: null };
  } catch {
    return { header: null, damaged: null };
  } finally {
    closeSync(fd);
  }
}

/**
 * The header of the backup file at `path` (inspectBackupFile's look), or null for a file that is not
 * a Formgate backup or cannot be read.
 */
export function readBackupHeader(path: string): BackupHeader | null {
  return inspectBackupFile(path).header;
}

/**
 * A backup that was not written: the target is a folder, its folder is missing, the file exists,
 * the disk is full or the system refused the write. Nothing is left under the backup's name nor
 * under NAME.partial. `noSpace` is true when space ran or would run short.
 */
export class BackupNotWrittenError extends BackupFileError {
  constructor(
    message: string,
    readonly noSpace = false,
  ) {
    super(message);
  }
}

/** writeSync's shape: writes up to `length` bytes of `buffer` from `offset`, returns how many it wrote. */
export type WriteFn = (fd: number, buffer: Buffer, offset: number, length: number) => number;

/**
 * A system error's words for a person: what failed and where, without the syscall's jargon.
 * checkBackupTarget asks it for the words of a target found wrong before writing (`bytes` 0).
 */
export function notWritten(
  path: string,
  err: Pick<NodeJS.ErrnoException, "code" | "message">,
  bytes: number,
): BackupNotWrittenError {
  const dir = dirname(path);
  switch (err.code) {
    case "ENOSPC":
    case "EDQUOT":
      return new BackupNotWrittenError(
        `no space left in ${dir} for the backup (${bytes} bytes): free some space, then back up again`,
        true,
      );
    case "ENOENT":
      return new BackupNotWrittenError(`the folder ${dir} does not exist`);
    case "ENOTDIR":
      return new BackupNotWrittenError(`${dir} is not a folder`);
    case "EISDIR":
      return new BackupNotWrittenError(
        `${path} is a folder: give the backup's file name, e.g. ${path}/formgate.fgbackup`,
      );
    case "EACCES":
    case "EPERM":
      return new BackupNotWrittenError(`no permission to write into ${dir}`);
    case "EROFS":
      return new BackupNotWrittenError(`${dir} is on a read-only file system`);
    default:
      return new BackupNotWrittenError(`cannot write ${path}: ${err.message}`);
  }
}

/**
 * Writes `bytes` to `path` whole or not at all: to `path.partial` first, every byte (a write(2) may
 * write fewer bytes than asked, as it does when the disk fills up), flushed to disk, then renamed,
 * so neither a crash nor a full disk ever leaves a file under the final name that is not whole. On
 * any failure the .partial is removed and BackupNotWrittenError says why. `write` is writeSync;
 * tests pass one that reports a short write or ENOSPC.
 */
export function writeFileAtomically(path: string, bytes: Buffer, write: WriteFn = writeSync): void {
  const tmp = `${path}.partial`;
  let fd: number;
  try {
    fd = openSync(tmp, "w", 0o600);
  } catch (err) {
    throw notWritten(path, err as NodeJS.ErrnoException, bytes.length);
  }
  try {
    try {
      for (let done = 0; done < bytes.length;) {
        const n = write(fd, bytes, done, bytes.length - done);
        // write(2) writes nothing only when it cannot go on: on a file, that is a full disk.
        if (n <= 0) throw Object.assign(new Error("the write made no progress"), { code: "ENOSPC" });
        done += n;
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw notWritten(path, err as NodeJS.ErrnoException, bytes.length);
  }
}
