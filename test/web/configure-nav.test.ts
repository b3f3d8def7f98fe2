// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { FLASH_COOKIE } from "../../engine/web/http/flash.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";

const PASSWORD = "correct horse battery";
const t = suite<{ env: TestEnv }>(`Configure navigation and one-time messages [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  const s = ctx.env.services;
  const pub = await s.sites.publicSite();
  await s.users.create({ siteId: pub.id, username: "root", password: PASSWORD, role: "admin" });
  await s.users.create({ siteId: pub.id, username: "maker", password: PASSWORD, role: "designer" });
  const acme = await s.sites.create("acme", "Acme Ltd");
  await s.users.create({ siteId: acme.id, username: "acme-admin", password: PASSWORD, role: "admin" });
});
t.after(async (ctx) => ctx.env.close());

/** The Configure navigation's links as [label, current]. */
function navOf(html: string): [string, boolean][] {
  const nav = /<nav aria-label="Configure"[^>]*>([\s\S]*?)<\/nav>/.exec(html);
  if (!nav) return [];
  return [...nav[1]!.matchAll(/<a href="[^"]+"( aria-current="page")?>([^<]+)<\/a>/g)].map((m) => [m[2]!, !!m[1]]);
}

t("a Public Site administrator: every place, the current one marked, a site switcher", async ({ env }) => {
  const c = new TestClient(env.app);
  await c.signIn("root", PASSWORD);
  const users = await c.get("/configure/users");
  assert.equal(navOf(users.html), [
    ["Overview", false],
    ["Users", true],
    ["MFA", false],
    ["MFA Hardware", false],
    ["Apps", false],
    ["Notifications", false],
    ["Audit log", false],
    ["Backups", false],
    ["Sites", false],
  ]);
  assert.match(users.html, /<select id="site-switcher"[^>]*name="site">/);
  assert.match(users.html, /<option value="public" selected="">Public Site<\/option>/);
  const hw = await c.get("/configure/mfa-hardware");
  assert.equal(
    navOf(hw.html).filter(([, current]) => current),
    [["MFA Hardware", true]],
  );
  assert.equal(
    navOf((await c.get("/configure/audit")).html).find(([, cur]) => cur),
    ["Audit log", true],
  );
  assert.equal(
    navOf((await c.get("/configure")).html).find(([, cur]) => cur),
    ["Overview", true],
  );
  assert.equal(
    navOf((await c.get("/configure/backups")).html).filter(([, cur]) => cur),
    [["Backups", true]],
  );
  // Outside Configure there is no Configure navigation.
  assert.equal(navOf((await c.get("/")).html), []);
});

t("another site's administrator: no MFA Hardware, no Backups, no switcher, the site's name shown", async ({ env }) => {
  const c = new TestClient(env.app);
  await c.signIn("acme-admin", PASSWORD);
  const { html } = await c.get("/configure/users");
  assert.equal(
    navOf(html).map(([label]) => label),
    ["Overview", "Users", "MFA", "Apps", "Notifications", "Audit log", "Sites"],
  );
  assert.not.match(html, /site-switcher/);
  assert.match(html, /Site: <strong>Acme Ltd<\/strong>/);
});

t("a designer sees Overview and Apps only", async ({ env }) => {
  const c = new TestClient(env.app);
  await c.signIn("maker", PASSWORD);
  const { html } = await c.get("/configure/apps");
  assert.equal(navOf(html), [
    ["Overview", false],
    ["Apps", true],
  ]);
});

t("after switching site the next page says so once, in role=status; then it is gone", async ({ env }) => {
  const c = new TestClient(env.app);
  await c.signIn("root", PASSWORD);
  await c.get("/configure");
  const post = await c.post("/configure/site", { site: "acme" });
  assert.is(post.res.status, 303);
  assert.ok(c.cookies.get(FLASH_COOKIE), "the message waits in a cookie");
  assert.not.match(c.cookies.get(FLASH_COOKIE)!, /Acme/, "sealed, not readable");
  const next = await c.get("/configure");
  assert.match(next.html, /<p role="status" class="flash">Switched to Acme Ltd\./);
  assert.is(c.cookies.get(FLASH_COOKIE), undefined, "shown once: the cookie is cleared");
  const again = await c.get("/configure");
  assert.not.match(again.html, /role="status"/);
  await c.post("/configure/site", { site: "public" });
});

t("a message the client wrote or altered is never shown", async ({ env }) => {
  const c = new TestClient(env.app);
  await c.signIn("root", PASSWORD);
  await c.get("/configure");
  await c.post("/configure/site", { site: "public" });
  const sealed = c.cookies.get(FLASH_COOKIE)!;
  const [v, key, data] = decodeURIComponent(sealed).split(":");
  const bytes = Buffer.from(data!, "base64url");
  bytes[14] = bytes[14]! ^ 1;
  for (const forged of [
    "Your account is suspended",
    encodeURIComponent(`${v}:${key}:${bytes.toString("base64url")}`),
  ]) {
    c.cookies.set(FLASH_COOKIE, forged);
    const page = await c.get("/configure");
    assert.not.match(page.html, /role="status"/);
    assert.is(c.cookies.get(FLASH_COOKIE), undefined, "a cookie that does not open is dropped");
  }
  // Sealed for one user, it does not open for another.
  c.cookies.set(FLASH_COOKIE, sealed);
  const other = new TestClient(env.app);
  await other.signIn("acme-admin", PASSWORD);
  other.cookies.set(FLASH_COOKIE, sealed);
  assert.not.match((await other.get("/configure")).html, /role="status"/);
  assert.match((await c.get("/configure")).html, /role="status" class="flash">Switched to Public Site/);
});

t("an htmx fragment carries a waiting message out of band into the page's message region", async ({ env }) => {
  const c = new TestClient(env.app);
  await c.signIn("root", PASSWORD);
  await c.get("/configure");
  await c.post("/configure/site", { site: "public" });
  const res = await c.request("/configure/users", { headers: { "hx-request": "true", "hx-target": "#record-list" } });
  const html = await res.text();
  assert.not.match(html, /<html/);
  assert.match(
    html,
    /<div id="flash-region" hx-swap-oob="true"><p role="status" class="flash">Switched to Public Site/,
  );
  assert.is(c.cookies.get(FLASH_COOKIE), undefined);
});

t.run();
