// @storage
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openPgDb } from "../../engine/db/pg-db.js";
import { createDatabase, testBackend } from "../helpers/db.js";
import { TEST_SECRET_KEY, testConfig } from "../helpers/app.js";
import { systemClock } from "../../engine/clock.js";
import { openDb } from "../../engine/db/open.js";
import { silentLogger } from "../../engine/log.js";
import { createServices } from "../../engine/services.js";

// One target for the whole suite: an embedded data directory, or a PostgreSQL database of its own.
const dataDir = mkdtempSync(join(tmpdir(), "formgate-cli-"));
const database = testBackend === "pg" ? await createDatabase() : null;

function formgate(args: string[], input?: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ["bin/formgate.js", ...args], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      FORMGATE_SECRET_KEY: TEST_SECRET_KEY,
      ...(database ? { DATABASE_URL: database.url } : {}),
      FORMGATE_PASSWORD: "",
      ...env,
    },
    input: input ?? "",
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test.after(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await database?.drop();
});

test(`migrate, user create --admin, user reset-password [${testBackend}]`, async () => {
  const m = formgate(["migrate"]);
  assert.is(m.code, 0, m.err);
  // A new embedded DATA_DIR starts from the migrated PGlite template; a new PostgreSQL database is empty.
  assert.match(m.out, testBackend === "pg" ? /applied: 001_foundation/ : /^up to date \(\d+ migrations\)$/m);

  const created = formgate(["user", "create", "root", "--admin"], "a long enough password\n");
  assert.is(created.code, 0, created.err);
  assert.match(created.out, /created admin root on public/);

  const dup = formgate(["user", "create", "ROOT"], "a long enough password\n");
  assert.is(dup.code, 1);
  assert.match(dup.err, /^formgate: username is already taken/);

  const short = formgate(["user", "create", "bob"], "short\n");
  assert.is(short.code, 1);
  assert.match(short.err, /password must be at least 12 characters/);
  assert.not.match(short.err + short.out, /short\b(?! *\n)/);

  // Issue 20, fault 6: the CLI refuses a common password like every other way in.
  const common = formgate(["user", "create", "bob"], "Password123!\n");
  assert.is(common.code, 1);
  assert.match(common.err, /password is a common password with a few characters added/);

  const reset = formgate(["user", "reset-password", "root"], "", { FORMGATE_PASSWORD: "another long password" });
  assert.is(reset.code, 0, reset.err);
  assert.match(reset.out, /password of root changed/);

  if (database) {
    const db = openPgDb(database.url);
    const { rows } = await db.query<{ action: string }>("SELECT action FROM audit_log ORDER BY id");
    assert.equal(
      rows.map((r) => r.action),
      ["user.create", "user.password_reset"],
    );
    await db.close();
  }
});

test(`user reset-password ends the user's web sessions and device tokens [${testBackend}]`, async () => {
  const open = async () => {
    const db = await openDb({ DATABASE_URL: database?.url, DATA_DIR: dataDir }, silentLogger);
    return {
      db,
      s: createServices(db, systemClock, testConfig(), silentLogger, Buffer.from(TEST_SECRET_KEY, "base64")),
    };
  };
  let { db, s } = await open();
  const root = (await s.users.byUsername("root"))!;
  // `user create` gives web access only; this administrator also uses the device API.
  await db.query("UPDATE users SET device_access = true WHERE id = $1", [root.id]);
  const session = await s.sessions.create(root.id, root.siteId, "full", null);
  const device = await s.deviceTokens.issue(root.id, null);
  assert.ok(await s.sessions.validate(session.token));
  assert.ok(await s.deviceTokens.validate(device.token));
  // The embedded database takes one process at a time.
  await db.close();

  const reset = formgate(["user", "reset-password", "root"], "", { FORMGATE_PASSWORD: "a third long password" });
  assert.is(reset.code, 0, reset.err);
  assert.match(reset.out, /password of root changed; signed out everywhere: 1 web session, 1 device token/);

  ({ db, s } = await open());
  assert.is(await s.sessions.validate(session.token), null);
  assert.is(await s.deviceTokens.validate(device.token), null);
  await db.close();
});

test(`clear errors and non-zero exits for bad use [${testBackend}]`, () => {
  const unknown = formgate(["frobnicate"]);
  assert.is(unknown.code, 1);
  assert.match(unknown.err, /unknown command "frobnicate"/);
  const noUser = formgate(["user", "reset-password", "nobody"], "a long enough password\n");
  assert.is(noUser.code, 1);
  assert.match(noUser.err, /no user "nobody"/);
  const badRole = formgate(["user", "create", "x", "--role", "king"]);
  assert.is(badRole.code, 1);
  assert.match(badRole.err, /--role must be admin, designer or user/);
  const badConfig = formgate(["migrate"], "", { PORT: "x" });
  assert.is(badConfig.code, 1);
  assert.match(badConfig.err, /PORT must be a whole number/);
});

if (testBackend === "pglite") {
  test("backup: a folder, a missing folder, an existing file are refused in plain words, nothing left", () => {
    const out = mkdtempSync(join(tmpdir(), "formgate-cli-backup-"));
    try {
      const folder = join(out, "folder");
      mkdirSync(folder);
      const asFolder = formgate(["backup", folder]);
      assert.is(asFolder.code, 1);
      assert.is(
        asFolder.err.trim(),
        `formgate: ${folder}: ${folder} is a folder: give the backup's file name, e.g. ${folder}/formgate.fgbackup; no backup was written`,
      );
      const missing = formgate(["backup", join(out, "nowhere", "x.fgbackup")]);
      assert.is(missing.code, 1);
      assert.match(missing.err, /the folder .*nowhere does not exist; no backup was written/);
      assert.not.match(missing.err + asFolder.err, /ENOENT|EISDIR|\.partial/);
      const existing = join(out, "existing.fgbackup");
      writeFileSync(existing, "keep me");
      const exists = formgate(["backup", existing]);
      assert.is(exists.code, 1);
      assert.match(exists.err, /existing\.fgbackup already exists: --force replaces it; no backup was written/);
      assert.is(readFileSync(existing, "utf8"), "keep me");
      assert.equal(readdirSync(out).sort(), ["existing.fgbackup", "folder"], "no .partial anywhere");
      assert.equal(readdirSync(folder), []);
      const forced = formgate(["backup", existing, "--force"]);
      assert.is(forced.code, 0, forced.err);
      assert.match(forced.out, /^backed up into .*existing\.fgbackup \(\d+ bytes, SHA-256 [0-9a-f]{64}\)/);
      assert.ok(readFileSync(existing).subarray(0, 17).toString() === "FORMGATE-BACKUP/1");
      assert.not.ok(existsSync(`${existing}.partial`));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}

test(`usage: unknown subcommands named, --help on every command, --option=value [${testBackend}]`, () => {
  const bogus = formgate(["mfa", "bogus"]);
  assert.is(bogus.code, 1);
  assert.match(
    bogus.err,
    /^formgate: unknown mfa command "bogus": valid commands are status, reset, unlock, enable, policy$/m,
  );
  assert.match(bogus.err, /mfa unlock USERNAME/);
  const noUser = formgate(["mfa", "reset"]);
  assert.is(noUser.code, 1);
  assert.match(noUser.err, /^formgate: mfa reset needs a USERNAME$/m);
  const badUserSub = formgate(["user", "delete", "x"]);
  assert.is(badUserSub.code, 1);
  assert.match(badUserSub.err, /unknown user command "delete": valid commands are create, reset-password/);

  for (const [args, shows] of [
    [["migrate", "--help"], /migrate +apply database migrations/],
    [["user", "-h"], /user create USERNAME/],
    [["user", "create", "--help"], /user reset-password USERNAME/],
    [["mfa", "reset", "-h"], /mfa reset USERNAME/],
    [["mfa", "--help"], /mfa policy/],
    [["mfa", "enable", "--help"], /mfa enable \[--role R\]/],
    [["tokens", "import", "--help"], /tokens import FILE/],
    [["-h"], /Usage: formgate <command>/],
  ] as const) {
    const r = formgate([...args]);
    assert.is(r.code, 0, `${args.join(" ")}: ${r.err}`);
    assert.match(r.out, shows, args.join(" "));
  }

  const created = formgate(
    ["user", "create", "carol", "--role=designer", "--display-name=Carol Smith"],
    "a long enough password\n",
  );
  assert.is(created.code, 0, created.err);
  assert.match(created.out, /created designer carol on public/);
  const badRole = formgate(["user", "create", "x", "--role=king"]);
  assert.is(badRole.code, 1);
  assert.match(badRole.err, /--role must be admin, designer or user \(got "king"\)/);
  const policy = formgate(["mfa", "policy", "--site=public"]);
  assert.is(policy.code, 0, policy.err);
});

test.run();
