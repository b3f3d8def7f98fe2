import { createHash } from "node:crypto";
import {
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, join } from "node:path";
import type { Logger } from "../log.js";
import { silentLogger } from "../log.js";
import { PATHS } from "../paths.js";
import { listMigrations, migrate, type Migration } from "./migrate.js";
import { openPgliteDb } from "./pglite-db.js";

// A PGlite data directory with every migration applied and nothing else: no user, session or key
// (secret.key lives beside pgdata and is generated per DATA_DIR). initdb costs seconds in PGlite, so
// it is paid once per set of migrations: the template is a cleanly shut-down data directory in the
// cache, named by the migrations' key, and a new data directory is a copy of it (the server), or it
// is loaded from a dumpDataDir("none") tarball of it into memory (the tests).

const PREFIX = "pglite-template-";
/** What the template's tarball adds to its directory's name (pgliteTemplate). */
const TARBALL = ".tar";
/** A half-made template of a process that died is removed after this long. */
const STALE_TMP_MS = 3_600_000;

/**
 * Where a migrated PGlite template database is cached, which migrations it holds (default: all of
 * `migrations/`) and where to log.
 */
export interface TemplateOptions {
  /** Where templates are kept (default PATHS.cache). */
  cacheDir?: string;
  migrations?: Migration[];
  log?: Logger;
}

/** 16 hex digits of SHA-256 over the migrations' ids and SQL: a template made from other migrations never matches. */
export function migrationsKey(migrations: Migration[] = listMigrations()): string {
  return createHash("sha256")
    .update(migrations.map((m) => m.id + m.sql).join("\n"))
    .digest("hex")
    .slice(0, 16);
}

/** The template directory for a set of migrations; its tarball is the same path + ".tar". */
export function pgliteTemplatePath(cacheDir = PATHS.cache, migrations: Migration[] = listMigrations()): string {
  return join(cacheDir, `${PREFIX}${migrationsKey(migrations)}`);
}

const tmpName = (path: string) => `${path}.${process.pid}.tmp`;

/** Moves a finished temporary file or directory into place; when another process was first, keeps theirs. */
function publish(tmp: string, path: string): void {
  try {
    renameSync(tmp, path);
  } catch (err) {
    if (!existsSync(path)) throw err;
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Removes everything in the cache but the template `keep` (a directory name) and its tarball:
 * templates of other migrations, tarballs of an older format, and temporary ones a process left
 * behind (a temporary one younger than STALE_TMP_MS may be another process's work in progress).
 */
function prune(cacheDir: string, keep: string): void {
  const kept = new Set([keep, `${keep}${TARBALL}`]);
  for (const name of readdirSync(cacheDir)) {
    if (!name.startsWith(PREFIX) || kept.has(name)) continue;
    const path = join(cacheDir, name);
    if (name.endsWith(".tmp") && Date.now() - statSync(path).mtimeMs < STALE_TMP_MS) continue;
    rmSync(path, { recursive: true, force: true });
  }
}

/**
 * The template directory for the migrations, made once: initdb and the
 * migrations in a directory of the cache, then a clean shutdown (so a copy
 * opens without recovery). Processes making it at once each build their own
 * and the first to finish is kept. Throws when the cache cannot be written.
 */
export async function pgliteTemplateDir(options: TemplateOptions = {}): Promise<string> {
  const cacheDir = options.cacheDir ?? PATHS.cache;
  const migrations = options.migrations ?? listMigrations();
  const dir = pgliteTemplatePath(cacheDir, migrations);
  if (existsSync(join(dir, "PG_VERSION"))) return dir;
  const start = performance.now();
  mkdirSync(cacheDir, { recursive: true });
  const tmp = tmpName(dir);
  rmSync(tmp, { recursive: true, force: true });
  const db = await openPgliteDb({ dataDir: tmp });
  try {
    await migrate(db, migrations);
  } finally {
    await db.close();
  }
  publish(tmp, dir);
  prune(cacheDir, `${PREFIX}${migrationsKey(migrations)}`);
  (options.log ?? silentLogger).info("PGlite template made", { dir, ms: Math.round(performance.now() - start) });
  return dir;
}

/**
 * Creates the PGlite data directory `target` (which must not exist) as a copy
 * of the template, copy-on-write where the file system can; the copy appears
 * under its name only once complete.
 */
export async function copyPgliteTemplate(target: string, options: TemplateOptions = {}): Promise<void> {
  const template = await pgliteTemplateDir(options);
  const tmp = tmpName(target);
  rmSync(tmp, { recursive: true, force: true });
  cpSync(template, tmp, { recursive: true, mode: constants.COPYFILE_FICLONE });
  renameSync(tmp, target);
}

/**
 * The template as the tarball PGlite's dumpDataDir("none") writes, for
 * `PGlite.create({ loadDataDir })` into memory (test databases). Made once
 * from a copy of the template directory and kept beside it. Not compressed: a
 * test database opens 0.5–0.6 s sooner (of 1.4–1.6 s) without the gunzip
 * through web streams, for 42 MB on disk instead of 5 MB.
 */
export async function pgliteTemplate(options: TemplateOptions = {}): Promise<Blob> {
  const dir = await pgliteTemplateDir(options);
  const file = `${dir}${TARBALL}`;
  if (!existsSync(file)) {
    const copy = tmpName(`${file}.pgdata`);
    rmSync(copy, { recursive: true, force: true });
    await copyPgliteTemplate(copy, options);
    const db = await openPgliteDb({ dataDir: copy });
    try {
      writeFileSync(tmpName(file), Buffer.from(await (await db.pglite.dumpDataDir("none")).arrayBuffer()));
    } finally {
      await db.close();
      rmSync(copy, { recursive: true, force: true });
    }
    publish(tmpName(file), file);
    prune(options.cacheDir ?? PATHS.cache, basename(dir));
  }
  return new Blob([readFileSync(file)]);
}
