// @storage
// Issue 25, audit of sign-ins: password and code outcomes (success, failure, lock) with the client
// address (TRUST_PROXY: the proxy's X-Forwarded-For entry) and the surface (web, device API);
// "remind me later"; failures recorded per burst so a flood stays bounded; never a password or code.
import { randomBytes } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { appParams, codeAt } from "../helpers/totp.js";
import { api } from "../device/client.js";

const PASSWORD = "correct horse battery";
const WRONG = "wrong horse battery";
const ADMIN: MfaActor = { id: null, name: "test admin", siteId: null };
const t = suite<{ env: TestEnv; siteId: string }>(`sign-in audit [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv({ TRUST_PROXY: true });
  ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
});
t.after(async (ctx) => ctx.env.close());
t.before.each((ctx) => ctx.env.clock.advanceSeconds(3600));

interface Entry {
  action: string;
  actor_name: string;
  target_name: string | null;
  details: Record<string, unknown>;
}

async function entriesOf(env: TestEnv, username: string): Promise<Entry[]> {
  const { rows } = await env.db.query<Entry>(
    "SELECT action, actor_name, target_name, details FROM audit_log WHERE target_name = $1 AND action LIKE 'sign_in.%' OR (target_name = $1 AND action = 'mfa.postpone') ORDER BY id",
    [username],
  );
  return rows;
}

const from = (address: string) => ({ "x-forwarded-for": `198.51.100.9, ${address}` });
/** POST /api/device/login from `address` (behind the trusted proxy). */
const deviceLogin = (env: TestEnv, username: string, password: string, address: string) =>
  api(env.app, "POST", "/api/device/login", { username, password }, from(address));
/** POST /api/device/mfa/setup with `body` from `address`. */
const deviceSetup = (env: TestEnv, body: Record<string, unknown>, address: string) =>
  api(env.app, "POST", "/api/device/mfa/setup", body, from(address));
const brief = (e: Entry) =>
  `${e.action} ${typeof e.details.outcome === "string" ? e.details.outcome : ""} ${String(e.details.surface)} ${String(e.details.address)}`;

t("web: a failed and a successful password and code step, with client address and surface", async ({ env, siteId }) => {
  const s = env.services;
  const u = await s.users.create({ siteId, username: "Web.User", password: PASSWORD });
  await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, ADMIN);
  const p = appParams(randomBytes(20));
  await s.mfa.activation.activate(u.id, { method: "app", ...p }, codeAt(env.clock, p), ADMIN);
  env.clock.advanceSeconds(60);
  const c = new TestClient(env.app, from("203.0.113.5"));
  assert.is((await c.signIn("web.user", WRONG)).res.status, 401);
  assert.is((await c.signIn("web.user", PASSWORD)).res.headers.get("location"), "/login/mfa");
  await c.get("/login/mfa");
  assert.is((await c.post("/login/mfa", { code: codeAt(env.clock, p, 5) })).res.status, 401);
  assert.is((await c.post("/login/mfa", { code: codeAt(env.clock, p) })).res.status, 303);
  const got = (await entriesOf(env, "Web.User")).map(brief);
  assert.equal(got, [
    "sign_in.password failure web 203.0.113.5",
    "sign_in.password success web 203.0.113.5",
    "sign_in.code failure web 203.0.113.5",
    "sign_in.code success web 203.0.113.5",
  ]);
  const page = await (async () => {
    const admin = await s.users.create({ siteId, username: "auditor", password: PASSWORD, role: "admin" });
    const a = new TestClient(env.app, from("203.0.113.99"));
    await a.signIn(admin.username, PASSWORD);
    return (await a.get("/configure/audit?user=web.user")).html;
  })();
  assert.match(page, /Web\.User signed in with the password \(web, from 203\.0\.113\.5; code next\)/);
  assert.match(page, /Web\.User entered a wrong code \(web, from 203\.0\.113\.5;/);
  const logged = JSON.stringify(await env.db.query("SELECT details FROM audit_log"));
  assert.not.ok(logged.includes(WRONG) || logged.includes(PASSWORD), "no password in the audit log");
});

t("device API: a failed and a successful sign-in, with client address", async ({ env, siteId }) => {
  const s = env.services;
  await s.users.create({ siteId, username: "dev.user", password: PASSWORD, deviceAccess: true });
  const bad = await deviceLogin(env, "DEV.user", WRONG, "192.0.2.44");
  assert.is(bad.status, 401);
  const ok = await deviceLogin(env, "dev.user", PASSWORD, "192.0.2.44");
  assert.is(ok.json.status, "ok");
  assert.equal((await entriesOf(env, "dev.user")).map(brief), [
    "sign_in.password failure device 192.0.2.44",
    "sign_in.password success device 192.0.2.44",
  ]);
});

t(
  "a lock set by wrong codes names where the last one came from, on the web and on a device",
  async ({ env, siteId }) => {
    const s = env.services;
    const p = appParams(randomBytes(20));
    for (const [username, deviceAccess] of [
      ["lock.web", false],
      ["lock.dev", true],
    ] as const) {
      const u = await s.users.create({ siteId, username, password: PASSWORD, deviceAccess });
      await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, ADMIN);
      await s.mfa.activation.activate(u.id, { method: "app", ...p }, codeAt(env.clock, p), ADMIN);
    }
    env.clock.advanceSeconds(60);
    const wrong = () => codeAt(env.clock, p, 5);
    const c = new TestClient(env.app, from("203.0.113.21"));
    await c.signIn("lock.web", PASSWORD);
    await c.get("/login/mfa");
    for (let i = 0; i < 5; i++) assert.is((await c.post("/login/mfa", { code: wrong() })).res.status, 401);
    const login = await deviceLogin(env, "lock.dev", PASSWORD, "192.0.2.21");
    for (let i = 0; i < 5; i++) {
      const r = await api(
        env.app,
        "POST",
        "/api/device/mfa",
        { challenge: login.json.challenge, code: wrong() },
        from("192.0.2.21"),
      );
      assert.is(r.status, 401);
    }
    const { rows } = await env.db.query<{ target_name: string; details: Record<string, unknown> }>(
      "SELECT target_name, details FROM audit_log WHERE action = 'mfa.lock' AND target_name LIKE 'lock.%' ORDER BY id",
    );
    assert.equal(
      rows.map((r) => `${r.target_name} ${String(r.details.surface)} ${String(r.details.address)}`),
      ["lock.web web 203.0.113.21", "lock.dev device 192.0.2.21"],
    );
    const admin = await s.users.create({ siteId, username: "lock.auditor", password: PASSWORD, role: "admin" });
    const a = new TestClient(env.app, from("203.0.113.98"));
    await a.signIn(admin.username, PASSWORD);
    const page = (await a.get("/configure/audit?user=lock.dev")).html;
    // The place once, beside the words, as for every entry with a surface (the review found it twice).
    assert.match(
      page,
      /locked lock\.dev after 5 failed attempts<\/span><span class="audit-where"> \(device API, 192\.0\.2\.21\)<\/span>/,
    );
    const lockRow = /<tr data-action="mfa\.lock">[\s\S]*?<\/tr>/.exec(page)![0];
    assert.is(lockRow.match(/192\.0\.2\.21/g)?.length, 1, "the place once in the lock's row");
  },
);

t("a lock set by wrong codes while setting up MFA names the setup's place too", async ({ env, siteId }) => {
  const s = env.services;
  for (const username of ["setup.web", "setup.dev"]) {
    const u = await s.users.create({ siteId, username, password: PASSWORD, deviceAccess: true });
    await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, ADMIN);
  }
  const c = new TestClient(env.app, from("203.0.113.31"));
  assert.is((await c.signIn("setup.web", PASSWORD)).res.headers.get("location"), "/mfa/setup");
  await c.get("/mfa/setup/app");
  for (let i = 0; i < 5; i++) assert.is((await c.post("/mfa/setup/app", { code: "000000" })).res.status, 422);
  const login = await deviceLogin(env, "setup.dev", PASSWORD, "192.0.2.31");
  const started = await deviceSetup(env, { challenge: login.json.challenge, method: "app" }, "192.0.2.31");
  assert.is(started.json.status, "setup_started", JSON.stringify(started.json));
  for (let i = 0; i < 5; i++) {
    const body = { challenge: started.json.challenge, method: "app", code: "000000" };
    assert.is((await deviceSetup(env, body, "192.0.2.31")).status, 401);
  }
  const { rows } = await env.db.query<{ target_name: string; details: Record<string, unknown> }>(
    "SELECT target_name, details FROM audit_log WHERE action = 'mfa.lock' AND target_name LIKE 'setup.%' ORDER BY id",
  );
  assert.equal(
    rows.map((r) => `${r.target_name} ${String(r.details.surface)} ${String(r.details.address)}`),
    ["setup.web web 203.0.113.31", "setup.dev device 192.0.2.31"],
  );
});

t(
  "a flood of wrong passwords writes one failure per burst and each lock, nothing for unknown names",
  async ({ env, siteId }) => {
    const s = env.services;
    await s.users.create({ siteId, username: "flooded", password: PASSWORD, deviceAccess: true });
    const before = Number((await env.db.query<{ n: string }>("SELECT count(*) AS n FROM audit_log")).rows[0]!.n);
    const start = env.clock.now().getTime();
    let refused = 0;
    for (let i = 0; i < 40; i++) {
      // Different addresses, so the per-address lock does not stop the flood first; time moves past each lock.
      const r = await deviceLogin(env, "flooded", WRONG, `10.0.${i}.1`);
      if (r.status === 429) {
        refused++;
        env.clock.advanceSeconds(Number(r.headers.get("retry-after")));
      }
      await deviceLogin(env, `nobody${i}`, WRONG, `10.1.${i}.1`);
    }
    assert.ok(refused > 0, "the account was locked on the way");
    const entries = await entriesOf(env, "flooded");
    const failures = entries.filter((e) => e.details.outcome === "failure");
    const locks = entries.filter((e) => e.details.outcome === "locked");
    assert.ok(locks.length >= 2, `each lock is recorded (${locks.length})`);
    const bursts = Math.floor((env.clock.now().getTime() - start) / (15 * 60_000)) + 1;
    assert.ok(
      failures.length <= bursts,
      `at most one failure per 15 minutes (${failures.length} in ${bursts} windows)`,
    );
    assert.ok(entries.length < 40 / 3, `far fewer rows than attempts (${entries.length} for 40)`);
    const after = Number((await env.db.query<{ n: string }>("SELECT count(*) AS n FROM audit_log")).rows[0]!.n);
    assert.is(after - before, entries.length, "unknown usernames wrote nothing");
  },
);

t("remind me later is audited with surface and address, on the web and on a device", async ({ env, siteId }) => {
  const s = env.services;
  const u = await s.users.create({ siteId, username: "later.user", password: PASSWORD, deviceAccess: true });
  await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 7 }, ADMIN);
  const c = new TestClient(env.app, from("203.0.113.8"));
  assert.is((await c.signIn("later.user", PASSWORD)).res.headers.get("location"), "/mfa/setup");
  await c.get("/mfa/setup");
  assert.is((await c.post("/mfa/setup/later", {})).res.status, 303);
  const login = await deviceLogin(env, "later.user", PASSWORD, "192.0.2.8");
  assert.is(login.json.status, "mfa_setup_required");
  const later = await deviceSetup(env, { challenge: login.json.challenge, method: "later" }, "192.0.2.8");
  assert.is(later.json.status, "ok");
  const postponed = (await entriesOf(env, "later.user")).filter((e) => e.action === "mfa.postpone").map(brief);
  assert.equal(postponed, ["mfa.postpone  web 203.0.113.8", "mfa.postpone  device 192.0.2.8"]);
});

t(
  "the audit table: who and whom link to existing accounts, filters by role and surface, CSV with surface and address",
  async ({ env, siteId }) => {
    const s = env.services;
    await s.users.create({ siteId, username: "zoe.admin", password: PASSWORD, role: "admin" });
    const gone = await s.users.create({ siteId, username: "gone.user", password: PASSWORD, deviceAccess: true });
    await deviceLogin(env, "gone.user", WRONG, "192.0.2.77");
    await deviceLogin(env, "gone.user", PASSWORD, "192.0.2.77");
    await env.db.query("DELETE FROM users WHERE id = $1", [gone.id]);
    const admin = new TestClient(env.app, from("203.0.113.1"));
    await admin.signIn("zoe.admin", PASSWORD);
    const adminId = (await s.users.byUsername("zoe.admin"))!.id;
    const page = (await admin.get("/configure/audit?user=zoe.admin&role=actor&surface=web")).html;
    assert.match(page, /<th scope="col">Who<\/th>/);
    assert.match(page, new RegExp(`<a href="/configure/users/${adminId}">zoe\\.admin</a>`));
    const device = (await admin.get("/configure/audit?user=gone.user&surface=device")).html;
    const rows = [...device.matchAll(/<tr data-action="([^"]+)">/g)].map((m) => m[1]);
    assert.equal(rows, ["sign_in.password", "sign_in.password"], "a deleted user's sign-ins, found by username");
    assert.not.match(device, /href="\/configure\/users\/[^"]*">gone\.user/, "no link to a deleted account");
    assert.is((await admin.get("/configure/audit?surface=tablet")).res.status, 400);
    const res = await admin.request("/configure/audit/export.csv?user=gone.user&surface=device");
    const csv = Buffer.from(await res.arrayBuffer())
      .toString("utf8")
      .trimEnd()
      .split("\r\n");
    assert.is(csv[0], "\uFEFFtime,actor,action,user,entry,changes,surface,address");
    assert.is(csv.length, 3);
    assert.match(csv[1]!, /^[^,]+,gone\.user,sign_in\.password,gone\.user,.*,device,192\.0\.2\.77$/);
  },
);

t.run();
