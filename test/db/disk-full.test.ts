import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { warnIfLowOnSpace } from "../../engine/db/open.js";
import { openPgliteDb } from "../../engine/db/pglite-db.js";
import { DatabaseUnavailableError } from "../../engine/db/unavailable.js";
import { createLogger } from "../../engine/log.js";
import { isReadOnlySql } from "../../engine/db/space-guard.js";
import { pgliteTemplate } from "../helpers/db.js";
import { ManualClock } from "../../engine/clock.js";
import { createServices } from "../../engine/services.js";
import { createApp } from "../../engine/web/app.js";
import { TestClient, testConfig, TEST_SECRET_KEY } from "../helpers/app.js";

// Issue 20, fault 3, the unit part: a write the disk refuses is a DatabaseUnavailableError (a 503
// with Retry-After, as for an unreachable PostgreSQL) with one clear log line, and the server warns
// at start when DATA_DIR is low on space. The failure here is INJECTED: PGlite raises SQLSTATE 53100
// (disk_full) with PostgreSQL's own message through its real query path. The real full disk (a
// tmpfs filled to the last byte under a running server: bounded 503s, /healthz, recovery, SIGTERM,
// nothing lost after SIGKILL) is test/faults/full-disk.test.ts; the free-space guard that keeps
// PGlite out of its WAL PANIC is engine/db/space-guard.ts, tested below.

test("a write the disk refuses is a DatabaseUnavailableError with the line 'no space left on device'", async () => {
  const lines: string[] = [];
  const db = await openPgliteDb(
    {},
    createLogger("info", (l) => lines.push(l)),
  );
  try {
    await db.query("CREATE TABLE t (x int)");
    const full = `DO $$ BEGIN RAISE EXCEPTION 'could not extend file "base/5/16384": No space left on device'
                  USING ERRCODE = 'disk_full'; END $$`;
    const err = await db.query(full).then(
      () => null,
      (e: unknown) => e,
    );
    assert.instance(err, DatabaseUnavailableError);
    assert.ok(lines.some((l) => JSON.parse(l).msg === "no space left on device"));
    // Reads (and the next writes, once there is room) go on in the same database.
    await db.query("INSERT INTO t VALUES (1)");
    assert.equal((await db.query<{ x: number }>("SELECT x FROM t")).rows, [{ x: 1 }]);
    // Any other error stays what it was (a bug is a 500, not a 503).
    const other = await db.query("SELECT * FROM no_such_table").then(
      () => null,
      (e: unknown) => e,
    );
    assert.not.instance(other, DatabaseUnavailableError);
  } finally {
    await db.close();
  }
});

test("a DATA_DIR with less free space than the threshold is warned about at start", () => {
  const dir = mkdtempSync(join(tmpdir(), "formgate-space-"));
  try {
    const lines: string[] = [];
    const log = createLogger("info", (l) => lines.push(l));
    warnIfLowOnSpace(dir, log, Number.MAX_SAFE_INTEGER);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.is(entry.msg, "little free space for the database");
    assert.is(entry.level, "warn");
    lines.length = 0;
    warnIfLowOnSpace(dir, log, 1);
    assert.equal(lines, [], "no warning with room to spare");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("below the reserve, writes are refused before PGlite sees them, and reads go on", async () => {
  const dir = mkdtempSync(join(tmpdir(), "formgate-reserve-"));
  const lines: string[] = [];
  // A reserve no disk has: "less free space than the reserve" without filling one (the real full
  // disk is test/faults/full-disk.test.ts).
  const db = await openPgliteDb(
    { dataDir: join(dir, "pgdata"), loadDataDir: await pgliteTemplate(), reserveBytes: Number.MAX_SAFE_INTEGER },
    createLogger("info", (l) => lines.push(l)),
  );
  try {
    const refused = await Promise.all([
      db.query("INSERT INTO schema_migrations (id) VALUES ('x')").then(
        () => null,
        (e: unknown) => e,
      ),
      db.exec("DELETE FROM schema_migrations").then(
        () => null,
        (e: unknown) => e,
      ),
      db
        .transaction(async (tx) => tx.query("SELECT 1"))
        .then(
          () => null,
          (e: unknown) => e,
        ),
    ]);
    for (const err of refused) assert.instance(err, DatabaseUnavailableError);
    const logged = lines.filter((l) => JSON.parse(l).msg === "no space left on device");
    assert.is(logged.length, 1, "one line, not one per write");
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM schema_migrations");
    assert.ok(rows[0]!.n > 0, "reads go on, and nothing was deleted");
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("below the reserve: /health/ready is 503 'disk full', and a refused write's page says the disk is full", async () => {
  const dir = mkdtempSync(join(tmpdir(), "formgate-reserve-ready-"));
  const dataDir = join(dir, "pgdata");
  const lines: string[] = [];
  const log = createLogger("info", (l) => lines.push(l));
  // First with room (the usual reserve), to make a user; then again with a reserve no disk has.
  const roomy = await openPgliteDb({ dataDir, loadDataDir: await pgliteTemplate() });
  const config = testConfig();
  const key = Buffer.from(TEST_SECRET_KEY, "base64");
  await createServices(roomy, new ManualClock(), config, log, key).users.create({
    siteId: (await roomy.query<{ id: string }>("SELECT id FROM sites WHERE slug = 'public'")).rows[0]!.id,
    username: "alice",
    password: "correct horse battery",
    role: "admin",
  });
  const ready = async (app: ReturnType<typeof createApp>) => {
    const res = await app.request("/health/ready");
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  assert.equal(await ready(createApp(createServices(roomy, new ManualClock(), config, log, key))), {
    status: 200,
    body: { status: "ready", database: "pglite" },
  });
  await roomy.close();
  const db = await openPgliteDb({ dataDir, reserveBytes: Number.MAX_SAFE_INTEGER }, log);
  try {
    const app = createApp(createServices(db, new ManualClock(), config, log, key));
    const r = await ready(app);
    assert.is(r.status, 503);
    assert.is(r.body.reason, "disk full");
    assert.match(
      String(r.body.detail),
      /^\d+ MiB free, \d+ MiB kept in reserve: writes are refused until space is freed$/,
    );
    const login = await new TestClient(app).post("/login", { username: "alice", password: "correct horse battery" });
    assert.is(login.res.status, 503);
    assert.match(login.html, /<h1>Disk full<\/h1>/);
    assert.match(login.html, /The server&#39;s disk is full: changes cannot be saved until space is freed on it\./);
    assert.not.match(login.html, /a few seconds/);
    assert.is(login.res.headers.get("retry-after"), "60");
    const device = await app.request("/api/device/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "alice", password: "correct horse battery" }),
    });
    assert.is(device.status, 503);
    assert.match(((await device.json()) as { error: { message: string } }).error.message, /disk is full/);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("only plain reads pass the free-space check", () => {
  for (const sql of ["SELECT 1", "  with a AS (SELECT 1) SELECT * FROM a", "SELECT updated_at FROM records"]) {
    assert.ok(isReadOnlySql(sql), sql);
  }
  for (const sql of [
    "INSERT INTO t VALUES (1)",
    "WITH d AS (DELETE FROM t RETURNING x) SELECT * FROM d",
    "SELECT * FROM t FOR UPDATE",
    "SELECT * FROM t FOR NO KEY UPDATE",
    "SELECT * FROM t FOR SHARE",
    "SELECT nextval('s')",
    "CREATE INDEX i ON t (x)",
  ]) {
    assert.not.ok(isReadOnlySql(sql), sql);
  }
});

test.run();
