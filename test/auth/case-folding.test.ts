// @storage
// Issue 20, fault 8: usernames fold in one place (engine/db/fold.ts), independent of the database's
// collation. On PostgreSQL the suite runs on a database of its own created with the ICU locale
// tr-TR, where lower('I') is 'ı'; on PGlite on the embedded database (C locale).
import pg from "pg";
import { randomBytes } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ManualClock } from "../../engine/clock.js";
import type { Db } from "../../engine/db/db.js";
import { migrate } from "../../engine/db/migrate.js";
import { openPgDb } from "../../engine/db/pg-db.js";
import { createLogger } from "../../engine/log.js";
import { createServices, type Services } from "../../engine/services.js";
import { createApp } from "../../engine/web/app.js";
import { UserInputError } from "../../engine/auth/user-accounts.js";
import { TEST_SECRET_KEY, testConfig, TestClient } from "../helpers/app.js";
import { adminUrl, databaseUrl, openTestDb, testBackend } from "../helpers/db.js";
import { api } from "../device/client.js";

const PASSWORD = "correct horse battery";
interface Ctx {
  db: Db;
  s: Services;
  app: ReturnType<typeof createApp>;
  siteId: string;
  drop?: () => Promise<void>;
}
const t = suite<Ctx>(`case folding of usernames [${testBackend}${testBackend === "pg" ? ", ICU tr-TR" : ""}]`);

async function adminQuery(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl() });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

t.before(async (ctx) => {
  if (testBackend === "pg") {
    const name = `formgate_test_tr_${process.pid}_${randomBytes(4).toString("hex")}`;
    await adminQuery(
      `CREATE DATABASE ${name} LOCALE_PROVIDER icu ICU_LOCALE 'tr-TR' LOCALE 'C.UTF-8' TEMPLATE template0`,
    );
    ctx.drop = () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    ctx.db = openPgDb(databaseUrl(name), undefined, 5);
    await migrate(ctx.db);
    const { rows } = await ctx.db.query<{ l: string }>("SELECT lower('I') AS l");
    assert.is(rows[0]!.l, "ı", "the database folds the Turkish way");
  } else {
    ctx.db = await openTestDb();
  }
  const log = createLogger("silent", () => {});
  ctx.s = createServices(ctx.db, new ManualClock(), testConfig(), log, Buffer.from(TEST_SECRET_KEY, "base64"));
  ctx.app = createApp(ctx.s);
  ctx.siteId = (await ctx.s.sites.publicSite()).id;
  await ctx.s.users.create({ siteId: ctx.siteId, username: "root-admin", password: PASSWORD, role: "admin" });
  await ctx.s.users.create({ siteId: ctx.siteId, username: "Ilker", password: PASSWORD, deviceAccess: true });
});
t.after(async (ctx) => {
  await ctx.db.close();
  await ctx.drop?.();
});

t("a username that differs only in the case of I is taken, on create and through the web", async ({ s, siteId }) => {
  for (const name of ["ilker", "ILKER", "iLKER"]) {
    const err = await s.users.create({ siteId, username: name, password: PASSWORD }).catch((e: unknown) => e);
    assert.instance(err, UserInputError, name);
    assert.match((err as Error).message, /already taken/);
  }
});

t("ROOT-ADMIN and ilker sign in on the web and on the device API", async ({ app, s }) => {
  assert.is((await s.users.byUsername("ROOT-ADMIN"))?.username, "root-admin");
  assert.is((await s.users.byUsername("ilker"))?.username, "Ilker");
  assert.is((await new TestClient(app).signIn("ROOT-ADMIN", PASSWORD)).res.headers.get("location"), "/");
  assert.is((await new TestClient(app).signIn("ilker", PASSWORD)).res.headers.get("location"), "/");
  const device = await api(app, "POST", "/api/device/login", { username: "iLKER", password: PASSWORD });
  assert.is(device.status, 200);
});

t("failed attempts under any spelling count against one account lock", async ({ app, db }) => {
  for (const name of ["ILKER", "ilker", "Ilker", "iLkEr", "ilKER"])
    assert.is((await new TestClient(app).signIn(name, "not the password at all")).res.status, 401);
  const { rows } = await db.query<{ key: string; locks: number }>(
    "SELECT key, lock_count AS locks FROM throttles WHERE key LIKE 'password:account:%'",
  );
  assert.equal(rows, [{ key: "password:account:ilker", locks: 1 }], "five failures under five spellings: one lock");
  assert.is((await new TestClient(app).signIn("ilker", PASSWORD)).res.status, 429, "the one lock holds");
});

t.run();
