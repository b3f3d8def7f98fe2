import { createHash, timingSafeEqual } from "node:crypto";
import { closeSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
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
  if (header.format !== 1 || header.payload !== "pglite-datadir-tar-gzip" || header.payloadBytes !== payload.length) {
    throw new BackupFileError(`the backup's format is not one this Formgate reads (format ${String(header.format)})`);
  }
  return { header, payload, sha256: m[1]! };
}

/** The most a header line may take (with the magic line), for readBackupHeader: 64 KiB. */
const MAX_HEADER_BYTES = 64 * 1024;

/**
 * The header of the backup file at `path`, read from its first 64 KiB only: a cheap look for listing
 * and pruning that checks the magic line and the header's shape, not the checksum (decodeBackup
 * does). Null for a file that is not a Formgate backup or cannot be read.
 */
export function readBackupHeader(path: string): BackupHeader | null {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return null;
  }
  try {
    const head = Buffer.alloc(MAX_HEADER_BYTES);
    const n = readSync(fd, head, 0, head.length, 0);
    const text = head.subarray(0, n);
    if (text.subarray(0, BACKUP_MAGIC.length).toString("latin1") !== BACKUP_MAGIC) return null;
    const end = text.indexOf(0x0a, BACKUP_MAGIC.length);
    if (end === -1) return null;
    const header = JSON.parse(text.subarray(BACKUP_MAGIC.length, end).toString("utf8")) as BackupHeader;
    return header && header.format === 1 && typeof header.createdAt === "string" ? header : null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `bytes` to `path` whole or not at all: to `path.partial` first (flushed to disk), then
 * renamed, so a crash mid-way never leaves a file under the final name.
 */
export function writeFileAtomically(path: string, bytes: Buffer): void {
  const tmp = `${path}.partial`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}
