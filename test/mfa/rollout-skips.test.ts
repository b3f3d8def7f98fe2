// @storage
// Issue 20, fault 13: a rollout skips disabled users and users with neither web nor device access
// by default (the preview lists them with why; a tick box or --include-inactive includes them),
// while the progress page counts every account, as the Overview and the users list's filters do.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { runMfaEnable } from "../../engine/cli/mfa-rollout-cli.js";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { saveUser } from "../helpers/users.js";

const PASSWORD = "correct horse battery";
const t = suite<{ env: TestEnv; siteId: string; admin: MfaActor; ids: Record<string, string> }>(
  `rollouts skip users who cannot sign in [${testBackend}]`,
);

t.before.each(async (ctx) => {
  ctx.env = await startTestEnv();
  const s = ctx.env.services;
  ctx.env.clock.set("2026-06-01T09:00:00Z");
  ctx.siteId = (await s.sites.publicSite()).id;
  const root = await s.users.create({ siteId: ctx.siteId, username: "root", password: PASSWORD, role: "admin" });
  ctx.admin = { id: root.id, name: "root", siteId: ctx.siteId };
  await s.mfa.settings.applySettings(root.id, { enabled: false, enforcementDelayDays: 0 }, ctx.admin);
  const ids: Record<string, string> = {};
  const people: [string, { webAccess: boolean; deviceAccess: boolean }][] = [
    ["webonly", { webAccess: true, deviceAccess: false }],
    ["deviceonly", { webAccess: false, deviceAccess: true }],
    ["noaccess", { webAccess: false, deviceAccess: false }],
    ["gone", { webAccess: true, deviceAccess: true }],
  ];
  for (const [username, access] of people) {
    ids[username] = (await s.users.create({ siteId: ctx.siteId, username, role: "user", ...access })).id;
  }
  await saveUser(s, ids.gone!, { disabled: true });
  ctx.ids = ids;
});
t.after.each(async (ctx) => ctx.env.close());

const enabled = async (env: TestEnv) =>
  (
    await env.db.query<{ username: string }>(
      "SELECT u.username FROM mfa_settings ms JOIN users u ON u.id = ms.user_id WHERE ms.enabled ORDER BY u.username",
    )
  ).rows.map((r) => r.username);

t("by default the preview counts and lists the skipped with why, and Confirm leaves them off", async (ctx) => {
  const { env, siteId, admin } = ctx;
  const s = env.services;
  const sel = { siteId, role: "user" as const };
  const opts = { enforcementDelayDays: 7, moveDeadlines: false };
  const plan = await s.rollouts.plan(sel, opts);
  assert.is(plan.selected, 4);
  assert.is(plan.toEnable, 2);
  assert.is(plan.skippedInactive, 2);
  const skipped = await s.rollouts.skippedUsers(sel, opts);
  assert.equal(
    skipped.map((u) => [u.username, u.reason]),
    [
      ["gone", "disabled"],
      ["noaccess", "no web or device access"],
    ],
  );
  assert.equal(
    (await s.rollouts.previewUsers(sel, opts, { limit: 50 })).map((u) => u.username),
    ["deviceonly", "webonly"],
  );
  const r = await s.rollouts.apply(sel, opts, admin, { expect: { toEnable: 2, toMove: 0 } });
  assert.is(r.enabled, 2);
  assert.equal(await enabled(env), ["deviceonly", "webonly"]);

  // Progress counts every account, as the Overview and the users list's filters do (one definition):
  // noaccess gets a day of grace that runs out too (with delay 0 it would be pending, not overdue).
  await s.mfa.settings.applySettings(ctx.ids.noaccess!, { enabled: true, enforcementDelayDays: 1 }, admin);
  env.clock.advanceSeconds(8 * 86_400);
  const counts = await s.mfaStates.counts(siteId);
  assert.equal([counts.users, counts.off, counts.overdue, counts.cannotSignIn], [5, 2, 3, 2], "root and gone are off");
  const overdue = await s.mfaProgress.overdue(siteId);
  assert.equal(
    overdue.users.map((u) => [u.username, u.canSignIn]),
    [
      ["noaccess", false],
      ["deviceonly", true],
      ["webonly", true],
    ],
  );
  const c = new TestClient(env.app);
  await c.signIn("root", PASSWORD);
  const page = await c.get("/configure/mfa");
  const listed = async (href: string) =>
    [...(await c.get(href)).html.matchAll(/<th scope="row"><a href="\/configure\/users\/[^"]+"[^>]*>([^<]+)<\/a>/g)]
      .length;
  // Each figure is a link to the users list filtered to it, and that list holds as many.
  for (const [state, n] of [
    ["off", 2],
    ["pending", 0],
    ["overdue", 3],
    ["activated", 0],
  ] as const) {
    const href = `/configure/users?mfa=${state}`;
    assert.match(
      page.html,
      new RegExp(`<td data-count="${state}">\\s*<a href="${href.replace("?", "\\?")}">${n}</a> \\(`),
    );
    assert.is(await listed(href), n, state);
  }
  assert.match(page.html, /<td data-count="users"><a href="\/configure\/users">5<\/a><\/td>/);
  assert.match(page.html, /<h2 id="overdue">Overdue \(3\)<\/h2>/);
  assert.match(page.html, /2 of them cannot sign in \(disabled, or without web and device access\)/);
});

t("the tick box (web) and --include-inactive (CLI) include them", async ({ env }) => {
  const c = new TestClient(env.app);
  await c.signIn("root", PASSWORD);
  const preview = await c.get("/configure/mfa/rollout?role=user&enforcementDelayDays=3&preview=1");
  assert.match(preview.html, /<dd data-count="toEnable">2<\/dd>/);
  assert.match(preview.html, /<dd data-count="skippedInactive">2<\/dd>/);
  // Each name links to the user's record (same site as the administrator).
  assert.match(
    preview.html,
    /<td><a href="\/configure\/users\/[0-9a-f-]{36}">gone<\/a><\/td><td>gone<\/td><td>public<\/td><td>disabled<\/td>/,
  );
  assert.match(preview.html, />noaccess<\/a><\/td>[\s\S]*?<td>no web or device access<\/td>/);
  assert.match(preview.html, /name="includeInactive" value="true"/);

  const ticked = await c.get("/configure/mfa/rollout?role=user&enforcementDelayDays=3&includeInactive=true&preview=1");
  assert.match(ticked.html, /<dd data-count="toEnable">4<\/dd>/);
  assert.not.match(ticked.html, /rollout-skipped/);
  const confirm = await c.post("/configure/mfa/rollout", {
    role: "user",
    enforcementDelayDays: "3",
    includeInactive: "true",
    expectToEnable: "4",
    expectToMove: "0",
  });
  assert.is(confirm.res.status, 303, confirm.html.slice(0, 300));
  assert.equal(await enabled(env), ["deviceonly", "gone", "noaccess", "webonly"]);

  const out = await runMfaEnable(env.services, ["--role", "admin", "--delay", "1", "--dry-run"]);
  assert.match(out, /0 skipped as they cannot sign in/);
});

t("the CLI skips them by default and says how many", async ({ env }) => {
  const out = await runMfaEnable(env.services, ["--role", "user", "--delay", "5"]);
  assert.match(out, /switched on 2 users/);
  assert.match(out, /2 skipped as they cannot sign in/);
  assert.equal(await enabled(env), ["deviceonly", "webonly"]);
  const again = await runMfaEnable(env.services, ["--role", "user", "--delay", "5", "--include-inactive"]);
  assert.match(again, /switched on 2 users/);
  assert.equal(await enabled(env), ["deviceonly", "gone", "noaccess", "webonly"]);
});

t.run();
