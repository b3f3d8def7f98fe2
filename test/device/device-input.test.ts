// @storage
// The device API's input at its edges: deeply nested JSON refused at the boundary, hidden fields
// dropped as on the web, 422 fields named by JSON Pointer, the per-app OpenAPI true to what the app
// allows, query and version errors with fitting codes, and the Authorization scheme in any case.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { api, assertError, callAs, type DeviceAppsCtx, freshRecords } from "./client.js";

const APP = "equipment-inspections";
const BASE = `/api/device/apps/${APP}`;
const PASSWORD = "correct horse battery";
const METRICS_TOKEN = "metrics-token-for-the-test";
const inspection = (extra: Record<string, unknown> = {}) => ({
  equipment: "Air compressor",
  serialNumber: "AC-100",
  inspectedOn: "2026-03-01",
  result: "pass",
  ...extra,
});

type Ctx = DeviceAppsCtx;
const t = suite<Ctx>(`device API input [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv({ METRICS_TOKEN });
  const s = ctx.env.services;
  const siteId = (await s.sites.publicSite()).id;
  ctx.tokens = {};
  for (const [username, role] of [
    ["ada", "admin"],
    ["uma", "user"],
  ] as const) {
    const u = await s.users.create({ siteId, username, password: PASSWORD, role, deviceAccess: true });
    ctx.tokens[username] = (await s.deviceTokens.issue(u.id, null)).token;
  }
});
t.after(async (ctx) => ctx.env.close());
t.before.each(freshRecords);

const call = callAs;

const nested = (depth: number) => `{"data":{"equipment":"x","z":${"[".repeat(depth)}${"]".repeat(depth)}}}`;

t("a body nested 100,000 deep is a 400 at the boundary, for every role and every JSON route", async (ctx) => {
  for (const who of ["uma", "ada"]) {
    const r = await call(ctx, who, "POST", `${BASE}/records`, nested(100_000));
    assertError(r, 400, "malformed_json");
    assert.match(r.json.error.message, /nested more than 64 levels deep/);
  }
  const id = (await call(ctx, "ada", "POST", `${BASE}/records`, { data: inspection() })).json.id;
  const patch = `{"version":1,"data":{"z":${"[".repeat(100_000)}${"]".repeat(100_000)}}}`;
  assertError(await call(ctx, "ada", "PATCH", `${BASE}/records/${id}`, patch), 400, "malformed_json");
  const login = await api(
    ctx.env.app,
    "POST",
    "/api/device/login",
    `{"username":${"[".repeat(5000)}${"]".repeat(5000)}}`,
  );
  assertError(login, 400, "malformed_json");
  // An app's records nest a few levels: a real record with groups and rows is read as before.
  const ok = await call(ctx, "ada", "POST", `${BASE}/records`, {
    data: inspection({ site: { contact: "Kim" }, checklist: [{ item: "Valve", ok: true }] }),
  });
  assert.is(ok.status, 201, JSON.stringify(ok.json));
  assert.is((await ctx.env.db.query("SELECT 1 FROM records")).rowCount, 2);
});

t("a field x-visibleWhen hides is not stored by POST or PATCH, as on the web", async (ctx) => {
  const created = await call(ctx, "ada", "POST", `${BASE}/records`, {
    data: inspection({ failureReason: "should be dropped" }),
  });
  assert.is(created.status, 201, JSON.stringify(created.json));
  assert.is(created.json.data.failureReason, undefined);
  const id = created.json.id;
  // Turning it to fail: no stale reason comes back.
  const fail = await call(ctx, "ada", "PATCH", `${BASE}/records/${id}`, { version: 1, data: { result: "fail" } });
  assert.is(fail.status, 200, JSON.stringify(fail.json));
  assert.is(fail.json.data.failureReason, undefined);
  const failed = await call(ctx, "ada", "PATCH", `${BASE}/records/${id}`, {
    version: 2,
    data: { failureReason: "Leaks" },
  });
  assert.is(failed.json.data.failureReason, "Leaks");
  // A change that hides it drops it, though the patch did not mention it.
  const passed = await call(ctx, "ada", "PATCH", `${BASE}/records/${id}`, { version: 3, data: { result: "pass" } });
  assert.is(passed.status, 200, JSON.stringify(passed.json));
  assert.is(passed.json.data.failureReason, undefined);
  const stored = await ctx.env.db.query<{ data: Record<string, unknown> }>("SELECT data FROM records WHERE id = $1", [
    id,
  ]);
  assert.not.ok("failureReason" in stored.rows[0]!.data);
});

t("422 names every field by JSON Pointer, nested, escaped, and never echoes a key it cannot store", async (ctx) => {
  const fields = async (body: unknown) => {
    const r = await call(ctx, "ada", "POST", `${BASE}/records`, body);
    assertError(r, 422, "validation_failed");
    return r.json.error.fields as Record<string, string>;
  };
  assert.equal(Object.keys(await fields({ data: inspection({ equipment: "a\u0000b" }) })), ["/data/equipment"]);
  assert.equal(Object.keys(await fields({ data: inspection({ checklist: [{ item: "a\ud800" }] }) })), [
    "/data/checklist/0/item",
  ]);
  const badKey = await fields(JSON.parse(`{"data": {"site": {"na\\u0000me": 1}}}`));
  assert.equal(Object.keys(badKey), ["/data/site"]);
  assert.not.ok(JSON.stringify(badKey).includes("\ufffd"));
  assert.equal(await fields({}), { "/data": "is required" });
  assert.equal(await fields({ data: inspection(), "a/b~c": 1 }), { "/a~1b~0c": "is not a known property" });
  assert.equal(await fields({ data: [] }), { "/data": "must be an object" });
  assert.equal(await fields({ data: inspection({ site: { extra: 1 } }) }), {
    "/data/site/extra": "is not a field of this app",
  });
  assert.equal(await fields({ data: inspection({ "we/ird~": 1 }) }), {
    "/data/we~1ird~0": "is not a field of this app",
  });
  assert.equal(
    await fields(JSON.parse(`{"data": ${JSON.stringify(inspection())}, "x": 0}`.replace('"x"', '"__proto__"'))),
    {
      "/__proto__": "is not a known property",
    },
  );
  const proto = JSON.parse(`{"data": {"equipment": "x", "__proto__": {"polluted": 1}}}`) as unknown;
  assert.equal((await fields(proto))["/data/__proto__"], "is not a field of this app");
  const nestedProto = JSON.parse(`{"data": {"site": {"__proto__": 1}}}`) as unknown;
  assert.equal((await fields(nestedProto))["/data/site/__proto__"], "is not a field of this app");
  assert.is(({} as Record<string, unknown>).polluted, undefined);
  // The same on PATCH.
  const id = (await call(ctx, "ada", "POST", `${BASE}/records`, { data: inspection() })).json.id;
  const patch = await call(ctx, "ada", "PATCH", `${BASE}/records/${id}`, { version: 1, data: { site: { extra: 1 } } });
  assert.equal(patch.json.error.fields, { "/data/site/extra": "is not a field of this app" });
});

t("the per-app OpenAPI describes only what the app allows", async (ctx) => {
  const users = await call(ctx, "ada", "GET", "/api/device/apps/user-accounts/openapi.json");
  assert.is(users.status, 200);
  const records = "/api/device/apps/user-accounts/records";
  assert.equal(Object.keys(users.json.paths[records]), ["get"]);
  assert.equal(Object.keys(users.json.paths[`${records}/{recordId}`]), ["get"]);
  const params = users.json.paths[records].get.parameters.map((p: { name: string }) => p.name);
  assert.not.ok(params.includes("changedSince"), params.join());
  assertError(await call(ctx, "ada", "GET", `${records}?changedSince=0`), 422, "validation_failed");
  // A user who may read only gets no write operations either; an administrator gets them all.
  const read = await call(ctx, "uma", "GET", `${BASE}/openapi.json`);
  assert.equal(Object.keys(read.json.paths[`${BASE}/records`]), ["get"]);
  assert.ok(read.json.paths[`${BASE}/records`].get.parameters.some((p: { name: string }) => p.name === "changedSince"));
  const write = await call(ctx, "ada", "GET", `${BASE}/openapi.json`);
  assert.equal(Object.keys(write.json.paths[`${BASE}/records`]), ["get", "post"]);
  assert.equal(Object.keys(write.json.paths[`${BASE}/records/{recordId}`]), ["get", "patch", "delete"]);
});

t("query text that cannot be stored is a 422 naming the parameter", async (ctx) => {
  for (const name of ["q", "after"]) {
    const r = await call(ctx, "uma", "GET", `${BASE}/records?${name}=%00`);
    assertError(r, 422, "validation_failed");
    assert.match(r.json.error.fields[name], /cannot be stored/);
  }
});

t(
  "a record id in upper case is the record; a version never saved is a 422; a stale delete names the changes",
  async (ctx) => {
    const created = await call(ctx, "ada", "POST", `${BASE}/records`, { data: inspection() });
    const id: string = created.json.id;
    const upper = await call(ctx, "uma", "GET", `${BASE}/records/${id.toUpperCase()}`);
    assert.is(upper.status, 200, JSON.stringify(upper.json));
    assert.is(upper.json.id, id);
    assertError(
      await call(ctx, "uma", "GET", `${BASE}/records/${id.replace(/.$/, "0").toUpperCase()}x`),
      404,
      "not_found",
    );
    const ahead = await call(ctx, "ada", "PATCH", `${BASE}/records/${id}`, {
      version: 999,
      data: { location: "Yard" },
    });
    assertError(ahead, 422, "validation_failed");
    assert.match(ahead.json.error.fields["/version"], /version 1/);
    assertError(await call(ctx, "ada", "DELETE", `${BASE}/records/${id}?version=9`), 422, "validation_failed");
    const upperPatch = await call(ctx, "ada", "PATCH", `${BASE}/records/${id.toUpperCase()}`, {
      version: 1,
      data: { location: "Yard" },
    });
    assert.is(upperPatch.status, 200, JSON.stringify(upperPatch.json));
    const stale = await call(ctx, "ada", "DELETE", `${BASE}/records/${id}?version=1`);
    assertError(stale, 409, "conflict");
    assert.equal(stale.json.error.changed, ["location"]);
    assert.is(stale.json.error.current.version, 2);
    assert.is((await call(ctx, "ada", "DELETE", `${BASE}/records/${id.toUpperCase()}?version=2`)).status, 204);
  },
);

t("the Authorization scheme is read in any letter case", async (ctx) => {
  for (const scheme of ["bearer", "BEARER", "Bearer"]) {
    const me = await api(ctx.env.app, "GET", "/api/device/me", undefined, {
      authorization: `${scheme} ${ctx.tokens.uma}`,
    });
    assert.is(me.status, 200, `${scheme}: ${JSON.stringify(me.json)}`);
    const metrics = await ctx.env.app.request("/metrics", { headers: { authorization: `${scheme} ${METRICS_TOKEN}` } });
    assert.is(metrics.status, 200, scheme);
  }
  assertError(
    await api(ctx.env.app, "GET", "/api/device/me", undefined, { authorization: `Basic ${ctx.tokens.uma}` }),
    401,
    "invalid_token",
  );
  const wrong = await ctx.env.app.request("/metrics", { headers: { authorization: `bearer ${METRICS_TOKEN}x` } });
  assert.is(wrong.status, 401);
});

t.run();
