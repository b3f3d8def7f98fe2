// @storage
// The designer never silently invalidates stored data (a fresh reviewer's HIGH finding): a new
// definition whose field rules the values already stored would fail (a format, a limit, a pattern,
// a new required field, free text turned into a Choice, Email or Date) is refused with a message
// per field that says in how many stored records and why, in the designer's field save, at
// Publish, in the JSON editor (and its live check) and at Restore; nothing is saved. Removed
// options keep going through Publish's keep/change page. And a Choice option that another field's
// "Visible when" depends on cannot be removed from under it. Plain POSTs throughout.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { AppDefinition } from "../../engine/schema/types.js";
import { startTestEnv, type TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { designerTeam } from "../helpers/visitor-log.js";

const APP = "review-test";
const PAGE = `/configure/apps/${APP}`;
const PASSWORD = "correct horse battery";
const actor = { id: null, name: "test" };

interface Ctx {
  env: TestEnv;
  siteId: string;
  dora: TestClient;
}
const t = suite<Ctx>(`field changes checked against stored values [${testBackend}]`);

/** The reviewer's app: Name (Text, required), Count (Whole number 0–1000), Notes, Status, Reason, and more. */
const DEFINITION: AppDefinition = {
  id: APP,
  title: "Review test",
  record: {
    type: "object",
    required: ["name"],
    additionalProperties: false,
    properties: {
      name: { type: "string", title: "Name", minLength: 1, maxLength: 200 },
      count: { type: "integer", title: "Count", minimum: 0, maximum: 1000 },
      notes: { type: "string", title: "Notes", "x-widget": "textarea" },
      status: {
        type: "string",
        title: "Status",
        oneOf: [
          { const: "open", title: "Open" },
          { const: "hold", title: "On hold" },
          { const: "done", title: "Done" },
        ],
      },
      reason: { type: "string", title: "Reason", "x-visibleWhen": { field: "status", equals: "hold" } },
      price: { type: "number", title: "Price" },
      checklist: {
        type: "array",
        title: "Checklist",
        items: {
          type: "object",
          additionalProperties: false,
          properties: {
            item: { type: "string", title: "Item" },
            score: { type: "integer", title: "Score", minimum: 0 },
          },
        },
      },
    },
  },
  list: { columns: ["name", "count", "status"] },
};

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  const team = await designerTeam(ctx.env, PASSWORD);
  ctx.siteId = team.siteId;
  ctx.dora = team.dora;
  const s = ctx.env.services;
  const app = await s.apps.save(ctx.siteId, structuredClone(DEFINITION), actor, null);
  const store = s.apps.storeFor(app);
  const c = { siteId: ctx.siteId, actor };
  await store.create(app, c, {
    name: "Alpha",
    count: 5,
    notes: "fifteen letters",
    status: "hold",
    reason: "waiting",
    price: 9.99,
    checklist: [{ item: "a", score: 3 }],
  });
  await store.create(app, c, { name: "Beta", count: 5, status: "open" });
  await store.create(app, c, { name: "Gamma", count: 9, notes: "ok", status: "done" });
});
t.after(async (ctx) => ctx.env.close());

const decode = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
/** The message in a form field's error slot (`err-<name>`). */
const slot = (html: string, name: string) =>
  decode(html.match(new RegExp(`id="err-${name}"[^>]*>([^<]*)<`))?.[1] ?? "");
const stampOf = (html: string) => html.match(/name="draftStamp" value="([^"]+)"/)![1]!;

async function published(ctx: Ctx) {
  return (await ctx.env.services.apps.get(ctx.siteId, APP))!;
}

t("a field save whose rules stored values would fail is refused per field, in the field's terms", async (ctx) => {
  const d = ctx.dora;
  const cases: [string, Record<string, string>, string, string][] = [
    [
      "count",
      { minimum: "6" },
      "minimum",
      '"Count": 2 stored records hold values below the new minimum 6 (the lowest is 5). Change those records first, or keep the limit.',
    ],
    [
      "count",
      { maximum: "8" },
      "maximum",
      '"Count": 1 stored record holds a value above the new maximum 8 (the highest is 9). Change that record first, or keep the limit.',
    ],
    [
      "notes",
      { maxLength: "2" },
      "maxLength",
      '"Notes": 1 stored record holds text longer than the new maximum length 2 (the longest has 15 characters). Change that record first, or keep the limit.',
    ],
    [
      "reason",
      { pattern: "^[A-Z]+$" },
      "pattern",
      '"Reason": 1 stored record holds text that does not match the new pattern ^[A-Z]+$. Change that record first, or keep the pattern.',
    ],
    [
      "name",
      { type: "date" },
      "type",
      '"Name": 3 stored records hold values that are not a date (YYYY-MM-DD), which a Date field cannot show. Change those records first, or keep the type Text.',
    ],
    [
      "notes",
      { type: "email" },
      "type",
      '"Notes": 2 stored records hold values that are not an email address, which an Email field cannot show. Change those records first, or keep the type Long text.',
    ],
    [
      "notes",
      { required: "on" },
      "required",
      '"Notes": 1 stored record has no value, and a required field needs one. Fill it in first, or leave the field optional.',
    ],
    [
      "notes",
      { type: "choice", options: "ok|OK" },
      "options",
      '"Notes": 1 stored record holds a value that is none of the options ("fifteen letters"). Change that record first, add it as an option, or keep the type Long text.',
    ],
  ];
  for (const [field, body, key, message] of cases) {
    const page = await d.get(`${PAGE}/fields/${field}`);
    const r = await d.post(`${PAGE}/fields/${field}`, { ...body, draftStamp: stampOf(page.html) });
    assert.is(r.res.status, 422, `${field} ${JSON.stringify(body)}`);
    assert.is(slot(r.html, key), message, `${field} ${JSON.stringify(body)}`);
    // "The definition is valid." would speak of the unchanged draft, right under the refusal.
    assert.not.match(r.html, /id="definition-ok"/, `${field}: no "valid" notice beside a refusal`);
    assert.is(await ctx.env.services.drafts.get(ctx.siteId, APP), null, "nothing saved");
  }
  // A new field added as required: no record has a value for it yet.
  const added = await d.post(`${PAGE}/fields/new`, { type: "text", title: "Owner", required: "on" });
  assert.is(added.res.status, 422);
  assert.is(
    slot(added.html, "required"),
    '"Owner": 3 stored records have no value, and a required field needs one. Add the field as optional first, fill it in, then make it required.',
  );
  assert.is(await ctx.env.services.drafts.get(ctx.siteId, APP), null, "nothing saved");
});

t("what stored values still pass is saved: limits they meet, a condition-bound required field", async (ctx) => {
  const d = ctx.dora;
  const ok = async (field: string, body: Record<string, string>) => {
    const r = await d.post(`${PAGE}/fields/${field}`, body);
    assert.is(r.res.status, 303, `${field} ${JSON.stringify(body)}: ${slot(r.html, "_")}`);
  };
  await ok("count", { minimum: "5", maximum: "9" });
  await ok("notes", { maxLength: "15" });
  // Reason is shown (and so required) only when Status is hold; the one such record has a reason.
  await ok("reason", { required: "on" });
  // A label change of a field whose values are fine is a change like any other.
  await ok("price", { title: "Unit price" });
  const draft = (await ctx.env.services.drafts.get(ctx.siteId, APP))!.definition;
  assert.is(draft.record.properties.count!.minimum, 5);
  assert.ok(draft.record.required!.includes("reason"));
  await d.post(`${PAGE}/discard`, {});
});

t("a nested field (Repeating rows) is checked the same way, with the pointer to the nested field", async (ctx) => {
  const r = await ctx.dora.post(`${PAGE}/fields/checklist.score`, { minimum: "4" });
  assert.is(r.res.status, 422);
  assert.is(
    slot(r.html, "minimum"),
    '"Checklist › Score": 1 stored record holds a value below the new minimum 4 (the lowest is 3). Change that record first, or keep the limit.',
  );
  assert.is(await ctx.env.services.drafts.get(ctx.siteId, APP), null);
});

t("Publish checks again: a record stored since the draft was saved is not overrun", async (ctx) => {
  const s = ctx.env.services;
  const d = ctx.dora;
  assert.is((await d.post(`${PAGE}/fields/count`, { maximum: "9" })).res.status, 303);
  const app = await published(ctx);
  await s.apps.storeFor(app).create(app, { siteId: ctx.siteId, actor }, { name: "Delta", count: 12 });
  const page = await d.get(PAGE);
  const r = await d.post(`${PAGE}/publish`, { draftStamp: stampOf(page.html) });
  assert.is(r.res.status, 422);
  assert.match(
    decode(r.html),
    /"Count": 1 stored record holds a value above the new maximum 9 \(the highest is 12\)\. Change that record first, or keep the limit\./,
  );
  assert.is((await published(ctx)).version, app.version, "not published");
  assert.ok(await s.drafts.get(ctx.siteId, APP), "the draft is kept");
  await d.post(`${PAGE}/discard`, { draftStamp: stampOf(page.html) });
});

t("the JSON editor, its live check and Restore refuse it too", async (ctx) => {
  const s = ctx.env.services;
  const live = await published(ctx);
  const d = structuredClone<AppDefinition>(live.definition);
  d.record.properties.price!.maximum = 1;
  const body = { definition: JSON.stringify(d), _version: String(live.version) };
  const message =
    /"Price": 1 stored record holds a value above the new maximum 1 \(the highest is 9\.99\)\. Change that record first, or keep the limit\./;
  const check = await ctx.dora.post(`${PAGE}/check`, body);
  assert.match(decode(check.html), message);
  const saved = await ctx.dora.post(PAGE, body);
  assert.is(saved.res.status, 422);
  assert.match(decode(saved.html), message);
  assert.is((await published(ctx)).version, live.version, "nothing saved");

  // An older version whose limit the records have outgrown since: Restore refuses it.
  const older = structuredClone<AppDefinition>(live.definition);
  older.record.properties.count!.maximum = 10;
  const v = await s.apps.save(ctx.siteId, older, actor, live.version); // before Delta's 12 (as if)
  const back = await s.apps.save(ctx.siteId, structuredClone(live.definition), actor, v.version);
  const restore = await ctx.dora.post(`${PAGE}/restore`, {
    version: String(v.version),
    _version: String(back.version),
  });
  assert.is(restore.res.status, 422);
  assert.match(
    decode(restore.html),
    /"Count": 1 stored record holds a value above the new maximum 10 \(the highest is 12\)/,
  );
  assert.is((await published(ctx)).version, back.version, "nothing restored");
});

t("a designer field of the user accounts is checked against what the accounts hold", async (ctx) => {
  const s = ctx.env.services;
  const users = (await s.apps.get(ctx.siteId, "user-accounts"))!;
  const d = structuredClone<AppDefinition>(users.definition);
  d.record.properties.floor = { type: "integer", title: "Floor", minimum: 0 };
  await s.apps.save(ctx.siteId, d, actor, users.version);
  const u = await s.users.create({ siteId: ctx.siteId, username: "olga" });
  await s.db.query(`UPDATE users SET data = '{"floor": 2}'::jsonb WHERE id = $1`, [u.id]);
  const r = await ctx.dora.post("/configure/apps/user-accounts/fields/floor", { minimum: "3" });
  assert.is(r.res.status, 422);
  assert.match(
    slot(r.html, "minimum"),
    /^"Floor": 1 stored record holds a value below the new minimum 3 \(the lowest is 2\)/,
  );
});

t("removing an option that another field's Visible when names is refused, naming that field", async (ctx) => {
  const r = await ctx.dora.post(`${PAGE}/fields/status`, { options: "open|Open\ndone|Done" });
  assert.is(r.res.status, 422);
  assert.is(
    slot(r.html, "options"),
    "Reason is shown when Status is hold, which is not one of Status's options: change Reason's Visible when first.",
  );
  assert.is(await ctx.env.services.drafts.get(ctx.siteId, APP), null);
  // The JSON editor says so too, and its check no longer calls the definition valid.
  const live = await published(ctx);
  const d = structuredClone<AppDefinition>(live.definition);
  d.record.properties.status!.oneOf = d.record.properties.status!.oneOf!.filter((o) => o.const !== "hold") as never;
  const body = { definition: JSON.stringify(d), _version: String(live.version) };
  const check = await ctx.dora.post(`${PAGE}/check`, body);
  assert.not.match(check.html, /The definition is valid/);
  assert.match(decode(check.html), /Reason is shown when Status is hold, which is not one of Status's options/);
  assert.is((await ctx.dora.post(PAGE, body)).res.status, 422);
  // A draft saved before the rule (written here as it was, unchecked) is not published either.
  await ctx.env.db.query(
    `INSERT INTO app_drafts (site_id, app_id, definition, base_version, updated_at, updated_by, updated_by_name)
     VALUES ($1, $2, $3, $4, $5, NULL, 'old')`,
    [ctx.siteId, APP, JSON.stringify(d), live.version, ctx.env.clock.now()],
  );
  const refused = await ctx.dora.post(`${PAGE}/publish`, {});
  assert.is(refused.res.status, 422);
  assert.match(decode(refused.html), /Nothing was published: Reason is shown when Status is hold/);
  assert.is((await published(ctx)).version, live.version);
  await ctx.env.services.drafts.discard(ctx.siteId, APP);
});

t("taking away an option records hold still goes to Publish's keep/change page", async (ctx) => {
  const r = await ctx.dora.post(`${PAGE}/fields/status`, { options: "open|Open\nhold|On hold" });
  assert.is(r.res.status, 303, slot(r.html, "options"));
  const page = await ctx.dora.get(PAGE);
  const asked = await ctx.dora.post(`${PAGE}/publish`, { draftStamp: stampOf(page.html) });
  assert.is(asked.res.status, 200);
  assert.match(asked.html, /data-option="status=&quot;done&quot;"/);
  await ctx.dora.post(`${PAGE}/discard`, { draftStamp: stampOf(page.html) });
});

t.run();
