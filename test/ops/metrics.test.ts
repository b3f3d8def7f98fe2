// @storage
import { randomBytes } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { appParams, codeAt } from "../helpers/totp.js";
import { api } from "../device/client.js";
import { parseExposition, valueOf, type Sample } from "./exposition.js";

// GET /metrics (issue 24): the token, the counters after scripted sign-ins, route templates in
// labels, and no label value that carries a username, an id or a query string.
const TOKEN = "metrics-token-0123456789abcdef";
const PASSWORD = "correct horse battery";
const ADMIN: MfaActor = { id: null, name: "test admin", siteId: null };
const t = suite<{ env: TestEnv; siteId: string }>(`metrics [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv({ METRICS_TOKEN: TOKEN });
  ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
});
t.after(async (ctx) => ctx.env.close());

async function scrape(env: TestEnv): Promise<{ text: string; samples: Sample[] }> {
  const res = await env.app.request("/metrics", { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.is(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return { text, samples: parseExposition(text) };
}

t("no token configured: 404; a wrong or missing token: 401", async ({ env }) => {
  const off = await startTestEnv();
  try {
    assert.is((await off.app.request("/metrics", { headers: { authorization: `Bearer ${TOKEN}` } })).status, 404);
  } finally {
    await off.close();
  }
  assert.is((await env.app.request("/metrics")).status, 401);
  const wrong = await env.app.request("/metrics", { headers: { authorization: `Bearer ${TOKEN}x` } });
  assert.is(wrong.status, 401);
  assert.not.match(await wrong.text(), /formgate_/);
  const basic = await env.app.request("/metrics", { headers: { authorization: `Basic ${TOKEN}` } });
  assert.is(basic.status, 401);
});

t("scripted sign-ins, good and bad codes, are counted exactly", async ({ env, siteId }) => {
  const before = (await scrape(env)).samples;
  const s = env.services;
  const alice = await s.users.create({ siteId, username: "alice-metrics", password: PASSWORD, deviceAccess: true });
  await s.mfa.settings.applySettings(alice.id, { enabled: true, enforcementDelayDays: 0 }, ADMIN);
  const p = appParams(randomBytes(20));
  assert.equal(await s.mfa.activation.activate(alice.id, { method: "app", ...p }, codeAt(env.clock, p), ADMIN), {
    ok: true,
  });
  env.clock.advanceSeconds(60);
  await s.users.create({ siteId, username: "bob-metrics", password: PASSWORD });

  // Web: bob signs in (no MFA), a wrong password, alice's password then a wrong code then the right one.
  assert.is((await new TestClient(env.app).signIn("bob-metrics", PASSWORD)).res.status, 303);
  assert.is((await new TestClient(env.app).signIn("bob-metrics", "wrong password!")).res.status, 401);
  const web = new TestClient(env.app);
  assert.is((await web.signIn("alice-metrics", PASSWORD)).res.headers.get("location"), "/login/mfa");
  assert.is((await web.post("/login/mfa", { code: codeAt(env.clock, p, 3) })).res.status, 401);
  assert.is((await web.post("/login/mfa", { code: codeAt(env.clock, p) })).res.status, 303);
  env.clock.advanceSeconds(60);

  // Device: alice's password, then the right code.
  const login = await api(env.app, "POST", "/api/device/login", { username: "alice-metrics", password: PASSWORD });
  assert.is(login.json.status, "mfa_required");
  const mfa = await api(env.app, "POST", "/api/device/mfa", {
    challenge: login.json.challenge,
    code: codeAt(env.clock, p),
  });
  assert.is(mfa.status, 200, JSON.stringify(mfa.json));

  // Five wrong codes lock alice (the fifth sets the lock); a sixth finds her locked.
  for (let i = 0; i < 6; i++) await s.mfa.codes.verifyCode(alice.id, "000000");

  const after = (await scrape(env)).samples;
  const diff = (name: string, labels: Record<string, string> = {}) =>
    valueOf(after, name, labels) - valueOf(before, name, labels);
  assert.is(diff("formgate_sign_ins_total", { surface: "web", outcome: "success" }), 2);
  assert.is(diff("formgate_sign_ins_total", { surface: "web", outcome: "failure" }), 2);
  assert.is(diff("formgate_sign_ins_total", { surface: "web", outcome: "mfa_required" }), 1);
  assert.is(diff("formgate_sign_ins_total", { surface: "device", outcome: "mfa_required" }), 1);
  assert.is(diff("formgate_sign_ins_total", { surface: "device", outcome: "success" }), 1);
  assert.is(diff("formgate_mfa_codes_total", { result: "valid" }), 2);
  assert.is(diff("formgate_mfa_codes_total", { result: "invalid" }), 5);
  assert.is(diff("formgate_mfa_codes_total", { result: "locked" }), 2);
  assert.is(diff("formgate_mfa_locks_total"), 1);
  assert.is(
    diff("formgate_http_requests_total", { route: "/login", method: "POST", status: "303" }),
    2,
    "the two right passwords",
  );
  for (const g of ["connections", "idle_connections", "waiting_requests"]) {
    assert.ok(
      after.some((x) => x.name === `formgate_db_pool_${g}`),
      `formgate_db_pool_${g} is reported`,
    );
  }
  if (testBackend === "pglite") assert.is(valueOf(after, "formgate_db_pool_connections"), 1);
  assert.ok(
    after.some((x) => x.name === "formgate_process_cpu_user_seconds_total"),
    "process defaults",
  );
});

t(
  "a record page is counted under its route template; no label holds a name, an id or a query",
  async ({ env, siteId }) => {
    await env.services.users.create({ siteId, username: "zed-metrics-admin", password: PASSWORD, role: "admin" });
    const admin = new TestClient(env.app);
    assert.is((await admin.signIn("zed-metrics-admin", PASSWORD)).res.status, 303);
    const created = await admin.post("/apps/equipment-inspections/new", {
      equipment: "Compressor",
      serialNumber: "SN-METRICS-1",
      inspectedOn: "2026-01-02",
      result: "pass",
    });
    assert.is(created.res.status, 303, created.html.slice(0, 300));
    const list = await admin.get("/apps/equipment-inspections?q=SN-METRICS-1");
    const id = list.html.match(/href="\/apps\/equipment-inspections\/([0-9a-f-]{36})(?:\?list=[^"]*)?"/)?.[1];
    assert.ok(id);
    assert.is((await admin.get(`/apps/equipment-inspections/${id}?tab=1&who=zed-metrics-admin`)).res.status, 200);
    await admin.get("/no/such/page/zed-metrics-admin?q=secret");
    await env.app.request("/login", { method: "BREW" });

    const { samples } = await scrape(env);
    const routes = new Set(samples.filter((x) => x.name === "formgate_http_requests_total").map((x) => x.labels.route));
    assert.ok(routes.has("/apps/:appId/:recordId"), [...routes].join(" "));
    const usernames = (await env.db.query<{ username: string }>("SELECT username FROM users")).rows.map(
      (r) => r.username,
    );
    const ids = (await env.db.query<{ id: string }>("SELECT id::text FROM records UNION SELECT id::text FROM users"))
      .rows;
    assert.ok(usernames.length > 1 && ids.length > 1);
    for (const x of samples) {
      for (const [label, value] of Object.entries(x.labels)) {
        const where = `${x.name}{${label}="${value}"}`;
        assert.not.ok(/[?&#]/.test(value), `a query string in ${where}`);
        assert.not.ok(/[0-9a-f]{8}-[0-9a-f]{4}-/i.test(value), `an id in ${where}`);
        assert.not.ok(
          usernames.some((u) => value.includes(u)),
          `a username in ${where}`,
        );
        assert.not.ok(
          ids.some((r) => value.includes(r.id)),
          `an id in ${where}`,
        );
        if (label === "route") assert.ok(value.startsWith("/") && !value.includes("SN-"), where);
        if (label === "method") assert.ok(/^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|other)$/.test(value), where);
      }
    }
  },
);

t("/health/live and /health/ready answer 200 with the database up and migrated", async ({ env }) => {
  const live = await env.app.request("/health/live");
  assert.is(live.status, 200);
  const ready = await env.app.request("/health/ready");
  assert.is(ready.status, 200);
  assert.equal(await ready.json(), { status: "ready", database: testBackend });
});

t("/health/ready is 503 and says so while a migration is pending", async () => {
  const env = await startTestEnv();
  try {
    const [last] = (await env.db.query<{ id: string }>("SELECT max(id) AS id FROM schema_migrations")).rows;
    await env.db.query("DELETE FROM schema_migrations WHERE id = $1", [last!.id]);
    const res = await env.app.request("/health/ready");
    assert.is(res.status, 503);
    assert.equal(await res.json(), { status: "not ready", reason: "migrations pending", pending: 1 });
    assert.is((await env.app.request("/health/live")).status, 200);
  } finally {
    await env.close();
  }
});

t.run();
