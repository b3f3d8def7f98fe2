// @storage
// Issue 9, fault 6: an unreachable database is a 503 with Retry-After and one log line, never a 500;
// the pg pool fails instead of hanging, destroys a client whose ROLLBACK failed and runs in UTC; and
// what used to be swallowed (a corrupt password hash, a failed purge) is logged.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createServer } from "node:net";
import { verifyPassword } from "../../engine/auth/passwords.js";
import { ManualClock } from "../../engine/clock.js";
import { openPgDb } from "../../engine/db/pg-db.js";
import { DatabaseUnavailableError, isConnectionError } from "../../engine/db/unavailable.js";
import { createApp } from "../../engine/web/app.js";
import { SESSION_COOKIE } from "../../engine/web/http/cookies.js";
import { createLogger } from "../../engine/log.js";
import { createServices } from "../../engine/services.js";
import { purgeExpired } from "../../engine/start.js";
import { rejects } from "../helpers/assert.js";
import { startTestEnv, TestClient, testConfig, TEST_SECRET_KEY } from "../helpers/app.js";
import { createDatabase, testBackend } from "../helpers/db.js";

/** A TCP port nothing listens on: connecting to it is refused at once (ECONNREFUSED). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test("connection errors of pg are recognised in one place, query errors are not", () => {
  const unavailable = [
    Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5499"), { code: "ECONNREFUSED" }),
    Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }),
    Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }),
    Object.assign(new Error("terminating connection because of crash of another server process"), { code: "57P02" }),
    Object.assign(new Error("the database system is starting up"), { code: "57P03" }),
    Object.assign(new Error("connection failure"), { code: "08006" }),
    Object.assign(new Error("could not connect"), { code: "08001" }),
    new Error("Connection terminated unexpectedly"),
    new Error("Connection terminated due to connection timeout"),
    new Error("timeout exceeded when trying to connect"),
    new Error("Client has encountered a connection error and is not queryable"),
  ];
  for (const err of unavailable) assert.ok(isConnectionError(err), err.message);
  const bugs = [
    Object.assign(new Error("duplicate key value"), { code: "23505" }),
    Object.assign(new Error('relation "x" does not exist'), { code: "42P01" }),
    Object.assign(new Error("invalid byte sequence"), { code: "22021" }),
    new Error("Connection to the moon"),
    null,
    "ECONNREFUSED",
  ];
  for (const err of bugs) assert.not.ok(isConnectionError(err), String((err as Error)?.message ?? err));
});

test(`with PostgreSQL unreachable, pages and the device API answer 503 with Retry-After [${testBackend}]`, async () => {
  const lines: string[] = [];
  const db = openPgDb(`postgres://postgres@127.0.0.1:${await closedPort()}/formgate`);
  const services = createServices(
    db,
    new ManualClock(),
    testConfig(),
    createLogger("info", (l) => lines.push(l)),
    Buffer.from(TEST_SECRET_KEY, "base64"),
  );
  const app = createApp(services);
  try {
    const anon = new TestClient(app);
    assert.is((await anon.get("/login")).res.status, 200, "a page that needs no database still works");
    const login = await anon.post("/login", { username: "alice", password: "correct horse battery" });
    assert.is(login.res.status, 503);
    assert.is(login.res.headers.get("retry-after"), "5");
    assert.match(login.html, /<h1>Briefly unavailable<\/h1>/);
    assert.match(login.html, /The service is briefly unavailable/);
    const signedIn = await app.request("/configure/users", {
      headers: { cookie: `${SESSION_COOKIE}=${"a".repeat(43)}` },
    });
    assert.is(signedIn.status, 503);
    for (const [path, init] of [
      [
        "/api/device/login",
        { method: "POST", headers: { "content-type": "application/json" }, body: '{"username":"a","password":"b"}' },
      ],
      ["/api/device/me", { headers: { authorization: `Bearer ${"b".repeat(43)}` } }],
    ] as const) {
      const res = await app.request(path, init);
      assert.is(res.status, 503, path);
      assert.is(res.headers.get("retry-after"), "5");
      assert.equal(await res.json(), {
        error: {
          code: "service_unavailable",
          message: "The service is briefly unavailable. Try again in a few seconds.",
        },
      });
    }
    const health = await app.request("/healthz");
    assert.is(health.status, 503);
    assert.is(health.headers.get("retry-after"), "5");
    const outages = lines.filter((l) => JSON.parse(l).msg === "database unavailable");
    assert.is(outages.length, 4, "one line per failed request");
    assert.equal(JSON.parse(outages[0]!).reason, "ECONNREFUSED");
    assert.not.ok(
      lines.some((l) => /stack/.test(l)),
      "no stack in the log",
    );
    assert.not.ok(lines.some((l) => JSON.parse(l).status === 500));
  } finally {
    await db.close();
  }
});

test(`a failed purge of sessions and device tokens is logged, not swallowed [${testBackend}]`, async () => {
  const lines: string[] = [];
  const db = openPgDb(`postgres://postgres@127.0.0.1:${await closedPort()}/formgate`);
  const services = createServices(
    db,
    new ManualClock(),
    testConfig(),
    createLogger("info"),
    Buffer.from(TEST_SECRET_KEY, "base64"),
  );
  try {
    await purgeExpired(
      services,
      createLogger("info", (l) => lines.push(l)),
    );
    assert.is(lines.length, 1);
    assert.is(JSON.parse(lines[0]!).msg, "purge of expired sessions and device tokens failed");
  } finally {
    await db.close();
  }
});

test(`a stored password hash Argon2 cannot read counts as wrong and is logged [${testBackend}]`, async () => {
  const lines: string[] = [];
  assert.is(
    await verifyPassword(
      "$argon2id$broken",
      "pw",
      createLogger("info", (l) => lines.push(l)),
    ),
    false,
  );
  assert.is(lines.length, 1);
  assert.not.match(lines[0]!, /broken/, "never the hash");
  const env = await startTestEnv();
  try {
    const s = env.services;
    const user = await s.users.create({
      siteId: (await s.sites.publicSite()).id,
      username: "carol",
      password: "correct horse battery",
      role: "user",
    });
    await env.db.query("UPDATE users SET password_hash = '$argon2id$v=19$m=1,t=2,p=1$c2FsdA$QUFB' WHERE id = $1", [
      user.id,
    ]);
    const r = await new TestClient(env.app).signIn("carol", "correct horse battery");
    assert.is(r.res.status, 401);
    const logged = env.logLines.map((l) => JSON.parse(l)).filter((l) => /password hash cannot be verified/.test(l.msg));
    assert.is(logged.length, 1);
    assert.is(logged[0].userId, user.id);
    assert.not.match(JSON.stringify(logged[0]), /argon2id|correct horse/);
  } finally {
    await env.close();
  }
});

if (testBackend === "pg") {
  test("the pool fails a request after connectionTimeoutMillis instead of hanging", async () => {
    const database = await createDatabase();
    const db = openPgDb(database.url, undefined, 1, 300);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const holder = db.transaction(async () => held);
    try {
      const started = performance.now();
      await rejects(db.query("SELECT 1"), (err) => err instanceof DatabaseUnavailableError);
      assert.ok(performance.now() - started < 3000, "failed within the timeout, not hanging");
    } finally {
      release();
      await holder;
      await db.close();
      await database.drop();
    }
  });

  test("a client whose connection died in a transaction is destroyed, and the next query works", async () => {
    const database = await createDatabase();
    const db = openPgDb(database.url, undefined, 2);
    try {
      const err = await rejects(
        db.transaction(async (tx) => {
          const { rows } = await tx.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
          // Another connection ends this one, as an administrator or a failover would.
          await db.query("SELECT pg_terminate_backend($1)", [rows[0]!.pid]);
          await tx.query("SELECT 1");
        }),
      );
      assert.instance(err, DatabaseUnavailableError);
      assert.is(db.pool.totalCount, 1, "only the other, healthy client is left in the pool");
      const { rows } = await db.query<{ n: number }>("SELECT 1 AS n");
      assert.is(rows[0]!.n, 1);
    } finally {
      await db.close();
      await database.drop();
    }
  });

  test("sessions run in UTC whatever the database's time zone", async () => {
    const database = await createDatabase();
    const admin = openPgDb(database.url);
    await admin.query(`ALTER DATABASE ${database.name} SET timezone = 'America/New_York'`);
    await admin.close();
    const db = openPgDb(database.url);
    try {
      const { rows } = await db.query<{ tz: string }>("SELECT current_setting('TimeZone') AS tz");
      assert.is(rows[0]!.tz, "UTC");
      const tx = await db.transaction((t) => t.query<{ tz: string }>("SELECT current_setting('TimeZone') AS tz"));
      assert.is(tx.rows[0]!.tz, "UTC");
    } finally {
      await db.close();
      await database.drop();
    }
  });
}

test.run();
