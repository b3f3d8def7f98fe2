// @postgres
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Db } from "../../engine/db/db.js";
import { migrate } from "../../engine/db/migrate.js";
import { openPgDb } from "../../engine/db/pg-db.js";
import { TEST_SECRET_KEY } from "../helpers/app.js";
import { WatchedChild } from "../helpers/child-process.js";
import { createDatabase } from "../helpers/db.js";
import { freePort } from "../helpers/server-process.js";
import { skipSuite } from "../helpers/skip.js";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.js";

/*
 * Two Formgate server processes (engine/main.ts) on one PostgreSQL database, each running its mail
 * loop every second, and 200 users whose reminder becomes due at the same moment: both instances
 * schedule the reminders (a unique index keeps one row per user, deadline and step) and both send
 * (FOR UPDATE SKIP LOCKED): exactly 200 mails arrive, none twice.
 */

const USERS = 200;

interface Ctx {
  db: Db;
  drop(): Promise<void>;
  sink: SmtpSink;
  servers: WatchedChild[];
}
const t = suite<Ctx>("two instances send each reminder once [pg]");

t.before(async (ctx) => {
  ctx.servers = [];
  const database = await createDatabase();
  ctx.drop = database.drop;
  ctx.db = openPgDb(database.url);
  await migrate(ctx.db);
  ctx.sink = await startSmtpSink();
  await ctx.db.query(
    `INSERT INTO users (site_id, username, email, created_at, updated_at)
     SELECT (SELECT id FROM sites WHERE is_public), 'due' || n, 'due' || n || '@example.test', now(), now()
     FROM generate_series(1, $1::int) AS n`,
    [USERS],
  );
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    const server = new WatchedChild(["--import", "tsx", "engine/main.ts"], {
      DATABASE_URL: database.url,
      FORMGATE_SECRET_KEY: TEST_SECRET_KEY,
      PORT: String(port),
      LOG_LEVEL: "info",
      SMTP_URL: ctx.sink.url,
      MAIL_FROM: "formgate@example.test",
      MAIL_POLL_SECONDS: "1",
    });
    ctx.servers.push(server);
  }
  await Promise.all(ctx.servers.map((s) => s.waitFor("an instance to listen", (l) => l.includes('"msg":"listening"'))));
});

t.after(async (ctx) => {
  await Promise.all((ctx.servers ?? []).map((s) => s.stop()));
  await ctx.sink?.stop();
  await ctx.db?.close();
  await ctx.drop?.();
});

t("200 users due at the same moment: exactly 200 mails, none twice", async (ctx) => {
  // MFA switched on 9 days ago with a deadline 12 hours from now: the 1-day reminder is due for all, at once.
  await ctx.db.query(
    `INSERT INTO mfa_settings (user_id, enabled, enforcement_delay_days, enabled_at, required_from, updated_at)
     SELECT id, true, 9, now() - interval '9 days' + interval '12 hours', now() + interval '12 hours', now()
     FROM users WHERE username LIKE 'due%'`,
  );
  await ctx.sink.waitFor(USERS, 60_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${ctx.servers.map((s) => s.tail()).join("\n---\n")}`);
  });
  // Until nothing is left to send (a mail in flight would still be 'sending').
  for (;;) {
    const { rows } = await ctx.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM mail_outbox WHERE state IN ('queued', 'sending')",
    );
    if (rows[0]!.n === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await Promise.all(ctx.servers.map((s) => s.stop()));
  const to = ctx.sink.arrived.map((m) => m.to);
  assert.is(to.length, USERS, "mails arrived");
  assert.is(new Set(to).size, USERS, "each user once");
  const { rows } = await ctx.db.query<{ kind: string; state: string; n: number }>(
    "SELECT kind, state, count(*)::int AS n FROM mail_outbox GROUP BY kind, state",
  );
  assert.equal(rows, [{ kind: "mfa_reminder", state: "sent", n: USERS }]);
  // Which instance sent how many (both usually take a share; the count above is what must hold).
  const shares = ctx.servers.map((s) =>
    s.output
      .filter((l) => l.includes('"msg":"mail run"'))
      .reduce((n, l) => n + (JSON.parse(l) as { sent: number }).sent, 0),
  );
  console.log(`two instances: ${shares.join(" + ")} = ${USERS} mails`);
  assert.is(
    shares.reduce((a, b) => a + b, 0),
    USERS,
  );
});

if (!process.env.TEST_DATABASE_URL) {
  skipSuite("two server processes share one PostgreSQL database: set TEST_DATABASE_URL (see README, Test it)");
} else {
  t.run();
}
