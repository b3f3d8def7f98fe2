// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { APP, buildVisitorLogByPosts } from "../helpers/visitor-log.js";

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
  const s = ctx.env.services;
  ctx.siteId = (await s.sites.publicSite()).id;
  await s.users.create({ siteId: ctx.siteId, username: "dora", password: PASSWORD, role: "designer" });
  await s.users.create({ siteId: ctx.siteId, username: "dan", password: PASSWORD, role: "designer" });
  await s.users.create({ siteId: ctx.siteId, username: "alice", password: PASSWORD, role: "admin" });
  for (const [key, name] of [
    ["dora", "dora"],
    ["dan", "dan"],
    ["admin", "alice"],
  ] as const) {
    ctx[key] = new TestClient(ctx.env.app);
    await ctx[key].signIn(name, PASSWORD);
  }
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
  return m![1]!;
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

t.run();
