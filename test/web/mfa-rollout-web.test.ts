// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "node:crypto";
import { runMfaEnable } from "../../engine/cli/mfa-rollout-cli.js";
import type { Db } from "../../engine/db/db.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { addDepartments } from "../helpers/rollout.js";
import { appParams, codeAt } from "../helpers/totp.js";

const PASSWORD = "correct horse battery";
const t = suite<{ env: TestEnv; publicId: string; otherId: string }>(`Configure > MFA pages [${testBackend}]`);

/** Two sites; Sales and Finance people on the Public Site, one Sales person on Branch. */
async function seeded(): Promise<{ env: TestEnv; publicId: string; otherId: string }> {
  const env = await startTestEnv();
  env.clock.set("2026-06-01T09:00:00Z");
  const s = env.services;
  const publicId = (await s.sites.publicSite()).id;
  const otherId = (await s.sites.create("branch", "Branch Office")).id;
  await s.users.create({ siteId: publicId, username: "root", password: PASSWORD, role: "admin" });
  await s.users.create({ siteId: publicId, username: "desi", password: PASSWORD, role: "designer" });
  await s.users.create({ siteId: otherId, username: "branchadmin", password: PASSWORD, role: "admin" });
  for (const name of ["ann", "bob", "cat", "dan"]) await s.users.create({ siteId: publicId, username: name });
  await s.users.create({ siteId: otherId, username: "eve" });
  await addDepartments(s, publicId, { ann: "Sales", bob: "Sales", cat: "Sales", dan: "Finance" });
  await addDepartments(s, otherId, { eve: "Sales" });
  return { env, publicId, otherId };
}

t.before.each(async (ctx) => {
  Object.assign(ctx, await seeded());
});
t.after.each(async (ctx) => ctx.env.close());

async function state(db: Db) {
  const settings = await db.query<{ username: string; delay: number; required_from: Date }>(
    `SELECT u.username, m.enforcement_delay_days AS delay, m.required_from FROM users u
     JOIN mfa_settings m ON m.user_id = u.id WHERE m.enabled ORDER BY u.username`,
  );
  // Sign-ins are audited too (issue 25); a refused form changes nothing else.
  const audit = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM audit_log WHERE action NOT LIKE 'sign\\_in.%'",
  );
  return { enabled: settings.rows, audit: audit.rows[0]!.n };
}

/** A progress figure (the active site's are links to the users list). */
const count = (html: string, name: string) =>
  Number(new RegExp(`data-count="${name}">\\s*(?:<a href="[^"]*">)?(\\d+)(?:</a>)?[ <]`).exec(html)?.[1]);

t("preview lists the users and changes nothing; Confirm changes exactly them and says so once", async ({ env }) => {
  const c = new TestClient(env.app);
  await c.signIn("root", PASSWORD);
  const form = await c.get("/configure/mfa/rollout");
  assert.is(form.res.status, 200);
  assert.match(form.html, /name="enforcementDelayDays"/);
  // The Field list shows the designer's label and sends the field's name.
  assert.match(form.html, /<option value="department">Department<\/option>/);
  const before = await state(env.db);
  const preview = await c.get("/configure/mfa/rollout?q=sales&enforcementDelayDays=14&preview=1");
  assert.is(preview.res.status, 200);
  assert.is(count(preview.html, "toEnable"), 3);
  assert.match(preview.html, /data-deadline="2026-06-15"/);
  const names = [...preview.html.matchAll(/<tr><td>(?:<a href="[^"]+">)?([a-z]+)(?:<\/a>)?<\/td>/g)].map((m) => m[1]);
  assert.equal(names, ["ann", "bob", "cat"]);
  assert.match(preview.html, /<button type="submit">Confirm<\/button>/);
  assert.equal(await state(env.db), before);

  // Without the CSRF token nothing happens.
  const forged = await env.app.request("/configure/mfa/rollout", {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
    },
    body: "q=sales&enforcementDelayDays=14&expectToEnable=3&expectToMove=0",
  });
  assert.is(forged.status, 403);
  assert.equal(await state(env.db), before);

  const confirmed = await c.post("/configure/mfa/rollout", {
    q: "sales",
    enforcementDelayDays: "14",
    role: "",
    mfa: "",
    scope: "",
    expectToEnable: "3",
    expectToMove: "0",
  });
  assert.is(confirmed.res.status, 303);
  const after = await state(env.db);
  assert.equal(
    after.enabled.map((r) => r.username),
    names,
  );
  assert.ok(after.enabled.every((r) => r.delay === 14 && r.required_from.toISOString() === "2026-06-15T09:00:00.000Z"));
  const progress = await c.get(confirmed.res.headers.get("location")!);
  assert.match(
    progress.html,
    /role="status" class="flash">\s*MFA switched on for 3 users; setup required from 15 June 2026, 09:00 \(UTC\)\. 0 users skipped\./,
  );
  assert.is(count(progress.html, "pending"), 3);
});

t(
  "a Confirm for a selection that changed since the preview shows the new preview (409) and changes nothing",
  async ({ env }) => {
    const c = new TestClient(env.app);
    await c.signIn("root", PASSWORD);
    await c.get("/configure/mfa/rollout?q=sales&enforcementDelayDays=14&preview=1");
    await env.services.users.create({ siteId: (await env.services.sites.publicSite()).id, username: "sales-new" });
    const before = await state(env.db);
    const r = await c.post("/configure/mfa/rollout", {
      q: "sales",
      enforcementDelayDays: "14",
      expectToEnable: "3",
      expectToMove: "0",
    });
    assert.is(r.res.status, 409);
    assert.match(r.html, /The selection changed since the preview: 4 users to switch on and 0 deadlines to move now\./);
    assert.equal(await state(env.db), before);
  },
);

t("bad input is a 422 naming each field; designers and another site's administrator are refused", async ({ env }) => {
  const c = new TestClient(env.app);
  await c.signIn("root", PASSWORD);
  const bad = await c.get("/configure/mfa/rollout?role=owner&enforcementDelayDays=-3&mfa=sleepy&preview=1");
  assert.is(bad.res.status, 422);
  assert.match(bad.html, /id="err-role"[^>]*>Role must be/);
  assert.match(bad.html, /id="err-mfa"[^>]*>Choose an MFA state/);
  assert.match(bad.html, /id="err-enforcementDelayDays"[^>]*>Enforcement delay must be/);
  assert.match(bad.html, /<a href="#field-role">/);

  const d = new TestClient(env.app);
  await d.signIn("desi", PASSWORD);
  assert.is((await d.get("/configure/mfa")).res.status, 403);
  assert.is((await d.get("/configure/mfa/rollout")).res.status, 403);

  const b = new TestClient(env.app);
  await b.signIn("branchadmin", PASSWORD);
  const all = await b.get("/configure/mfa/rollout?scope=all&enforcementDelayDays=3&preview=1");
  assert.is(all.res.status, 422);
  assert.match(all.html, /Only administrators of the Public Site may roll out to every site/);
  const own = await b.get("/configure/mfa/rollout?q=sales&enforcementDelayDays=3&preview=1");
  assert.is(count(own.html, "toEnable"), 1, "only eve, on Branch");
  const progress = await b.get("/configure/mfa");
  assert.not.match(progress.html, /Public Site/);
});

t(
  "the days field is not pre-filled: a date alone works as the form sends it; neither is the default 14 days",
  async ({ env }) => {
    const c = new TestClient(env.app);
    await c.signIn("root", PASSWORD);
    const form = await c.get("/configure/mfa/rollout?q=sales");
    const days = form.html.match(/<input[^>]*name="enforcementDelayDays"[^>]*>/)![0];
    assert.not.match(days, /value="[^"]/, "no value an untouched field would send");
    assert.match(days, /placeholder="14"/);
    // What a browser without JavaScript sends after only a date was picked: the days field empty.
    const dated = await c.get("/configure/mfa/rollout?q=sales&enforcementDelayDays=&deadline=2026-12-13&preview=1");
    assert.is(dated.res.status, 200, dated.html.match(/id="err-[^<]*/)?.[0]);
    const neither = await c.get("/configure/mfa/rollout?q=sales&enforcementDelayDays=&deadline=&preview=1");
    assert.is(neither.res.status, 200);
    assert.match(neither.html, /\(14 days from now\)/);
  },
);

t(
  "a deadline date: the start of that day in the site's zone, shown there; past or both: 422, nothing changed",
  async ({ env, publicId }) => {
    const c = new TestClient(env.app);
    await c.signIn("root", PASSWORD);
    await env.services.sites.setTimeZone(publicId, "Asia/Tokyo");
    const before = await state(env.db);
    // 13 December 2026 starts at 2026-12-12T15:00Z in Tokyo (UTC+9).
    const preview = await c.get("/configure/mfa/rollout?q=sales&enforcementDelayDays=&deadline=2026-12-13&preview=1");
    assert.is(preview.res.status, 200);
    assert.match(
      preview.html,
      /data-deadline="2026-12-13" data-deadline-at="2026-12-12T15:00:00.000Z">\s*13 December 2026, 00:00 \(Asia\/Tokyo\)/,
    );
    assert.not.match(preview.html, /days? from now/);
    assert.match(preview.html, /<input type="hidden" name="deadline" value="2026-12-13"\/>/);

    const refusals: [string, RegExp][] = [
      ["deadline=2026-05-31", /id="err-deadline"[^>]*>The deadline must be in the future/],
      ["deadline=2026-06-01", /id="err-deadline"[^>]*>The deadline must be in the future/], // 00:00 Tokyo today has passed
      [
        "enforcementDelayDays=3&deadline=2026-12-13",
        /id="err-deadline"[^>]*>Give a deadline date or a number of days, not both/,
      ],
      [
        "enforcementDelayDays=&deadline=13.12.2026",
        /id="err-deadline"[^>]*>The deadline must be a date \(YYYY-MM-DD\)/,
      ],
      ["enforcementDelayDays=&deadline=2026-02-30", /id="err-deadline"[^>]*>The deadline must be a real date/],
      ["enforcementDelayDays=abc", /id="err-enforcementDelayDays"[^>]*>Enforcement delay must be/],
    ];
    for (const [query, message] of refusals) {
      const r = await c.get(`/configure/mfa/rollout?q=sales&${query}&preview=1`);
      assert.is(r.res.status, 422, query);
      assert.match(r.html, message, query);
      const post = await c.post("/configure/mfa/rollout", {
        q: "sales",
        ...Object.fromEntries(new URLSearchParams(query)),
        expectToEnable: "3",
        expectToMove: "0",
      });
      assert.is(post.res.status, 422, `POST ${query}`);
      assert.match(post.html, message, `POST ${query}`);
    }
    assert.equal(await state(env.db), before, "nothing changed");

    const confirmed = await c.post("/configure/mfa/rollout", {
      q: "sales",
      enforcementDelayDays: "",
      deadline: "2026-12-13",
      expectToEnable: "3",
      expectToMove: "0",
    });
    assert.is(confirmed.res.status, 303);
    const after = await state(env.db);
    assert.equal(
      after.enabled.map((r) => [r.username, r.required_from.toISOString(), r.delay]),
      ["ann", "bob", "cat"].map((u) => [u, "2026-12-12T15:00:00.000Z", 195]),
    );
    const progress = await c.get(confirmed.res.headers.get("location")!);
    assert.match(progress.html, /setup required from 13 December 2026, 00:00 \(Asia\/Tokyo\)\./);
    // The days form still works beside it.
    const days = await c.get("/configure/mfa/rollout?q=finance&enforcementDelayDays=2&preview=1");
    assert.match(days.html, /3 June 2026, 18:00 \(Asia\/Tokyo\) \(2 days from now\)/);
  },
);

t("the CLI and the web switch on the same users with the same deadlines for the same selection", async () => {
  // Each selection on a fresh pair of sites, web and CLI side by side: search + role on every
  // site; a designer field's value (--where / Field = Value); an MFA state (--mfa / MFA state),
  // with bob already on and overdue beforehand.
  const cases: {
    web: Record<string, string>;
    cli: string[];
    expect: string[];
    requiredFrom?: string;
    before?: (e: TestEnv) => Promise<void>;
  }[] = [
    {
      web: { q: "sales", role: "user", scope: "all", enforcementDelayDays: "10" },
      cli: ["--q", "sales", "--role", "user", "--delay", "10"],
      expect: ["ann", "bob", "cat", "eve"],
    },
    {
      web: { whereField: "department", whereValue: "FINANCE", enforcementDelayDays: "5" },
      cli: ["--site", "public", "--where", "department=FINANCE", "--delay", "5"],
      expect: ["dan"],
    },
    {
      web: { mfa: "overdue", enforcementDelayDays: "3", moveDeadlines: "true" },
      cli: ["--site", "public", "--mfa", "overdue", "--move-deadlines", "--delay", "3"],
      expect: ["bob"],
      // Moved: 3 days from the rollout (a day after bob's own day of grace ran out; with delay 0 he
      // would be pending, due at his next sign-in, not overdue).
      requiredFrom: "2026-06-06T09:00:00.000Z",
      before: async (e) => {
        const bob = (await e.services.users.byUsername("bob"))!;
        await e.services.mfa.settings.applySettings(
          bob.id,
          { enabled: true, enforcementDelayDays: 1 },
          {
            id: null,
            name: "setup",
            siteId: null,
          },
        );
        e.clock.advanceDays(2);
      },
    },
  ];
  for (const k of cases) {
    const viaWebEnv = await seeded();
    const viaCliEnv = await seeded();
    try {
      await k.before?.(viaWebEnv.env);
      await k.before?.(viaCliEnv.env);
      const web = new TestClient(viaWebEnv.env.app);
      await web.signIn("root", PASSWORD);
      const preview = await web.get(`/configure/mfa/rollout?${new URLSearchParams({ ...k.web, preview: "1" })}`);
      assert.is(preview.res.status, 200, JSON.stringify(k.web));
      const expectToEnable = String(count(preview.html, "toEnable"));
      const expectToMove = k.web.moveDeadlines ? String(count(preview.html, "toMove")) : "0";
      const posted = await web.post("/configure/mfa/rollout", { ...k.web, expectToEnable, expectToMove });
      assert.is(posted.res.status, 303, JSON.stringify(k.web));
      const viaWeb = (await state(viaWebEnv.env.db)).enabled;
      await runMfaEnable(viaCliEnv.env.services, k.cli);
      assert.equal((await state(viaCliEnv.env.db)).enabled, viaWeb, k.cli.join(" "));
      assert.equal(
        viaWeb.map((r) => r.username),
        k.expect,
      );
      if (k.requiredFrom) assert.ok(viaWeb.every((r) => r.required_from.toISOString() === k.requiredFrom));
    } finally {
      await viaWebEnv.env.close();
      await viaCliEnv.env.close();
    }
  }
});

t("bad Field = Value and ticked users of another site are a 422 naming the field; nothing changes", async ({ env }) => {
  const c = new TestClient(env.app);
  await c.signIn("root", PASSWORD);
  const before = await state(env.db);
  const noField = await c.get("/configure/mfa/rollout?whereField=colour&whereValue=red&preview=1");
  assert.is(noField.res.status, 422);
  assert.match(noField.html, /id="err-whereField"[^>]*>Choose a field from the list \(department\)/);
  const noValue = await c.get("/configure/mfa/rollout?whereField=department&preview=1");
  assert.is(noValue.res.status, 422);
  assert.match(noValue.html, /id="err-whereValue"[^>]*>Type the value/);
  const eve = (await env.services.users.byUsername("eve"))!;
  const ann = (await env.services.users.byUsername("ann"))!;
  const foreign = await c.get(`/configure/mfa/rollout?ids=${ann.id}&ids=${eve.id}&preview=1`);
  assert.is(foreign.res.status, 422);
  assert.match(foreign.html, /id="err-ids"[^>]*>1 ticked user is not a user of this site/);
  assert.match(foreign.html, /<a href="#field-ids">/);
  const confirm = await c.post("/configure/mfa/rollout", { ids: [eve.id], expectToEnable: "1", expectToMove: "0" });
  assert.is(confirm.res.status, 422);
  // Another site's administrator cannot reach Public Site users by ticking their ids.
  const b = new TestClient(env.app);
  await b.signIn("branchadmin", PASSWORD);
  const theirs = await b.get(`/configure/mfa/rollout?ids=${ann.id}&preview=1`);
  assert.is(theirs.res.status, 422);
  assert.match(theirs.html, /id="err-ids"[^>]*>1 ticked user is not a user of this site/);
  assert.not.match(theirs.html, />ann</);
  const theirConfirm = await b.post("/configure/mfa/rollout", {
    ids: [ann.id],
    expectToEnable: "1",
    expectToMove: "0",
  });
  assert.is(theirConfirm.res.status, 422);
  assert.equal(await state(env.db), before);
  // A Public Site administrator rolling out to every site may tick users of any site.
  const all = await c.get(`/configure/mfa/rollout?scope=all&ids=${ann.id}&ids=${eve.id}&preview=1`);
  assert.is(all.res.status, 200);
  assert.is(count(all.html, "toEnable"), 2);
});

t("the users list: a checkbox per row and a form that sends the ticked ids to the preview", async ({ env }) => {
  const c = new TestClient(env.app);
  await c.signIn("root", PASSWORD);
  const list = await c.get("/configure/users");
  assert.is(list.res.status, 200);
  const form = /<form method="get" action="\/configure\/users" class="rollout-selected">([\s\S]*?)<\/form>/.exec(
    list.html,
  );
  assert.ok(form, "a GET form around the list");
  assert.match(form[1]!, /<div id="record-list"/);
  assert.match(
    form[1]!,
    /<button type="submit" name="rollout" value="1" class="secondary">Roll out MFA to selected<\/button>/,
  );
  const ann = (await env.services.users.byUsername("ann"))!;
  const bob = (await env.services.users.byUsername("bob"))!;
  assert.match(form[1]!, new RegExp(`<input type="checkbox" name="ids" value="${ann.id}" aria-label="Select ann"`));
  // The list region htmx swaps in (search, sort, pages) keeps its checkboxes.
  const region = await c.request("/configure/users?q=ann", {
    headers: { "HX-Request": "true", "HX-Target": "#record-list" },
  });
  assert.match(await region.text(), new RegExp(`name="ids" value="${ann.id}"`));
  // What the browser sends for two ticked rows: the list sends them on to the preview of exactly them.
  const sent = await c.get(`/configure/users?q=&ids=${ann.id}&ids=${bob.id}&rollout=1`);
  assert.is(sent.res.status, 303);
  // …with the list's state (`back`), for Confirm to come back to the list as it was.
  assert.is(
    sent.res.headers.get("location"),
    `/configure/mfa/rollout?preview=1&ids=${ann.id}&ids=${bob.id}&back=${encodeURIComponent(`ids=${ann.id}&ids=${bob.id}`)}`,
  );
  const preview = await c.get(sent.res.headers.get("location")!);
  assert.is(preview.res.status, 200);
  assert.is(count(preview.html, "toEnable"), 2);
  assert.match(preview.html, /Only the 2 users ticked in the users list, if they also match/);
  assert.match(preview.html, new RegExp(`<input type="hidden" name="ids" value="${bob.id}"`));
  const done = await c.post("/configure/mfa/rollout", {
    ids: [ann.id, bob.id],
    enforcementDelayDays: "14",
    expectToEnable: "2",
    expectToMove: "0",
  });
  assert.is(done.res.status, 303);
  assert.equal(
    (await state(env.db)).enabled.map((r) => r.username),
    ["ann", "bob"],
  );
});

t("the users list keeps ticks across its pages, without JavaScript, and says how many are ticked", async ({ env }) => {
  const c = new TestClient(env.app);
  await c.signIn("root", PASSWORD);
  const site = await env.services.sites.publicSite();
  // Pages of five rows: aa1…aa5 on the first page of ?q=a sorted by username, ann after them.
  const app = (await env.services.apps.get(site.id, "user-accounts"))!;
  const definition = structuredClone(app.definition);
  definition.list = { ...definition.list!, pageSize: 5 };
  await env.services.apps.save(site.id, definition, { id: null, name: "designer" }, app.version);
  for (const n of [1, 2, 3, 4, 5]) await env.services.users.create({ siteId: site.id, username: `aa${n}` });
  const aa1 = (await env.services.users.byUsername("aa1"))!;
  const ann = (await env.services.users.byUsername("ann"))!;
  const first = await c.get(`/configure/users?sort=username&q=a`);
  const next = /<button type="submit" name="after" value="([^"]+)"[^>]*>Next<\/button>/.exec(first.html);
  assert.ok(next, "Next is a button of the form, not a link that would drop the ticks");
  assert.match(first.html, /<input type="hidden" name="q" value="a"/);
  assert.match(first.html, /data-selected="0">None selected yet/);
  // aa1 ticked on the first page, then Next: the form sends the tick with the page.
  const second = await c.get(`/configure/users?sort=username&q=a&ids=${aa1.id}&after=${encodeURIComponent(next[1]!)}`);
  assert.is(second.res.status, 200);
  assert.not.match(second.html, /Select aa1"/, "aa1 is on the first page");
  assert.match(second.html, new RegExp(`<input type="hidden" name="ids" value="${aa1.id}"`));
  assert.match(second.html, /data-selected="1">1 selected \(1 on other pages\)/);
  // Back on the first page, aa1's row shows ticked and is not carried twice.
  const back = await c.get(`/configure/users?sort=username&q=a&ids=${aa1.id}&ids=${ann.id}`);
  assert.match(back.html, new RegExp(`value="${aa1.id}" checked=""`));
  assert.not.match(back.html, new RegExp(`type="hidden" name="ids" value="${aa1.id}"`));
  assert.match(back.html, /data-selected="2">2 selected \(1 on other pages\)/);
  // An id that is not a user id is dropped, not carried.
  const junk = await c.get(`/configure/users?ids=nonsense&ids=${ann.id}&rollout=1`);
  assert.match(
    junk.res.headers.get("location")!,
    new RegExp(`^/configure/mfa/rollout\\?preview=1&ids=${ann.id}&back=`),
  );
});

t(
  "progress: numbers, percentages, activations per day and the overdue list change as users set up",
  async ({ env }) => {
    const s = env.services;
    const c = new TestClient(env.app);
    await c.signIn("root", PASSWORD);
    await c.post("/configure/mfa/rollout", {
      q: "sales",
      enforcementDelayDays: "2",
      expectToEnable: "3",
      expectToMove: "0",
    });
    env.clock.advanceDays(1);
    const ann = (await s.users.byUsername("ann"))!;
    const p = appParams(randomBytes(20));
    const me = { id: ann.id, name: "ann", siteId: null };
    assert.equal(await s.mfa.activation.activate(ann.id, { method: "app", ...p }, codeAt(env.clock, p), me), {
      ok: true,
    });
    env.clock.advanceDays(2);
    // Three days on, the first session has ended (idle timeout): the administrator signs in again.
    await c.signIn("root", PASSWORD);
    const page = await c.get("/configure/mfa");
    const row = /<tr data-site="public">([\s\S]*?)<\/tr>/.exec(page.html)![1]!;
    assert.match(row, /data-count="users"><a href="\/configure\/users">6<\/a></);
    assert.match(row, /data-count="activated">\s*<a href="\/configure\/users\?mfa=activated">1<\/a> \(16.7%\)/);
    assert.match(row, /data-count="overdue">\s*<a href="\/configure\/users\?mfa=overdue">2<\/a> \(33.3%\)/);
    assert.match(page.html, /<svg class="activations-chart" role="img"/);
    assert.match(page.html, /data-day="2026-06-02" data-count="1"/);
    assert.match(page.html, /data-day="2026-06-01" data-count="0"/);
    assert.match(page.html, /Overdue \(2\)/);
    const bob = (await s.users.byUsername("bob"))!;
    assert.match(page.html, new RegExp(`<a href="/configure/users/${bob.id}">bob</a>`));
    // The users export carries the same facts per user.
    const csv = await (await c.request("/configure/users/export.csv")).text();
    const lines = csv.replace(/^\uFEFF/, "").split("\r\n");
    assert.match(lines[0]!, /,MFA state,MFA required from,MFA activated on,MFA method,Token serial$/);
    const line = (name: string) => lines.find((l) => l.split(",")[1] === name)!;
    // The state as the badges name it (Off, Pending, Overdue, Active); instants in ISO 8601 with offset.
    assert.match(line("ann"), /,Active,,2026-06-02T\d\d:\d\d:\d\d\.\d{3}Z,app,$/);
    assert.match(line("bob"), /,Overdue,2026-06-03T\d\d:\d\d:\d\d\.\d{3}Z,,,$/);
    assert.match(line("dan"), /,Off,,,,$/);
  },
);

t(
  "policy page: saves roles and delay, refuses a bad delay with its field, and new accounts follow it",
  async ({ env }) => {
    const c = new TestClient(env.app);
    await c.signIn("root", PASSWORD);
    const bad = await c.post("/configure/mfa/policy", { requiredRoles: ["user"], defaultEnforcementDelayDays: "many" });
    assert.is(bad.res.status, 422);
    assert.match(bad.html, /id="err-defaultEnforcementDelayDays"[^>]*>Default enforcement delay must be/);
    const wrongRole = await c.post("/configure/mfa/policy", {
      requiredRoles: ["owner"],
      defaultEnforcementDelayDays: "3",
    });
    assert.is(wrongRole.res.status, 422);
    const ok = await c.post("/configure/mfa/policy", {
      requiredRoles: ["user", "designer"],
      defaultEnforcementDelayDays: "9",
    });
    assert.is(ok.res.status, 303);
    assert.is(ok.res.headers.get("location"), "/configure/mfa/policy");
    const shown = await c.get(ok.res.headers.get("location")!);
    assert.match(
      shown.html,
      /role="status" class="flash">\s*MFA policy saved: new accounts with the roles App designer and User start with MFA on and 9 days to set it up\./,
    );
    assert.match(shown.html, /value="user" checked/);
    // The progress table says the policy in the same words: role names, the days in their number.
    const progress = await c.get("/configure/mfa");
    assert.match(
      progress.html,
      /new accounts with the roles App designer and User start with MFA on,\s+9 days to set up/,
    );
    await c.post("/configure/mfa/policy", { requiredRoles: ["user"], defaultEnforcementDelayDays: "1" });
    assert.match(
      (await c.get("/configure/mfa")).html,
      /new accounts with the role User start with MFA on,\s+1 day to set up/,
    );
    await c.post("/configure/mfa/policy", { requiredRoles: ["user", "designer"], defaultEnforcementDelayDays: "9" });
    // The Add User form starts with the slider on and the policy's delay.
    const add = await c.get("/configure/users/new");
    assert.match(add.html, /name="mfaEnabled"[^>]*checked/);
    assert.match(add.html, /name="mfaEnforcementDelayDays"[^>]*value="9"/);
  },
);

t.run();
