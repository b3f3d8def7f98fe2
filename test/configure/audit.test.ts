// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";

const PASSWORD = "correct horse battery";
const t = suite<{ env: TestEnv; publicId: string; otherId: string }>(`audit log page [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  const s = ctx.env.services;
  ctx.publicId = (await s.sites.publicSite()).id;
  ctx.otherId = (await s.sites.create("branch", "Branch Office")).id;
  const root = await s.users.create({ siteId: ctx.publicId, username: "root", password: PASSWORD, role: "admin" });
  await s.users.create({ siteId: ctx.publicId, username: "designer1", password: PASSWORD, role: "designer" });
  await s.users.create({ siteId: ctx.otherId, username: "branchadmin", password: PASSWORD, role: "admin" });
  const admin = { id: root.id, name: "root", siteId: ctx.publicId };
  for (const name of ["ann", "bob"]) {
    const u = await s.users.create({ siteId: ctx.publicId, username: name });
    await s.mfa.applySettings(u.id, { enabled: true, enforcementDelayDays: 2 }, admin);
    ctx.env.clock.advanceSeconds(1);
  }
  const ann = (await s.users.byUsername("ann"))!;
  await s.mfa.applySettings(ann.id, { enabled: true, enforcementDelayDays: 5 }, admin);
  const carl = await s.users.create({ siteId: ctx.otherId, username: "carl" });
  await s.mfa.applySettings(
    carl.id,
    { enabled: true, enforcementDelayDays: 0 },
    { id: null, name: "cli", siteId: null },
  );
});
t.after(async (ctx) => ctx.env.close());

const rowsOf = (html: string) =>
  [...html.matchAll(/<tr><td><time[^>]*>[^<]*<\/time><\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td>/g)].map(
    (m) => `${m[1]} ${m[2]} ${m[3]}`,
  );

t("an administrator sees the site's entries, newest first, with filters by user and action", async ({ env }) => {
  const c = new TestClient(env.app);
  await c.signIn("root", PASSWORD);
  const all = await c.get("/configure/audit");
  assert.is(all.res.status, 200);
  assert.equal(rowsOf(all.html), ["root mfa.delay_change ann", "root mfa.enable bob", "root mfa.enable ann"]);
  assert.match(all.html, /<td>(from: 2, to: 5|to: 5, from: 2)<\/td>/);
  assert.not.match(all.html, /carl/, "another site's entries are not shown");

  const ann = await c.get("/configure/audit?user=ANN");
  assert.equal(rowsOf(ann.html), ["root mfa.delay_change ann", "root mfa.enable ann"]);
  const enables = await c.get("/configure/audit?action=mfa.enable");
  assert.equal(rowsOf(enables.html), ["root mfa.enable bob", "root mfa.enable ann"]);
  assert.match(enables.html, /<option value="mfa.enable" selected="">/);
  const both = await c.get("/configure/audit?user=bob&action=mfa.delay_change");
  assert.equal(rowsOf(both.html), []);
  assert.match(both.html, /No entries match/);
});

t("paging by keyset", async ({ env, publicId }) => {
  for (let i = 0; i < 60; i++) {
    await env.services.audit.record({ siteId: publicId, actor: { id: null, name: "cli" }, action: "test.bulk" });
  }
  const c = new TestClient(env.app);
  await c.signIn("root", PASSWORD);
  const first = await c.get("/configure/audit?action=test.bulk");
  assert.is(rowsOf(first.html).length, 50);
  const next = first.html.match(/href="(\/configure\/audit\?[^"]+)" rel="next"/)![1]!.replace(/&amp;/g, "&");
  assert.match(next, /action=test.bulk&after=\d+/);
  const second = await c.get(next);
  assert.is(rowsOf(second.html).length, 10);
  assert.not.match(second.html, /rel="next"/);
});

t("bad filters get a 422 with a message per field", async ({ env }) => {
  const c = new TestClient(env.app);
  await c.signIn("root", PASSWORD);
  const bad = await c.get("/configure/audit?user=%3Cscript%3E&after=abc&action=DROP%20TABLE");
  assert.is(bad.res.status, 422);
  assert.match(bad.html, /id="error-user">User must be a username/);
  assert.match(bad.html, /id="error-action">Action must be one of/);
  assert.match(bad.html, /id="error-after">Page must be/);
  assert.not.match(bad.html, /<script>/);
  const unknown = await c.get("/configure/audit?sort=x");
  assert.is(unknown.res.status, 422);
});

t("only administrators, and only for the site they work on", async ({ env }) => {
  const designer = new TestClient(env.app);
  await designer.signIn("designer1", PASSWORD);
  assert.is((await designer.get("/configure/audit")).res.status, 403);
  const anonymous = new TestClient(env.app);
  assert.is((await anonymous.get("/configure/audit")).res.headers.get("location"), "/login");
  const branch = new TestClient(env.app);
  await branch.signIn("branchadmin", PASSWORD);
  const page = await branch.get("/configure/audit");
  assert.equal(rowsOf(page.html), ["cli mfa.enable carl"]);
  assert.is(rowsOf((await branch.get("/configure/audit?user=ann")).html).length, 0);
});

t.run();
