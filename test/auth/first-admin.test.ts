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
  assert.match(user!.passwordHash!, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
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

t.run();
