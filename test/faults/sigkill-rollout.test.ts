// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Db } from "../../engine/db/db.js";
import { WatchedChild } from "../helpers/child-process.js";
import { loudHook } from "../helpers/loud-hook.js";
import { testBackend } from "../helpers/db.js";
import { ownDatabase, type OwnDatabase } from "./own-database.js";
import { ManualClock } from "../../engine/clock.js";
import { silentLogger } from "../../engine/log.js";
import { createServices } from "../../engine/services.js";
import { createApp } from "../../engine/web/app.js";
import { TEST_SECRET_KEY, TestClient, testConfig } from "../helpers/app.js";

/*
 * An MFA rollout killed with SIGKILL between two batches (after the second of five), then run
 * again: every user is either rolled out whole (settings on, the deadline, one mfa.enable entry)
 * or untouched (no settings, no entry), and the second run finishes the rest without touching
 * those the first one did.
 */
const USERS = 23;
const t = suite<{ db: OwnDatabase }>(`SIGKILL between rollout batches [${testBackend}]`);

t.before(
  loudHook(async (ctx) => {
    ctx.db = await ownDatabase(async (db) => {
      await db.query(
        `INSERT INTO users (site_id, username, role, created_at, updated_at)
         SELECT (SELECT id FROM sites WHERE is_public), 'user' || i, 'user', now(), now() FROM generate_series(1, $1) AS i`,
        [USERS],
      );
    });
  }),
);
t.after(async (ctx) => ctx.db?.drop());

interface UserState {
  username: string;
  enabled: boolean | null;
  required_from: Date | null;
  enables: number;
}

async function users(db: Db): Promise<UserState[]> {
  const { rows } = await db.query<UserState>(
    `SELECT u.username, m.enabled, m.required_from,
       (SELECT count(*)::int FROM audit_log a WHERE a.target_user_id = u.id AND a.action = 'mfa.enable') AS enables
     FROM users u LEFT JOIN mfa_settings m ON m.user_id = u.id ORDER BY u.id`,
  );
  return rows;
}

async function read<T>(ctx: { db: OwnDatabase }, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await ctx.db.open();
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

t("killed after the second batch: 10 users whole, 13 untouched; run again: all 23, each once", async (ctx) => {
  const child = new WatchedChild(["--import", "tsx", "test/faults/rollout-child.ts"], {
    ...ctx.db.env,
    STOP_AFTER_BATCH: "2",
  });
  await child.waitFor("batch 2", (l) => l === "batch 2");
  await child.kill();
  const after = await read(ctx, users);
  const done = after.filter((u) => u.enabled);
  const untouched = after.filter((u) => u.enabled === null);
  assert.is(done.length, 10, child.tail());
  assert.is(untouched.length, USERS - 10);
  assert.ok(done.every((u) => u.enables === 1 && u.required_from !== null));
  assert.ok(untouched.every((u) => u.enables === 0));
  const deadline = done[0]!.required_from!.getTime();
  const rollout = await read(ctx, (db) =>
    db.query<{ enabled_count: number; finished_at: Date | null }>(
      "SELECT enabled_count, finished_at FROM mfa_rollouts",
    ),
  );
  assert.equal(rollout.rows, [{ enabled_count: 10, finished_at: null }]);

  const again = new WatchedChild(["--import", "tsx", "test/faults/rollout-child.ts"], ctx.db.env);
  await again.waitFor("done", (l) => l.startsWith("done "));
  assert.equal(await again.exited, { code: 0, signal: null });
  assert.ok(again.output.includes(`done ${USERS - 10}`), again.tail());
  const final = await read(ctx, users);
  assert.ok(
    final.every((u) => u.enabled === true && u.enables === 1),
    JSON.stringify(final),
  );
  // The first run's users kept the deadline it gave them.
  const firstRun = new Set(done.map((u) => u.username));
  assert.ok(final.filter((u) => firstRun.has(u.username)).every((u) => u.required_from!.getTime() === deadline));
});

t("the progress page shows the interrupted rollout and its link finishes it", async () => {
  const own = await ownDatabase(async (db) => {
    await db.query(
      `INSERT INTO users (site_id, username, role, created_at, updated_at)
       SELECT (SELECT id FROM sites WHERE is_public), 'user' || i, 'user', now(), now() FROM generate_series(1, $1) AS i`,
      [USERS],
    );
  });
  try {
    const child = new WatchedChild(["--import", "tsx", "test/faults/rollout-child.ts"], {
      ...own.env,
      STOP_AFTER_BATCH: "2",
    });
    await child.waitFor("batch 2", (l) => l === "batch 2");
    await child.kill();
    const db = await own.open();
    try {
      const s = createServices(
        db,
        new ManualClock(new Date()),
        testConfig(),
        silentLogger,
        Buffer.from(TEST_SECRET_KEY, "base64"),
      );
      const site = await s.sites.publicSite();
      await s.users.create({ siteId: site.id, username: "root", password: "correct horse battery", role: "admin" });
      const c = new TestClient(createApp(s));
      await c.signIn("root", "correct horse battery");
      const progress = await c.get("/configure/mfa");
      assert.match(progress.html, /<h2 id="unfinished-title">Unfinished rollouts \(1\)<\/h2>/);
      assert.match(progress.html, /data-count="done">10 switched on</);
      const href = /<a href="([^"]+)" role="button" class="secondary">\s*Finish this rollout/.exec(progress.html)?.[1];
      assert.ok(href, "a link that finishes it");
      const preview = await c.get(href.replaceAll("&amp;", "&"));
      assert.is(preview.res.status, 200);
      assert.match(preview.html, /data-count="toEnable">13</);
      assert.match(preview.html, /data-count="keptDeadline">10</);
      const fields: Record<string, string> = {};
      for (const m of preview.html.matchAll(/<input type="hidden" name="([A-Za-z]+)" value="([^"]*)"/g)) {
        fields[m[1]!] = m[2]!;
      }
      const confirmed = await c.post("/configure/mfa/rollout", fields);
      assert.is(confirmed.res.status, 303);
      const after = await c.get("/configure/mfa");
      assert.not.match(after.html, /Unfinished rollouts/);
      const final = (await users(db)).filter((u) => u.username !== "root");
      assert.is(final.length, USERS);
      assert.ok(
        final.every((u) => u.enabled === true && u.enables === 1),
        JSON.stringify(final),
      );
    } finally {
      await db.close();
    }
  } finally {
    await own.drop();
  }
});

t.run();
