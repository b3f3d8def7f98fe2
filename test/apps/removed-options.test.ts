// @storage
// Issue 20, fault 9: removing (or renaming) a choice option that records hold is never silent. The
// designer's Publish first says how many records hold each removed option; they keep the value
// ("(removed option) X", kept by every later save that does not touch the field, web and device)
// or map to a remaining option in the publish's own transaction, audited; a failing publish
// changes nothing. Plain POSTs throughout (no JavaScript).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { AppDefinition } from "../../engine/schema/types.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { api, bearer } from "../device/client.js";

const APP = "equipment-inspections";
const PASSWORD = "correct horse battery";
const actor = { id: null, name: "test" };

interface Ctx {
  env: TestEnv;
  siteId: string;
  dora: TestClient;
  ada: TestClient;
  token: string;
}
const t = suite<Ctx>(`removed choice options [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  const s = ctx.env.services;
  ctx.siteId = (await s.sites.publicSite()).id;
  await s.users.create({ siteId: ctx.siteId, username: "dora", password: PASSWORD, role: "designer" });
  const ada = await s.users.create({
    siteId: ctx.siteId,
    username: "ada",
    password: PASSWORD,
    role: "admin",
    deviceAccess: true,
  });
  ctx.token = (await s.deviceTokens.issue(ada.id, null)).token;
  ctx.dora = new TestClient(ctx.env.app);
  await ctx.dora.signIn("dora", PASSWORD);
  ctx.ada = new TestClient(ctx.env.app);
  await ctx.ada.signIn("ada", PASSWORD);
});
t.after(async (ctx) => ctx.env.close());

const inspection = (n: number, extra: Record<string, unknown> = {}) => ({
  equipment: `Press ${n}`,
  serialNumber: `PR-${n}`,
  inspectedOn: "2026-01-02",
  result: "pass",
  ...extra,
});

async function records(env: TestEnv, siteId: string) {
  const { rows } = await env.db.query<{ id: string; version: number; data: Record<string, unknown> }>(
    "SELECT id, version, data FROM records WHERE site_id = $1 AND app_id = $2 ORDER BY data->>'serialNumber'",
    [siteId, APP],
  );
  return rows;
}

/** Saves the published definition changed by `change` as the app's draft; returns the page's stamp. */
async function draft(ctx: Ctx, change: (d: AppDefinition) => void): Promise<string> {
  const s = ctx.env.services;
  const app = (await s.apps.get(ctx.siteId, APP))!;
  const d = structuredClone<AppDefinition>(app.definition);
  change(d);
  await s.drafts.save(ctx.siteId, d, app.version, actor);
  const page = await ctx.dora.get(`/configure/apps/${APP}`);
  return page.html.match(/name="draftStamp" value="([^"]+)"/)![1]!;
}

const withoutOption = (d: AppDefinition, field: string, value: string) => {
  const f = d.record.properties[field]!;
  const holder = f.type === "array" ? f.items! : f;
  holder.enum = holder.enum!.filter((v) => v !== value) as typeof holder.enum;
};

t("Publish asks first: per removed option, how many records hold it; nothing is published yet", async (ctx) => {
  const s = ctx.env.services;
  const app = (await s.apps.get(ctx.siteId, APP))!;
  const store = s.apps.storeFor(app);
  const c = { siteId: ctx.siteId, actor };
  await store.create(app, c, inspection(1, { location: "Yard", hazards: ["noise", "chemical"] }));
  await store.create(app, c, inspection(2, { location: "Yard" }));
  await store.create(app, c, inspection(3, { location: "Warehouse", hazards: ["chemical"] }));
  await store.create(app, c, inspection(4, { location: "Workshop A" }));
  const stamp = await draft(ctx, (d) => {
    withoutOption(d, "location", "Yard");
    withoutOption(d, "location", "Workshop B"); // held by no record: not asked about
    withoutOption(d, "hazards", "chemical");
  });
  const asked = await ctx.dora.post(`/configure/apps/${APP}/publish`, { draftStamp: stamp });
  assert.is(asked.res.status, 200);
  const rows = [...asked.html.matchAll(/<tr data-option="([^"]+)">[\s\S]*?<td class="count">([^<]+)<\/td>/g)].map(
    (m) => [m[1]!.replace(/&quot;/g, '"'), m[2]],
  );
  assert.equal(rows, [
    ['location="Yard"', "2 records"],
    ['hazards="chemical"', "2 records"],
  ]);
  assert.match(asked.html, /Keep as “\(removed option\) Yard”/);
  assert.match(asked.html, /<option value="to:&quot;Workshop A&quot;">Change to “Workshop A”<\/option>/);
  assert.is((await s.apps.get(ctx.siteId, APP))!.version, 0, "nothing published before the answer");
  assert.ok(await s.drafts.get(ctx.siteId, APP), "the draft is kept");
});

t(
  "keep: the values stay, show as (removed option) X, and survive edits of other fields (web and device)",
  async (ctx) => {
    const s = ctx.env.services;
    const page = await ctx.dora.get(`/configure/apps/${APP}`);
    const stamp = page.html.match(/name="draftStamp" value="([^"]+)"/)![1]!;
    const done = await ctx.dora.post(`/configure/apps/${APP}/publish`, {
      draftStamp: stamp,
      "option-0": "keep",
      "option-key-0": 'location="Yard"',
      "option-1": "keep",
      "option-key-1": 'hazards="chemical"',
    });
    assert.is(done.res.status, 303);
    assert.is((await s.apps.get(ctx.siteId, APP))!.version, 1);
    const before = await records(ctx.env, ctx.siteId);
    assert.equal(
      before.map((r) => r.data.location),
      ["Yard", "Yard", "Warehouse", "Workshop A"],
    );
    const { rows: audit } = await s.db.query<{ action: string; details: { field: string; records: number } }>(
      "SELECT action, details FROM audit_log WHERE action LIKE 'app.option.%' ORDER BY id",
    );
    assert.equal(
      audit.map((a) => [a.action, a.details.field, a.details.records]),
      [
        ["app.option.keep", "location", 2],
        ["app.option.keep", "hazards", 2],
      ],
    );

    // Shown in the list, the record view and the edit form.
    const list = await ctx.ada.get(`/apps/${APP}`);
    assert.match(list.html, /\(removed option\) Yard/);
    const pr1 = before[0]!;
    const form = await ctx.ada.get(`/apps/${APP}/${pr1.id}`);
    assert.match(form.html, /<option value="Yard" selected="">\(removed option\) Yard<\/option>/);
    assert.match(form.html, /value="chemical" checked=""\/?>\(removed option\) chemical/);

    // An edit of another field, posted as the form sends it: the kept values stay.
    const saved = await ctx.ada.post(`/apps/${APP}/${pr1.id}`, {
      _version: String(pr1.version),
      equipment: "Press 1 (serviced)",
      serialNumber: "PR-1",
      inspectedOn: "2026-01-02",
      result: "pass",
      location: "Yard",
      hazards: ["noise", "chemical"],
    });
    assert.is(saved.res.status, 303, saved.html.match(/field-error[^>]*>([^<]+)/)?.[1]);
    const after = (await records(ctx.env, ctx.siteId))[0]!;
    assert.is(after.data.equipment, "Press 1 (serviced)");
    assert.is(after.data.location, "Yard");
    assert.equal(after.data.hazards, ["noise", "chemical"]);

    // Picking a removed option anew is refused: only a value the record held is kept.
    const pr4 = (await records(ctx.env, ctx.siteId))[3]!;
    const fresh = await ctx.ada.post(`/apps/${APP}/${pr4.id}`, {
      _version: String(pr4.version),
      ...inspection(4),
      location: "Yard",
    });
    assert.is(fresh.res.status, 422);
    assert.is((await records(ctx.env, ctx.siteId))[3]!.data.location, "Workshop A");

    // The device API's PATCH of another field keeps them too; setting a removed option is a 422.
    const pr2 = (await records(ctx.env, ctx.siteId))[1]!;
    const path = `/api/device/apps/${APP}/records/${pr2.id}`;
    const patched = await api(
      ctx.env.app,
      "PATCH",
      path,
      { version: pr2.version, data: { equipment: "Press 2b" } },
      bearer(ctx.token),
    );
    assert.is(patched.status, 200, JSON.stringify(patched.json));
    assert.is(patched.json.data.location, "Yard");
    const pr3 = (await records(ctx.env, ctx.siteId))[2]!;
    const refused = await api(
      ctx.env.app,
      "PATCH",
      `/api/device/apps/${APP}/records/${pr3.id}`,
      { version: pr3.version, data: { hazards: ["chemical", "noise"] } },
      bearer(ctx.token),
    );
    assert.is(refused.status, 200, "chemical was held already: adding noise beside it is fine");
    const added = await api(
      ctx.env.app,
      "PATCH",
      `/api/device/apps/${APP}/records/${pr3.id}`,
      { version: refused.json.version, data: { location: "Yard" } },
      bearer(ctx.token),
    );
    assert.is(added.status, 422);
  },
);

t("map: the values change to the chosen option in the publish's transaction, audited", async (ctx) => {
  const s = ctx.env.services;
  const stamp = await draft(ctx, (d) => withoutOption(d, "location", "Warehouse"));
  const before = await records(ctx.env, ctx.siteId);
  const asked = await ctx.dora.post(`/configure/apps/${APP}/publish`, { draftStamp: stamp });
  assert.match(asked.html, /data-option="location=&quot;Warehouse&quot;"/);
  assert.not.match(asked.html, /data-option="location=&quot;Yard&quot;"/, "already removed: not asked again");
  const done = await ctx.dora.post(`/configure/apps/${APP}/publish`, {
    draftStamp: stamp,
    "option-0": 'to:"Workshop A"',
    "option-key-0": 'location="Warehouse"',
  });
  assert.is(done.res.status, 303);
  const after = await records(ctx.env, ctx.siteId);
  assert.equal(
    after.map((r) => r.data.location),
    ["Yard", "Yard", "Workshop A", "Workshop A"],
  );
  assert.is(after[2]!.version, before[2]!.version + 1, "a mapped record gets a new version");
  assert.is(after[3]!.version, before[3]!.version, "the others are untouched");
  const { rows: rev } = await s.db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM record_revisions WHERE record_id = $1 AND version = $2",
    [after[2]!.id, after[2]!.version],
  );
  assert.is(rev[0]!.n, 1, "with a revision");
  const { rows: audit } = await s.db.query<{ details: Record<string, unknown> }>(
    "SELECT details FROM audit_log WHERE action = 'app.option.map'",
  );
  assert.equal(
    audit.map((a) => [a.details.option, a.details.to, a.details.records, a.details.version]),
    [["Warehouse", "Workshop A", 1, 2]],
  );
});

t("a publish that fails after the mapping changes nothing: no version, no record, the draft kept", async (ctx) => {
  const s = ctx.env.services;
  const stamp = await draft(ctx, (d) => void (d.record.properties.location!.enum = ["Workshop B"]));
  const asked = await ctx.dora.post(`/configure/apps/${APP}/publish`, { draftStamp: stamp });
  assert.match(asked.html, /data-option="location=&quot;Workshop A&quot;"/);
  // Meanwhile someone publishes another version (the JSON editor): this Publish must fail as a whole.
  const live = (await s.apps.get(ctx.siteId, APP))!;
  await s.apps.save(ctx.siteId, { ...structuredClone(live.definition), title: "Inspections" }, actor, live.version);
  const before = await records(ctx.env, ctx.siteId);
  const { rows: auditBefore } = await s.db.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_log");
  const failed = await ctx.dora.post(`/configure/apps/${APP}/publish`, {
    draftStamp: stamp,
    "option-0": 'to:"Workshop B"',
    "option-key-0": 'location="Workshop A"',
  });
  assert.is(failed.res.status, 422);
  assert.equal(await records(ctx.env, ctx.siteId), before, "no record changed");
  assert.is((await s.apps.get(ctx.siteId, APP))!.version, live.version + 1, "only the other version");
  const { rows: auditAfter } = await s.db.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_log");
  assert.is(auditAfter[0]!.n, auditBefore[0]!.n, "no audit entry of a mapping that did not happen");
  assert.ok(await s.drafts.get(ctx.siteId, APP), "the draft is kept");

  // An answer to another question (a key the page did not ask) is not applied: the page asks again.
  await s.drafts.discard(ctx.siteId, APP);
  const again = await draft(ctx, (d) => void (d.record.properties.location!.enum = ["Workshop B"]));
  const stale = await ctx.dora.post(`/configure/apps/${APP}/publish`, {
    draftStamp: again,
    "option-0": 'to:"Workshop B"',
    "option-key-0": 'location="Warehouse"',
  });
  assert.is(stale.res.status, 409);
  assert.equal(await records(ctx.env, ctx.siteId), before);
});

t("a renamed option (same label, new value) is offered as the mapping first", async (ctx) => {
  const s = ctx.env.services;
  const app = (await s.apps.get(ctx.siteId, APP))!;
  await s.apps.storeFor(app).create(app, { siteId: ctx.siteId, actor }, inspection(5, { result: "pass-with-notes" }));
  const stamp = await draft(ctx, (d) => {
    d.record.properties.result!.oneOf = [
      { const: "pass", title: "Pass" },
      { const: "notes", title: "Pass with notes" },
      { const: "fail", title: "Fail" },
    ];
  });
  const asked = await ctx.dora.post(`/configure/apps/${APP}/publish`, { draftStamp: stamp });
  assert.match(asked.html, /<option value="to:&quot;notes&quot;" selected="">Change to “Pass with notes”<\/option>/);
  const done = await ctx.dora.post(`/configure/apps/${APP}/publish`, {
    draftStamp: stamp,
    "option-0": 'to:"notes"',
    "option-key-0": 'result="pass-with-notes"',
  });
  assert.is(done.res.status, 303);
  const pr5 = (await records(ctx.env, ctx.siteId)).find((r) => r.data.serialNumber === "PR-5")!;
  assert.is(pr5.data.result, "notes");
});

t("a field hidden before and after an edit keeps its stored value; one the edit hides is dropped", async (ctx) => {
  const s = ctx.env.services;
  const app = (await s.apps.get(ctx.siteId, APP))!;
  const store = s.apps.storeFor(app);
  const c = { siteId: ctx.siteId, actor };
  const hidden = await store.create(app, c, inspection(6, { result: "fail", failureReason: "guard loose" }));
  const shown = await store.create(app, c, inspection(7, { result: "fail", failureReason: "belt worn" }));
  // The designer later shows the reason for another value only: PR-6's reason is hidden, not gone.
  await s.db.query(`UPDATE records SET data = data || '{"result": "pass"}'::jsonb WHERE id = $1`, [hidden.id]);
  const edit = await ctx.ada.post(`/apps/${APP}/${hidden.id}`, {
    _version: String(hidden.version),
    ...inspection(6, { equipment: "Press 6b" }),
  });
  assert.is(edit.res.status, 303);
  const kept = (await records(ctx.env, ctx.siteId)).find((r) => r.id === hidden.id)!;
  assert.is(kept.data.equipment, "Press 6b");
  assert.is(kept.data.failureReason, "guard loose", "untouched and never shown: kept");
  const hide = await ctx.ada.post(`/apps/${APP}/${shown.id}`, {
    _version: String(shown.version),
    ...inspection(7, { result: "pass", failureReason: "belt worn" }),
  });
  assert.is(hide.res.status, 303);
  const dropped = (await records(ctx.env, ctx.siteId)).find((r) => r.id === shown.id)!;
  assert.is(dropped.data.failureReason, undefined, "the user's change hid it: not part of the record");
});

t("the JSON editor does not take an option records hold: it names the count and points to Publish", async (ctx) => {
  const s = ctx.env.services;
  await s.drafts.discard(ctx.siteId, APP);
  const live = (await s.apps.get(ctx.siteId, APP))!;
  const d = structuredClone<AppDefinition>(live.definition);
  d.record.properties.result!.oneOf = d.record.properties.result!.oneOf!.filter((o) => o.const !== "notes") as never;
  const before = await records(ctx.env, ctx.siteId);
  const r = await ctx.dora.post(`/configure/apps/${APP}`, {
    definition: JSON.stringify(d),
    _version: String(live.version),
  });
  assert.is(r.res.status, 422);
  assert.match(
    r.html,
    /removes the option &quot;Pass with notes&quot; of &quot;Result&quot;, which 1 stored record holds/,
  );
  assert.is((await s.apps.get(ctx.siteId, APP))!.version, live.version);
  assert.equal(await records(ctx.env, ctx.siteId), before);
});

t(
  "the counts the page showed go with the answer: changed meanwhile, the page is asked again with the new ones",
  async (ctx) => {
    const s = ctx.env.services;
    await s.drafts.discard(ctx.siteId, APP);
    const stamp = await draft(ctx, (d) => withoutOption(d, "hazards", "noise"));
    const asked = await ctx.dora.post(`/configure/apps/${APP}/publish`, { draftStamp: stamp });
    assert.is(asked.res.status, 200);
    assert.match(asked.html, /<td class="count">2 records<\/td>/);
    assert.match(
      asked.html,
      /<input type="hidden" name="option-count-0" value="2"\/?>/,
      "the form carries the count shown",
    );
    // Someone stores a third record with the option before the designer confirms.
    const app = (await s.apps.get(ctx.siteId, APP))!;
    await s.apps.storeFor(app).create(app, { siteId: ctx.siteId, actor }, inspection(8, { hazards: ["noise"] }));
    const before = await records(ctx.env, ctx.siteId);
    const answer = { draftStamp: stamp, "option-0": 'to:"mechanical"', "option-key-0": 'hazards="noise"' };
    const again = await ctx.dora.post(`/configure/apps/${APP}/publish`, { ...answer, "option-count-0": "2" });
    assert.is(again.res.status, 409);
    assert.match(again.html, /<td class="count">3 records<\/td>/);
    assert.match(again.html, /The number of records holding a removed option changed since the page was shown/);
    assert.equal(await records(ctx.env, ctx.siteId), before, "nothing changed");
    assert.is((await s.apps.get(ctx.siteId, APP))!.version, app.version, "nothing published");
    const done = await ctx.dora.post(`/configure/apps/${APP}/publish`, { ...answer, "option-count-0": "3" });
    assert.is(done.res.status, 303);
    const after = await records(ctx.env, ctx.siteId);
    assert.is(after.filter((r) => (r.data.hazards as string[] | undefined)?.includes("noise")).length, 0);
    assert.is(after.filter((r) => (r.data.hazards as string[] | undefined)?.includes("mechanical")).length, 3);
  },
);

t("Restore of a version without an option records hold asks the same keep/change question", async (ctx) => {
  const s = ctx.env.services;
  const live = (await s.apps.get(ctx.siteId, APP))!;
  const withDepot = structuredClone<AppDefinition>(live.definition);
  withDepot.record.properties.location!.enum = [...withDepot.record.properties.location!.enum!, "Depot"] as never;
  const v = await s.apps.save(ctx.siteId, withDepot, actor, live.version);
  await s.apps.storeFor(v).create(v, { siteId: ctx.siteId, actor }, inspection(9, { location: "Depot" }));
  const restore = { version: String(live.version), _version: String(v.version) };
  const asked = await ctx.dora.post(`/configure/apps/${APP}/restore`, restore);
  assert.is(asked.res.status, 200);
  assert.match(asked.html, new RegExp(`<h1>Restore version ${live.version} of [^<]*: removed options in use</h1>`));
  assert.match(asked.html, /<form method="post" action="\/configure\/apps\/equipment-inspections\/restore">/);
  assert.match(asked.html, new RegExp(`<input type="hidden" name="version" value="${live.version}"/?>`));
  assert.match(asked.html, /data-option="location=&quot;Depot&quot;"[\s\S]*?<td class="count">1 record<\/td>/);
  assert.not.match(asked.html, /Make the change in the designer/);
  assert.is((await s.apps.get(ctx.siteId, APP))!.version, v.version, "nothing restored yet");
  const done = await ctx.dora.post(`/configure/apps/${APP}/restore`, {
    ...restore,
    "option-0": 'to:"Workshop A"',
    "option-key-0": 'location="Depot"',
    "option-count-0": "1",
  });
  assert.is(done.res.status, 303);
  const now = (await s.apps.get(ctx.siteId, APP))!;
  assert.is(now.version, v.version + 1);
  assert.equal(now.definition, live.definition, "the old version, restored");
  const pr9 = (await records(ctx.env, ctx.siteId)).find((r) => r.data.serialNumber === "PR-9")!;
  assert.is(pr9.data.location, "Workshop A");
  const { rows: audit } = await s.db.query<{ action: string; details: Record<string, unknown> }>(
    "SELECT action, details FROM audit_log WHERE action IN ('app.option.map', 'app.restore') ORDER BY id DESC LIMIT 2",
  );
  assert.equal(audit.map((a) => [a.action, a.details.version]).sort(), [
    ["app.option.map", now.version],
    ["app.restore", now.version],
  ]);
});

t.run();
