import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { BackupFileError } from "../../engine/ops/backup-file.js";
import { loadConfig } from "../../engine/config.js";
import type { Db } from "../../engine/db/db.js";
import { silentLogger } from "../../engine/log.js";
import { backupTo, restoreFrom } from "../../engine/ops/backup-restore.js";
import { bootServices } from "../../engine/start.js";
import { TEST_SECRET_KEY } from "../helpers/app.js";

// Backup and restore of the embedded database (issue 24): a backup taken from the open database
// (Db.snapshot: writes paused), things changed, `formgate restore FILE` with the server stopped
// brings back exactly the rows of the backup's moment and keeps the replaced directory aside; a
// truncated, a flipped and a random file are refused with exit 1 and change nothing.
const t = suite("backup and restore (PGlite)");
const dir = mkdtempSync(join(tmpdir(), "formgate-backup-"));
const env = { DATA_DIR: join(dir, "data"), FORMGATE_SECRET_KEY: TEST_SECRET_KEY, LOG_LEVEL: "silent" };
Object.assign(process.env, env);

/** md5 of every row of every table, per table. */
async function rowHashes(db: Db): Promise<Record<string, string>> {
  const tables = (
    await db.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
  ).rows.map((r) => r.t);
  const out: Record<string, string> = {};
  for (const table of tables) {
    const { rows } = await db.query<{ h: string | null }>(
      `SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM ${table} x`,
    );
    out[table] = rows[0]!.h ?? "";
  }
  return out;
}

async function open() {
  return bootServices(loadConfig(), silentLogger, undefined, "backup test");
}

/** What `formgate restore FILE` does (engine/cli/main.ts): 0, or the refusal's message. */
async function restore(file: string): Promise<number | string> {
  try {
    await restoreFrom(env.DATA_DIR, file, new Date());
    return 0;
  } catch (err) {
    if (err instanceof BackupFileError) return `${err.message}; nothing was changed`;
    throw err;
  }
}

t("backup while open, change, restore: the rows of the backup's moment, the old directory aside", async () => {
  const file = join(dir, "one.fgbackup");
  let s = await open();
  const site = (await s.sites.publicSite()).id;
  for (const name of ["ann", "ben", "cat"]) {
    const u = await s.users.create({ siteId: site, username: name, password: "correct horse battery" });
    await s.audit.record({
      siteId: site,
      actor: { id: null, name: "test" },
      action: "user.create",
      target: { id: u.id, name },
    });
  }
  const expected = await rowHashes(s.db);
  const made = await backupTo(s.db, file, new Date());
  assert.ok(made.bytes > 1000);
  assert.not.ok(
    readdirSync(dir).some((f) => f.includes(".partial")),
    "no temporary file is left",
  );
  await s.db.query("DELETE FROM users WHERE username = 'ben'");
  await s.audit.record({
    siteId: site,
    actor: { id: null, name: "test" },
    action: "site.create",
    details: { slug: "x" },
  });
  assert.not.equal(await rowHashes(s.db), expected);
  await s.db.close();

  assert.is(await restore(file), 0);
  const aside = readdirSync(env.DATA_DIR).filter((f) => f.startsWith("pgdata.replaced-"));
  assert.is(aside.length, 1, "the replaced data directory is kept");
  s = await open();
  try {
    assert.equal(await rowHashes(s.db), expected);
  } finally {
    await s.db.close();
  }
});

t("a truncated, a flipped and a random file are refused and change nothing", async () => {
  const good = readFileSync(join(dir, "one.fgbackup"));
  const flipped = Buffer.from(good);
  const at = Math.floor(flipped.length / 2);
  flipped[at] = flipped[at]! ^ 0x01;
  const cases: [string, Buffer, RegExp][] = [
    ["truncated", good.subarray(0, good.length - 1), /truncated|damaged/],
    ["flipped", flipped, /checksum does not match/],
    ["random", randomBytes(good.length), /not a Formgate backup/],
  ];
  let s = await open();
  const before = await rowHashes(s.db);
  await s.db.close();
  const listing = readdirSync(env.DATA_DIR).sort();
  for (const [name, bytes, message] of cases) {
    const file = join(dir, `${name}.fgbackup`);
    writeFileSync(file, bytes);
    const answer = await restore(file);
    assert.type(answer, "string", `${name} is refused`);
    assert.match(answer as string, message);
    assert.match(answer as string, /nothing was changed/);
    assert.equal(readdirSync(env.DATA_DIR).sort(), listing, `${name}: the data directory is as it was`);
  }
  s = await open();
  try {
    assert.equal(await rowHashes(s.db), before);
  } finally {
    await s.db.close();
  }
});

t.after(() => rmSync(dir, { recursive: true, force: true }));
t.run();
