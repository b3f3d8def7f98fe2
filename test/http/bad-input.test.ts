// @storage
// Issue 9, faults 2-4: text PostgreSQL cannot store, crafted paging cursors and malformed bodies are
// refused at the boundary with a clear 4xx, on both backends, and nothing is stored.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";

const PASSWORD = "correct horse battery";
const APP = "/apps/equipment-inspections";
const USERS = "/configure/users";
const NOT_STORABLE = "contains a character that cannot be stored";

interface Ctx {
  env: TestEnv;
  admin: TestClient;
  anon: TestClient;
  recordId: string;
}

const t = suite<Ctx>(`bad input at the boundary [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  const s = ctx.env.services;
  const pub = (await s.sites.publicSite()).id;
  await s.users.create({ siteId: pub, username: "alice", password: PASSWORD, role: "admin" });
  ctx.admin = new TestClient(ctx.env.app);
  assert.is((await ctx.admin.signIn("alice", PASSWORD)).res.status, 303);
  ctx.anon = new TestClient(ctx.env.app);
  await ctx.anon.get("/login");
  await ctx.admin.get(`${APP}/new`);
  const created = await ctx.admin.post(`${APP}/new`, {
    equipment: "Drill press",
    serialNumber: "DP-100",
    inspectedOn: "2026-01-02",
    result: "pass",
  });
  assert.is(created.res.status, 303);
  const { rows } = await ctx.env.db.query<{ id: string }>("SELECT id FROM records");
  ctx.recordId = rows[0]!.id;
});
t.after(async (ctx) => ctx.env.close());

/** Row counts of the tables a refused request could have written to. */
async function counts(env: TestEnv): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of ["users", "records", "record_revisions", "throttles", "audit_log", "app_definitions"]) {
    const { rows } = await env.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
    out[table] = rows[0]!.n;
  }
  return out;
}

const slot = (html: string, path: string) =>
  html.match(new RegExp(`id="err-${path}" aria-live="polite">([^<]*)<`))?.[1] ?? null;

const cursor = (key: unknown, id = "00e1f75e-1ac9-4794-b3f6-a02216c0dda1") =>
  Buffer.from(JSON.stringify([key, id])).toString("base64url");

const deviceLogin = (env: TestEnv, body: string) =>
  env.app.request("/api/device/login", { method: "POST", headers: { "content-type": "application/json" }, body });

// ---- fault 2: text PostgreSQL cannot store --------------------------------------------------

t("POST /login with username=a%00b is a 422 with the message, before any lookup", async ({ env, anon }) => {
  const before = await counts(env);
  const r = await anon.post("/login", { username: "a\u0000b", password: PASSWORD });
  assert.is(r.res.status, 422);
  assert.match(r.html, `Username ${NOT_STORABLE}`);
  assert.match(r.html, /value="a\uFFFDb"/, "the input is shown back, the NUL marked");
  assert.equal(await counts(env), before, "no throttle row, nothing else");
});

t("POST /api/device/login with a NUL or a lone surrogate is a 422 with a fields entry", async ({ env }) => {
  const before = await counts(env);
  for (const username of ['"a\\u0000b"', '"a\\ud800b"', '"\\udc00"']) {
    const res = await deviceLogin(env, `{"username": ${username}, "password": "${PASSWORD}"}`);
    assert.is(res.status, 422, username);
    const body = (await res.json()) as { error: { code: string; fields: Record<string, string> } };
    assert.is(body.error.code, "validation_failed");
    assert.match(body.error.fields.username!, NOT_STORABLE);
  }
  // A surrogate pair (an emoji) is ordinary text.
  const pair = await deviceLogin(env, `{"username": "\\ud83d\\ude00", "password": "${PASSWORD}"}`);
  assert.is(pair.status, 401);
  // A key that cannot be stored is refused at the object that holds it (the key is never echoed), nested too.
  const nested = await deviceLogin(env, `{"username": "x", "password": "y", "extra": {"a\\u0000": 1}}`);
  assert.is(nested.status, 422);
  assert.equal(Object.keys(((await nested.json()) as { error: { fields: object } }).error.fields), ["extra"]);
  const after = await counts(env);
  assert.equal({ ...after, throttles: 0 }, { ...before, throttles: 0 }, "only the emoji's wrong password counted");
});

t("Add User with a NUL in displayName: 422 in that field's slot, the form shown again", async ({ env, admin }) => {
  await admin.get(`${USERS}/new`);
  const before = await counts(env);
  const r = await admin.post(`${USERS}/new`, {
    username: "bob",
    displayName: "Bob\u0000",
    password: "a long enough password",
    role: "user",
    webAccess: "true",
  });
  assert.is(r.res.status, 422);
  assert.match(slot(r.html, "displayName") ?? "", `Display name ${NOT_STORABLE}`);
  assert.match(r.html, /value="bob"/, "the other input is kept");
  assert.equal(await counts(env), before);
});

t("a record field with a NUL: 422 in its slot; a nested row field in its own slot", async ({ env, admin }) => {
  await admin.get(`${APP}/new`);
  const before = await counts(env);
  const r = await admin.post(`${APP}/new`, {
    equipment: "Lathe\u0000",
    serialNumber: "L-1",
    inspectedOn: "2026-01-02",
    result: "pass",
  });
  assert.is(r.res.status, 422);
  assert.match(slot(r.html, "equipment") ?? "", `Equipment ${NOT_STORABLE}`);
  // An unknown name with a NUL goes to the form's own message.
  const odd = await admin.post(`${APP}/new`, { equipment: "Lathe", "x\u0000": "1" });
  assert.is(odd.res.status, 422);
  assert.match(odd.html, NOT_STORABLE);
  assert.equal(await counts(env), before);
});

t(
  "a control character in a record's text: 422 in its field's slot; tab and line breaks only in long text",
  async (ctx) => {
    const { env, admin } = ctx;
    await admin.get(`${APP}/new`);
    const before = await counts(env);
    const fields = { serialNumber: "L-1", inspectedOn: "2026-01-02", result: "fail", failureReason: "Worn" };
    const r = await admin.post(`${APP}/new`, {
      ...fields,
      equipment: "Lathe\u0001",
      "checklist.0._row": "1",
      "checklist.0.item": "Guard\u001b[31m",
    });
    assert.is(r.res.status, 422);
    assert.is(slot(r.html, "equipment"), "Equipment contains a control character (U+0001): remove it.");
    assert.is(slot(r.html, "checklist-0-item"), "Item contains a control character (U+001B): remove it.");
    // A one-line field takes no tab or line break (a browser's text input sends none); long text does.
    const oneLine = await admin.post(`${APP}/new`, { ...fields, equipment: "Lathe\tbig" });
    assert.is(oneLine.res.status, 422);
    assert.is(slot(oneLine.html, "equipment"), "Equipment is a single line: remove the tab (U+0009).");
    const lines = await admin.post(`${APP}/new`, { ...fields, equipment: "Lathe", failureReason: "Worn\u000b" });
    assert.is(
      slot(lines.html, "failureReason"),
      "Reason for failure contains a control character (U+000B): remove it.",
    );
    // The inline check says so too.
    const check = await admin.post(
      `${APP}/new/check`,
      { _field: "equipment", equipment: "Lathe\u0007" },
      { "hx-request": "true" },
    );
    assert.match(
      check.html,
      /id="err-equipment" aria-live="polite">Equipment contains a control character \(U\+0007\)/,
    );
    assert.equal(await counts(env), before, "nothing stored");
    const ok = await admin.post(`${APP}/new`, {
      ...fields,
      equipment: "Lathe",
      failureReason: "Worn:\r\n\tguard loose",
    });
    assert.is(ok.res.status, 303);
    const { rows } = await env.db.query<{ data: { failureReason: string } }>(
      "SELECT data FROM records WHERE data->>'equipment' = 'Lathe'",
    );
    assert.is(rows[0]!.data.failureReason, "Worn:\r\n\tguard loose", "long text keeps its tab and line break");
    await env.db.query(
      "DELETE FROM record_revisions WHERE record_id IN (SELECT id FROM records WHERE data->>'equipment' = 'Lathe')",
    );
    await env.db.query("DELETE FROM records WHERE data->>'equipment' = 'Lathe'");
  },
);

t("editing a record with a NUL changes nothing and keeps the version", async ({ env, admin, recordId }) => {
  const page = await admin.get(`${APP}/${recordId}`);
  const version = page.html.match(/name="_version" value="(\d+)"/)![1]!;
  const r = await admin.post(`${APP}/${recordId}`, {
    _version: version,
    equipment: "Drill\u0000press",
    serialNumber: "DP-100",
    inspectedOn: "2026-01-02",
    result: "pass",
  });
  assert.is(r.res.status, 422);
  assert.match(slot(r.html, "equipment") ?? "", NOT_STORABLE);
  const { rows } = await env.db.query<{ version: number; data: { equipment: string } }>(
    "SELECT version, data FROM records WHERE id = $1",
    [recordId],
  );
  assert.equal(rows[0], { version: Number(version), data: rows[0]!.data });
  assert.is(rows[0]!.data.equipment, "Drill press");
});

t("a designer's definition with a \\u0000 escape is a problem, not a 500", async ({ env, admin }) => {
  const page = await admin.get("/configure/apps/equipment-inspections?tab=json");
  assert.is(page.res.status, 200);
  const before = await counts(env);
  const definition = page.html.match(/<textarea[^>]*name="definition"[^>]*>([\s\S]*?)<\/textarea>/)![1]!;
  const decoded = definition
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">");
  const withNul = decoded.replace('"title": "Equipment inspections"', '"title": "Equipment\\u0000"');
  assert.not.equal(withNul, decoded, "the title was found");
  const version = page.html.match(/name="_version" value="(\d+)"/)![1]!;
  const r = await admin.post("/configure/apps/equipment-inspections", { definition: withNul, _version: version });
  assert.is(r.res.status, 422);
  assert.match(r.html, NOT_STORABLE);
  const raw = await admin.post("/configure/apps/equipment-inspections", {
    definition: decoded.replace("Equipment inspections", "Equipment\u0000"),
    _version: version,
  });
  assert.is(raw.res.status, 422);
  assert.equal(await counts(env), before);
});

t("query parameters: ?q=%00 on a list and on the users CSV export is a 400", async ({ admin }) => {
  const list = await admin.get(`${APP}?q=%00`);
  assert.is(list.res.status, 400);
  assert.match(list.html, /The query parameter &quot;q&quot; contains a character that cannot be stored/);
  const csv = await admin.request(`${USERS}/export.csv?q=%00`);
  assert.is(csv.status, 400, "refused before the stream starts");
  await csv.text();
  for (const url of [
    `${USERS}?sort=%00`,
    "/configure/mfa-hardware?q=%00",
    "/configure/mfa-hardware?after=a%00",
    "/configure/audit?user=%00",
    "/configure/apps/equipment-inspections?version=%00",
  ]) {
    assert.is((await admin.get(url)).res.status, 400, url);
  }
  assert.is((await admin.get(`${APP}?q=%F0%9F%98%80`)).res.status, 200, "an emoji is a search like any other");
});

// ---- fault 3: crafted cursors ---------------------------------------------------------------

t("a crafted cursor is a 400 with a clear message on every list, after= and before=", async ({ admin }) => {
  const nul = cursor("\u0000x");
  const r = await admin.get(`${APP}?sort=equipment&after=${nul}`);
  assert.is(r.res.status, 400);
  assert.match(r.html, /The page link \(\?after=\) is not valid for this list/);
  for (const [list, sort] of [
    [APP, "equipment"],
    [APP, "inspectedOn"],
    [USERS, "username"],
    [USERS, "role"],
  ] as const) {
    for (const key of ["\u0000x", "\ud800", { a: 1 }, [1, 2], 5, true]) {
      for (const dir of ["after", "before"]) {
        const url = `${list}?sort=${sort}&${dir}=${cursor(key)}`;
        assert.is((await admin.get(url)).res.status, 400, `${url} ${JSON.stringify(key)}`);
      }
    }
    assert.is((await admin.get(`${list}?sort=${sort}&after=${cursor("x", "not-a-uuid")}`)).res.status, 400);
    assert.is((await admin.get(`${list}?sort=${sort}&after=%2F%2F`)).res.status, 400, "not base64url");
    assert.is((await admin.get(`${list}?sort=${sort}&before=${cursor(null)}`)).res.status, 200, "null sorts");
  }
  assert.is((await admin.get(`${APP}?sort=inspectedOn&after=${cursor("yesterday")}`)).res.status, 400, "a date");
  assert.is((await admin.get(`${APP}?sort=inspectedOn&after=${cursor("2026-01-02")}`)).res.status, 200);
});

// ---- fault 4: malformed bodies --------------------------------------------------------------

const CUT = '--xyz\r\nContent-Disposition: form-data; name="username"\r\n\r\nali';

t("POST /login with a malformed multipart body is a 400 before sign-in", async ({ env, anon }) => {
  const before = await counts(env);
  for (const [type, body] of [
    ["multipart/form-data", "garbage"],
    ["multipart/form-data; boundary=xyz", "garbage"],
    ["multipart/form-data; boundary=xyz", CUT],
  ]) {
    const res = await anon.request("/login", { method: "POST", headers: { "content-type": type! }, body: body! });
    assert.is(res.status, 400, `${type}: ${body}`);
    assert.match(await res.text(), /The form could not be read: the request body is malformed/);
  }
  assert.equal(await counts(env), before);
});

t("a multipart body cut off mid-part is a 400 on a record form and on the token import", async ({ admin }) => {
  for (const path of [`${APP}/new`, "/configure/mfa-hardware/import", `${USERS}/new`]) {
    const res = await admin.request(path, {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=xyz", "x-csrf-token": admin.csrf },
      body: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="t.csv"\r\n\r\nserial,seed',
    });
    assert.is(res.status, 400, path);
  }
});

t("truncated JSON on the device API is a 400 malformed_json", async ({ env }) => {
  for (const body of ['{"username": "a', "[", "", "\u0000"]) {
    const res = await deviceLogin(env, body);
    assert.is(res.status, 400, JSON.stringify(body));
    assert.is(((await res.json()) as { error: { code: string } }).error.code, "malformed_json");
  }
});

t("the body limit still answers 413, not 400", async ({ anon }) => {
  const big = "x".repeat(1024 * 1024 + 1);
  const res = await anon.request("/login", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `username=${big}`,
  });
  assert.is(res.status, 413);
});

t.run();
