// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { breakingChanges } from "../../engine/apps/definition-changes.js";
import type { AppDefinition } from "../../engine/schema/types.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";

const PASSWORD = "correct horse battery";
const EDITOR = "/configure/apps/equipment-inspections";

interface Ctx {
  env: TestEnv;
  designer: TestClient;
  admin: TestClient;
  user: TestClient;
  north: TestClient;
  builtIn: AppDefinition;
}

const t = suite<Ctx>(`designer [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  const s = ctx.env.services;
  const pub = (await s.sites.publicSite()).id;
  const north = await s.sites.create("north", "North");
  await s.users.create({ siteId: pub, username: "dora", password: PASSWORD, role: "designer" });
  await s.users.create({ siteId: pub, username: "alice", password: PASSWORD, role: "admin" });
  await s.users.create({ siteId: pub, username: "uma", password: PASSWORD, role: "user" });
  await s.users.create({ siteId: north.id, username: "nick", password: PASSWORD, role: "designer" });
  for (const [key, name] of [
    ["designer", "dora"],
    ["admin", "alice"],
    ["user", "uma"],
    ["north", "nick"],
  ] as const) {
    ctx[key] = new TestClient(ctx.env.app);
    await ctx[key].signIn(name, PASSWORD);
  }
  ctx.builtIn = s.apps.builtIn("equipment-inspections")!;
});
t.after(async (ctx) => ctx.env.close());

const text = (d: AppDefinition) => JSON.stringify(d, null, 2);

t("designers and admins open the designer; users may not", async ({ designer, admin, user }) => {
  const list = await designer.get("/configure/apps");
  assert.is(list.res.status, 200);
  assert.match(list.html, /href="\/configure\/apps\/equipment-inspections"/);
  assert.match(list.html, /<a href="\/configure\/apps\/new" role="button">/, "New app is a page of its own");
  assert.not.match(list.html, /<form method="post" action="\/configure\/apps">/, "no inline New app form");
  assert.is((await designer.post("/configure/apps", { id: "inline", title: "Inline" })).res.status, 404);
  assert.is((await admin.get(EDITOR)).res.status, 200);
  assert.is((await user.get("/configure/apps")).res.status, 403);
  assert.is((await user.post(`${EDITOR}/check`, { definition: "{}" })).res.status, 403);
});

t("the editor shows the definition's JSON, its history and a live preview of the form", async ({ designer }) => {
  const page = await designer.get(`${EDITOR}?tab=json`);
  assert.match(
    page.html,
    /<textarea id="definition" name="definition"[^>]*hx-post="\/configure\/apps\/equipment-inspections\/check" hx-trigger="input changed delay:400ms"/,
  );
  assert.match(page.html, /&quot;id&quot;: &quot;equipment-inspections&quot;|"id": "equipment-inspections"/);
  assert.match(page.html, /<h2>Preview<\/h2>/);
  assert.match(page.html, /class="record-form preview"/);
  assert.match(page.html, /0 \(built-in\)/);
});

t("the live check answers with each problem's pointer, or with a preview", async ({ designer, builtIn }) => {
  const broken = JSON.parse(text(builtIn));
  broken.record.properties.equipment["x-sytem"] = "user.email";
  const bad = await designer.post(`${EDITOR}/check`, { definition: JSON.stringify(broken) }, { "hx-request": "true" });
  assert.is(bad.res.status, 200);
  assert.match(bad.html, /^<div id="designer-feedback"/);
  assert.match(
    bad.html,
    /<code>\/record\/properties\/equipment\/x-sytem<\/code>: unknown keyword &quot;x-sytem&quot;|<code>\/record\/properties\/equipment\/x-sytem<\/code>: unknown keyword "x-sytem"/,
  );
  const syntax = await designer.post(`${EDITOR}/check`, { definition: "{ oops" });
  assert.match(syntax.html, /not valid JSON/);
  const good = JSON.parse(text(builtIn));
  good.record.properties.department = { type: "string", title: "Department" };
  const ok = await designer.post(`${EDITOR}/check`, { definition: JSON.stringify(good) });
  assert.match(ok.html, /id="definition-ok"/);
  assert.match(ok.html, /id="field-department"/);
});

t(
  "a save becomes a new version that applies at once; a stale base version is refused",
  async ({ env, designer, admin, builtIn }) => {
    const next = JSON.parse(text(builtIn)) as AppDefinition;
    next.title = "Equipment checks";
    next.record.properties.department = { type: "string", title: "Department", maxLength: 50 };
    const saved = await designer.post(EDITOR, { _version: "0", definition: text(next) });
    assert.is(saved.res.status, 303);
    assert.is(saved.res.headers.get("location"), `${EDITOR}?tab=json&saved=1`);
    const form = await admin.get("/apps/equipment-inspections/new");
    assert.match(form.html, /<h1>New: Equipment checks<\/h1>/);
    assert.match(form.html, /name="department"/);
    const stale = await designer.post(EDITOR, { _version: "0", definition: text(next) });
    assert.is(stale.res.status, 409);
    assert.match(stale.html, /Someone saved version 1 of this app meanwhile/);
    const page = await designer.get(`${EDITOR}?tab=json`);
    assert.match(page.html, /Save as version 2/);
    const { rows } = await env.db.query<{ action: string }>("SELECT action FROM audit_log WHERE action LIKE 'app.%'");
    assert.ok(rows.some((r) => r.action === "app.update"));
  },
);

t("an invalid definition is refused on save with its problems, and nothing changes", async ({ env, designer }) => {
  const before = await env.services.apps.currentVersion(
    (await env.services.sites.publicSite()).id,
    "equipment-inspections",
  );
  const r = await designer.post(EDITOR, {
    _version: String(before),
    definition: '{"id": "equipment-inspections", "title": "X"}',
  });
  assert.is(r.res.status, 422);
  assert.match(r.html, /<code>\/record<\/code>: is required/);
  const changedId = await designer.post(EDITOR, {
    _version: String(before),
    definition: JSON.stringify({
      id: "other",
      title: "X",
      record: { type: "object", properties: { a: { type: "string" } } },
    }),
  });
  assert.is(changedId.res.status, 422);
  assert.match(changedId.html, /must stay &quot;equipment-inspections&quot;|must stay "equipment-inspections"/);
  assert.is(
    await env.services.apps.currentVersion((await env.services.sites.publicSite()).id, "equipment-inspections"),
    before,
  );
});

t(
  "changing a field's type while records exist is refused with the reason; removing a field keeps its data",
  async ({ env, designer, admin }) => {
    const siteId = (await env.services.sites.publicSite()).id;
    const created = await admin.post("/apps/equipment-inspections/new", {
      equipment: "Saw",
      serialNumber: "SAW-1",
      inspectedOn: "2026-01-02",
      result: "pass",
      department: "Wood",
    });
    assert.is(created.res.status, 303);
    const current = (await env.services.apps.get(siteId, "equipment-inspections"))!;
    const retyped = JSON.parse(JSON.stringify(current.definition)) as AppDefinition;
    retyped.record.properties.department = { type: "integer" };
    const refused = await designer.post(EDITOR, { _version: String(current.version), definition: text(retyped) });
    assert.is(refused.res.status, 422);
    assert.match(refused.html, /This change would break stored records/);
    assert.match(
      refused.html,
      /<code>\/record\/properties\/department\/type<\/code>: changes the type of &quot;department&quot; from Text to Whole number, and 1 stored record holds the old type/,
    );

    const without = JSON.parse(JSON.stringify(current.definition)) as AppDefinition;
    delete without.record.properties.department;
    const removed = await designer.post(EDITOR, { _version: String(current.version), definition: text(without) });
    assert.is(removed.res.status, 303);
    // Editing the record under the new definition does not drop the removed field's value.
    const { rows } = await env.db.query<{ id: string; data: Record<string, unknown> }>("SELECT id, data FROM records");
    const id = rows[0]!.id;
    const edit = await admin.post(`/apps/equipment-inspections/${id}`, {
      _version: "1",
      equipment: "Saw 2",
      serialNumber: "SAW-1",
      inspectedOn: "2026-01-02",
      result: "pass",
    });
    assert.is(edit.res.status, 303);
    const after = await env.db.query<{ data: Record<string, unknown> }>("SELECT data FROM records WHERE id = $1", [id]);
    assert.is(after.rows[0]!.data.department, "Wood");
    assert.is(after.rows[0]!.data.equipment, "Saw 2");
  },
);

t(
  "an older version can be viewed and restored; the restore is saved as the newest version",
  async ({ env, designer }) => {
    const siteId = (await env.services.sites.publicSite()).id;
    const before = (await env.services.apps.currentVersion(siteId, "equipment-inspections"))!;
    const view = await designer.get(`${EDITOR}?version=1`);
    assert.is(view.res.status, 200);
    assert.match(view.html, /You are looking at version 1/);
    assert.match(view.html, /Restore version 1<\/button>/);
    const restored = await designer.post(`${EDITOR}/restore`, { version: "1", _version: String(before) });
    assert.is(restored.res.status, 303);
    const now = (await env.services.apps.get(siteId, "equipment-inspections"))!;
    assert.is(now.version, before + 1);
    assert.ok(now.definition.record.properties.department, "version 1's field is back");
    assert.is(now.title, "Equipment checks");
    const history = await env.services.apps.history(siteId, "equipment-inspections");
    assert.is(history[0]!.restoredFrom, 1);
    assert.is((await designer.get(`${EDITOR}?version=99`)).res.status, 404);
  },
);

t("a designer adds a new app; it gets a working list and form", async ({ designer, admin }) => {
  const bad = await designer.post("/configure/apps/new", { id: "Bad Id", title: "" });
  assert.is(bad.res.status, 422);
  assert.match(bad.html, /Id must start with a lowercase letter/);
  const taken = await designer.post("/configure/apps/new", { id: "equipment-inspections", title: "Dup" });
  assert.match(taken.html, /Id is already taken/);
  const r = await designer.post("/configure/apps/new", { id: "visitors", title: "Visitors" });
  assert.is(r.res.status, 303);
  assert.is(r.res.headers.get("location"), "/configure/apps/visitors");
  assert.is((await admin.get("/apps/visitors")).res.status, 404, "a new app is a draft until published");
  assert.is((await designer.post("/configure/apps/visitors/publish", {})).res.status, 303);
  assert.is((await admin.post("/apps/visitors/new", { name: "Ada" })).res.status, 303);
  const list = await admin.get("/apps/visitors");
  assert.match(list.html, />Ada<\/a>/);
});

t("definitions are per site: another site's designer changes only that site's app", async ({ env, north, builtIn }) => {
  const mine = JSON.parse(text(builtIn)) as AppDefinition;
  mine.title = "North inspections";
  const saved = await north.post(EDITOR, { _version: "0", definition: text(mine) });
  assert.is(saved.res.status, 303);
  const s = env.services;
  const northSite = (await s.sites.bySlug("north"))!;
  assert.is((await s.apps.get(northSite.id, "equipment-inspections"))!.title, "North inspections");
  assert.is((await s.apps.get((await s.sites.publicSite()).id, "equipment-inspections"))!.title, "Equipment checks");
  assert.is((await north.get("/configure/apps/visitors")).res.status, 404, "the public site's own app is not visible");
});

t("breaking-change rules: ids, types inside arrays, store moves and required system fields", () => {
  const users: AppDefinition = {
    id: "people",
    title: "People",
    record: {
      type: "object",
      required: ["username", "email"],
      properties: {
        username: { type: "string", "x-system": "user.username" },
        email: { type: "string", "x-system": "user.email" },
        tags: { type: "array", items: { type: "string" } },
      },
    },
  };
  const noEmail = structuredClone(users);
  delete noEmail.record.properties.email;
  noEmail.record.required = ["username"];
  assert.match(
    breakingChanges(users, noEmail, 0)[0]!.message,
    /removes the required system field "email" \(user.email\)/,
  );
  const itemType = structuredClone(users);
  itemType.record.properties.tags = { type: "array", items: { type: "integer" } };
  assert.equal(breakingChanges(users, itemType, 0), [], "no records, no breakage");
  assert.is(breakingChanges(users, itemType, 3)[0]!.pointer, "/record/properties/tags/items/type");
  assert.match(breakingChanges(users, itemType, 1)[0]!.message, /and 1 stored record holds the old type\./);
  assert.match(breakingChanges(users, itemType, 3)[0]!.message, /and 3 stored records hold the old type\./);
  const choiceOfNumbers = structuredClone(users);
  choiceOfNumbers.record.properties.tags = { type: "array", items: { type: "string", enum: ["a"] } };
  const numbers = structuredClone(users);
  numbers.record.properties.tags = { type: "array", items: { type: "integer", enum: [1] } };
  assert.match(
    breakingChanges(choiceOfNumbers, numbers, 1)[0]!.message,
    /changes the type of "tags\[\]" from Choice of text to Choice of whole numbers, and/,
  );
  const plain: AppDefinition = {
    ...structuredClone(users),
    record: { type: "object", properties: { username: { type: "string" } } },
  };
  assert.ok(breakingChanges(users, plain, 2).some((p) => /ordinary records/.test(p.message)));
  assert.match(breakingChanges(users, { ...users, id: "x" }, 0)[0]!.message, /cannot change/);
});

t.run();
