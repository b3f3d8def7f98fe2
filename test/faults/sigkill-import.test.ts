// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ManualClock } from "../../engine/clock.js";
import { silentLogger } from "../../engine/log.js";
import { createServices } from "../../engine/services.js";
import { testConfig, TEST_SECRET_KEY } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { base32For, keyFor } from "../hardware/fixtures.js";
import { randomBetween, WatchedChild } from "../helpers/child-process.js";
import { ownDatabase, type OwnDatabase } from "./own-database.js";
import { loudHook } from "../helpers/loud-hook.js";

/*
 * `formgate tokens import` of 100,000 rows, killed with SIGKILL while it runs:
 * the registry holds every token of the file or none, and the database opens
 * afterwards (PGlite recovers its data directory on disk; PostgreSQL rolls the
 * connection's transaction back).
 */

// The file of issue 5's import benchmark on PostgreSQL; a fifth of it on PGlite, where each run costs
// four times as much and all-or-nothing does not depend on the size (still 20 batches to kill in).
const ROWS = testBackend === "pg" ? 100_000 : 20_000;
const BATCHES = ROWS / 1000;
const t = suite<{ db: OwnDatabase; csv: string }>(`SIGKILL during a token import [${testBackend}]`);

t.before(
  loudHook(async (ctx) => {
    ctx.db = await ownDatabase();
    ctx.csv = join(ctx.db.dir, "tokens.csv");
    const lines = ["upn,serial number,secret key,time interval,manufacturer,model"];
    for (let i = 0; i < ROWS; i++) lines.push(`,K-${i},${base32For(i)},30,Token Works,T1`);
    writeFileSync(ctx.csv, lines.join("\n") + "\n");
  }),
);
t.after(async (ctx) => ctx.db?.drop());

/** The import, with each statement logged (its first words, never its parameters) so the test sees its progress. */
const startImport = (ctx: { db: OwnDatabase; csv: string }) =>
  new WatchedChild(["bin/formgate.js", "tokens", "import", ctx.csv], { ...ctx.db.env, LOG_LEVEL: "debug" });

const isStatement = (prefix: string) => (line: string) => line.includes(`"sql":"${prefix}`);

/**
 * Reopens the database (PGlite recovers its directory here) and counts; when
 * the import is there, also opens the key of a token far into the file.
 */
async function registry(ctx: { db: OwnDatabase }) {
  const db = await ctx.db.open();
  try {
    const { rows } = await db.query<{ tokens: number; imports: number }>(
      `SELECT (SELECT count(*)::int FROM hardware_tokens) AS tokens,
              (SELECT count(*)::int FROM audit_log WHERE action = 'hardware_token.import') AS imports`,
    );
    if (rows[0]!.tokens === ROWS) {
      const key = ROWS - 1235;
      const secretKey = Buffer.from(TEST_SECRET_KEY, "base64");
      const s = createServices(db, new ManualClock(), testConfig(), silentLogger, secretKey);
      const token = await s.hardware.registry.bySerial(`K-${key}`);
      assert.ok(token, `token K-${key}`);
      assert.equal((await s.hardware.registry.params(token)).secret, keyFor(key), "the key is whole");
    }
    return rows[0]!;
  } finally {
    await db.close();
  }
}

t(`killed after a random batch of the ${BATCHES} it inserts, the import leaves no token`, async (ctx) => {
  const batch = randomBetween(1, BATCHES - 1);
  const child = startImport(ctx);
  let inserted = 0;
  await child.waitFor(
    `batch ${batch}`,
    (line) => isStatement("INSERT INTO hardware_tokens")(line) && ++inserted === batch,
  );
  await child.kill();
  console.log(`  killed after batch ${batch} of ${BATCHES}`);
  assert.equal(await registry(ctx), { tokens: 0, imports: 0 }, `killed after batch ${batch}`);
});

t(`killed as it commits, the import leaves all or nothing; run again, it stores all ${ROWS}`, async (ctx) => {
  const child = startImport(ctx);
  // The audit entry is the transaction's last statement: the kill races the COMMIT.
  await child.waitFor("the audit entry", isStatement("INSERT INTO audit_log"));
  await child.kill();
  const raced = await registry(ctx);
  console.log(`  killed at the commit: ${raced.tokens} tokens`);
  assert.ok(
    (raced.tokens === 0 && raced.imports === 0) || (raced.tokens === ROWS && raced.imports === 1),
    JSON.stringify(raced),
  );
  if (raced.tokens === 0) {
    const again = startImport(ctx);
    const { code } = await again.exited;
    assert.is(code, 0, again.tail());
    assert.ok(
      again.output.some((l) => l === `imported ${ROWS} tokens`),
      again.tail(),
    );
    assert.equal(await registry(ctx), { tokens: ROWS, imports: 1 });
  }
});

t.run();
