// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createApp } from "../../engine/web/app.js";
import { createLogger } from "../../engine/log.js";
import { createServices } from "../../engine/services.js";
import { startTestEnv, TestClient, testConfig, TEST_SECRET_KEY, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { isoMinuteWithZone } from "../../engine/util/zoned-dates.js";
import { APP, buildVisitorLogByPosts, designerTeam } from "../helpers/visitor-log.js";

const PASSWORD = "correct horse battery";
const USERS_APP = "/configure/apps/user-accounts";

interface Ctx {
  env: TestEnv;
  dora: TestClient;
  dan: TestClient;
  admin: TestClient;
  siteId: string;
}

const t = suite<Ctx>(`visual designer [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  Object.assign(ctx, await designerTeam(ctx.env, PASSWORD));
});
t.after(async (ctx) => ctx.env.close());

/** The message in a field's error slot. */
const slot = (html: string, name: string) =>
  html.match(new RegExp(`<small class="field-error" id="err-${name}"[^>]*>([^<]*)</small>`))?.[1] ?? "";

t(
  "Visitor log built with plain POSTs: nothing is live before Publish; Publish makes it the next version",
  async (ctx) => {
    await buildVisitorLogByPosts(ctx.dora);
    const def = (await ctx.env.services.apps.get(ctx.siteId, "visitor-log"))!.definition;
    assert.equal(Object.keys(def.record.properties), [
      "name",
      "email",
      "company",
      "visitDate",
      "arrivedAt",
      "badgeNumber",
      "purpose",
      "escortNeeded",
      "escort",
      "notes",
      "companions",
    ]);
    assert.equal(def.form!.sections, [
      { title: "Visitor", fields: ["name", "email", "company"] },
      {
        title: "Visit",
        fields: ["visitDate", "arrivedAt", "badgeNumber", "purpose", "escortNeeded", "escort", "notes", "companions"],
      },
    ]);
    assert.equal(def.record.properties.escort!["x-visibleWhen"], { field: "escortNeeded", equals: true });
    assert.equal(Object.keys(def.record.properties.companions!.items!.properties!), ["name", "phone"]);
    assert.equal(def.list, {
      columns: ["name", "company", "visitDate", "purpose"],
      searchable: ["name", "company"],
      sort: "-visitDate",
    });
    const page = await ctx.dora.get(APP);
    assert.match(page.html, /role="status"[^>]*>Published Visitor log version|No unpublished changes/);

    // A change is in the draft only; the app's form does not show it until Publish.
    const add = await ctx.dora.post(`${APP}/fields/new`, { type: "url", title: "Website" });
    assert.is(add.res.status, 303);
    const before = await ctx.admin.get("/apps/visitor-log/new");
    assert.not.match(before.html, /name="website"/);
    const designerPage = await ctx.dora.get(add.res.headers.get("location")!);
    assert.match(designerPage.html, /Added (&quot;|")Website(&quot;|")\. Publish to apply it\./);
    assert.match(designerPage.html, /Unpublished changes by dora/);
    assert.match(designerPage.html, /name="website"/, "the preview shows the draft");
    assert.ok(await ctx.dora.post(`${APP}/discard`, {}));
    assert.is(await ctx.env.services.drafts.get(ctx.siteId, "visitor-log"), null);
  },
);

t("the administrator adds, finds and edits a visitor", async (ctx) => {
  const a = ctx.admin;
  await a.get("/apps/visitor-log/new");
  const created = await a.post("/apps/visitor-log/new", {
    name: "Vera Visitor",
    email: "vera@example.org",
    company: "Acme",
    visitDate: "2026-12-01",
    purpose: "meeting",
    escortNeeded: "true",
    escort: "Sam",
  });
  assert.is(created.res.status, 303, created.html.slice(0, 300));
  const list = await a.get("/apps/visitor-log?q=acme");
  assert.match(list.html, /Vera Visitor/);
  const id = list.html.match(/href="\/apps\/visitor-log\/([0-9a-f-]{36})(?:\?list=[^"]*)?"/)![1]!;
  const form = await a.get(`/apps/visitor-log/${id}`);
  const version = form.html.match(/name="_version" value="(\d+)"/)![1]!;
  const edited = await a.post(`/apps/visitor-log/${id}`, {
    name: "Vera Visitor",
    company: "Acme Ltd",
    visitDate: "2026-12-01",
    purpose: "interview",
    _version: version,
  });
  assert.is(edited.res.status, 303);
  assert.match((await a.get("/apps/visitor-log?q=ltd")).html, /Acme Ltd/);
});

t("a second designer is told whose draft it is; the draft survives a restart", async (ctx) => {
  assert.is((await ctx.dora.post(`${APP}/fields/notes`, { title: "Remarks" })).res.status, 303);
  const other = await ctx.dan.get(APP);
  assert.match(other.html, /id="other-designer"/);
  assert.match(other.html, /dora is also changing this app/);
  // The JSON tab edits the published version: it says a draft waits, which its save would strand.
  const json = await ctx.dan.get(`${APP}?tab=json`);
  assert.match(json.html, /id="json-draft-pending"[^>]*>\s*Unpublished changes by dora, /);
  // A restart: a new server over the same database still has the draft, and the live app is unchanged.
  const services = createServices(
    ctx.env.db,
    ctx.env.clock,
    testConfig(),
    createLogger("error", () => {}),
    Buffer.from(TEST_SECRET_KEY, "base64"),
  );
  const again = new TestClient(createApp(services));
  await again.signIn("dan", PASSWORD);
  const page = await again.get(`${APP}/fields/notes`);
  assert.match(page.html, /value="Remarks"/);
  assert.is((await services.apps.get(ctx.siteId, "visitor-log"))!.definition.record.properties.notes!.title, "Notes");
  assert.is((await again.post(`${APP}/publish`, {})).res.status, 303);
  assert.is((await services.apps.get(ctx.siteId, "visitor-log"))!.definition.record.properties.notes!.title, "Remarks");
  assert.not.match((await again.get(`${APP}?tab=json`)).html, /id="json-draft-pending"/, "no draft, no notice");
});

t("renaming a field that has stored values is refused with the reason", async (ctx) => {
  const r = await ctx.dora.post(`${APP}/fields/company`, { title: "Company", name: "organisation" });
  assert.is(r.res.status, 422);
  assert.match(
    slot(r.html, "name"),
    /1 stored record holds a value under &quot;company&quot;|1 stored record holds a value under "company"/,
  );
  assert.is(await ctx.env.services.drafts.get(ctx.siteId, "visitor-log"), null, "nothing saved");
});

t("changes the JSON editor refuses are refused here on the field they concern", async (ctx) => {
  const d = ctx.dora;
  const cases: [string, Record<string, string>, string, RegExp][] = [
    [`${APP}/fields/new`, { type: "text", title: "Code", pattern: "([" }, "pattern", /not a valid regular expression/],
    [
      `${APP}/fields/new`,
      { type: "integer", title: "Age", minimum: "9", maximum: "1" },
      "minimum",
      /Maximum must be at least the minimum/,
    ],
    [
      `${APP}/fields/new`,
      { type: "choice", title: "Size", options: "s|Small", default: "xl" },
      "default",
      /one of the choices/,
    ],
    [
      `${APP}/fields/new`,
      { type: "text", title: "T", visibleField: "nope", visibleValue: "x" },
      "visibleField",
      /not a field/,
    ],
    [`${APP}/fields/new`, { type: "text", title: "x".repeat(201) }, "title", /200/],
    [`${APP}/fields/new`, { type: "choice", title: "Empty" }, "options", /at least one option/],
    // (The stored record holds a visit date; a field no record holds a value of may change its type.)
    [`${APP}/fields/visitDate`, { type: "integer" }, "type", /hanges the type of (&quot;|")Visit date/],
    [`${APP}/list`, { columns: "name", sort: "purpose" }, "sort", /not a column/],
    [`${APP}/list`, { columns: ["name", "companions"] as never }, "columns", /rows/],
  ];
  for (const [path, fields, slotName, message] of cases) {
    const r = await d.post(path, fields);
    assert.is(r.res.status, 422, `${path} ${JSON.stringify(fields)}`);
    assert.match(
      slot(r.html, slotName),
      message,
      `${slotName}: ${slot(r.html, slotName)} / ${r.html.match(/id="err-_"[^>]*>([^<]*)/)?.[1]}`,
    );
  }
  assert.is(await ctx.env.services.drafts.get(ctx.siteId, "visitor-log"), null, "nothing saved");
});

t(
  "User accounts: system fields are locked; a Department choice appears in the user dialog and is stored",
  async (ctx) => {
    const d = ctx.dora;
    const page = await d.get(USERS_APP);
    // The lock is an inline SVG beside the word, never an emoji (a missing emoji font shows a box).
    assert.match(page.html, /<mark class="flag system"><svg class="icon"[^>]*>.*?<\/svg> system<\/mark>/s);
    assert.not.match(page.html, /\u{1F512}/u);
    const del = await d.post(`${USERS_APP}/fields/username/delete`, {});
    assert.is(del.res.status, 422);
    assert.match(
      del.html,
      /system field \(user.username\): it can be relabelled, moved and given help text, never deleted/,
    );
    const retype = await d.post(`${USERS_APP}/fields/mfaEnabled`, { type: "text", title: "MFA" });
    assert.is(retype.res.status, 422);
    assert.match(slot(retype.html, "type"), /system field/);
    const relabel = await d.post(`${USERS_APP}/fields/displayName`, { title: "Full name", help: "As on the badge" });
    assert.is(relabel.res.status, 303);
    const dept = await d.post(`${USERS_APP}/fields/new`, {
      type: "choice",
      title: "Department",
      options: "sales|Sales\nit|IT\nfacilities|Facilities",
      section: "1",
    });
    assert.is(dept.res.status, 303);
    assert.is((await d.post(`${USERS_APP}/publish`, {})).res.status, 303);
    const a = ctx.admin;
    const form = await a.get("/configure/users/new");
    assert.match(form.html, /name="department"/);
    assert.match(form.html, /Full name/);
    const created = await a.post("/configure/users/new", {
      username: "newbie",
      displayName: "New Bie",
      email: "newbie@example.org",
      password: "a long enough password",
      role: "user",
      webAccess: "true",
      department: "it",
      mfaEnforcementDelayDays: "0",
    });
    assert.is(created.res.status, 303, created.html.match(/field-error[^>]*>([^<]+)</)?.[1]);
    const user = (await ctx.env.services.users.byUsername("newbie"))!;
    const view = await a.get(`/configure/users/${user.id}`);
    assert.match(view.html, /<option value="it" selected/);
  },
);

t(
  "apps page: records, published version; New app suggests the id; delete only without records, after Confirm",
  async (ctx) => {
    const d = ctx.dora;
    const list = await d.get("/configure/apps");
    assert.match(list.html, /href="\/configure\/apps\/new"/);
    assert.match(list.html, /Visitor log/);
    const dup = await d.post("/configure/apps/visitor-log/duplicate", { title: "Visitor log copy", id: "" });
    assert.is(dup.res.headers.get("location"), "/configure/apps/visitor-log-copy");
    assert.is((await d.post("/configure/apps/visitor-log/delete", {})).res.status, 409, "has records");
    const ask = await d.post("/configure/apps/visitor-log-copy/delete", {});
    assert.is(ask.res.status, 200);
    assert.match(ask.html, /<button type="submit">Confirm<\/button>/);
    assert.ok(
      await ctx.env.services.drafts.get(ctx.siteId, "visitor-log-copy"),
      "a duplicate is a draft until published",
    );
    const done = await d.post("/configure/apps/visitor-log-copy/delete", { confirm: "yes" });
    assert.is(done.res.status, 303);
    assert.is(await ctx.env.services.apps.get(ctx.siteId, "visitor-log-copy"), null);
    assert.is(await ctx.env.services.drafts.get(ctx.siteId, "visitor-log-copy"), null);
    assert.is((await d.post("/configure/apps/new", { title: "New", id: "new" })).res.status, 422);
  },
);

t(
  "sections: renamed in place; deleted only when empty, else a 422 with the reason beside that section",
  async (ctx) => {
    const d = ctx.dora;
    const A = "/configure/apps/rooms";
    assert.is((await d.post("/configure/apps/new", { title: "Rooms", id: "rooms" })).res.status, 303);
    assert.is((await d.post(`${A}/fields/new`, { type: "text", title: "Floor" })).res.status, 303);
    assert.is((await d.post(`${A}/fields/new`, { type: "section", title: "Where", fields: "floor" })).res.status, 303);
    assert.is((await d.post(`${A}/fields/new`, { type: "section", title: "What" })).res.status, 303);
    const page = await d.get(A);
    assert.match(
      page.html,
      /<form method="post" action="\/configure\/apps\/rooms\/sections\/1" class="rename-section">/,
    );

    const renamed = await d.post(`${A}/sections/2`, { title: "What it is" });
    assert.is(renamed.res.status, 303);
    const draft = async () => (await ctx.env.services.drafts.get(ctx.siteId, "rooms"))!.definition;
    assert.equal(
      (await draft()).form!.sections!.map((s) => s.title),
      ["Where", "What it is"],
    );
    const blank = await d.post(`${A}/sections/2`, { title: " " });
    assert.is(blank.res.status, 422);
    assert.match(slot(blank.html, "section-2"), /Give the section a title/);
    assert.match(blank.html, /<details class="section-tools" open="">/, "the refused section's tools are open");

    const full = await d.post(`${A}/sections/1/delete`, {});
    assert.is(full.res.status, 422);
    assert.is(
      slot(full.html, "section-1"),
      "&quot;Where&quot; holds 1 field: move it to another section first, then delete the empty section.",
    );
    assert.is((await draft()).form!.sections!.length, 2, "nothing changed");
    assert.is((await d.post(`${A}/sections/9/delete`, {})).res.status, 404);
    assert.is((await d.post(`${A}/sections/x`, { title: "X" })).res.status, 404);

    assert.is((await d.post(`${A}/fields/floor/move`, { section: "2" })).res.status, 303);
    const emptied = await d.get(A);
    assert.match(emptied.html, /No fields yet: drag one here/);
    assert.is((await d.post(`${A}/sections/1/delete`, {})).res.status, 303);
    assert.equal(
      (await draft()).form!.sections!.map((s) => [s.title, s.fields]),
      [["What it is", ["name", "floor"]]],
    );
  },
);

t(
  "fields in no section: the outline says so, and the preview, the form and the record page show them after the sections under “Other fields”",
  async (ctx) => {
    const d = ctx.dora;
    const A = "/configure/apps/parts";
    assert.is((await d.post("/configure/apps/new", { title: "Parts", id: "parts" })).res.status, 303);
    assert.is((await d.post(`${A}/fields/new`, { type: "text", title: "Code" })).res.status, 303);
    assert.is(
      (await d.post(`${A}/fields/new`, { type: "section", title: "Main part", fields: "name" })).res.status,
      303,
    );
    /** The headings and fields of a rendered form, in order: "h:Main part", "f:name"… */
    const layout = (html: string, within: RegExp) =>
      [...(within.exec(html)?.[0] ?? "").matchAll(/<h2>([^<]*)<\/h2>|<div class="field[^"]*" id="field-(\w+)"/g)].map(
        (m) => (m[1] !== undefined ? `h:${m[1]}` : `f:${m[2]}`),
      );
    const expected = ["h:Main part", "f:name", "h:Other fields", "f:code"];
    const page = await d.get(A);
    assert.match(page.html, /<h3>Not in a section<\/h3>/);
    assert.match(page.html, /The form shows these after the sections, under “Other fields”\./);
    assert.equal(layout(page.html, /<div class="record-form preview"[\s\S]*/), expected, "the preview");
    assert.is((await d.post(`${A}/publish`, {})).res.status, 303);
    const form = await ctx.admin.get("/apps/parts/new");
    assert.equal(layout(form.html, /<form method="post" action="\/apps\/parts\/new"[\s\S]*<\/form>/), expected);
    const created = await ctx.admin.post("/apps/parts/new", { name: "Bolt", code: "B-1" });
    assert.is(created.res.status, 303);
    const { rows } = await ctx.env.db.query<{ id: string }>("SELECT id FROM records WHERE data->>'code' = 'B-1'");
    const view = await d.get(`/apps/parts/${rows[0]!.id}`);
    assert.match(view.html, /class="record-view"/, "a designer reads the record");
    assert.equal(layout(view.html, /<div class="record-view"[\s\S]*/), expected, "the record page");
    // With no titled section there is nothing to tell apart: no heading.
    assert.is((await d.post(`${A}/sections/1/delete`, {})).res.status, 422);
    assert.is((await d.post(`${A}/fields/name/move`, { section: "0" })).res.status, 303);
    const plain = await d.get(A);
    assert.equal(layout(plain.html, /<div class="record-form preview"[\s\S]*/), ["f:code", "f:name"]);
    assert.not.match(plain.html, /Other fields/, "nor a hint about it in the outline");
  },
);

t(
  "Up and Down only where a field can move; the drag handles and their hint are marked for scripted pages",
  async (ctx) => {
    const d = ctx.dora;
    const A = "/configure/apps/moves";
    assert.is((await d.post("/configure/apps/new", { title: "Moves", id: "moves" })).res.status, 303);
    const fields: Record<string, string>[] = [
      { type: "text", title: "Second" },
      { type: "group", title: "Box" },
      { type: "text", title: "Inner one", parent: "box" },
      { type: "text", title: "Inner two", parent: "box" },
      { type: "text", title: "Last" },
    ];
    for (const f of fields) assert.is((await d.post(`${A}/fields/new`, f)).res.status, 303, f.title);
    const sections: Record<string, string | string[]>[] = [
      { title: "One", fields: ["name", "second"] },
      { title: "Two" },
    ];
    for (const section of sections) {
      assert.is((await d.post(`${A}/fields/new`, { type: "section", ...section })).res.status, 303);
    }
    const page = await d.get(A);
    const buttons = [...page.html.matchAll(/aria-label="Move ([\w.]+) (up|down)"/g)].map((m) => `${m[1]} ${m[2]}`);
    assert.equal(buttons, [
      "name down", // the first field has no Up
      "second up",
      "second down",
      "box up", // the first of section Two moves up into section One
      "box down",
      "box.name down", // in a group (it starts with a Name field): first and last of the group
      "box.innerOne up",
      "box.innerOne down",
      "box.innerTwo up",
      "last up", // the last field has no Down
    ]);
    // Down on the last field would change nothing: the server refuses it, and the outline offers no button for it.
    const moved = await d.post(`${A}/fields/last/move`, { direction: "down" });
    assert.is(moved.res.status, 422, "Down on the last field is refused: there is no button for it");
    // Dragging needs designer.js: its handles and hint are hidden until it marks the page (.can-drag).
    assert.match(page.html, /<span class="drag-handle drag-only" aria-hidden="true">/);
    assert.match(page.html, /<p class="hint drag-only">Drag a field by its handle/);
    assert.match(page.html, /<p class="hint no-drag">Use Up and Down to move a field/);
  },
);

t("placeholder: edited in the properties panel of text-like types, shown by the form's input", async (ctx) => {
  const d = ctx.dora;
  const A = "/configure/apps/desks";
  assert.is((await d.post("/configure/apps/new", { title: "Desks", id: "desks" })).res.status, 303);
  // A new app is a draft until its first Publish: version 1 is the starter form.
  assert.is((await d.post(`${A}/publish`, {})).res.status, 303);
  const textForm = await d.get(`${A}/fields/new?type=email`);
  assert.match(textForm.html, /<input id="p-placeholder"[^>]*name="placeholder"/);
  const switchForm = await d.get(`${A}/fields/new?type=boolean`);
  assert.not.match(switchForm.html, /name="placeholder"/, "no placeholder for a Yes/No");
  const added = await d.post(`${A}/fields/new`, { type: "email", title: "Contact", placeholder: "name@example.org" });
  assert.is(added.res.status, 303);
  const edit = await d.get(`${A}/fields/contact`);
  assert.match(edit.html, /name="placeholder" value="name@example.org"/);
  assert.match(edit.html, /<input[^>]*placeholder="name@example.org"[^>]*type="email"/, "the preview's input shows it");
  assert.is((await d.post(`${A}/publish`, {})).res.status, 303);
  const form = await ctx.admin.get("/apps/desks/new");
  assert.match(form.html, /<input[^>]*name="contact"[^>]*placeholder="name@example.org"/);
});

t("Settings: who may open the app, by role (users, designers, administrators), gates opening it", async (ctx) => {
  const d = ctx.dora;
  const s = ctx.env.services;
  await s.users.create({ siteId: ctx.siteId, username: "uma", password: PASSWORD, role: "user" });
  const uma = new TestClient(ctx.env.app);
  await uma.signIn("uma", PASSWORD);
  const A = "/configure/apps/plans";
  assert.is((await d.post("/configure/apps/new", { title: "Plans", id: "plans" })).res.status, 303);
  assert.is((await d.post(`${A}/publish`, {})).res.status, 303, "a new app is a draft until published");
  const page = await d.get(`${A}/settings`);
  for (const v of ["user", "designer", "admin"]) assert.match(page.html, new RegExp(`name="openTo" value="${v}"`));
  assert.match(page.html, /value="user" checked=""/, "every signed-in user by default");

  const bad = await d.post(`${A}/settings`, { title: "Plans", description: "", openTo: "root" });
  assert.is(bad.res.status, 422);
  assert.match(slot(bad.html, "openTo"), /Pick who may open the app/);

  /** Publishes openTo and answers what each role gets on the app's list and in /apps. */
  const opens = async (openTo: string) => {
    assert.is((await d.post(`${A}/settings`, { title: "Plans", description: "", openTo })).res.status, 303);
    assert.is((await d.post(`${A}/publish`, {})).res.status, 303);
    const out: Record<string, [number, boolean]> = {};
    for (const [who, c] of [
      ["user", uma],
      ["designer", d],
      ["admin", ctx.admin],
    ] as const) {
      const list = await c.get("/apps/plans");
      out[who] = [list.res.status, /href="\/apps\/plans"/.test((await c.get("/apps")).html)];
    }
    return out;
  };
  assert.equal(await opens("designer"), { user: [403, false], designer: [200, true], admin: [200, true] });
  assert.match((await uma.get("/apps/plans")).html, /Only designers and administrators can open this app/);
  assert.is((await s.apps.get(ctx.siteId, "plans"))!.definition.openTo, "designer");
  assert.equal(await opens("admin"), { user: [403, false], designer: [403, false], admin: [200, true] });
  assert.equal(await opens("user"), { user: [200, true], designer: [200, true], admin: [200, true] });
  assert.is((await s.apps.get(ctx.siteId, "plans"))!.definition.openTo, undefined, "the default is left out");

  const users = await d.get(`${USERS_APP}/settings`);
  assert.match(users.html, /Administrators only: this app holds user accounts/);
  assert.not.match(users.html, /name="openTo"/);
});

t("History: what changed between two versions, field by field, with the JSON diff folded away", async (ctx) => {
  const d = ctx.dora;
  const A = "/configure/apps/desks"; // version 2 added Contact (see the placeholder test)
  assert.is((await d.post(`${A}/fields/contact`, { title: "Contact email", required: "on" })).res.status, 303);
  assert.is((await d.post(`${A}/publish`, {})).res.status, 303);
  const page = await d.get(`${A}/history?from=1&to=3`);
  assert.is(page.res.status, 200);
  assert.match(page.html, /<tr data-path="contact" class="change-added">/);
  const two = await d.get(`${A}/history?from=2&to=3`);
  const row = two.html.match(/<tr data-path="contact" class="change-changed">(.*?)<\/tr>/s)?.[1] ?? "";
  assert.match(row, /Label: <del>Contact<\/del> → <ins>Contact email<\/ins>/);
  assert.match(row, /Required: <del>no<\/del> → <ins>yes<\/ins>/);
  assert.not.match(two.html, /data-path="name"/, "unchanged fields are not listed");
  assert.match(two.html, /<details id="json-diff"><summary>The JSON, line by line \(for experts\)<\/summary>/);
  assert.match(two.html, /<span class="added">\+ +(&quot;|")title(&quot;|"): (&quot;|")Contact email/);
  assert.is((await d.get(`${A}/history?from=1&to=9`)).res.status, 404);
});

t(
  "with htmx, saving a field's properties swaps the panel, the outline and the preview; a plain POST still redirects",
  async (ctx) => {
    const d = ctx.dora;
    const A = "/configure/apps/lockers";
    const HX = { "hx-request": "true", "hx-target": "div#designer-work" };
    assert.is((await d.post("/configure/apps/new", { title: "Lockers", id: "lockers" })).res.status, 303);
    const edit = await d.get(`${A}/fields/name`);
    assert.match(
      edit.html,
      /<form method="post" action="\/configure\/apps\/lockers\/fields\/name" id="field-form" class="field-form" hx-post="\/configure\/apps\/lockers\/fields\/name" hx-target="#designer-work" hx-swap="outerHTML">/,
    );

    const saved = await d.post(`${A}/fields/name`, { title: "Locker owner", name: "owner" }, HX);
    assert.is(saved.res.status, 200);
    assert.ok(saved.html.startsWith('<div class="designer-grid visual" id="designer-work">'), "the work area, no page");
    assert.not.match(saved.html, /<html|<h1/);
    assert.match(saved.html, /<li data-name="owner" class="selected" id="outline-owner">/, "the outline, renamed");
    assert.match(saved.html, /action="\/configure\/apps\/lockers\/fields\/owner" id="field-form"/, "the panel follows");
    assert.is(saved.res.headers.get("hx-replace-url"), `${A}/fields/owner`, "and so does the address");
    assert.match(
      saved.html,
      /<section id="field-owner"|id="field-owner"/,
      "the preview shows the field under its new name",
    );
    assert.match(saved.html, /Locker owner/);
    assert.match(saved.html, /<section class="draft-bar" aria-label="Draft" id="draft-bar" hx-swap-oob="true">/);
    assert.match(
      saved.html,
      /<div id="flash-region" hx-swap-oob="true"><p role="status" class="flash">Saved (&quot;|")Locker owner(&quot;|")\. Publish to apply it\.<\/p>/,
    );
    assert.is(
      ctx.env.services.drafts
        ? (await ctx.env.services.drafts.get(ctx.siteId, "lockers"))!.definition.record.properties.owner!.title
        : "",
      "Locker owner",
    );

    const refused = await d.post(`${A}/fields/owner`, { title: "" }, HX);
    assert.is(refused.res.status, 422);
    assert.ok(refused.html.startsWith('<div class="designer-grid visual" id="designer-work">'));
    assert.match(slot(refused.html, "title"), /Give the field a label/);

    const added = await d.post(`${A}/fields/new`, { type: "integer", title: "Locker number" }, HX);
    assert.is(added.res.status, 200);
    assert.match(
      added.html,
      /action="\/configure\/apps\/lockers\/fields\/lockerNumber" id="field-form"/,
      "the new field's panel",
    );

    const plain = await d.post(`${A}/fields/owner`, { title: "Owner" });
    assert.is(plain.res.status, 303);
    assert.is(plain.res.headers.get("location"), A);
  },
);

t("the designer's times are in the site's time zone: draft bar, Apps list, History", async (ctx) => {
  const { env, dora, siteId } = ctx;
  await env.services.sites.setTimeZone(siteId, "Europe/Berlin");
  try {
    env.clock.advanceSeconds(60);
    const add = await dora.post(`${APP}/fields/new`, { type: "text", title: "Zone check" });
    assert.is(add.res.status, 303);
    const berlin = isoMinuteWithZone(env.clock.now(), "Europe/Berlin");
    assert.ok(
      berlin.endsWith(" Europe/Berlin") &&
        !berlin.startsWith(env.clock.now().toISOString().slice(0, 16).replace("T", " ")),
    );
    const page = await dora.get(APP);
    assert.match(page.html, new RegExp(`Unpublished changes by dora, ${berlin}`));
    const list = await dora.get("/configure/apps");
    // The last published version's time.
    assert.match(list.html, /<td>\d{4}-\d\d-\d\d \d\d:\d\d Europe\/Berlin<\/td>/);
    const history = await dora.get(`${APP}/history`);
    assert.match(history.html, /<td>\d{4}-\d\d-\d\d \d\d:\d\d Europe\/Berlin<\/td>/);
    for (const html of [page.html, list.html, history.html]) assert.not.match(html, /\d\d:\d\d UTC/);
  } finally {
    await env.services.sites.setTimeZone(siteId, "UTC");
  }
});

t.run();
