// @storage
import { randomBytes } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { api, assertError, assertSchema, bearer, callAs, codeFor, type DeviceAppsCtx, freshRecords } from "./client.js";

const APP = "equipment-inspections";
const BASE = `/api/device/apps/${APP}`;
const PASSWORD = "correct horse battery";
const ADMIN = { id: null, name: "test", siteId: null };
const inspection = (n: number, extra: Record<string, unknown> = {}) => ({
  equipment: `Compressor ${n}`,
  serialNumber: `SN-${n}`,
  inspectedOn: "2026-01-02",
  result: "pass",
  ...extra,
});

interface Ctx extends DeviceAppsCtx {
  siteId: string;
  otherSiteId: string;
}
const t = suite<Ctx>(`device API apps and records [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  const s = ctx.env.services;
  ctx.siteId = (await s.sites.publicSite()).id;
  ctx.otherSiteId = (await s.sites.create("north", "North")).id;
  ctx.tokens = {};
  const make = async (username: string, role: "admin" | "designer" | "user", siteId = ctx.siteId) => {
    const u = await s.users.create({ siteId, username, password: PASSWORD, role, deviceAccess: true });
    ctx.tokens[username] = (await s.deviceTokens.issue(u.id, null)).token;
    return u;
  };
  await make("ada", "admin");
  await make("uma", "user");
  await make("nora", "admin", ctx.otherSiteId);
});
t.after(async (ctx) => ctx.env.close());
t.before.each(freshRecords);

const call = callAs;

t("GET apps lists what the role may open; GET app gives the published definition", async (ctx) => {
  const r = await call(ctx, "uma", "GET", "/api/device/apps");
  assert.is(r.status, 200);
  assertSchema("app-list", r.json);
  assert.equal(
    r.json.apps.map((a: { id: string }) => a.id),
    [APP],
    "a user does not see User Account Management",
  );
  const admin = await call(ctx, "ada", "GET", "/api/device/apps");
  assert.ok(admin.json.apps.some((a: { id: string }) => a.id === "user-accounts"));
  const def = await call(ctx, "uma", "GET", BASE);
  assert.is(def.status, 200);
  assertSchema("app-definition", def.json);
  assert.is(def.json.version, 0);
  assert.is(def.json.schema.properties.result["x-widget"], "radio", "engine x- keywords are kept");
  assert.is(def.json.list.sort, "-inspectedOn");
  assert.is(def.json.writable, false);
  assert.is((await call(ctx, "ada", "GET", BASE)).json.writable, true);
  assertError(await call(ctx, "uma", "GET", "/api/device/apps/user-accounts"), 403, "forbidden");
  assertError(await call(ctx, "uma", "GET", "/api/device/apps/no-such-app"), 404, "not_found");
  assertError(await api(ctx.env.app, "GET", "/api/device/apps"), 401, "invalid_token");
});

t("an unpublished draft never leaks", async (ctx) => {
  const s = ctx.env.services;
  const app = (await s.apps.get(ctx.siteId, APP))!;
  const draft = structuredClone(app.definition);
  draft.title = "Draft title";
  await s.drafts.save(ctx.siteId, draft, 0, { id: null, name: "designer" });
  const def = await call(ctx, "ada", "GET", BASE);
  assert.is(def.json.title, app.title);
  const list = await call(ctx, "ada", "GET", "/api/device/apps");
  assert.not.ok(JSON.stringify(list.json).includes("Draft title"));
  await s.drafts.discard(ctx.siteId, APP);
});

t("create, read, list, update, conflict, validation and delete follow the web's rules", async (ctx) => {
  const created = await call(ctx, "ada", "POST", `${BASE}/records`, { data: inspection(1) });
  assert.is(created.status, 201, JSON.stringify(created.json));
  assertSchema("record", created.json);
  assert.is(created.json.version, 1);
  const id = created.json.id;
  const got = await call(ctx, "uma", "GET", `${BASE}/records/${id}`);
  assert.equal(got.json, created.json);
  // A user may read, not write (the web's rule: administrators change records).
  assertError(await call(ctx, "uma", "POST", `${BASE}/records`, { data: inspection(2) }), 403, "forbidden");
  assertError(await call(ctx, "uma", "PATCH", `${BASE}/records/${id}`, { version: 1, data: {} }), 403, "forbidden");
  assertError(await call(ctx, "uma", "DELETE", `${BASE}/records/${id}`), 403, "forbidden");

  // 422 with the web's message per field, by JSON Pointer; nothing is saved.
  const bad = await call(ctx, "ada", "POST", `${BASE}/records`, {
    data: inspection(3, { serialNumber: "lower case", hoursInUse: -1, nope: 1 }),
  });
  assertError(bad, 422, "validation_failed");
  assert.match(bad.json.error.fields["/data/serialNumber"], /^Serial number /);
  assert.ok(bad.json.error.fields["/data/nope"]);
  const worse = await call(ctx, "ada", "POST", `${BASE}/records`, { data: inspection(3, { hoursInUse: -1 }) });
  assert.is(worse.json.error.fields["/data/hoursInUse"], "Hours in use must be at least 0.");
  const missing = await call(ctx, "ada", "POST", `${BASE}/records`, { data: { equipment: "x" } });
  assert.is(missing.json.error.fields["/data/result"], "Result is required.");
  const nul = await call(ctx, "ada", "POST", `${BASE}/records`, { data: inspection(3, { equipment: "a\u0000b" }) });
  assertError(nul, 422, "validation_failed");
  // Other control characters as on the web: per field; tab and line breaks only in long text.
  const control = await call(ctx, "ada", "POST", `${BASE}/records`, {
    data: inspection(3, { equipment: "a\u0001b", location: "Yard", result: "fail", failureReason: "x\u007f\u0002" }),
  });
  assertError(control, 422, "validation_failed");
  assert.equal(control.json.error.fields, {
    "/data/equipment": "Equipment contains a control character (U+0001): remove it.",
    "/data/failureReason": "Reason for failure contains a control character (U+0002): remove it.",
  });
  const newline = await call(ctx, "ada", "POST", `${BASE}/records`, { data: inspection(3, { equipment: "a\nb" }) });
  assertError(newline, 422, "validation_failed");
  assert.is(
    newline.json.error.fields["/data/equipment"],
    "Equipment is a single line: remove the line break (U+000A).",
  );
  const huge = await call(ctx, "ada", "POST", `${BASE}/records`, { data: inspection(3, { hoursInUse: 2 ** 53 + 1 }) });
  assert.is(huge.json.error.fields["/data/hoursInUse"], "Hours in use must be at most 1000000.");
  assert.is((await ctx.env.db.query("SELECT 1 FROM records")).rowCount, 1);

  // PATCH merges, validates the result, bumps the version; the revision says it came from a device.
  const patched = await call(ctx, "ada", "PATCH", `${BASE}/records/${id}`, {
    version: 1,
    data: { result: "fail", failureReason: "Leaks", location: "Yard" },
  });
  assert.is(patched.status, 200, JSON.stringify(patched.json));
  assert.is(patched.json.version, 2);
  assert.is(patched.json.data.equipment, "Compressor 1");
  assert.is(patched.json.data.failureReason, "Leaks");
  const { rows } = await ctx.env.db.query<{ surface: string; actor_name: string }>(
    "SELECT surface, actor_name FROM record_revisions WHERE record_id = $1 ORDER BY version",
    [id],
  );
  assert.equal(
    rows.map((r) => `${r.surface}:${r.actor_name}`),
    ["device:ada", "device:ada"],
  );
  // null clears a field: a required one cannot be cleared.
  const cleared = await call(ctx, "ada", "PATCH", `${BASE}/records/${id}`, {
    version: 2,
    data: { equipment: null },
  });
  assertError(cleared, 422, "validation_failed");
  assert.is(cleared.json.error.fields["/data/equipment"], "Equipment is required.");
  const ok = await call(ctx, "ada", "PATCH", `${BASE}/records/${id}`, {
    version: 2,
    data: { result: "pass", failureReason: null },
  });
  assert.is(ok.json.version, 3);
  assert.is(ok.json.data.failureReason, undefined);

  // A stale version: 409 naming the fields the other save changed, with the record as saved.
  const stale = await call(ctx, "ada", "PATCH", `${BASE}/records/${id}`, { version: 2, data: { equipment: "Mine" } });
  assertError(stale, 409, "conflict");
  assert.equal(stale.json.error.changed, ["result", "failureReason"]);
  assert.is(stale.json.error.current.version, 3);
  assert.is(
    (await ctx.env.db.query<{ v: number }>("SELECT version AS v FROM records WHERE id = $1", [id])).rows[0]!.v,
    3,
  );

  // Lists: search, sort, keyset pages with limit.
  for (let n = 10; n < 15; n++) await call(ctx, "ada", "POST", `${BASE}/records`, { data: inspection(n) });
  const page1 = await call(ctx, "uma", "GET", `${BASE}/records?sort=serialNumber&limit=4`);
  assertSchema("record-page", page1.json);
  assert.equal(
    page1.json.records.map((r: { data: { serialNumber: string } }) => r.data.serialNumber),
    ["SN-1", "SN-10", "SN-11", "SN-12"],
  );
  const page2 = await call(ctx, "uma", "GET", `${BASE}/records?sort=serialNumber&limit=4&after=${page1.json.next}`);
  assert.equal(
    page2.json.records.map((r: { data: { serialNumber: string } }) => r.data.serialNumber),
    ["SN-13", "SN-14"],
  );
  assert.is(page2.json.next, null);
  const found = await call(ctx, "uma", "GET", `${BASE}/records?q=compressor%2012`);
  assert.is(found.json.records.length, 1);
  assertError(await call(ctx, "uma", "GET", `${BASE}/records?limit=201`), 422, "validation_failed");
  assertError(await call(ctx, "uma", "GET", `${BASE}/records?sort=nope`), 422, "validation_failed");
  assertError(await call(ctx, "uma", "GET", `${BASE}/records?after=garbage`), 422, "validation_failed");

  // Delete: a stale version is a conflict; then it goes.
  assertError(await call(ctx, "ada", "DELETE", `${BASE}/records/${id}?version=1`), 409, "conflict");
  assert.is((await call(ctx, "ada", "DELETE", `${BASE}/records/${id}?version=3`)).status, 204);
  assertError(await call(ctx, "ada", "GET", `${BASE}/records/${id}`), 404, "not_found");
  assertError(await call(ctx, "ada", "PUT", `${BASE}/records/${id}`), 405, "method_not_allowed");
});

t("an Idempotency-Key makes a retried create answer with the first record", async (ctx) => {
  const key = { "idempotency-key": "4f6c2a1e-retry-1" };
  const first = await call(ctx, "ada", "POST", `${BASE}/records`, { data: inspection(7) }, key);
  assert.is(first.status, 201);
  const again = await call(ctx, "ada", "POST", `${BASE}/records`, { data: inspection(7) }, key);
  assert.is(again.status, 200);
  assert.is(again.headers.get("idempotent-replayed"), "true");
  assert.is(again.json.id, first.json.id);
  // Concurrent retries make one record too.
  const k2 = { "idempotency-key": "concurrent" };
  const both = await Promise.all([
    call(ctx, "ada", "POST", `${BASE}/records`, { data: inspection(8) }, k2),
    call(ctx, "ada", "POST", `${BASE}/records`, { data: inspection(8) }, k2),
  ]);
  assert.equal(both.map((r) => r.status).sort(), [200, 201]);
  assert.is(both[0].json.id, both[1].json.id);
  assert.is((await ctx.env.db.query("SELECT 1 FROM records")).rowCount, 2);
  assertError(
    await call(ctx, "ada", "POST", `${BASE}/records`, { data: inspection(9) }, key),
    409,
    "idempotency_key_reused",
  );
  assertError(
    await call(ctx, "ada", "POST", `${BASE}/records`, { data: inspection(9) }, { "idempotency-key": "a b" }),
    422,
    "validation_failed",
  );
});

t("another site's app and record are a 404; User Account Management is not writable", async (ctx) => {
  const mine = await call(ctx, "ada", "POST", `${BASE}/records`, { data: inspection(1) });
  assertError(await call(ctx, "nora", "GET", `${BASE}/records/${mine.json.id}`), 404, "not_found");
  assertError(
    await call(ctx, "nora", "PATCH", `${BASE}/records/${mine.json.id}`, { version: 1, data: {} }),
    404,
    "not_found",
  );
  assertError(await call(ctx, "nora", "DELETE", `${BASE}/records/${mine.json.id}`), 404, "not_found");
  const theirs = await call(ctx, "nora", "GET", `${BASE}/records?changedSince=0`);
  assert.equal(theirs.json.records, []);
  const users = "/api/device/apps/user-accounts/records";
  assert.is((await call(ctx, "ada", "GET", users)).status, 200);
  assertError(await call(ctx, "ada", "POST", users, { data: { username: "x" } }), 403, "forbidden");
});

t("changedSince returns changes and deletions since the cursor; an old cursor is 410", async (ctx) => {
  const start = await call(ctx, "uma", "GET", `${BASE}/records?changedSince=0`);
  assertSchema("record-changes", start.json);
  const a = (await call(ctx, "ada", "POST", `${BASE}/records`, { data: inspection(1) })).json;
  const b = (await call(ctx, "ada", "POST", `${BASE}/records`, { data: inspection(2) })).json;
  const c = (await call(ctx, "ada", "POST", `${BASE}/records`, { data: inspection(3) })).json;
  // Paging through a full load two at a time.
  const p1 = await call(ctx, "uma", "GET", `${BASE}/records?changedSince=0&limit=2`);
  assert.equal(
    p1.json.records.map((r: { id: string }) => r.id),
    [a.id, b.id],
  );
  const p2 = await call(ctx, "uma", "GET", `${BASE}/records?changedSince=${p1.json.cursor}&limit=2`);
  assert.equal(
    p2.json.records.map((r: { id: string }) => r.id),
    [c.id],
  );
  await call(ctx, "ada", "PATCH", `${BASE}/records/${a.id}`, { version: 1, data: { location: "Yard" } });
  await call(ctx, "ada", "DELETE", `${BASE}/records/${b.id}`);
  const p3 = await call(ctx, "uma", "GET", `${BASE}/records?changedSince=${p2.json.cursor}`);
  assertSchema("record-changes", p3.json);
  assert.equal(
    p3.json.records.map((r: { id: string; version: number }) => `${r.id}@${r.version}`),
    [`${a.id}@2`],
  );
  assert.equal(p3.json.deleted, [b.id]);
  const p4 = await call(ctx, "uma", "GET", `${BASE}/records?changedSince=${p3.json.cursor}`);
  assert.equal([p4.json.records, p4.json.deleted], [[], []]);
  assert.is(p4.json.cursor.split(".")[0], p3.json.cursor.split(".")[0]);
  // Past the kept tombstones: 410, and a full load works.
  ctx.env.clock.advanceDays(31);
  const uma = (await ctx.env.db.query<{ id: string }>("SELECT id FROM users WHERE username = 'uma'")).rows[0]!.id;
  ctx.tokens.uma = (await ctx.env.services.deviceTokens.issue(uma, null)).token;
  assertError(await call(ctx, "uma", "GET", `${BASE}/records?changedSince=${p4.json.cursor}`), 410, "cursor_expired");
  assert.is((await call(ctx, "uma", "GET", `${BASE}/records?changedSince=0`)).json.records.length, 2);
  assertError(await call(ctx, "uma", "GET", `${BASE}/records?changedSince=abc`), 422, "validation_failed");
  assertError(
    await call(
      ctx,
      "uma",
      "GET",
      `${BASE}/records?changedSince=99999.${Math.floor(ctx.env.clock.now().getTime() / 1000)}`,
    ),
    422,
    "validation_failed",
  );
  assertError(await call(ctx, "uma", "GET", `${BASE}/records?changedSince=0&q=x`), 422, "validation_failed");
});

t("a token got without a code reads no record of a user whose MFA is on", async (ctx) => {
  const s = ctx.env.services;
  const u = await s.users.create({
    siteId: ctx.siteId,
    username: "pat",
    password: PASSWORD,
    role: "admin",
    deviceAccess: true,
  });
  await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 7 }, ADMIN);
  // "Remind me later" on the device: a token without a code while setup may still be put off.
  const login = await api(ctx.env.app, "POST", "/api/device/login", { username: "pat", password: PASSWORD });
  assert.is(login.json.status, "mfa_setup_required");
  const later = await api(ctx.env.app, "POST", "/api/device/mfa/setup", {
    challenge: login.json.challenge,
    method: "later",
  });
  const token = later.json.token;
  assert.is((await api(ctx.env.app, "GET", "/api/device/me", undefined, bearer(token))).status, 200);
  for (const path of ["/api/device/apps", BASE, `${BASE}/records`, `${BASE}/records?changedSince=0`]) {
    assertError(await api(ctx.env.app, "GET", path, undefined, bearer(token)), 403, "mfa_setup_required");
  }
  // Set up with a code: that token reads records.
  const secret = randomBytes(20);
  const app = { method: "app" as const, secret, algorithm: "SHA1" as const, digits: 6 as const, periodInSeconds: 30 };
  assert.ok((await s.mfa.activation.activate(u.id, app, codeFor(secret, ctx.env.clock), ADMIN)).ok);
  assertError(await api(ctx.env.app, "GET", "/api/device/apps", undefined, bearer(token)), 401, "invalid_token");
  ctx.env.clock.advanceSeconds(30);
  const again = await api(ctx.env.app, "POST", "/api/device/login", { username: "pat", password: PASSWORD });
  const withCode = await api(ctx.env.app, "POST", "/api/device/mfa", {
    challenge: again.json.challenge,
    code: codeFor(secret, ctx.env.clock),
  });
  assert.is((await api(ctx.env.app, "GET", `${BASE}/records`, undefined, bearer(withCode.json.token))).status, 200);
});

t.run();
