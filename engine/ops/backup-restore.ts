import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { gzip, type ZlibOptions } from "node:zlib";
import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Db } from "../db/db.js";
import { lockDataDir } from "../db/data-dir-lock.js";
import { listMigrations } from "../db/migrate.js";
import { openPgliteDb } from "../db/pglite-db.js";
import { SecretBox } from "../mfa/secret-box.js";
import {
  BackupFileError,
  decodeBackup,
  encodeBackup,
  writeFileAtomically,
  type BackupMaker,
  type WriteFn,
} from "./backup-file.js";
import { checkBackupSpace, checkBackupTarget, type SpaceRule } from "./backup-target.js";
import { plural } from "../util/plural.js";

const gzipAsync = promisify(gzip) as (data: Buffer, options: ZlibOptions) => Promise<Buffer>;
/** zlib's output chunk for a backup: 16 MiB, a few thread-pool jobs for a whole backup. */
const GZIP_CHUNK_BYTES = 16 * 1024 * 1024;

/** What backupTo wrote: the checksum inside the file, the SHA-256 of the whole file (as sha256sum prints it), its size. */
export interface BackupMade {
  sha256: string;
  fileSha256: string;
  bytes: number;
}

/**
 * Backs the embedded database up into `file` while it may be in use: Db.snapshot pauses every query
 * and transaction, dumps the data directory, and the file is written under a temporary name and
 * renamed when complete. `secretKey` (the server's, 32 bytes) is named in the header by its id only,
 * so that a restore can refuse a server with another key. `atSnapshot` runs at the snapshot's
 * moment, writes paused (tests read the rows the backup holds). Throws when `db` is not embedded.
 *
 * Before the snapshot, `file` is checked (checkBackupTarget: not a folder, its folder exists, not
 * an existing file unless `overwrite`); before writing, the space (checkBackupSpace with `space`:
 * the file must fit and, beside the database, leave its write reserve). Any of these, and a write
 * that fails, throws BackupNotWrittenError with nothing left behind. `write` is the fault seam of
 * writeFileAtomically.
 */
export async function backupTo(
  db: Db,
  file: string,
  now: Date,
  options: {
    madeBy: BackupMaker;
    secretKey: Buffer | null;
    atSnapshot?: (db: Db) => Promise<void>;
    overwrite?: boolean;
    space?: SpaceRule;
    write?: WriteFn;
  },
): Promise<BackupMade> {
  if (!db.snapshot) throw new BackupFileError("only the embedded database is backed up here: use pg_dump");
  const target = resolve(file);
  checkBackupTarget(target, { overwrite: options.overwrite ?? false });
  const { tarball, seen } = await db.snapshot(async (raw) => {
    await options.atSnapshot?.(raw);
    return (await raw.query<{ id: string }>("SELECT id FROM schema_migrations ORDER BY id")).rows.map((r) => r.id);
  });
  // Compressed after the snapshot, with queries running again (zlib works off the main thread). In
  // large chunks: each chunk is one job of libuv's thread pool, which argon2 sign-ins share; with
  // the default 16 KiB, a backup under sign-in load waited behind thousands of password hashes.
  const bytes = encodeBackup(
    await gzipAsync(Buffer.from(await tarball.arrayBuffer()), { chunkSize: GZIP_CHUNK_BYTES }),
    {
      createdAt: now.toISOString(),
      migrations: seen ?? [],
      madeBy: options.madeBy,
      ...(options.secretKey ? { secretKeyId: SecretBox.idOf(options.secretKey) } : {}),
    },
  );
  if (options.space) checkBackupSpace(target, bytes.length, options.space);
  writeFileAtomically(target, bytes, options.write);
  return {
    sha256: decodeBackup(bytes).sha256,
    fileSha256: createHash("sha256").update(bytes).digest("hex"),
    bytes: bytes.length,
  };
}

/** What to do about a key that does not fit, in the words of a refusal. */
const USE_THE_BACKUPS_KEY =
  "set FORMGATE_SECRET_KEY to the key the backup was made with (or put that key into DATA_DIR/secret.key) and restore again";

/**
 * Refuses (BackupFileError) a backup whose secrets this server's key would not open: the header
 * names the key the backup was made with, and every sealed value in the restored database names the
 * key that sealed it (`v1:<key id>:…`, engine/mfa/secret-box.ts). `key` is null when this DATA_DIR
 * has no key yet (no FORMGATE_SECRET_KEY, no secret.key): the server would make a new one.
 */
function refuseForeignKey(backupKeyIds: string[], key: Buffer | null, sealedCount: number | null): void {
  const ids = [...new Set(backupKeyIds)];
  const ours = key ? SecretBox.idOf(key) : null;
  const foreign = ids.filter((id) => id !== ours);
  if (!foreign.length) return;
  const what =
    `TOTP and hardware-token secrets${sealedCount === null ? "" : ` (${plural(sealedCount, "sealed value")})`} would not open, every user with MFA ` +
    `would be locked out, and recovery codes would not match`;
  throw new BackupFileError(
    ours
      ? `the backup was made with secret key ${foreign.join(", ")} and this server's key is ${ours}: its ${what}; ${USE_THE_BACKUPS_KEY}`
      : `the backup was made with secret key ${foreign.join(", ")} and there is no key here (no FORMGATE_SECRET_KEY, ` +
          `no DATA_DIR/secret.key): its ${what}; ${USE_THE_BACKUPS_KEY}`,
  );
}

/** A column name from information_schema, checked before it goes into SQL text (identifiers cannot be parameters). */
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** The key ids of every sealed value (`*_sealed` columns) in `db`, and how many sealed values there are. */
async function sealedKeyIds(db: Db): Promise<{ ids: string[]; count: number }> {
  const { rows: columns } = await db.query<{ t: string; c: string }>(
    `SELECT table_name AS t, column_name AS c FROM information_schema.columns
      WHERE table_schema = 'public' AND column_name LIKE '%\\_sealed' ORDER BY 1, 2`,
  );
  const ids: string[] = [];
  let count = 0;
  for (const { t, c } of columns) {
    if (!IDENTIFIER.test(t) || !IDENTIFIER.test(c)) continue;
    const { rows } = await db.query<{ id: string; n: number }>(
      `SELECT split_part(${c}, ':', 2) AS id, count(*)::int AS n FROM ${t} GROUP BY 1`,
    );
    for (const r of rows) {
      ids.push(r.id);
      count += r.n;
    }
  }
  return { ids, count };
}

/**
 * Restores `file` into DATA_DIR/pgdata with no server running (the data directory's lock is taken):
 * the file is checked first (format, checksum, migrations this Formgate knows) and unpacked into a
 * new directory that must open; only then is the current pgdata moved aside (its new name is
 * returned) and the restored one put in its place. `secretKey` is the key this DATA_DIR has
 * (readSecretKey; null: none yet): a backup made with another key, or holding secrets sealed with
 * one, is refused. Throws BackupFileError, changing nothing, for a foreign, truncated or corrupt
 * file or a key that does not fit; DataDirInUseError when a server holds the directory.
 */
export async function restoreFrom(
  dataDir: string,
  file: string,
  now: Date,
  secretKey: Buffer | null,
): Promise<{ replacedBy: string | null }> {
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
  if (header.secretKeyId) refuseForeignKey([header.secretKeyId], secretKey, null);
  const unlock = lockDataDir(dir, "formgate restore");
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\..*$/, "Z");
  const restoring = join(dir, `pgdata.restoring-${stamp}`);
  try {
    rmSync(restoring, { recursive: true, force: true });
    try {
      const db = await openPgliteDb({ dataDir: restoring, loadDataDir: new Blob([new Uint8Array(payload)]) });
      let sealed: { ids: string[]; count: number };
      try {
        await db.query("SELECT count(*) FROM schema_migrations");
        sealed = await sealedKeyIds(db);
      } finally {
        await db.close();
      }
      refuseForeignKey(sealed.ids, secretKey, sealed.count);
    } catch (err) {
      rmSync(restoring, { recursive: true, force: true });
      if (err instanceof BackupFileError) throw err;
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
