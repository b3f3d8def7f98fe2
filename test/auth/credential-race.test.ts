// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ManualClock } from "../../engine/clock.js";
import type { Db } from "../../engine/db/db.js";
import { createLogger } from "../../engine/log.js";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import { createServices, type Services } from "../../engine/services.js";
import { createApp } from "../../engine/web/app.js";
import { TEST_SECRET_KEY, testConfig, TestClient } from "../helpers/app.js";
import { openTestDb, testBackend } from "../helpers/db.js";
import { api } from "../device/client.js";

// Issue 20, faults 1 and 2: a credential change committed while password steps were in flight (the
// password checked, the session or token not yet inserted) let those steps keep their web session or
// device token (26 survived in 4 trials), and a sign-in racing a deletion was a 500 (a foreign-key
// violation). Here a barrier in the database stops every sign-in right before its INSERT; the change
// commits; the barrier opens. Every credential change (engine/auth/revocation.ts) bumps the user's
// credential epoch, and every insert checks the epoch read with the password (credential-gate.ts).
const PASSWORD = "correct horse battery";
const ROOT: MfaActor = { id: null, name: "test admin", siteId: null };
/** Sign-ins in flight per trial, half on the web and half on the device API. */
const IN_FLIGHT = 4;
const REPEATS = 20;

/** Holds every statement that inserts a credential until open() — the test's barrier. */
class InsertBarrier {
  #armed = 0;
  #arrived = 0;
  #onArrive: (() => void) | null = null;
  #open: Promise<void> = Promise.resolve();
  #release: () => void = () => {};

  /** The next `n` credential inserts wait; resolves when all `n` are waiting. */
  arm(n: number): Promise<void> {
    this.#armed = n;
    this.#arrived = 0;
    this.#open = new Promise((r) => (this.#release = r));
    return new Promise((r) => (this.#onArrive = r));
  }

  open(): void {
    this.#armed = 0;
    this.#release();
  }

  async pass(sql: string): Promise<void> {
    if (!this.#armed || !/INSERT INTO (sessions|device_tokens|device_challenges)\b/.test(sql)) return;
    if (++this.#arrived === this.#armed) this.#onArrive?.();
    await this.#open;
  }
}

function withBarrier(db: Db, barrier: InsertBarrier): Db {
  const wrap = (inner: Db): Db => ({
    backend: inner.backend,
    exec: (sql) => inner.exec(sql),
    close: () => inner.close(),
    async query(sql, params) {
      await barrier.pass(sql);
      return inner.query(sql, params);
    },
    transaction: (fn) => inner.transaction((tx) => fn(wrap(tx))),
  });
  return wrap(db);
}

interface Ctx {
  db: Db;
  s: Services;
  app: ReturnType<typeof createApp>;
  barrier: InsertBarrier;
  siteId: string;
  admin: TestClient;
}
const t = suite<Ctx>(`a credential change wins the race with sign-ins in flight [${testBackend}]`);

t.before(async (ctx) => {
  ctx.db = await openTestDb();
  ctx.barrier = new InsertBarrier();
  const clock = new ManualClock();
  const log = createLogger("error", () => {});
  ctx.s = createServices(
    withBarrier(ctx.db, ctx.barrier),
    clock,
    testConfig(),
    log,
    Buffer.from(TEST_SECRET_KEY, "base64"),
  );
  ctx.app = createApp(ctx.s);
  ctx.siteId = (await ctx.s.sites.publicSite()).id;
  await ctx.s.users.create({ siteId: ctx.siteId, username: "root", password: PASSWORD, role: "admin" });
  ctx.admin = new TestClient(ctx.app);
  assert.is((await ctx.admin.signIn("root", PASSWORD)).res.status, 303);
});
t.after(async (ctx) => ctx.db.close());

let n = 0;

/** Saves the user in Configure > Users as an administrator does, with `changes` over the current values. */
async function adminSave(ctx: Ctx, id: string, username: string, changes: Record<string, string | null>) {
  const { rows } = await ctx.db.query<{ version: number }>("SELECT version FROM users WHERE id = $1", [id]);
  const status = await ctx.s.mfa.statusOf(id);
  const fields: Record<string, string | null> = {
    _version: String(rows[0]!.version),
    username,
    displayName: username,
    email: `${username}@example.org`,
    password: "",
    role: "user",
    webAccess: "true",
    deviceAccess: "true",
    mfaEnabled: status.enabled ? "true" : null,
    mfaEnforcementDelayDays: String(status.enforcementDelayDays),
    ...changes,
  };
  const sent = Object.fromEntries(Object.entries(fields).filter((e): e is [string, string] => e[1] !== null));
  const r = await ctx.admin.post(`/configure/users/${id}`, sent);
  assert.is(r.res.status, 303, r.html.slice(0, 300));
}

/** Each kind of credential change, made while the sign-ins wait at the barrier. */
const CHANGES: Record<
  string,
  { mfaOn?: boolean; change: (ctx: Ctx, id: string, username: string) => Promise<unknown> }
> = {
  "a new password": { change: (ctx, id) => ctx.s.users.setPassword(id, "another long password") },
  "MFA switched on": {
    change: (ctx, id) => ctx.s.mfa.settings.applySettings(id, { enabled: true, enforcementDelayDays: 0 }, ROOT),
  },
  "MFA reset": { mfaOn: true, change: (ctx, id) => ctx.s.mfa.settings.reset(id, ROOT) },
  "MFA switched off": {
    mfaOn: true,
    change: (ctx, id) => ctx.s.mfa.settings.applySettings(id, { enabled: false, enforcementDelayDays: 3 }, ROOT),
  },
  "the account disabled": { change: (ctx, id, username) => adminSave(ctx, id, username, { disabled: "true" }) },
  "device access removed": { change: (ctx, id, username) => adminSave(ctx, id, username, { deviceAccess: null }) },
  "the account deleted": {
    change: async (ctx, id) => {
      const { rows } = await ctx.db.query<{ version: number }>("SELECT version FROM users WHERE id = $1", [id]);
      const r = await ctx.admin.post(`/configure/users/${id}/delete`, {
        _version: String(rows[0]!.version),
        confirm: "yes",
      });
      assert.is(r.res.status, 303);
    },
  },
};

/** Credentials of `id` whose epoch is the user's: the ones that would still sign in. */
async function liveRows(db: Db, id: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id
              WHERE u.id = $1 AND s.credential_epoch = u.credential_epoch)
          + (SELECT count(*) FROM device_tokens d JOIN users u ON u.id = d.user_id
              WHERE u.id = $1 AND d.credential_epoch = u.credential_epoch)
          + (SELECT count(*) FROM device_challenges c JOIN users u ON u.id = c.user_id
              WHERE u.id = $1 AND c.credential_epoch = u.credential_epoch) AS n`,
    [id],
  );
  return Number(rows[0]!.n);
}

/**
 * One trial: IN_FLIGHT sign-ins pass the password check and wait before their INSERT; `change`
 * commits; the barrier opens. With `inFlight`, the barrier opens inside the change's transaction
 * instead, and (on PostgreSQL) the change commits only once every insert waits for its lock.
 */
async function trial(ctx: Ctx, kind: string, inFlight = false): Promise<{ statuses: number[]; survivors: number }> {
  const { change, mfaOn } = CHANGES[kind]!;
  const username = `racer${++n}`;
  const { id } = await ctx.s.users.create({
    siteId: ctx.siteId,
    username,
    password: PASSWORD,
    webAccess: true,
    deviceAccess: true,
  });
  // Pending MFA: a sign-in ends half-signed-in (a session at mfa_setup, a setup challenge).
  if (mfaOn) await ctx.s.mfa.settings.applySettings(id, { enabled: true, enforcementDelayDays: 0 }, ROOT);
  const browsers = await Promise.all(
    Array.from({ length: IN_FLIGHT / 2 }, async () => {
      const b = new TestClient(ctx.app);
      await b.get("/login");
      return b;
    }),
  );
  const allWaiting = ctx.barrier.arm(IN_FLIGHT);
  const web = browsers.map(async (b) => {
    const { res } = await b.post("/login", { username, password: PASSWORD });
    // A credential that came out of it is used at once: it must not sign in.
    const alive = res.status === 303 && (await b.get("/")).res.status === 200;
    return { status: res.status, alive };
  });
  const device = Array.from({ length: IN_FLIGHT / 2 }, async () => {
    const r = await api(ctx.app, "POST", "/api/device/login", { username, password: PASSWORD });
    const alive =
      r.status === 200 &&
      r.json.token !== undefined &&
      (await api(ctx.app, "GET", "/api/device/me", undefined, { authorization: `Bearer ${r.json.token}` })).status ===
        200;
    return { status: r.status, alive: alive || (r.status === 200 && r.json.challenge !== undefined) };
  });
  await allWaiting;
  if (inFlight) {
    await ctx.db.transaction(async (tx) => {
      await tx.query("UPDATE users SET password_hash = $2 WHERE id = $1", [id, "$argon2id$v=19$m=19456,t=2,p=1$x$y"]);
      await ctx.s.revocation.revoke(id, "password_changed", tx);
      ctx.barrier.open();
      if (ctx.db.backend === "pg") await lockWaiters(ctx.db, IN_FLIGHT);
    });
  } else {
    await change(ctx, id, username);
    ctx.barrier.open();
  }
  const results = await Promise.all([...web, ...device]);
  const survivors = results.filter((r) => r.alive).length + (await liveRows(ctx.db, id));
  return { statuses: results.map((r) => r.status), survivors };
}

/** Resolves once `n` statements of this database wait for a row lock (PostgreSQL). */
async function lockWaiters(db: Db, n: number): Promise<void> {
  for (;;) {
    const { rows } = await db.query<{ n: number }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
    );
    if (Number(rows[0]!.n) >= n) return;
    await new Promise((r) => setImmediate(r));
  }
}

t(
  `a password change still in its transaction while ${IN_FLIGHT} inserts run: they wait for it and get nothing`,
  async (ctx) => {
    let survivors = 0;
    const seen = new Set<number>();
    for (let i = 0; i < REPEATS; i++) {
      const r = await trial(ctx, "a new password", true);
      survivors += r.survivors;
      for (const s of r.statuses) seen.add(s);
    }
    assert.is(survivors, 0);
    assert.equal([...seen], [401]);
  },
);

for (const kind of Object.keys(CHANGES)) {
  t(`${kind}: ${IN_FLIGHT} password steps in flight, ${REPEATS} times → 0 survivors, no 5xx`, async (ctx) => {
    let survivors = 0;
    const seen = new Map<number, number>();
    for (let i = 0; i < REPEATS; i++) {
      const r = await trial(ctx, kind);
      survivors += r.survivors;
      for (const s of r.statuses) seen.set(s, (seen.get(s) ?? 0) + 1);
    }
    assert.is(survivors, 0, `survivors after ${kind}`);
    // Every one of them is an ordinary refusal: the web's and the device API's 401.
    assert.equal([...seen.keys()], [401], `statuses ${JSON.stringify([...seen])}`);
  });
}

t("without a change, the same sign-ins all succeed (the barrier itself takes nothing away)", async (ctx) => {
  const username = `calm${++n}`;
  await ctx.s.users.create({ siteId: ctx.siteId, username, password: PASSWORD, webAccess: true, deviceAccess: true });
  const b = new TestClient(ctx.app);
  await b.get("/login");
  const allWaiting = ctx.barrier.arm(2);
  const web = b.post("/login", { username, password: PASSWORD });
  const device = api(ctx.app, "POST", "/api/device/login", { username, password: PASSWORD });
  await allWaiting;
  ctx.barrier.open();
  assert.is((await web).res.status, 303);
  assert.is((await b.get("/")).res.status, 200);
  const d = await device;
  assert.is(d.status, 200);
  assert.is(
    (await api(ctx.app, "GET", "/api/device/me", undefined, { authorization: `Bearer ${d.json.token}` })).status,
    200,
  );
});

t.run();
