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
import { TEST_SECRET_KEY, TestClient } from "../helpers/app.js";
import { readSecretKey } from "../../engine/secret-key.js";
import { SecretBox } from "../../engine/mfa/secret-box.js";
import { createApp } from "../../engine/web/app.js";

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

/** What `formgate restore FILE` does (engine/cli/run-cli.ts): 0, or the refusal's message. */
async function restore(file: string): Promise<number | string> {
  try {
    await restoreFrom(env.DATA_DIR, file, new Date(), readSecretKey(loadConfig()));
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
  const made = await backupTo(s.db, file, new Date(), {
    madeBy: "cli",
    secretKey: Buffer.from(TEST_SECRET_KEY, "base64"),
  });
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

t("a backup made with another secret key is refused, saying which keys and what to do; nothing changes", async () => {
  const keyA = Buffer.from(TEST_SECRET_KEY, "base64");
  const keyB = Buffer.alloc(32, 9);
  let s = await open();
  const site = (await s.sites.publicSite()).id;
  // A hardware token: its secret is sealed with key A in the database.
  await s.hardware.registry.register(
    { name: "Key", serialNumber: "KEY-1", timeInterval: "30", secretKey: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" },
    { id: null, name: "test" },
    site,
  );
  const withId = join(dir, "with-key-id.fgbackup");
  const withoutId = join(dir, "without-key-id.fgbackup");
  await backupTo(s.db, withId, new Date(), { madeBy: "cli", secretKey: keyA });
  // As an early file without the key's id in its header: the sealed values still name the key.
  await backupTo(s.db, withoutId, new Date(), { madeBy: "cli", secretKey: null });
  const before = await rowHashes(s.db);
  await s.db.close();
  const listing = readdirSync(env.DATA_DIR).sort();
  const [idA, idB] = [SecretBox.idOf(keyA), SecretBox.idOf(keyB)];
  try {
    process.env.FORMGATE_SECRET_KEY = keyB.toString("base64");
    const header = await restore(withId);
    assert.match(
      header as string,
      new RegExp(
        `made with secret key ${idA} and this server's key is ${idB}: .*would not open.*set FORMGATE_SECRET_KEY to the key the backup was made with.*nothing was changed$`,
      ),
    );
    const sealed = await restore(withoutId);
    assert.match(
      sealed as string,
      new RegExp(
        `made with secret key ${idA} and this server's key is ${idB}: its TOTP and hardware-token secrets \\(1 sealed value\\)`,
      ),
    );
    delete process.env.FORMGATE_SECRET_KEY;
    assert.match(
      (await restore(withId)) as string,
      /there is no key here \(no FORMGATE_SECRET_KEY, no DATA_DIR\/secret\.key\)/,
    );
    assert.equal(readdirSync(env.DATA_DIR).sort(), listing, "the data directory is as it was");
  } finally {
    process.env.FORMGATE_SECRET_KEY = TEST_SECRET_KEY;
  }
  // With the backup's own key it restores.
  assert.is(await restore(withId), 0);
  s = await open();
  try {
    assert.equal(await rowHashes(s.db), before);
    const token = (await s.hardware.registry.list({ q: "KEY-1" })).tokens[0];
    assert.ok(token, "the token is back, and its secret opens with the key");
  } finally {
    await s.db.close();
  }
});

t("a backup while 8 clients keep signing in and saving records holds exactly the rows of its moment", async () => {
  const file = join(dir, "busy.fgbackup");
  let s = await open();
  const site = (await s.sites.publicSite()).id;
  const names = Array.from({ length: 8 }, (_, i) => `busy${i}`);
  for (const name of names)
    await s.users.create({ siteId: site, username: name, password: "correct horse battery", role: "admin" });
  await s.deviceTokens.issue((await s.users.byUsername("busy0"))!.id, null);
  const app = createApp(s);
  let stop = false;
  const done = { signIns: 0, saves: 0, failures: [] as string[] };
  const client = async (name: string) => {
    for (let n = 0; !stop; n++) {
      const c = new TestClient(app);
      const signIn = await c.signIn(name, "correct horse battery");
      if (signIn.res.status !== 303) {
        done.failures.push(`${name} sign-in ${signIn.res.status}`);
        return;
      }
      done.signIns++;
      const save = await c.post("/apps/equipment-inspections/new", {
        equipment: `Drill ${name} ${n}`,
        serialNumber: `SN-${name.toUpperCase()}-${n}`,
        inspectedOn: "2026-01-02",
        result: "pass",
      });
      if (save.res.status !== 303) {
        done.failures.push(`${name} save ${save.res.status}`);
        return;
      }
      done.saves++;
    }
  };
  const running = names.map(client);
  while (done.saves < 8 && !done.failures.length) await new Promise((r) => setTimeout(r, 10));
  let atBackup: Record<string, string> = {};
  let recordsAtBackup = 0;
  const savesBefore = done.saves;
  await backupTo(s.db, file, new Date(), {
    madeBy: "cli",
    secretKey: Buffer.from(TEST_SECRET_KEY, "base64"),
    atSnapshot: async (raw) => {
      atBackup = await rowHashes(raw);
      recordsAtBackup = (await raw.query<{ n: number }>("SELECT count(*)::int AS n FROM records")).rows[0]!.n;
    },
  });
  const savesAtEnd = done.saves;
  while (done.saves < savesAtEnd + 2 && !done.failures.length) await new Promise((r) => setTimeout(r, 10));
  stop = true;
  await Promise.all(running);
  assert.equal(done.failures, []);
  const recordsAfter = (await s.db.query<{ n: number }>("SELECT count(*)::int AS n FROM records")).rows[0]!.n;
  console.log(
    `busy backup: ${done.signIns} sign-ins and ${done.saves} saves by 8 clients; ${savesBefore} saves before the backup, ` +
      `${recordsAtBackup} records at its moment, ${recordsAfter} after`,
  );
  assert.ok(recordsAfter > recordsAtBackup, "clients kept saving after the backup's moment");
  await s.db.query("DELETE FROM users WHERE username = 'busy7'");
  assert.not.equal(await rowHashes(s.db), atBackup);
  await s.db.close();

  assert.is(await restore(file), 0);
  s = await open();
  try {
    assert.equal(await rowHashes(s.db), atBackup, "every table as at the backup's moment");
  } finally {
    await s.db.close();
  }
});

t.after(() => rmSync(dir, { recursive: true, force: true }));
t.run();
