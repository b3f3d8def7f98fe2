import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Db } from "../../engine/db/db.js";
import { openPgliteDb } from "../../engine/db/pglite-db.js";
import { pgliteTemplate } from "../../engine/db/pglite-template.js";

// Issue 26: on PGlite a planned statement is a named prepared statement too
// (engine/db/pglite-prepared.ts), parsed and planned once instead of on every run. Its rows must be
// exactly what PGlite's own `query` gives, its errors keep PostgreSQL's codes, and a table altered
// under a prepared `SELECT *` does not break it.
let db: Db & { pglite: import("@electric-sql/pglite").PGlite };

test.before(async () => {
  db = await openPgliteDb({ loadDataDir: await pgliteTemplate() });
  await db.exec(`CREATE TABLE prep_kinds (id int PRIMARY KEY, t text, n bigint, f float8, b bool, at timestamptz,
    j jsonb, u uuid, bytes bytea, tags text[], amount numeric)`);
});
test.after(() => db.close());

const runs = async (text: string) => {
  const { rows } = await db.pglite.query<{ runs: number }>(
    "SELECT (generic_plans + custom_plans)::int AS runs FROM pg_prepared_statements WHERE statement = $1",
    [text],
  );
  return rows[0]?.runs ?? null;
};

test("a statement is prepared once and then only executed", async () => {
  const text = "SELECT id, t FROM prep_kinds WHERE id = $1";
  assert.is(await runs(text), null, "not prepared before its first run");
  for (let i = 0; i < 7; i++) await db.query(text, [i]);
  assert.is(await runs(text), 7, "seven runs of the one prepared statement");
  const inTx = await db.transaction(async (tx) => (await tx.query(text, [1])).rowCount);
  assert.is(inTx, 0);
  assert.is(await runs(text), 8, "a transaction's statement runs the same prepared statement");
});

test("rows and parameters are typed exactly as PGlite's own query types them", async () => {
  const at = new Date("2026-12-07T12:34:56.789Z");
  const insert = `INSERT INTO prep_kinds (id, t, n, f, b, at, j, u, bytes, tags, amount)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`;
  const values = [
    100,
    "ünïcode ' \" \\ text",
    9007199254740991,
    1.5,
    true,
    at,
    JSON.stringify({ a: [1, "x", null] }),
    "6f1c2f6e-8f0a-4c1e-9d61-3b1f1b0b2c11",
    new Uint8Array([0, 1, 254, 255]),
    ["a", "b c", 'q"uote'],
    "12.50",
  ];
  assert.equal((await db.query(insert, values)).rows, [{ id: 100 }]);
  await db.query(insert, [101, null, null, null, null, null, null, null, null, null, null]);
  const select = "SELECT * FROM prep_kinds WHERE id = ANY($1::int[]) ORDER BY id";
  const ours = (await db.query(select, [[100, 101]])).rows;
  const theirs = (await db.pglite.query(select, [[100, 101]])).rows;
  assert.equal(ours, theirs);
  const row = ours[0] as Record<string, unknown>;
  assert.instance(row.at, Date);
  assert.is((row.at as Date).toISOString(), at.toISOString());
  assert.equal(row.j, { a: [1, "x", null] });
  assert.equal(row.tags, ["a", "b c", 'q"uote']);
  assert.equal(Array.from(row.bytes as Uint8Array), [0, 1, 254, 255]);
  assert.is(row.b, true);
  assert.equal(Object.values(ours[1] as object).slice(1), Array(10).fill(null), "nulls");
  const update = await db.query("UPDATE prep_kinds SET f = f + $1 WHERE id >= $2", [1, 100]);
  assert.equal(update, { rows: [], rowCount: 2 });
});

test("errors keep PostgreSQL's code, a failed text is not kept, and a transaction's failure rolls it back", async () => {
  const insert = "INSERT INTO prep_kinds (id) VALUES ($1)";
  await db.query(insert, [200]);
  const dup = await db.query(insert, [200]).catch((e: { code?: string }) => e);
  assert.is((dup as { code?: string }).code, "23505");
  const bad = await db.query("SELECT nope FROM prep_kinds WHERE id = $1", [1]).catch((e: { code?: string }) => e);
  assert.is((bad as { code?: string }).code, "42703");
  assert.is(await runs("SELECT nope FROM prep_kinds WHERE id = $1"), null);
  await db
    .transaction(async (tx) => {
      await tx.query(insert, [201]);
      await tx.query(insert, [200]);
    })
    .catch(() => {});
  assert.is((await db.query("SELECT id FROM prep_kinds WHERE id = $1", [201])).rowCount, 0, "rolled back");
  assert.is((await db.query("SELECT id FROM prep_kinds WHERE id = $1", [200])).rowCount, 1, "still usable");
});

test("a table altered under a prepared SELECT * is read with its new columns", async () => {
  await db.exec("CREATE TABLE prep_altered (a int)");
  await db.query("INSERT INTO prep_altered (a) VALUES ($1)", [1]);
  const text = "SELECT * FROM prep_altered WHERE a = $1";
  assert.equal((await db.query(text, [1])).rows, [{ a: 1 }]);
  await db.exec("ALTER TABLE prep_altered ADD COLUMN b text DEFAULT 'x'");
  assert.equal((await db.query(text, [1])).rows, [{ a: 1, b: "x" }]);
  assert.equal((await db.query(text, [1])).rows, [{ a: 1, b: "x" }]);
});

test.run();
