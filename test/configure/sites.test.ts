// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";

const PASSWORD = "correct horse battery";
const t = suite<{ env: TestEnv }>(`sites [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  const s = ctx.env.services;
  const pub = await s.sites.publicSite();
  await s.users.create({ siteId: pub.id, username: "root", password: PASSWORD, role: "admin" });
  await s.users.create({ siteId: pub.id, username: "plain", password: PASSWORD, role: "user" });
  const acme = await s.sites.create("acme", "Acme Ltd");
  await s.users.create({ siteId: acme.id, username: "acme-admin", password: PASSWORD, role: "admin" });
});
t.after(async (ctx) => ctx.env.close());

t("the Public Site exists from the first start", async ({ env }) => {
  const pub = await env.services.sites.publicSite();
  assert.is(pub.slug, "public");
  assert.is(pub.isPublic, true);
});

t("a Public Site admin adds a site; bad and duplicate slugs get a message and add nothing", async ({ env }) => {
  const c = new TestClient(env.app);
  await c.signIn("root", PASSWORD);
  await c.get("/configure/sites");
  const bad = await c.post("/configure/sites", { slug: "Bad Slug!", name: "Bad" });
  assert.is(bad.res.status, 422);
  assert.match(bad.html, /Slug must be lowercase letters, digits and dashes/);
  assert.match(bad.html, /value="Bad Slug!"/, "what the admin typed is kept");
  // A bad slug and an empty name: both messages in one answer, nothing added.
  const sites = (await env.services.sites.list()).length;
  const twoBad = await c.post("/configure/sites", { slug: "Bad Slug", name: "" });
  assert.is(twoBad.res.status, 422);
  assert.match(twoBad.html, /id="err-slug"[^>]*>Slug must be lowercase letters, digits and dashes/);
  assert.match(twoBad.html, /id="err-name"[^>]*>Name must be 1 to 200 characters\./);
  assert.is((await env.services.sites.list()).length, sites, "nothing added");
  const dup = await c.post("/configure/sites", { slug: "acme", name: "Another Acme" });
  assert.is(dup.res.status, 422);
  assert.match(dup.html, /Slug is already taken/);
  const sameName = await c.post("/configure/sites", { slug: "acme-2", name: "  acme LTD " });
  assert.is(sameName.res.status, 422);
  assert.match(sameName.html, /id="err-name"[^>]*>Name is already used by another site\./);
  assert.match(sameName.html, /value="acme-2"/, "what the admin typed is kept");
  const ok = await c.post("/configure/sites", { slug: "globex", name: "Globex" });
  assert.is(ok.res.status, 303);
  // Two requests for one name at the same moment: exactly one site is added.
  const both = await Promise.allSettled([
    env.services.sites.create("initech-1", "Initech"),
    env.services.sites.create("initech-2", "INITECH"),
  ]);
  assert.is(both.filter((r) => r.status === "fulfilled").length, 1);
  await env.db.query("DELETE FROM sites WHERE lower(name) = 'initech'");
  const names = (await env.services.sites.list()).map((s) => s.slug);
  assert.equal(names, ["public", "acme", "globex"]);
  const audit = await env.db.query<{ action: string }>("SELECT action FROM audit_log WHERE action = 'site.create'");
  assert.is(audit.rowCount, 1);
});

t("switching site issues a new session token and changes the active site", async ({ env }) => {
  const c = new TestClient(env.app);
  await c.signIn("root", PASSWORD);
  const before = c.cookies.get("fg_session")!;
  await c.get("/configure");
  const r = await c.post("/configure/site", { site: "acme" });
  assert.is(r.res.status, 303);
  const after = c.cookies.get("fg_session")!;
  assert.is.not(after, before);
  assert.is(await env.services.sessions.validate(before), null);
  const page = await c.get("/configure/sites");
  assert.match(page.html, /You are managing <strong>Acme Ltd<\/strong>/);
  const missing = await c.post("/configure/site", { site: "nope" });
  assert.is(missing.res.status, 422);
});

t("admins of other sites cannot add or switch sites; users cannot configure", async ({ env }) => {
  const a = new TestClient(env.app);
  await a.signIn("acme-admin", PASSWORD);
  const page = await a.get("/configure/sites");
  assert.is(page.res.status, 200);
  assert.not.match(page.html, /Add a site/);
  assert.match(page.html, /Acme Ltd/);
  assert.is((await a.post("/configure/sites", { slug: "evil", name: "Evil" })).res.status, 403);
  assert.is((await a.post("/configure/site", { site: "public" })).res.status, 403);
  assert.is(await env.services.sites.bySlug("evil"), null);

  const u = new TestClient(env.app);
  await u.signIn("plain", PASSWORD);
  assert.is((await u.get("/configure")).res.status, 403);
});

t.run();
