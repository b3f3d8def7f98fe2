// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { APP, buildVisitorLogByPosts, designerTeam } from "../helpers/visitor-log.js";

// The designer's review fixes: concurrent designers, defaults and visible-when values, unknown
// values, prototype names, new apps as drafts, the sort menu and relabelled system fields.

const PASSWORD = "correct horse battery";

interface Ctx {
  env: TestEnv;
  dora: TestClient;
  dan: TestClient;
  admin: TestClient;
  siteId: string;
}

const t = suite<Ctx>(`designer review fixes [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  Object.assign(ctx, await designerTeam(ctx.env, PASSWORD));
  await buildVisitorLogByPosts(ctx.dora);
});
t.after(async (ctx) => ctx.env.close());

/** The message in a field's error slot. */
const slot = (html: string, name: string) =>
  html.match(new RegExp(`<small class="field-error" id="err-${name}"[^>]*>([^<]*)</small>`))?.[1] ?? "";
/** The draft stamp a designer page's forms carry. */
const stampOf = (html: string) => {
  const m = html.match(/name="draftStamp" value="([^"]+)"/);
  assert.ok(m, "the page's forms carry the draft stamp");
  return m[1]!;
};
const draftTitle = async (ctx: Ctx, name: string) =>
  (await ctx.env.services.drafts.get(ctx.siteId, "visitor-log"))?.definition.record.properties[name]?.title;

t(
  "two designers: a save from a page the other's change overtook is refused (409), input kept, nothing changed",
  async (ctx) => {
    const a = stampOf((await ctx.dora.get(`${APP}/fields/notes`)).html);
    const b = stampOf((await ctx.dan.get(`${APP}/fields/notes`)).html);
    assert.is(a, b);
    assert.is((await ctx.dan.post(`${APP}/fields/notes`, { title: "Remarks", draftStamp: b })).res.status, 303);
    const stale = await ctx.dora.post(`${APP}/fields/notes`, { title: "Comments", draftStamp: a });
    assert.is(stale.res.status, 409);
    assert.match(stale.html, /dan changed it on \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    // In the site's zone, as every time the designer shows.
    await ctx.env.services.sites.setTimeZone(ctx.siteId, "Europe/Berlin");
    const zoned = await ctx.dora.post(`${APP}/fields/notes`, { title: "Comments", draftStamp: a });
    await ctx.env.services.sites.setTimeZone(ctx.siteId, "UTC");
    assert.match(zoned.html, /dan changed it on \d{4}-\d\d-\d\d \d\d:\d\d Europe\/Berlin\./);
    assert.match(stale.html, /value="Comments"/, "the user's input is kept");
    assert.is(await draftTitle(ctx, "notes"), "Remarks", "nothing changed");
    // htmx save from the stale page: 409 too, the work area with the message.
    const hx = { "hx-request": "true", "hx-target": "#designer-work" };
    const hxStale = await ctx.dora.post(`${APP}/fields/notes`, { title: "Comments", draftStamp: a }, hx);
    assert.is(hxStale.res.status, 409);
    assert.match(hxStale.html, /dan changed it on/);
    // Every other edit form refuses a stale stamp too, and changes nothing.
    const before = await ctx.env.services.drafts.get(ctx.siteId, "visitor-log");
    const published = (await ctx.env.services.apps.get(ctx.siteId, "visitor-log"))!.version;
    const stalePosts: [string, Record<string, string | string[]>][] = [
      [`${APP}/fields/new`, { type: "text", title: "Floor" }],
      [`${APP}/fields/notes/move`, { direction: "up" }],
      [`${APP}/fields/notes/delete`, {}],
      [`${APP}/list`, { columns: ["name"], searchable: ["name"], sort: "name" }],
      [`${APP}/settings`, { title: "Visitors", description: "", openTo: "admin" }],
      [`${APP}/sections/1`, { title: "Who" }],
      [`${APP}/publish`, {}],
      [`${APP}/discard`, {}],
    ];
    for (const [path, body] of stalePosts) {
      const r = await ctx.dora.post(path, { ...body, draftStamp: a });
      assert.is(r.res.status, 409, path);
      assert.match(r.html, /dan changed it on/, path);
    }
    assert.equal(await ctx.env.services.drafts.get(ctx.siteId, "visitor-log"), before, "nothing changed");
    assert.is((await ctx.env.services.apps.get(ctx.siteId, "visitor-log"))!.version, published, "not published");
    // The 409 page carries the stamp of the draft it shows: sending again from it is a deliberate save.
    const again = await ctx.dora.post(`${APP}/fields/notes`, { title: "Comments", draftStamp: stampOf(stale.html) });
    assert.is(again.res.status, 303);
    assert.is(await draftTitle(ctx, "notes"), "Comments");
    // Publish and Discard carry the stamp of the page they are on.
    const page = await ctx.dora.get(APP);
    assert.match(page.html, /action="\/configure\/apps\/visitor-log\/publish"[^>]*>[\s\S]*?name="draftStamp"/);
    assert.match(page.html, /action="\/configure\/apps\/visitor-log\/discard"[^>]*>[\s\S]*?name="draftStamp"/);
    assert.is((await ctx.dora.post(`${APP}/discard`, { draftStamp: stampOf(page.html) })).res.status, 303);
    // A page shown before the discard is stale now.
    assert.is(
      (await ctx.dan.post(`${APP}/fields/notes`, { title: "X", draftStamp: stampOf(page.html) })).res.status,
      409,
    );
    assert.is(await ctx.env.services.drafts.get(ctx.siteId, "visitor-log"), null);
  },
);

t(
  "a default must pass the field's own rules; a visible-when value must be one the other field holds (422 on it)",
  async (ctx) => {
    const d = ctx.dora;
    const cases: [string, Record<string, string>, string, RegExp][] = [
      [
        `${APP}/fields/new`,
        { type: "email", title: "Work email", default: "notanemail" },
        "default",
        /Default must be a valid email/,
      ],
      [
        `${APP}/fields/new`,
        { type: "date", title: "Left on", default: "2026-02-31" },
        "default",
        /Default must be a valid date/,
      ],
      [
        `${APP}/fields/new`,
        { type: "integer", title: "Floor", minimum: "1", maximum: "9", default: "12" },
        "default",
        /Default must be at most 9/,
      ],
      [`${APP}/fields/new`, { type: "text", title: "Code", pattern: "^[A-Z]+$", default: "abc" }, "default", /Default/],
      [
        `${APP}/fields/new`,
        { type: "text", title: "Initials", maxLength: "3", default: "ABCD" },
        "default",
        /Default must be at most 3 characters/,
      ],
      [`${APP}/fields/new`, { type: "choice", title: "Gate", options: "a|A\nb|B", default: "c" }, "default", /Default/],
      [
        `${APP}/fields/new`,
        { type: "text", title: "Party", visibleField: "purpose", visibleValue: "party" },
        "visibleValue",
        /"party" is not one of "Purpose"'s values: Meeting \(meeting\)/,
      ],
      [
        `${APP}/fields/new`,
        { type: "text", title: "Host", visibleField: "purpose", visibleValue: "Meeting" },
        "visibleValue",
        /Pick the value, not the label: "Meeting" is stored as "meeting"/,
      ],
    ];
    const before = await ctx.env.services.drafts.get(ctx.siteId, "visitor-log");
    for (const [path, body, field, message] of cases) {
      const r = await d.post(path, body);
      assert.is(r.res.status, 422, `${body.title}: ${r.res.status}`);
      const text = slot(r.html, field)
        .replace(/&#39;/g, "'")
        .replace(/&quot;/g, '"');
      assert.match(text, message, `${body.title}: "${text}"`);
    }
    assert.equal(await ctx.env.services.drafts.get(ctx.siteId, "visitor-log"), before, "nothing saved");
    // A good default and a value of the choices are accepted.
    assert.is(
      (await d.post(`${APP}/fields/new`, { type: "email", title: "Work email", default: "a@b.example" })).res.status,
      303,
    );
    assert.is(
      (
        await d.post(`${APP}/fields/new`, {
          type: "text",
          title: "Host",
          visibleField: "purpose",
          visibleValue: "meeting",
        })
      ).res.status,
      303,
    );
    // The panel offers the controlling Choice's values as a select, labels shown.
    const panel = await d.get(`${APP}/fields/host`);
    assert.match(
      panel.html,
      /<select[^>]*name="visibleValue"[\s\S]*?<option value="meeting" selected="">Meeting<\/option>/,
    );
    const escort = await d.get(`${APP}/fields/escort`);
    assert.match(escort.html, /<select[^>]*name="visibleValue"[\s\S]*?<option value="true" selected="">Yes<\/option>/);
  },
);

t("unknown values are refused with a message on the field; validator messages are plain", async (ctx) => {
  const d = ctx.dora;
  const cases: [string, Record<string, string | string[]>, string, RegExp][] = [
    [`${APP}/fields/company`, { readOnly: "banana" }, "readOnly", /Read-only must be on or off/],
    [`${APP}/fields/company`, { patternPreset: "nonsense" }, "patternPreset", /Pick one of the presets/],
    [
      `${APP}/settings`,
      { title: "Visitor log", description: "", openTo: "everyone" },
      "openTo",
      /Pick who may open the app/,
    ],
    [
      `${APP}/settings`,
      { title: "Visitor log", description: "", adminOnly: "maybe" },
      "_",
      /adminOnly must be on or off/,
    ],
    [`${APP}/fields/company`, { pattern: "([" }, "pattern", /^Pattern is not a valid regular expression\.$/],
    [
      `${APP}/fields/badgeNumber`,
      { minimum: "10", maximum: "5" },
      "minimum",
      /^Maximum must be at least the minimum\.$/,
    ],
    [
      `${APP}/list`,
      { columns: ["name", "name"], searchable: ["name"], sort: "" },
      "columns",
      /^Each column may appear once: 'name' is repeated\.$/,
    ],
    [`${APP}/settings`, { title: "  ", description: "", openTo: "admin" }, "title", /^Title must not be empty\.$/],
  ];
  for (const [path, body, field, message] of cases) {
    const r = await d.post(path, body);
    assert.is(r.res.status, 422, `${path} ${JSON.stringify(body)}: ${r.res.status}`);
    const text = field === "_" ? (r.html.match(/id="err-_"[^>]*>([^<]*)</)?.[1] ?? "") : slot(r.html, field);
    assert.match(text.replace(/&#39;/g, "'").replace(/&quot;/g, '"'), message, `${JSON.stringify(body)}: "${text}"`);
  }
  // System fields of User accounts: default, read-only and visible-when are refused, not ignored.
  const users = "/configure/apps/user-accounts/fields/disabled";
  const systemPosts: Record<string, string>[] = [
    { default: "true" },
    { readOnly: "on" },
    { visibleField: "username", visibleValue: "x" },
  ];
  for (const body of systemPosts) {
    const r = await d.post(users, body);
    assert.is(r.res.status, 422, JSON.stringify(body));
    assert.match(r.html, /A system field cannot be given/);
  }
});

t(
  "names JavaScript objects use for themselves: lookups see only real fields; the names are refused plainly",
  async (ctx) => {
    const d = ctx.dora;
    for (const name of ["constructor", "toString", "valueOf", "hasOwnProperty", "prototype", "__proto__"]) {
      const r = await d.post(`${APP}/fields/new`, { type: "text", title: "Odd", name });
      assert.is(r.res.status, 422, name);
      assert.not.match(slot(r.html, "name"), /already a field/, name);
      assert.ok(slot(r.html, "name"), name);
    }
    // A label that derives such a name gets another one; the field is addressed normally.
    assert.is((await d.post(`${APP}/fields/new`, { type: "text", title: "Constructor" })).res.status, 303);
    const def = (await ctx.env.services.drafts.get(ctx.siteId, "visitor-log"))!.definition;
    assert.ok(Object.hasOwn(def.record.properties, "constructor2"));
    assert.is((await d.get(`${APP}/fields/constructor`)).res.status, 404);
    assert.is((await d.get(`${APP}/fields/toString`)).res.status, 404);
    // The JSON editor's check refuses them too.
    const { checkDefinition } = await import("../../engine/schema/app-definition.js");
    const bad = structuredClone(def);
    Object.defineProperty(bad.record.properties, "valueOf", {
      value: { type: "string", title: "V" },
      enumerable: true,
    });
    const check = checkDefinition(bad);
    assert.ok(!check.ok && check.problems.some((p) => p.pointer.endsWith("/valueOf")));
  },
);

t("List tab: the sort menu offers only the columns, which is what is accepted", async (ctx) => {
  const page = await ctx.dora.get(`${APP}/list`);
  const sortSelect = page.html.match(/<select[^>]*name="sort"[\s\S]*?<\/select>/)![0];
  const offered = [...sortSelect.matchAll(/<option value="-?([^"]*)"(?![^>]*disabled)/g)]
    .map((m) => m[1])
    .filter(Boolean);
  const columns =
    (await ctx.env.services.drafts.get(ctx.siteId, "visitor-log"))?.definition.list?.columns ??
    (await ctx.env.services.apps.get(ctx.siteId, "visitor-log"))!.definition.list!.columns;
  assert.equal([...new Set(offered)].sort(), [...columns].sort());
  for (const n of new Set(offered)) {
    const r = await ctx.dora.post(`${APP}/list`, { columns: [...columns], searchable: ["name"], sort: `-${n}` });
    assert.is(r.res.status, 303, n);
  }
});

t(
  "a new app is a draft until its first Publish: not listed, its pages 404; the designer says Not published yet",
  async (ctx) => {
    const s = ctx.env.services;
    await s.users.create({ siteId: ctx.siteId, username: "ursula", password: PASSWORD, role: "user" });
    const user = new TestClient(ctx.env.app);
    await user.signIn("ursula", PASSWORD);
    const created = await ctx.dora.post("/configure/apps/new", { title: "Parcels", id: "" });
    assert.is(created.res.status, 303);
    assert.is(created.res.headers.get("location"), "/configure/apps/parcels");
    assert.is(await s.apps.get(ctx.siteId, "parcels"), null, "no published version");
    const designer = await ctx.dora.get("/configure/apps/parcels");
    assert.is(designer.res.status, 200);
    assert.match(designer.html, /id="published-version">Not published yet</);
    assert.match((await ctx.dora.get("/configure/apps")).html, /parcels[\s\S]*?Not published yet/);
    // The id is taken by the draft.
    assert.is((await ctx.dora.post("/configure/apps/new", { title: "Parcels", id: "parcels" })).res.status, 422);
    for (const [who, client] of [
      ["user", user],
      ["admin", ctx.admin],
    ] as const) {
      assert.not.match((await client.get("/apps")).html, /href="\/apps\/parcels"/, who);
      assert.not.match((await client.get("/")).html, /href="\/apps\/parcels"/, who);
      assert.is((await client.get("/apps/parcels")).res.status, 404, who);
      assert.is((await client.get("/apps/parcels/new")).res.status, 404, who);
    }
    // Changes go into the draft; Publish makes version 1, live for users.
    const field = await ctx.dora.post("/configure/apps/parcels/fields/new", {
      type: "text",
      title: "Carrier",
      draftStamp: designer.html.match(/name="draftStamp" value="([^"]+)"/)![1]!,
    });
    assert.is(field.res.status, 303);
    const page = await ctx.dora.get("/configure/apps/parcels");
    const stamp = page.html.match(/name="draftStamp" value="([^"]+)"/)![1]!;
    assert.is((await ctx.dora.post("/configure/apps/parcels/publish", { draftStamp: stamp })).res.status, 303);
    const live = await s.apps.get(ctx.siteId, "parcels");
    assert.is(live!.version, 1);
    assert.ok(live!.definition.record.properties.carrier);
    assert.match((await user.get("/apps")).html, /href="\/apps\/parcels"/);
    assert.is((await user.get("/apps/parcels")).res.status, 200);
    // Discarding a never-published app's draft removes the new app.
    assert.is((await ctx.dora.post("/configure/apps/new", { title: "Scratch", id: "" })).res.status, 303);
    const gone = await ctx.dora.post("/configure/apps/scratch/discard", {});
    assert.is(gone.res.headers.get("location"), "/configure/apps");
    assert.is((await ctx.dora.get("/configure/apps/scratch")).res.status, 404);
  },
);

t("a relabelled system field shows its system meaning in the user dialog and the designer's panel", async (ctx) => {
  const USERS = "/configure/apps/user-accounts";
  const before = await ctx.admin.get("/configure/users/new");
  assert.not.match(before.html, /\(system: Disabled/, "no note while the label is the default");
  const panel0 = await ctx.dora.get(`${USERS}/fields/disabled`);
  assert.match(panel0.html, /id="system-meaning">[\s\S]*?System meaning: Disabled —\s*on stops sign-in/);
  const saved = await ctx.dora.post(`${USERS}/fields/disabled`, {
    title: "Enabled",
    help: "Switch on to allow sign-in",
  });
  assert.is(saved.res.status, 303, "relabelling stays allowed");
  assert.is((await ctx.dora.post(`${USERS}/publish`, {})).res.status, 303);
  const dialog = await ctx.admin.get("/configure/users/new");
  assert.match(dialog.html, /Switch on to allow sign-in \(system: Disabled — on stops sign-in\)/);
  const panel = await ctx.dora.get(`${USERS}/fields/disabled`);
  assert.match(panel.html, /A label that says otherwise misleads/);
});

t.run();
