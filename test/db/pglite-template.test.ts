import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { listMigrations, migrate } from "../../engine/db/migrate.js";
import { openDb } from "../../engine/db/open.js";
import { openPgliteDb, PGLITE_SHARED_BUFFERS } from "../../engine/db/pglite-db.js";
import {
  copyPgliteTemplate,
  migrationsKey,
  pgliteTemplate,
  pgliteTemplateDir,
  pgliteTemplatePath,
} from "../../engine/db/pglite-template.js";
import { silentLogger } from "../../engine/log.js";
import { loadSecretKey } from "../../engine/secret-key.js";

const t = suite("PGlite template");
const scratch = mkdtempSync(join(tmpdir(), "formgate-template-"));
t.after(() => rmSync(scratch, { recursive: true, force: true }));

t("a new DATA_DIR starts migrated and empty from the template; its data is its own", async () => {
  const dirs = [join(scratch, "a"), join(scratch, "b")];
  for (const dir of dirs) {
    const db = await openDb({ DATA_DIR: dir }, silentLogger);
    try {
      assert.equal(await migrate(db), [], "every migration is already applied");
      const { rows } = await db.query<{ users: number; sessions: number; sites: number }>(
        `SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM sessions)::int AS sessions,
                (SELECT count(*) FROM sites)::int AS sites`,
      );
      assert.equal(rows[0], { users: 0, sessions: 0, sites: 1 }, "only the Public Site the migrations seed");
      await db.query("INSERT INTO sites (slug, name, is_public) VALUES ($1, $2, false)", [
        `own-${dir.slice(-1)}`,
        "Own",
      ]);
    } finally {
      await db.close();
    }
  }
  assert.ok(existsSync(pgliteTemplatePath()), "the template is kept for the next DATA_DIR");
  // Reopened, each directory has what was written to it and nothing of the other.
  const db = await openDb({ DATA_DIR: dirs[0]! }, silentLogger);
  try {
    const { rows } = await db.query<{ slug: string }>("SELECT slug FROM sites ORDER BY slug");
    assert.equal(
      rows.map((r) => r.slug),
      ["own-a", "public"],
    );
    // The start's buffer pool, not the 128 MB of the data directory's postgresql.conf (issue 26).
    const shown = await db.query<{ shared_buffers: string }>("SHOW shared_buffers");
    assert.is(shown.rows[0]?.shared_buffers, PGLITE_SHARED_BUFFERS);
  } finally {
    await db.close();
  }
  // The key that encrypts secrets is generated per DATA_DIR, never part of the template.
  const [keyA, keyB] = dirs.map((dir) => loadSecretKey({ DATA_DIR: dir }).toString("base64"));
  assert.is.not(keyA, keyB);
});

t("one template per set of migrations: made once, then copied or loaded; others are removed", async () => {
  const cacheDir = join(scratch, "cache");
  mkdirSync(cacheDir);
  const stale = join(cacheDir, "pglite-template-0000000000000000");
  mkdirSync(stale);
  writeFileSync(`${stale}.tar`, "a template of older migrations");
  const migrations = [{ id: "001_one", sql: "CREATE TABLE one (v int); INSERT INTO one VALUES (7);" }];
  const dir = await pgliteTemplateDir({ cacheDir, migrations });
  assert.is(dir, pgliteTemplatePath(cacheDir, migrations));
  assert.equal(readdirSync(cacheDir), [basename(dir)], "the stale templates were removed");
  const made = statSync(join(dir, "PG_VERSION")).mtimeMs;

  // A copy is a data directory of its own: what is written to it never reaches the template.
  const copy = join(scratch, "copy");
  await copyPgliteTemplate(copy, { cacheDir, migrations });
  const db = await openPgliteDb({ dataDir: copy });
  try {
    assert.equal((await db.query("SELECT v FROM one")).rows, [{ v: 7 }]);
    assert.equal((await db.query("SELECT id FROM schema_migrations")).rows, [{ id: "001_one" }]);
    await db.query("INSERT INTO one VALUES (8)");
  } finally {
    await db.close();
  }
  // The tarball for in-memory databases has the template's contents, not the copy's.
  const memory = await openPgliteDb({ loadDataDir: await pgliteTemplate({ cacheDir, migrations }) });
  try {
    assert.equal((await memory.query("SELECT v FROM one")).rows, [{ v: 7 }]);
  } finally {
    await memory.close();
  }
  assert.is(statSync(join(dir, "PG_VERSION")).mtimeMs, made, "made once, then reused");
  assert.ok(existsSync(`${dir}.tar`));
  // Other migrations have another key, so this template is never used for them.
  const changed = [{ id: "001_one", sql: `${migrations[0]!.sql} CREATE TABLE two (v int);` }];
  assert.is.not(pgliteTemplatePath(cacheDir, changed), dir);
});

t("the server's key covers every migration's id and SQL", () => {
  const all = listMigrations();
  assert.ok(all.length >= 5);
  const renamed = all.map((m, i) => (i === 0 ? { ...m, id: m.id + "x" } : m));
  const edited = all.map((m, i) => (i === all.length - 1 ? { ...m, sql: m.sql + "\n-- changed" } : m));
  assert.is.not(migrationsKey(renamed), migrationsKey(all));
  assert.is.not(migrationsKey(edited), migrationsKey(all));
  assert.is(migrationsKey(all), migrationsKey(listMigrations()));
});

t.run();
