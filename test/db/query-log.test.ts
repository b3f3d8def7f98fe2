import { test } from "uvu";
import * as assert from "uvu/assert";
import { createLogger } from "../../engine/log.js";
import { openPgliteDb } from "../../engine/db/pglite-db.js";

test("query logs carry the statement and its time, never its parameters", async () => {
  const lines: string[] = [];
  const db = await openPgliteDb(
    {},
    createLogger("debug", (l) => lines.push(l)),
  );
  try {
    await db.query("SELECT $1::text AS secret", ["JBSWY3DPEHPK3PXP"]);
    const entry = lines.map((l) => JSON.parse(l)).find((e) => e.msg === "query");
    assert.ok(entry);
    assert.match(entry.sql, /^SELECT \$1::text AS secret/);
    assert.type(entry.ms, "number");
    assert.is(entry.rows, 1);
    assert.not.ok(lines.join("\n").includes("JBSWY3DPEHPK3PXP"));
  } finally {
    await db.close();
  }
});

test.run();
