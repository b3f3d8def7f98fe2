// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";

const t = suite<{ env: TestEnv }>(`first administrator [${testBackend}]`);
t.before.each(async (ctx) => {
  ctx.env = await startTestEnv();
});
t.after.each(async (ctx) => ctx.env.close());

t("ADMIN_USERNAME/ADMIN_PASSWORD create one admin on the Public Site, once", async ({ env }) => {
  const first = await env.services.firstAdmin.ensure({ username: "root", password: "a long enough password" });
  assert.is(first.kind, "created");
  const again = await env.services.firstAdmin.ensure({ username: "root2", password: "a long enough password" });
  assert.is(again.kind, "exists");
  const user = await env.services.users.byUsername("root");
  assert.is(user?.role, "admin");
  assert.is(user?.siteId, (await env.services.sites.publicSite()).id);
  // Argon2id; its cost (OWASP's in the server, a cheaper one in the suites' bundles) is
  // test/auth/password-cost.test.ts's to check.
  assert.match(user!.passwordHash!, /^\$argon2id\$v=19\$m=\d+,t=\d+,p=1\$/);
  assert.is(await env.services.users.byUsername("root2"), null);
});

t("without credentials a one-time link creates the admin, and only once", async ({ env }) => {
  const out = await env.services.firstAdmin.ensure({});
  assert.is(out.kind, "setup-link");
  const token = (out as { token: string }).token;
  const c = new TestClient(env.app);
  const page = await c.get(`/setup/${token}`);
  assert.is(page.res.status, 200);
  const bad = await c.post(`/setup/${token}`, { username: "root", password: "short" });
  assert.is(bad.res.status, 422);
  assert.match(bad.html, /Password must be at least 12 characters/);
  assert.match(bad.html, /value="root"/, "the username typed is kept");
  const ok = await c.post(`/setup/${token}`, { username: "root", password: "a long enough password" });
  assert.is(ok.res.status, 303);
  const signIn = await c.signIn("root", "a long enough password");
  assert.is(signIn.res.status, 303);
  const reuse = await new TestClient(env.app).get(`/setup/${token}`);
  assert.is(reuse.res.status, 404);
  const repost = await new TestClient(env.app).post(`/setup/${token}`, {
    username: "evil",
    password: "a long enough password",
  });
  assert.is(repost.res.status, 404);
  assert.is(await env.services.users.byUsername("evil"), null);
});

t("the setup form names each empty or bad field, and the link stays usable", async ({ env }) => {
  const { token } = (await env.services.firstAdmin.ensure({})) as { token: string };
  const c = new TestClient(env.app);
  await c.get(`/setup/${token}`);
  const empty = await c.post(`/setup/${token}`, { username: "", password: "" });
  assert.is(empty.res.status, 422);
  assert.match(empty.html, /id="err-username"[^>]*>Enter a username\.</);
  assert.match(empty.html, /id="err-password"[^>]*>Enter a password\.</);
  const both = await c.post(`/setup/${token}`, { username: "bad name", password: "short" });
  assert.is(both.res.status, 422);
  assert.match(both.html, /id="err-username"[^>]*>Username must be 1 to 64 letters/);
  assert.match(both.html, /id="err-password"[^>]*>Password must be at least 12 characters\.</);
  assert.ok(await env.services.firstAdmin.linkIsValid(token));
  const ok = await c.post(`/setup/${token}`, { username: "root", password: "a long enough password" });
  assert.is(ok.res.status, 303);
});

t("the setup link expires and its path never reaches the log", async ({ env }) => {
  const out = (await env.services.firstAdmin.ensure({})) as { token: string };
  await new TestClient(env.app).get(`/setup/${out.token}`);
  assert.not.ok(
    env.logLines.some((l) => l.includes(out.token)),
    "the token is not logged",
  );
  env.clock.advanceSeconds(25 * 3600);
  const late = await new TestClient(env.app).get(`/setup/${out.token}`);
  assert.is(late.res.status, 404);
});

t("an unused setup link stays valid across restarts until it expires", async ({ env }) => {
  const first = await env.services.firstAdmin.ensure({});
  assert.is(first.kind, "setup-link");
  const { token: oldToken, expiresAt } = first as { token: string; expiresAt: Date };
  assert.equal((first as { earlierLinks: unknown }).earlierLinks, { count: 0, validUntil: null });
  env.clock.advanceSeconds(3600);
  // A restart: ensure() runs again on the same database.
  const second = await env.services.firstAdmin.ensure({});
  assert.is(second.kind, "setup-link");
  const { token: newToken, earlierLinks } = second as {
    token: string;
    earlierLinks: { count: number; validUntil: Date };
  };
  assert.is.not(newToken, oldToken);
  assert.is(earlierLinks.count, 1);
  assert.is(earlierLinks.validUntil.getTime(), expiresAt.getTime());
  assert.is((await new TestClient(env.app).get(`/setup/${oldToken}`)).res.status, 200, "the first link survives");
  assert.is((await new TestClient(env.app).get(`/setup/${newToken}`)).res.status, 200);

  // 24 hours after it was issued the first link is dead; the second still has an hour.
  env.clock.advanceSeconds(23 * 3600);
  assert.is((await new TestClient(env.app).get(`/setup/${oldToken}`)).res.status, 404);
  const third = (await env.services.firstAdmin.ensure({})) as { earlierLinks: { count: number } };
  assert.is(third.earlierLinks.count, 1, "the expired link is not counted");
  const c = new TestClient(env.app);
  await c.get(`/setup/${newToken}`);
  const ok = await c.post(`/setup/${newToken}`, { username: "root", password: "a long enough password" });
  assert.is(ok.res.status, 303);
  // Once an administrator exists every other link is void, and nothing but hashes was stored.
  const { rows } = await env.db.query<{ token_hash: string }>("SELECT token_hash FROM setup_tokens");
  assert.is(rows.length, 1);
  assert.not.ok(rows.some((r) => r.token_hash === newToken || r.token_hash === oldToken));
  assert.is((await env.services.firstAdmin.ensure({})).kind, "exists");
});

t.run();
