// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { isoMinuteWithZone } from "../../engine/util/zoned-dates.js";

const PASSWORD = "correct horse battery";
const APP = "/apps/equipment-inspections";

interface Ctx {
  env: TestEnv;
  admin: TestClient;
  user: TestClient;
  designer: TestClient;
  north: TestClient;
}

const t = suite<Ctx>(`app routes [${testBackend}]`);

const valid = {
  equipment: "Drill press",
  serialNumber: "DP-100",
  inspectedOn: "2026-01-02",
  result: "pass",
};

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  const s = ctx.env.services;
  const pub = (await s.sites.publicSite()).id;
  const north = await s.sites.create("north", "North");
  await s.users.create({ siteId: pub, username: "alice", password: PASSWORD, role: "admin" });
  await s.users.create({ siteId: pub, username: "uma", password: PASSWORD, role: "user" });
  await s.users.create({ siteId: pub, username: "dora", password: PASSWORD, role: "designer" });
  await s.users.create({ siteId: north.id, username: "nina", password: PASSWORD, role: "admin" });
  for (const [key, name] of [
    ["admin", "alice"],
    ["user", "uma"],
    ["designer", "dora"],
    ["north", "nina"],
  ] as const) {
    ctx[key] = new TestClient(ctx.env.app);
    const r = await ctx[key].signIn(name, PASSWORD);
    assert.is(r.res.status, 303, `${name} signs in`);
  }
});
t.after(async (ctx) => ctx.env.close());
t.before.each(async (ctx) => {
  await ctx.env.db.query("DELETE FROM records");
});

async function create(c: TestClient, fields: Record<string, string | string[]> = valid): Promise<string> {
  const r = await c.post(`${APP}/new`, fields);
  assert.is(r.res.status, 303, `created: ${r.html.slice(0, 200)}`);
  const list = await c.get(`${APP}?q=${encodeURIComponent(String(fields.serialNumber))}`);
  // A searched list's links carry its state (?list=) so a save comes back to it.
  const id = list.html.match(/href="\/apps\/equipment-inspections\/([0-9a-f-]{36})(?:\?list=[^"]*)?"/)?.[1];
  assert.ok(id, "the new record is listed");
  return id;
}

const slot = (html: string, path: string) =>
  html.match(new RegExp(`id="err-${path}" aria-live="polite">([^<]*)<`))?.[1] ?? null;

t("signed-out visitors are sent to sign in", async ({ env }) => {
  const r = await new TestClient(env.app).get(APP);
  assert.is(r.res.status, 303);
  // …and back to the page they asked for afterwards.
  assert.is(r.res.headers.get("location"), `/login?next=${encodeURIComponent(APP)}`);
});

t("an admin creates a record with a plain POST; it is stored typed and listed", async ({ env, admin }) => {
  const id = await create(admin, {
    ...valid,
    hoursInUse: "120",
    temperatureC: "21.5",
    taggedOut: "true",
    hazards: ["electrical", "noise"],
    "site.contact": "Ann",
    "checklist.0._row": "1",
    "checklist.0.item": "Guard fitted",
    "checklist.0.ok": "true",
  });
  const { rows } = await env.db.query<{ data: Record<string, unknown>; version: number }>(
    "SELECT data, version FROM records WHERE id = $1",
    [id],
  );
  assert.equal(rows[0]!.data, {
    ...valid,
    hoursInUse: 120,
    temperatureC: 21.5,
    taggedOut: true,
    hazards: ["electrical", "noise"],
    site: { contact: "Ann" },
    checklist: [{ item: "Guard fitted", ok: true }],
  });
  assert.is(rows[0]!.version, 1);
  const page = await admin.get(`${APP}/${id}`);
  assert.is(page.res.status, 200);
  assert.match(page.html, /name="_version" value="1"/);
  assert.match(page.html, /name="checklist\.0\.item"[^>]*value="Guard fitted"/);
});

t(
  "a 422 re-renders the form with what was typed and one message per field slot; nothing is stored",
  async ({ env, admin }) => {
    const r = await admin.post(`${APP}/new`, {
      equipment: "Lathe",
      serialNumber: "lower case",
      inspectedOn: "02.01.2026",
      result: "maybe",
      hoursInUse: "12.5",
      inspector: "not-an-email",
      "checklist.0._row": "1",
      "checklist.0.item": "",
    });
    assert.is(r.res.status, 422);
    assert.is(
      slot(r.html, "serialNumber"),
      "Serial number does not have the expected format: Capital letters, digits and dashes, as printed on the rating plate.",
    );
    assert.is(slot(r.html, "inspectedOn"), "Inspected on must be a date (YYYY-MM-DD).");
    assert.is(slot(r.html, "result"), "Result must be one of the options.");
    assert.is(slot(r.html, "hoursInUse"), "Hours in use must be a whole number from 0 to 1000000.");
    assert.is(slot(r.html, "inspector"), "Inspector email must be an email address.");
    assert.is(slot(r.html, "checklist-0-item"), "Item is required.");
    assert.is(slot(r.html, "equipment"), "", "a valid field's slot stays empty");
    assert.match(r.html, /name="serialNumber"[^>]*value="lower case"/, "the user's input is kept");
    assert.match(r.html, /name="hoursInUse"[^>]*value="12\.5"/);
    assert.match(r.html, /aria-invalid="true"/);
    const missing = await admin.post(`${APP}/new`, {});
    assert.is(missing.res.status, 422);
    assert.is(slot(missing.html, "equipment"), "Equipment is required.");
    assert.is(slot(missing.html, "result"), "Result is required.");
    assert.is((await env.db.query("SELECT 1 FROM records")).rowCount, 0);
  },
);

t("unknown fields are refused and nothing is stored", async ({ env, admin }) => {
  const r = await admin.post(`${APP}/new`, { ...valid, isAdmin: "true" });
  assert.is(r.res.status, 422);
  assert.match(r.html, /The form sent an unknown field &quot;isAdmin&quot;|The form sent an unknown field "isAdmin"/);
  assert.is((await env.db.query("SELECT 1 FROM records")).rowCount, 0);
});

t("sizes are bounded: over-long strings get a message, over-large bodies a 413", async ({ admin }) => {
  const long = await admin.post(`${APP}/new`, { ...valid, equipment: "x".repeat(121) });
  assert.is(long.res.status, 422);
  assert.is(slot(long.html, "equipment"), "Equipment must be at most 120 characters.");
  const body = `equipment=${"x".repeat(300 * 1024)}`;
  const huge = await admin.request(`${APP}/new`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "content-length": String(body.length),
      "x-csrf-token": admin.csrf,
    },
    body,
  });
  assert.is(huge.status, 413);
});

t("a failed result shows the reason field (x-visibleWhen) and requires nothing hidden", async ({ env, admin }) => {
  const hidden = await admin.get(`${APP}/new`);
  assert.match(
    hidden.html,
    /<div class="when-hidden field" id="field-failureReason"/,
    "hidden with JavaScript, posted without",
  );
  const check = await admin.post(`${APP}/new/check`, { _field: "result", result: "fail" }, { "hx-request": "true" });
  assert.is(check.res.status, 200);
  assert.match(
    check.html,
    /<hx-partial hx-target="#err-result" hx-swap="outerHTML"><small class="field-error" id="err-result"/,
  );
  assert.match(
    check.html,
    /<hx-partial hx-target="#field-failureReason" hx-swap="outerHTML"><div class="field" id="field-failureReason" data-widget="textarea">/,
  );
  const back = await admin.post(`${APP}/new/check`, { _field: "result", result: "pass" }, { "hx-request": "true" });
  assert.match(back.html, /<div class="when-hidden field" id="field-failureReason"/);
  // A stale reason posted with a passing result is not stored.
  const id = await create(admin, { ...valid, failureReason: "stale" });
  const { rows } = await env.db.query<{ data: Record<string, unknown> }>("SELECT data FROM records WHERE id = $1", [
    id,
  ]);
  assert.is(rows[0]!.data.failureReason, undefined);
});

t("inline validation answers with the field's message in its slot", async ({ admin }) => {
  const r = await admin.post(
    `${APP}/new/check`,
    { _field: "serialNumber", serialNumber: "bad" },
    { "hx-request": "true" },
  );
  assert.match(
    r.html,
    /id="err-serialNumber" aria-live="polite">Serial number does not have the expected format: Capital letters, digits and dashes, as printed on the rating plate\.</,
  );
  assert.not.match(r.html, /Equipment is required/, "only the changed field is reported");
});

t("add and remove row buttons re-render the form without saving", async ({ env, admin }) => {
  const added = await admin.post(`${APP}/new`, {
    ...valid,
    "checklist.0._row": "1",
    "checklist.0.item": "A",
    _action: "add:checklist",
  });
  assert.is(added.res.status, 200);
  assert.match(added.html, /name="checklist\.0\.item"[^>]*value="A"/);
  assert.match(added.html, /name="checklist\.1\._row"/);
  const removed = await admin.post(`${APP}/new`, {
    ...valid,
    "checklist.0._row": "1",
    "checklist.0.item": "A",
    "checklist.1._row": "1",
    "checklist.1.item": "B",
    _action: "remove:checklist.0",
  });
  assert.match(removed.html, /name="checklist\.0\.item"[^>]*value="B"/);
  assert.not.match(removed.html, /name="checklist\.1\./);
  assert.is((await env.db.query("SELECT 1 FROM records")).rowCount, 0);
});

t(
  "saving over a newer version gives a 409 that keeps the input and shows what changed; saving again wins",
  async ({ env, admin }) => {
    const id = await create(admin);
    const first = await admin.post(`${APP}/${id}`, { ...valid, _version: "1", equipment: "Drill (theirs)" });
    assert.is(first.res.status, 303);
    const stale = await admin.post(`${APP}/${id}`, {
      ...valid,
      _version: "1",
      equipment: "Drill (mine)",
      hoursInUse: "7",
    });
    assert.is(stale.res.status, 409);
    assert.match(stale.html, /<strong>alice<\/strong> saved this record \(version 2\)/);
    // The time in the site's zone, as every date shown to people.
    const pub = (await env.services.sites.publicSite()).id;
    await env.services.sites.setTimeZone(pub, "Europe/Berlin");
    const saved = (await env.db.query<{ updated_at: Date }>("SELECT updated_at FROM records WHERE id = $1", [id]))
      .rows[0]!.updated_at;
    const zoned = await admin.post(`${APP}/${id}`, {
      ...valid,
      _version: "1",
      equipment: "Drill (mine)",
      hoursInUse: "7",
    });
    await env.services.sites.setTimeZone(pub, "UTC");
    assert.match(
      zoned.html,
      new RegExp(
        `saved this record \\(version 2\\) at ${isoMinuteWithZone(saved, "Europe/Berlin")}, after you opened it`,
      ),
    );
    assert.match(
      stale.html,
      /<th scope="row">Equipment<\/th><td>Drill press<\/td><td>Drill \(theirs\)<\/td><td>Drill \(mine\)<\/td>/,
    );
    assert.match(stale.html, /name="equipment"[^>]*value="Drill \(mine\)"/, "the user's input is kept");
    assert.match(stale.html, /name="hoursInUse"[^>]*value="7"/);
    assert.match(stale.html, /name="_version" value="2"/, "saving again knowingly replaces version 2");
    let { rows } = await env.db.query<{ data: { equipment: string }; version: number }>(
      "SELECT data, version FROM records WHERE id = $1",
      [id],
    );
    assert.is(rows[0]!.data.equipment, "Drill (theirs)", "nothing was lost");
    const again = await admin.post(`${APP}/${id}`, { ...valid, _version: "2", equipment: "Drill (mine)" });
    assert.is(again.res.status, 303);
    ({ rows } = await env.db.query("SELECT data, version FROM records WHERE id = $1", [id]));
    assert.is(rows[0]!.data.equipment, "Drill (mine)");
    assert.is(rows[0]!.version, 3);
  },
);

t(
  "delete asks for confirmation without JavaScript, and answers htmx in the dialog with an event",
  async ({ env, admin }) => {
    const id = await create(admin);
    const ask = await admin.post(`${APP}/${id}/delete`, { _version: "1" });
    assert.is(ask.res.status, 200);
    assert.match(ask.html, /Delete this record\? This cannot be undone\./);
    assert.match(ask.html, /name="confirm" value="yes"/);
    assert.is((await env.db.query("SELECT 1 FROM records")).rowCount, 1);
    const stale = await admin.post(`${APP}/${id}/delete`, { _version: "9", confirm: "yes" });
    assert.is(stale.res.status, 409);
    const done = await admin.post(
      `${APP}/${id}/delete`,
      { _version: "1", confirm: "yes", _dialog: "1" },
      { "hx-request": "true" },
    );
    assert.is(done.res.status, 204);
    assert.is(done.res.headers.get("hx-trigger"), "fg-saved");
    assert.is((await env.db.query("SELECT 1 FROM records")).rowCount, 0);
    const gone = await admin.post(`${APP}/${id}/delete`, { _version: "1", confirm: "yes" });
    assert.is(gone.res.status, 404);
  },
);

t(
  "the edit form has a delete button that confirms through htmx and degrades to the confirmation page",
  async ({ admin }) => {
    const id = await create(admin);
    const page = await admin.get(`${APP}/${id}`);
    assert.match(page.html, /formaction="\/apps\/equipment-inspections\/[0-9a-f-]{36}\/delete"/);
    assert.match(page.html, /hx-confirm="Delete this record\? This cannot be undone\."/);
  },
);

t(
  "htmx gets fragments: the list region, and the form for the dialog; a dialog save closes with an event",
  async ({ admin }) => {
    const id = await create(admin);
    const region = await admin.request(`${APP}?q=DP`, {
      headers: { "hx-request": "true", "hx-target": "div#record-list" },
    });
    const html = await region.text();
    assert.match(html, /^<div id="record-list"/);
    assert.not.match(html, /<html/);
    const dialog = await admin.request(`${APP}/${id}`, {
      headers: { "hx-request": "true", "hx-target": "div#record-dialog-body" },
    });
    const form = await dialog.text();
    assert.match(form, /^<div class="record-fragment"><h2>DP-100<\/h2><form method="post"/);
    assert.match(form, /hx-post="\/apps\/equipment-inspections\/[0-9a-f-]{36}" hx-target="this" hx-swap="outerHTML"/);
    const saved = await admin.post(`${APP}/${id}`, { ...valid, _version: "1", _dialog: "1" }, { "hx-request": "true" });
    assert.is(saved.res.status, 204);
    assert.is(saved.res.headers.get("hx-trigger"), "fg-saved");
    const invalid = await admin.post(
      `${APP}/${id}`,
      { ...valid, _version: "2", _dialog: "1", equipment: "" },
      { "hx-request": "true" },
    );
    assert.is(invalid.res.status, 422);
    assert.match(invalid.html, /^<div class="record-fragment">/, "the 422 is swapped into the dialog");
  },
);

t("the list searches, sorts on any column and pages by keyset", async ({ env, admin }) => {
  const s = env.services;
  const app = (await s.apps.get((await s.sites.publicSite()).id, "equipment-inspections"))!;
  const ctx = { siteId: (await s.sites.publicSite()).id, actor: { id: null, name: "seed" } };
  await s.records.createMany(
    app,
    ctx,
    Array.from({ length: 60 }, (_, i) => ({
      ...valid,
      equipment: i % 2 ? `Lathe ${i}` : `Drill ${i}`,
      serialNumber: `SN-${String(i).padStart(3, "0")}`,
      inspectedOn: `2026-01-${String((i % 28) + 1).padStart(2, "0")}`,
    })),
  );
  const p1 = await admin.get(`${APP}?sort=serialNumber`);
  const serials = (html: string) => [...html.matchAll(/<th scope="row"><a [^>]*>(SN-\d+)<\/a>/g)].map((m) => m[1]);
  assert.equal(
    serials(p1.html),
    Array.from({ length: 25 }, (_, i) => `SN-${String(i).padStart(3, "0")}`),
  );
  assert.match(p1.html, /aria-sort="ascending"/);
  const next = p1.html.match(/href="(\/apps\/equipment-inspections\?sort=serialNumber&amp;after=[^"]+)"/)?.[1];
  assert.ok(next);
  const p2 = await admin.get(next.replace(/&amp;/g, "&"));
  assert.is(serials(p2.html)[0], "SN-025");
  const desc = await admin.get(`${APP}?sort=-serialNumber`);
  assert.is(serials(desc.html)[0], "SN-059");
  const search = await admin.get(`${APP}?q=lathe+5&sort=serialNumber`);
  assert.equal(
    serials(search.html),
    [
      "SN-005",
      "SN-015",
      "SN-025",
      "SN-035",
      "SN-045",
      "SN-050",
      "SN-051",
      "SN-052",
      "SN-053",
      "SN-054",
      "SN-055",
      "SN-056",
      "SN-057",
      "SN-058",
      "SN-059",
    ].filter((sn) => Number(sn.slice(3)) % 2 === 1),
  );
  // A column that is not listed falls back to the default sort; a forged cursor is refused (400).
  const odd = await admin.get(`${APP}?sort=notAColumn`);
  assert.is(odd.res.status, 200);
  assert.match(odd.html, /aria-sort="descending"/, "the default sort (-inspectedOn)");
  const forged = await admin.get(`${APP}?sort=notAColumn&after=garbage`);
  assert.is(forged.res.status, 400);
  assert.match(forged.html, /page link/);
});

t("CSV export has the listed columns for the matching rows and defuses formulas", async ({ admin }) => {
  await create(admin, { ...valid, equipment: '=HYPERLINK("x")', serialNumber: "CSV-1" });
  await create(admin, { ...valid, equipment: "Saw, circular", serialNumber: "CSV-2" });
  const res = await admin.request(`${APP}/export.csv?sort=serialNumber`);
  assert.is(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /text\/csv/);
  assert.match(res.headers.get("content-disposition") ?? "", /attachment; filename="equipment-inspections\.csv"/);
  const lines = (await res.text())
    .replace(/^\uFEFF/, "")
    .trim()
    .split("\r\n");
  assert.is(lines[0], "id,Serial number,Equipment,Location,Inspected on,Result");
  assert.match(lines[1]!, /^[0-9a-f-]{36},CSV-1,"'=HYPERLINK\(""x""\)",,2026-01-02,pass$/);
  assert.match(lines[2]!, /^[0-9a-f-]{36},CSV-2,"Saw, circular",,2026-01-02,pass$/);
  const filtered = await (await admin.request(`${APP}/export.csv?q=saw`)).text();
  assert.is(filtered.trim().split("\r\n").length, 2);
});

t("a user sees apps and records but cannot change them; a designer neither", async ({ env, admin, user, designer }) => {
  const id = await create(admin);
  const index = await user.get("/apps");
  assert.match(index.html, /href="\/apps\/equipment-inspections"/);
  const list = await user.get(APP);
  assert.is(list.res.status, 200);
  assert.not.match(list.html, /href="\/apps\/equipment-inspections\/new"/);
  const view = await user.get(`${APP}/${id}`);
  assert.is(view.res.status, 200);
  assert.not.match(view.html, /<input name="equipment"/);
  assert.match(view.html, /<output[^>]*>Drill press<\/output>/);
  for (const c of [user, designer]) {
    assert.is((await c.get(`${APP}/new`)).res.status, 403);
    assert.is((await c.post(`${APP}/new`, valid)).res.status, 403);
    assert.is((await c.post(`${APP}/${id}`, { ...valid, _version: "1", equipment: "hacked" })).res.status, 403);
    assert.is((await c.post(`${APP}/${id}/delete`, { _version: "1", confirm: "yes" })).res.status, 403);
  }
  const { rows } = await env.db.query<{ data: { equipment: string } }>("SELECT data FROM records WHERE id = $1", [id]);
  assert.is(rows[0]!.data.equipment, "Drill press");
});

t(
  "sites are separate: an admin of another site sees none of this site's records and cannot touch them",
  async ({ env, admin, north }) => {
    const id = await create(admin);
    const list = await north.get(APP);
    assert.is(list.res.status, 200);
    assert.match(list.html, /No records yet\./);
    assert.is((await north.get(`${APP}/${id}`)).res.status, 404);
    assert.is((await north.post(`${APP}/${id}`, { ...valid, _version: "1", equipment: "from north" })).res.status, 404);
    assert.is((await north.post(`${APP}/${id}/delete`, { _version: "1", confirm: "yes" })).res.status, 404);
    const csv = await (await north.request(`${APP}/export.csv`)).text();
    assert.not.match(csv, /DP-100/);
    const mine = await north.post(`${APP}/new`, { ...valid, serialNumber: "NORTH-1" });
    assert.is(mine.res.status, 303);
    const publicList = await admin.get(`${APP}?q=north`);
    assert.match(publicList.html, /No records match your search\./);
    const { rows } = await env.db.query<{ n: number }>("SELECT count(*)::int AS n FROM records");
    assert.is(rows[0]!.n, 2);
  },
);

t("unknown apps and malformed record ids are 404s", async ({ admin }) => {
  assert.is((await admin.get("/apps/no-such-app")).res.status, 404);
  assert.is((await admin.get(`${APP}/not-a-uuid`)).res.status, 404);
  assert.is((await admin.get(`${APP}/00000000-0000-4000-8000-000000000000`)).res.status, 404);
});

t.run();
