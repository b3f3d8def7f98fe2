// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { compileApp } from "../../engine/apps/compiled-app.js";
import { AppRecordsStore } from "../../engine/apps/app-records-store.js";
import { ManualClock } from "../../engine/clock.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";

const PASSWORD = "correct horse battery";
const t = suite<{ env: TestEnv; c: TestClient }>(`users list for thousands [${testBackend}]`);

/** root (admin) and 60 users u01…u60; u01…u12 are in Sales (display name "Sales …"). */
t.before.each(async (ctx) => {
  const env = await startTestEnv();
  env.clock.set("2026-06-01T09:00:00Z");
  const siteId = (await env.services.sites.publicSite()).id;
  await env.services.users.create({ siteId, username: "root", password: PASSWORD, role: "admin" });
  for (let i = 1; i <= 60; i++) {
    const n = String(i).padStart(2, "0");
    await env.services.users.create({ siteId, username: `u${n}`, displayName: i <= 12 ? `Sales ${n}` : `Ops ${n}` });
  }
  const c = new TestClient(env.app);
  await c.signIn("root", PASSWORD);
  Object.assign(ctx, { env, c });
});
t.after.each(async (ctx) => ctx.env.close());

const range = (html: string) => /<p class="list-range"[^>]*>([^<]+)<\/p>/.exec(html)?.[1];
const usernames = (html: string) => [...html.matchAll(/aria-label="Select (u\d\d|root)"/g)].map((m) => m[1]);
const unescape = (s: string) => s.replaceAll("&amp;", "&");

t("the list says where it is among all matching (1–25 of 61), and goes to the last page", async ({ c }) => {
  const first = await c.get("/configure/users");
  assert.is(first.res.status, 200);
  assert.is(range(first.html), "1–25 of 61");
  assert.is(usernames(first.html).length, 25);
  const next = /name="after" value="([^"]+)"[^>]*>Next</.exec(first.html)![1]!;
  const second = await c.get(`/configure/users?sort=username&after=${next}`);
  assert.is(range(second.html), "26–50 of 61");
  assert.equal(usernames(second.html)[0], "u25");
  const last = await c.get("/configure/users?sort=username&page=last");
  assert.is(last.res.status, 200);
  assert.is(range(last.html), "37–61 of 61");
  assert.equal(usernames(last.html).at(-1), "u60");
  assert.not.match(last.html, />Next</, "the last page has no next");
  assert.match(last.html, />Previous</);
  // Previous from the last page is the 25 before it.
  const prev = /name="before" value="([^"]+)"[^>]*>Previous</.exec(last.html)![1]!;
  const before = await c.get(`/configure/users?sort=username&before=${prev}`);
  assert.is(range(before.html), "12–36 of 61");
  // Descending, the last page ends with the smallest name.
  const desc = await c.get("/configure/users?sort=-username&page=last");
  assert.equal(usernames(desc.html).at(-1), "root");
  assert.is(range(desc.html), "37–61 of 61");
});

t("page size: 25, 50, 100 or 200; anything else is a 400 that says which", async ({ c }) => {
  const fifty = await c.get("/configure/users?size=50");
  assert.is(range(fifty.html), "1–50 of 61");
  assert.match(fifty.html, /<option value="50" selected="">50<\/option>/);
  // The page links keep the size.
  const next = /name="after" value="([^"]+)"[^>]*>Next</.exec(fifty.html)![1]!;
  assert.is(range((await c.get(`/configure/users?size=50&after=${next}`)).html), "51–61 of 61");
  for (const bad of ["7", "0", "-25", "1000", "abc", "25.5"]) {
    const res = await c.get(`/configure/users?size=${bad}`);
    assert.is(res.res.status, 400, bad);
    assert.match(res.html, /page size \(\?size=\) must be one of 25, 50, 100, 200/);
  }
  const page = await c.get("/configure/users?page=7");
  assert.is(page.res.status, 400);
  assert.match(page.html, /\?page=\) must be first or last/);
});

t("a search counts only its matches; the total follows the filter", async ({ c }) => {
  const sales = await c.get("/configure/users?q=sales");
  assert.is(range(sales.html), "1–12 of 12");
  assert.match(sales.html, /Roll out MFA to all 12 matching/);
  const none = await c.get("/configure/users?q=nobody-here");
  assert.is(range(none.html), "0 of 0");
  assert.not.match(none.html, /all 0 matching/);
  const off = await c.get("/configure/users?mfa=off&size=100");
  assert.is(range(off.html), "1–61 of 61");
});

t(
  "roll out to all N matching applies to exactly the matching users, then comes back to the list",
  async ({ env, c }) => {
    const sent = await c.get("/configure/users?q=sales&sort=-username&rollout=matching");
    assert.is(sent.res.status, 303);
    const location = sent.res.headers.get("location")!;
    const query = new URLSearchParams(location.split("?")[1]);
    assert.is(query.get("q"), "sales");
    assert.is(query.getAll("ids").length, 0, "not the ticks: every match");
    assert.is(query.get("back"), "q=sales&sort=-username");
    const preview = await c.get(location);
    assert.is(preview.res.status, 200);
    assert.match(preview.html, /data-count="toEnable">12[ <]/);
    const confirm = /<form method="post" action="\/configure\/mfa\/rollout">([\s\S]*?)<\/form>/.exec(preview.html)![1]!;
    const fields: Record<string, string[]> = {};
    for (const m of confirm.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
      (fields[m[1]!] ??= []).push(unescape(m[2]!));
    }
    assert.equal(fields.back, ["q=sales&sort=-username"]);
    const done = await c.post("/configure/mfa/rollout", fields);
    assert.is(done.res.status, 303);
    assert.is(done.res.headers.get("location"), "/configure/users?q=sales&sort=-username");
    const { rows } = await env.db.query<{ username: string }>(
      "SELECT u.username FROM users u JOIN mfa_settings m ON m.user_id = u.id WHERE m.enabled ORDER BY 1",
    );
    assert.equal(
      rows.map((r) => r.username),
      Array.from({ length: 12 }, (_, i) => `u${String(i + 1).padStart(2, "0")}`),
    );
    // A bulk action the list does not know is refused.
    assert.is((await c.get("/configure/users?rollout=everyone")).res.status, 400);
  },
);

t("after a save the list comes back as it was: search, sort, page, size and ticks", async ({ env, c }) => {
  const u03 = (await env.services.users.byUsername("u03"))!;
  const u30 = (await env.services.users.byUsername("u30"))!;
  const list = await c.get(`/configure/users?q=u&sort=-username&size=50&page=last&ids=${u03.id}`);
  assert.is(list.res.status, 200);
  // Each row's link carries the list's state…
  const link = new RegExp(`href="(/configure/users/${u30.id}\\?list=[^"]+)"`).exec(list.html)![1]!;
  const state = new URLSearchParams(unescape(link).split("?")[1]).get("list")!;
  assert.equal(Object.fromEntries(new URLSearchParams(state)), {
    q: "u",
    sort: "-username",
    page: "last",
    size: "50",
    ids: u03.id,
  });
  // …the form keeps it, and Save goes back there.
  const form = await c.get(unescape(link));
  assert.match(form.html, /<input type="hidden" name="_list" value="[^"]+"/);
  assert.match(form.html, /href="\/configure\/users\?q=u&amp;sort=-username&amp;page=last&amp;size=50&amp;ids=/);
  const version = /name="_version" value="(\d+)"/.exec(form.html)![1]!;
  const saved = await c.post(`/configure/users/${u30.id}`, {
    _version: version,
    _list: state,
    username: "u30",
    displayName: "Renamed",
    role: "user",
    webAccess: "true",
  });
  assert.is(saved.res.status, 303);
  assert.is(saved.res.headers.get("location"), `/configure/users?${state}`);
  // A crafted state cannot send the browser elsewhere: only the list's own names come back.
  const crafted = await c.post(`/configure/users/${u30.id}`, {
    _version: String(Number(version) + 1),
    _list: "q=x&next=https://evil.example/&sort=-username",
    username: "u30",
    displayName: "Again",
    role: "user",
    webAccess: "true",
  });
  assert.is(crafted.res.headers.get("location"), "/configure/users?q=x&sort=-username");
  // With htmx the dialog closes and the list reloads the same page, ticks of other pages included.
  const region = await c.request(`/configure/users?q=u&sort=-username&size=50&page=last&ids=${u03.id}`, {
    headers: { "HX-Request": "true", "HX-Target": "#record-list" },
  });
  const html = await region.text();
  const reload = unescape(/<div id="record-list" hx-get="([^"]+)"/.exec(html)![1]!);
  assert.equal(Object.fromEntries(new URLSearchParams(reload.split("?")[1])), {
    q: "u",
    sort: "-username",
    page: "last",
    size: "50",
  });
  // u03 is on this page: its tick rides along from its checkbox (hx-include), not from the URL.
  assert.match(html, new RegExp(`value="${u03.id}" checked=""`));
  assert.match(html, /hx-include="#record-list input\[name=&#39;ids&#39;\]"/);
  const u30Tick = await c.request(`/configure/users?q=u&sort=username&ids=${u03.id}&ids=${u30.id}`, {
    headers: { "HX-Request": "true", "HX-Target": "#record-list" },
  });
  const first = unescape(/<div id="record-list" hx-get="([^"]+)"/.exec(await u30Tick.text())![1]!);
  assert.equal(
    new URLSearchParams(first.split("?")[1]).getAll("ids"),
    [u30.id],
    "a tick of another page is in the URL",
  );
});

t("ticking every row of the page works without JavaScript (a link) and with it (the header box)", async ({ c }) => {
  const list = await c.get("/configure/users?q=sales");
  assert.match(list.html, /data-select-page="true"/);
  const tick = unescape(/<a href="([^"]+tick=page)">Tick every row on this page<\/a>/.exec(list.html)![1]!);
  const ticked = await c.get(tick);
  assert.match(ticked.html, /data-selected="12">12 selected/);
});

t("a 200-character display name stays on one line: cut in the cell, whole in its title", async ({ env, c }) => {
  const siteId = (await env.services.sites.publicSite()).id;
  const long = "Bartholomew ".repeat(17).slice(0, 200);
  await env.services.users.create({ siteId, username: "longname", displayName: long });
  const list = await c.get("/configure/users?q=longname");
  assert.match(list.html, new RegExp(`<td title="${long}">${long}</td>`));
});

t("the records store counts and pages from the end the same way", async ({ env }) => {
  const store = new AppRecordsStore(env.db, new ManualClock());
  const app = compileApp(
    {
      id: "parts",
      title: "Parts",
      record: { type: "object", required: ["name"], properties: { name: { type: "string" } } },
      list: { columns: ["name"], sort: "name", searchable: ["name"] },
    },
    0,
  );
  const ctx = { siteId: (await env.services.sites.publicSite()).id, actor: { id: null, name: "t" } };
  await store.createMany(
    app,
    ctx,
    Array.from({ length: 30 }, (_, i) => ({ name: `part ${String(i).padStart(2, "0")}${i % 3 ? "" : " red"}` })),
  );
  const sort = { field: "name", direction: "asc" as const };
  const first = await store.list(app, ctx, { sort, limit: 8, count: true });
  assert.equal([first.total, first.offset, first.rows.length], [30, 0, 8]);
  const second = await store.list(app, ctx, { sort, limit: 8, count: true, after: first.next! });
  assert.equal([second.total, second.offset], [30, 8]);
  const last = await store.list(app, ctx, { sort, limit: 8, count: true, last: true });
  assert.equal([last.total, last.offset, last.next], [30, 22, null]);
  assert.is(last.rows.at(-1)!.values.name, "part 29");
  assert.ok(last.prev);
  const red = await store.list(app, ctx, { sort, limit: 4, count: true, q: "red", last: true });
  assert.equal([red.total, red.offset, red.rows.length], [10, 6, 4]);
  assert.is(red.rows.at(-1)!.values.name, "part 27 red");
  // Without count, nothing is counted (the device API's pages).
  assert.is((await store.list(app, ctx, { sort, limit: 8 })).total, undefined);
});

t.run();
