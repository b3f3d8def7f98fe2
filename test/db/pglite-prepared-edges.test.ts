import { test } from "uvu";
import * as assert from "uvu/assert";
import type { PGlite } from "@electric-sql/pglite";
import type { Db } from "../../engine/db/db.js";
import { openPgliteDb } from "../../engine/db/pglite-db.js";
import { pgliteTemplate } from "../../engine/db/pglite-template.js";

// engine/db/pglite-prepared.ts (named prepared statements on PGlite) at its edges, where it could
// differ from PGlite's own `query`, which the engine used before (found by review).
let db: Db & { pglite: PGlite };

test.before(async () => {
  db = await openPgliteDb({ loadDataDir: await pgliteTemplate() });
  await db.exec(`CREATE TABLE rv (id int PRIMARY KEY, u uuid, n bigint, amount numeric, j json, jb jsonb,
    d date, at timestamptz, b bool, bytes bytea, ids int[], tags text[])`);
});
test.after(() => db.close());

const codeOf = (e: unknown) => (e as { code?: string }).code;
const settle = <T>(p: Promise<T>) =>
  p.then(
    (v) => ({ ok: true as const, v }),
    (e: unknown) => ({ ok: false as const, e }),
  );

test("a transaction handle used after its transaction ended is refused, as PGlite's tx.query refuses it", async () => {
  let leaked: Db | undefined;
  await db.transaction(async (tx) => {
    leaked = tx;
    await tx.query("SELECT 1 AS one WHERE $1::int = 1", [1]);
  });
  // PGlite's own handle throws "Transaction is closed"; a preparable statement here runs anyway.
  const after = await settle(leaked!.query("INSERT INTO rv (id) VALUES ($1)", [900]));
  await db.query("DELETE FROM rv WHERE id = $1", [900]);
  assert.is(after.ok, false, "a statement on an ended transaction's handle ran (outside any transaction)");
});

test("a stray statement on an ended handle does not land inside another caller's transaction", async () => {
  let leaked: Db | undefined;
  await db.transaction((tx) => {
    leaked = tx;
    return Promise.resolve();
  });
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let entered!: () => void;
  const inside = new Promise<void>((r) => (entered = r));
  // Another request's transaction: writes, waits, then fails and rolls back.
  const other = settle(
    db.transaction(async (tx) => {
      await tx.query("INSERT INTO rv (id) VALUES ($1)", [901]);
      entered();
      await held;
      throw new Error("the other request fails");
    }),
  );
  await inside;
  const stray = await settle(leaked!.query("INSERT INTO rv (id) VALUES ($1)", [902]));
  release();
  await other;
  const kept = (await db.query<{ id: number }>("SELECT id FROM rv WHERE id = ANY($1::int[])", [[901, 902]])).rows;
  // Either the stray write is refused, or it is kept: answered "done" and then rolled back by a
  // transaction it was never part of is neither.
  assert.ok(
    !stray.ok || kept.some((r) => r.id === 902),
    `stray insert answered ok=${stray.ok} but the other transaction's rollback took it away (rows ${JSON.stringify(kept)})`,
  );
});

test("a SELECT * used only inside transactions fails one transaction after its table gained a column, then works", async () => {
  await db.exec("CREATE TABLE rv_alt (a int)");
  await db.exec("INSERT INTO rv_alt VALUES (1)");
  const text = "SELECT * FROM rv_alt WHERE a = $1 FOR UPDATE";
  const read = () => db.transaction(async (tx) => (await tx.query(text, [1])).rows);
  assert.equal(await read(), [{ a: 1 }]);
  await db.exec("ALTER TABLE rv_alt ADD COLUMN b text DEFAULT 'x'");
  // PGlite's own query (the old path) re-parses every run: this worked before.
  const first = await settle(read());
  const second = await settle(read());
  const said = (r: typeof first) => (r.ok ? "ok" : `${codeOf(r.e)} ${String(r.e)}`);
  // The transaction that meets the stale statement fails (0A000, as on PostgreSQL: the error aborts
  // it); the statement is parsed again for the next one, which must not fail too.
  assert.ok(first.ok || codeOf(first.e) === "0A000", `after ALTER: 1st ${said(first)}`);
  assert.is(second.ok, true, `after ALTER: 2nd ${said(second)}`);
  if (second.ok) assert.equal(second.v, [{ a: 1, b: "x" }]);
});

test("an invalid uuid refused at Bind: the code, then the connection and a transaction go on", async () => {
  const text = "SELECT id FROM rv WHERE u = $1";
  const bad = await settle(db.query(text, ["not-a-uuid"]));
  assert.is(bad.ok, false);
  assert.is(codeOf(!bad.ok && bad.e), "22P02");
  assert.equal((await db.query(text, ["6f1c2f6e-8f0a-4c1e-9d61-3b1f1b0b2c11"])).rows, []);
  const inTx = await settle(
    db.transaction(async (tx) => {
      await tx.query("INSERT INTO rv (id) VALUES ($1)", [910]);
      await tx.query(text, ["nope"]);
    }),
  );
  assert.is(codeOf(!inTx.ok && inTx.e), "22P02");
  assert.is((await db.query("SELECT id FROM rv WHERE id = $1", [910])).rowCount, 0, "rolled back");
  // A savepoint (a nested transaction) that fails at Bind, then the outer transaction goes on.
  await db.transaction(async (tx) => {
    await tx.query("INSERT INTO rv (id) VALUES ($1)", [911]);
    const inner = await settle(tx.transaction(async (t2) => t2.query(text, ["nope"])));
    assert.is(codeOf(!inner.ok && inner.e), "22P02");
    await tx.query("INSERT INTO rv (id) VALUES ($1)", [912]);
  });
  assert.is((await db.query("SELECT id FROM rv WHERE id IN (911, 912)")).rowCount, 2);
  await db.query("DELETE FROM rv WHERE id >= $1", [900]);
});

test("a protocol-level refusal (too few parameters) and a runtime error leave the connection working", async () => {
  const few = await settle(db.query("SELECT $1::int + $2::int AS s", [1]));
  assert.is(few.ok, false);
  assert.is(codeOf(!few.ok && few.e), "08P01");
  const div = await settle(db.query("SELECT 1 / (x - 3) AS q FROM generate_series(1, 5) x WHERE x > $1", [0]));
  assert.is(codeOf(!div.ok && div.e), "22012");
  assert.equal((await db.query("SELECT $1::int + $2::int AS s", [1, 2])).rows, [{ s: 3 }]);
  assert.equal((await db.transaction(async (tx) => tx.query("SELECT $1::int AS one", [1]))).rows, [{ one: 1 }]);
});

test("rows of awkward types and shapes are what PGlite's own query gives", async () => {
  await db.query(
    `INSERT INTO rv (id, u, n, amount, j, jb, d, at, b, bytes, ids, tags)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [
      1,
      "6F1C2F6E-8F0A-4C1E-9D61-3B1F1B0B2C11",
      "9223372036854775807",
      "123456789012345678901234567890.000000001",
      '{"a": 1, "a": 2}',
      { z: [1.5, null, "ü"], a: {} },
      "2028-02-29",
      "2026-12-07 12:34:56.789123+05:30",
      false,
      Buffer.from("\\x00"),
      [1, null, 3],
      [],
    ],
  );
  await db.query("INSERT INTO rv (id) VALUES ($1)", [2]);
  const texts = [
    "SELECT * FROM rv WHERE id = ANY($1::int[]) ORDER BY id",
    "SELECT id, id, n AS id FROM rv WHERE id = $1",
    "SELECT id FROM rv WHERE id = $1",
    "SELECT $1::text AS t, $2::int8 AS big, $3::numeric AS num, $4::date AS d, $5::timestamptz AS at",
    "SELECT ARRAY[$1::jsonb] AS js, $2::bytea AS by, $3::bool AS b, $4::uuid[] AS us",
    "WITH x AS (UPDATE rv SET b = NOT b WHERE id = $1 RETURNING id, b) SELECT * FROM x",
    "UPDATE rv SET b = b WHERE id = $1",
    "DELETE FROM rv WHERE id = $1 RETURNING *",
    "INSERT INTO rv (id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id",
  ];
  const params: unknown[][] = [
    [[1, 2]],
    [1],
    [999],
    ["x", "-9223372036854775808", "NaN", "infinity", "-infinity"],
    [{ k: "v" }, new Uint8Array([0, 255]), "yes", ["6f1c2f6e-8f0a-4c1e-9d61-3b1f1b0b2c11"]],
    [1],
    [1],
    [2],
    [1],
  ];
  for (let i = 0; i < texts.length; i++) {
    // Ours first (prepared), twice (the second runs the prepared statement), then PGlite's.
    const a = await db.query(texts[i]!, params[i]);
    const b = await db.query(texts[i]!, params[i]);
    const theirs = await db.pglite.query(texts[i]!, params[i]);
    const theirRowCount = theirs.fields.length > 0 ? theirs.rows.length : (theirs.affectedRows ?? 0);
    if (!texts[i]!.startsWith("DELETE") && !texts[i]!.startsWith("WITH")) {
      assert.equal(a.rows, theirs.rows, texts[i]);
      assert.equal(b.rows, theirs.rows, texts[i]);
      assert.is(a.rowCount, theirRowCount, texts[i]);
    }
  }
});

test("many queries, transactions with savepoints and a snapshot at once: every answer is its own", async () => {
  await db.exec("CREATE TABLE rv_c (id int PRIMARY KEY, v text)");
  const work: Promise<unknown>[] = [];
  const failures: string[] = [];
  for (let i = 0; i < 300; i++) {
    if (i % 7 === 0) {
      work.push(
        db
          .transaction(async (tx) => {
            await tx.query("INSERT INTO rv_c (id, v) VALUES ($1, $2)", [i, `t${i}`]);
            await settle(
              tx.transaction(async (t2) => t2.query("INSERT INTO rv_c (id, v) VALUES ($1, $2)", [i, "dup"])),
            );
            const r = await tx.query<{ v: string }>("SELECT v FROM rv_c WHERE id = $1", [i]);
            if (r.rows[0]?.v !== `t${i}`) failures.push(`tx ${i}: ${JSON.stringify(r.rows)}`);
            if (i % 14 === 0) throw new Error("rolled back on purpose");
          })
          .catch((e: Error) => {
            if (e.message !== "rolled back on purpose") failures.push(`tx ${i}: ${e.message}`);
          }),
      );
    } else if (i === 150) {
      work.push(db.snapshot!(async (raw) => (await raw.query("SELECT count(*)::int AS n FROM rv_c")).rows));
    } else if (i % 5 === 0) {
      work.push(
        db.query("SELECT id FROM rv_c WHERE v = $1::uuid::text", ["bad"]).then(
          () => failures.push(`bad ${i}: no error`),
          (e) => codeOf(e) === "22P02" || failures.push(`bad ${i}: ${String(e)}`),
        ),
      );
    } else {
      work.push(
        db.query<{ x: number; s: string }>("SELECT $1::int AS x, $2::text AS s", [i, `s${i}`]).then((r) => {
          if (r.rows[0]?.x !== i || r.rows[0]?.s !== `s${i}`) failures.push(`q ${i}: ${JSON.stringify(r.rows)}`);
        }),
      );
    }
  }
  await Promise.all(work);
  assert.equal(failures, []);
  const n = (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM rv_c")).rows[0]!.n;
  assert.is(n, Array.from({ length: 300 }, (_, i) => i).filter((i) => i % 7 === 0 && i % 14 !== 0).length);
});

test("closing with statements and a transaction still queued: each answers or is refused, none hangs", async () => {
  const other = await openPgliteDb({ loadDataDir: await pgliteTemplate() });
  const queued = Array.from({ length: 20 }, (_, i) =>
    settle(
      i % 4 === 0
        ? other.transaction(async (tx) => tx.query("SELECT $1::int AS i", [i]))
        : other.query("SELECT $1::int AS i", [i]),
    ),
  );
  const closed = settle(other.close());
  const after = settle(other.query("SELECT $1::int AS i", [99]));
  const all = await Promise.race([
    Promise.all([...queued, closed, after]),
    new Promise<"hung">((r) => setTimeout(() => r("hung"), 20_000)),
  ]);
  assert.ok(all !== "hung", "something waits forever");
  const odd = (all as Awaited<(typeof queued)[number]>[]).filter(
    (r) => !r.ok && !/PGlite is clos(ed|ing)/.test(String((r as { e: unknown }).e)),
  );
  assert.equal(
    odd.map((r) => String((r as { e: unknown }).e)),
    [],
    "refused only as closed",
  );
});

test.run();
