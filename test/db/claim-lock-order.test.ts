// @postgres
// A wrong password is made durable (Throttle.makeDurable) before it is answered, while other
// attempts from the same address go on: their claims take the address's row and then the
// account's (engine/auth/sign-in.ts). The write that makes the failure durable must not take the
// two rows in the other order, or the two wait for each other until PostgreSQL ends one of them
// (40P01, a 500 for the attempt: review of 088ea4f, 5 to 9 of 240 wrong passwords from 8 clients
// at once). Here the other attempt is a second connection that, between this attempt's claim and
// its answer, takes the address's row and then wants the account's, as a claim does.
import pg from "pg";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { PasswordSignIn } from "../../engine/auth/sign-in.js";
import { accountKey, addressKey } from "../../engine/auth/throttle.js";
import { ManualClock } from "../../engine/clock.js";
import type { Db } from "../../engine/db/db.js";
import { migrate } from "../../engine/db/migrate.js";
import { openPgDb } from "../../engine/db/pg-db.js";
import { createDatabase } from "../helpers/db.js";
import { skipSuite } from "../helpers/skip.js";

const ADDRESS = "192.0.2.44";
const t = suite<{ db: Db & { pool: pg.Pool }; url: string; drop(): Promise<void> }>(
  "a failure made durable does not deadlock with a concurrent claim [pg]",
);

t.before(async (ctx) => {
  const database = await createDatabase();
  ctx.url = database.url;
  ctx.drop = database.drop;
  ctx.db = openPgDb(database.url);
  await migrate(ctx.db);
});
t.after(async (ctx) => {
  await ctx.db.close();
  await ctx.drop();
});

t("a wrong password answered while another claim holds the address's row", async ({ db, url }) => {
  const clock = new ManualClock();
  // The account's row is older than the address's (a failure from elsewhere earlier), so it comes
  // first in the table and in the key order ("password:account:…" < "password:address:…").
  const signIn = new PasswordSignIn(db, clock);
  assert.is((await signIn.check("victim", "wrong", null)).kind, "invalid");
  clock.advanceSeconds(10);

  const other = new pg.Client({ connectionString: url });
  await other.connect();
  const otherErrors: string[] = [];
  const otherRun = (text: string, params: unknown[] = []) =>
    other.query(text, params).catch((err: Error & { code?: string }) => {
      otherErrors.push(err.code ?? err.message);
    });
  const touch = "UPDATE throttles SET total_failures = total_failures WHERE key = $1";
  let statements = 0;
  let otherDone: Promise<unknown> = Promise.resolve();
  // The attempt's statements go through as they are; after its claim (its first), the other
  // connection takes the address's row, and once this attempt's next statement has started, wants
  // the account's row too.
  const watched: Db = {
    ...db,
    async query<T>(text: string, params?: readonly unknown[]) {
      if (++statements !== 2) return db.query<T>(text, params);
      await other.query("BEGIN");
      await other.query(touch, [addressKey(ADDRESS)]);
      const mine = db.query<T>(text, params);
      const settled = mine.then(
        () => true,
        () => true,
      );
      // Until this attempt's statement waits for a lock, or has finished.
      for (let i = 0; i < 100; i++) {
        const waiting = await db.pool.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
        );
        if (waiting.rows[0]!.n > 0 || (await Promise.race([settled, Promise.resolve(false)]))) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      otherDone = otherRun(touch, [accountKey("password", "victim")]).then(() => otherRun("COMMIT"));
      return mine;
    },
  };
  try {
    const result = await new PasswordSignIn(watched, clock).check("victim", "wrong", ADDRESS);
    await otherDone;
    assert.is(result.kind, "invalid");
    assert.equal(otherErrors, [], "the other attempt's claim was not ended by a deadlock");
    assert.ok(statements >= 2, "the failure was made durable by a statement of its own");
  } finally {
    await other.query("ROLLBACK").catch(() => {});
    await other.end();
  }
});

if (process.env.TEST_DATABASE_URL) t.run();
else skipSuite("two connections to one PostgreSQL database: set TEST_DATABASE_URL (see README, Test it)");
