// @storage
import { test } from "uvu";
import * as assert from "uvu/assert";
import { rejects } from "../helpers/assert.js";
import { spawn } from "node:child_process";
import { listMigrations, migrate } from "../../engine/db/migrate.js";
import { openPgDb, PG_IDLE_TIMEOUT_MS } from "../../engine/db/pg-db.js";
import { createDatabase, openTestDb, testBackend } from "../helpers/db.js";

const tableSnapshot = async (db: Awaited<ReturnType<typeof openTestDb>>) =>
  (
    await db.query<{ t: string }>(
      "SELECT table_name || '.' || column_name AS t FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1",
    )
  ).rows.map((r) => r.t);

test(`migrations apply once and a second run changes nothing [${testBackend}]`, async () => {
  const db = await openTestDb({ migrated: false });
  try {
    const first = await migrate(db);
    assert.equal(
      first,
      listMigrations().map((m) => m.id),
    );
    const before = await tableSnapshot(db);
    assert.ok(before.includes("users.password_hash"));
    assert.equal(await migrate(db), []);
    assert.equal(await tableSnapshot(db), before);
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM sites WHERE is_public");
    assert.is(rows[0]!.n, 1, "the Public Site is seeded exactly once");
  } finally {
    await db.close();
  }
});

test(`two concurrent migrate() calls on one database both succeed [${testBackend}]`, async () => {
  const db = await openTestDb({ migrated: false });
  try {
    const [a, b] = await Promise.all([migrate(db), migrate(db)]);
    assert.is(a.length + b.length, listMigrations().length, "each migration applied exactly once");
  } finally {
    await db.close();
  }
});

test(`a transaction that throws leaves nothing behind [${testBackend}]`, async () => {
  const db = await openTestDb();
  try {
    await db.exec("CREATE TABLE t (v int)");
    await rejects(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO t VALUES (1)");
        await tx.query("INSERT INTO t VALUES (2)");
        throw new Error("boom");
      }),
      /boom/,
    );
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM t");
    assert.is(rows[0]!.n, 0);
  } finally {
    await db.close();
  }
});

test(`a nested transaction rolls back alone; the outer one commits [${testBackend}]`, async () => {
  const db = await openTestDb();
  try {
    await db.exec("CREATE TABLE t (v int)");
    await db.transaction(async (tx) => {
      await tx.query("INSERT INTO t VALUES (1)");
      await rejects(
        tx.transaction(async (inner) => {
          await inner.query("INSERT INTO t VALUES (2)");
          throw new Error("inner");
        }),
      );
      await tx.transaction(async (inner) => inner.query("INSERT INTO t VALUES (3)"));
    });
    const { rows } = await db.query<{ v: number }>("SELECT v FROM t ORDER BY v");
    assert.equal(
      rows.map((r) => r.v),
      [1, 3],
    );
  } finally {
    await db.close();
  }
});

if (testBackend === "pg") {
  // node-postgres closes an idle connection after 10 s by default, and with it the statements it
  // had prepared: a server quiet for 10 s then paid a new backend and planned every statement again
  // (npm run bench -- sign-in: the TOTP step's PostgreSQL CPU 1.9–2.4 ms with it, 1.1 ms without).
  test("the pool keeps idle connections, and their prepared statements, for a minute [pg]", async () => {
    const database = await createDatabase();
    const db = openPgDb(database.url);
    try {
      assert.is(db.pool.options.idleTimeoutMillis, PG_IDLE_TIMEOUT_MS);
      assert.ok(PG_IDLE_TIMEOUT_MS >= 60_000, `${PG_IDLE_TIMEOUT_MS} ms`);
      assert.is(db.pool.options.keepAlive, true, "a vanished peer is found out while idle");
      // One connection serves both statements: the second runs the plan the first prepared.
      const text = "SELECT pg_backend_pid() AS pid, $1::int AS n";
      const first = await db.query<{ pid: number }>(text, [1]);
      const second = await db.query<{ pid: number }>(text, [2]);
      assert.is(second.rows[0]!.pid, first.rows[0]!.pid);
      const prepared = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = $1",
        [text],
      );
      assert.is(prepared.rows[0]!.n, 1);
    } finally {
      await db.close();
      await database.drop();
    }
  });

  test("another connection does not see uncommitted work [pg]", async () => {
    const db = await openTestDb();
    try {
      await db.exec("CREATE TABLE t (v int)");
      await db.transaction(async (tx) => {
        await tx.query("INSERT INTO t VALUES (1)");
        const outside = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM t");
        assert.is(outside.rows[0]!.n, 0);
      });
      const after = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM t");
      assert.is(after.rows[0]!.n, 1);
    } finally {
      await db.close();
    }
  });
}

if (testBackend === "pg") {
  test("migrations run concurrently from two processes without error [pg]", async () => {
    const database = await createDatabase();
    try {
      const run = () =>
        new Promise<{ code: number | null; out: string }>((resolve) => {
          const child = spawn(process.execPath, ["--import", "tsx", "bin/formgate.js", "migrate"], {
            env: {
              ...process.env,
              DATABASE_URL: database.url,
              FORMGATE_SECRET_KEY: Buffer.alloc(32).toString("base64"),
            },
          });
          let out = "";
          child.stdout.on("data", (d) => (out += d));
          child.stderr.on("data", (d) => (out += d));
          child.on("close", (code) => resolve({ code, out }));
        });
      const results = await Promise.all([run(), run()]);
      for (const r of results) assert.is(r.code, 0, r.out);
      const applied = results.map((r) => r.out).join("\n");
      assert.match(applied, /applied: 001_foundation/);
      assert.match(applied, /up to date/, "the second process found the work done");
      const db = openPgDb(database.url);
      const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM schema_migrations");
      assert.is(rows[0]!.n, listMigrations().length);
      await db.close();
    } finally {
      await database.drop();
    }
  });
}

test.run();
