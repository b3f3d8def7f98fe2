// @storage
// Issue 22: a rollout has a name and its own progress (activated / pending / overdue of the users
// *it* switched on), "Remind everyone pending" of that rollout, and "Extend the deadline" with a
// preview and Confirm that never shortens a deadline.
import { randomBytes } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { addDepartments } from "../helpers/rollout.js";
import { renderMail } from "../../engine/mail/templates.js";
import { appParams, codeAt } from "../helpers/totp.js";

const PASSWORD = "correct horse battery";
const t = suite<{ env: TestEnv; publicId: string; ids: Record<string, string> }>(
  `a rollout's own progress [${testBackend}]`,
);

t.before.each(async (ctx) => {
  const env = await startTestEnv();
  env.clock.set("2026-06-01T09:00:00Z");
  const s = env.services;
  const publicId = (await s.sites.publicSite()).id;
  const branch = (await s.sites.create("branch", "Branch Office")).id;
  const ids: Record<string, string> = {};
  ids.root = (await s.users.create({ siteId: publicId, username: "root", password: PASSWORD, role: "admin" })).id;
  await s.users.create({ siteId: branch, username: "branchadmin", password: PASSWORD, role: "admin" });
  for (const name of ["ann", "bob", "cat", "dan"]) {
    ids[name] = (await s.users.create({ siteId: publicId, username: name, email: `${name}@example.test` })).id;
  }
  await addDepartments(s, publicId, { ann: "Sales", bob: "Sales", cat: "Sales", dan: "Finance" });
  Object.assign(ctx, { env, publicId, ids });
});
t.after.each(async (ctx) => ctx.env.close());

const count = (html: string, name: string) => Number(new RegExp(`data-count="${name}">(\\d+)[ <]`).exec(html)?.[1]);

/** Rolls out to Sales with a name through the pages; returns the rollout's page path. */
async function salesRollout(c: TestClient, env: TestEnv, name: string): Promise<string> {
  const preview = await c.get(`/configure/mfa/rollout?q=sales&enforcementDelayDays=10&preview=1&name=${name}`);
  assert.match(preview.html, new RegExp(`name="name" value="${name.replace(/\+/g, " ")}"`));
  const done = await c.post("/configure/mfa/rollout", {
    q: "sales",
    enforcementDelayDays: "10",
    name: name.replace(/\+/g, " "),
    expectToEnable: "3",
    expectToMove: "0",
  });
  assert.is(done.res.status, 303);
  const { rows } = await env.db.query<{ id: string; name: string }>("SELECT id, name FROM mfa_rollouts");
  assert.equal(
    rows.map((r) => r.name),
    [name.replace(/\+/g, " ")],
  );
  return `/configure/mfa/rollouts/${rows[0]!.id}`;
}

t(
  "the progress page lists the named rollout; its page counts only its users as they activate and leave",
  async ({ env, ids }) => {
    const c = new TestClient(env.app);
    await c.signIn("root", PASSWORD);
    const path = await salesRollout(c, env, "Sales+phase+1");
    const progress = await c.get("/configure/mfa");
    assert.match(progress.html, new RegExp(`<a href="${path}">Sales phase 1</a>`));

    const s = env.services;
    // dan is switched on by hand: not this rollout's user.
    const admin = { id: ids.root!, name: "root", siteId: null };
    await s.mfa.settings.applySettings(ids.dan!, { enabled: true, enforcementDelayDays: 3 }, admin);
    // ann activates; cat is switched off by an administrator and leaves the rollout.
    const p = appParams(randomBytes(20));
    assert.equal(await s.mfa.activation.activate(ids.ann!, { method: "app", ...p }, codeAt(env.clock, p), admin), {
      ok: true,
    });
    await s.mfa.settings.applySettings(ids.cat!, { enabled: false, enforcementDelayDays: 10 }, admin);

    const page = await c.get(path);
    assert.is(page.res.status, 200);
    assert.is(count(page.html, "activated"), 1);
    assert.is(count(page.html, "pending"), 1);
    assert.is(count(page.html, "overdue"), 0);
    assert.match(page.html, /Not set up yet \(1\)/);
    assert.match(page.html, /bob<\/a>\s*: required from\s*11 June 2026, \d\d:\d\d \(UTC\)/);

    env.clock.advanceSeconds(11 * 86_400);
    await c.signIn("root", PASSWORD); // the session's idle time ran out meanwhile
    const later = await c.get(path);
    assert.is(count(later.html, "pending"), 0);
    assert.is(count(later.html, "overdue"), 1);
  },
);

t(
  "Extend the deadline: preview, a stale Confirm is refused, Confirm moves only the late ones",
  async ({ env, ids }) => {
    const c = new TestClient(env.app);
    await c.signIn("root", PASSWORD);
    const path = await salesRollout(c, env, "Sales");
    const s = env.services;
    const admin = { id: ids.root!, name: "root", siteId: null };
    env.clock.advanceSeconds(86_400);
    await c.signIn("root", PASSWORD); // the session's idle time ran out meanwhile
    const deadlines = async () =>
      (
        await env.db.query<{ username: string; required_from: Date }>(
          `SELECT u.username, m.required_from FROM users u JOIN mfa_settings m ON m.user_id = u.id
         WHERE m.enabled ORDER BY u.username`,
        )
      ).rows.map((r) => [r.username, r.required_from.toISOString().slice(0, 10)]);
    const before = await deadlines();

    for (const days of ["0", "x", "3651", ""]) {
      const bad = await c.post(`${path}/extend`, { days });
      assert.is(bad.res.status, 422, days);
      assert.match(bad.html, /Extend by a whole number of days from 1 to 3650/);
    }
    const preview = await c.post(`${path}/extend`, { days: "20" });
    assert.is(preview.res.status, 200);
    assert.is(count(preview.html, "toExtend"), 3);
    assert.match(preview.html, /3 users get the deadline 22 June 2026, \d\d:\d\d \(UTC\); each is mailed the new date/);
    assert.equal(await deadlines(), before, "the preview changes nothing");

    // ann activates after the preview: Confirm with the old count is refused and changes nothing.
    const p = appParams(randomBytes(20));
    assert.equal(await s.mfa.activation.activate(ids.ann!, { method: "app", ...p }, codeAt(env.clock, p), admin), {
      ok: true,
    });
    const stale = await c.post(`${path}/extend`, { days: "20", expect: "3" });
    assert.is(stale.res.status, 409);
    assert.match(stale.html, /changed since the preview: 2 deadlines to extend now/);
    assert.equal(await deadlines(), before);

    const done = await c.post(`${path}/extend`, { days: "20", expect: "2" });
    assert.is(done.res.status, 303);
    assert.equal(await deadlines(), [
      ["ann", "2026-06-11"],
      ["bob", "2026-06-22"],
      ["cat", "2026-06-22"],
    ]);
    const { rows } = await env.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'mfa.deadline_move' AND details->>'rolloutId' = $1`,
      [path.split("/").at(-1)],
    );
    assert.is(rows[0]!.n, 2);
    // Each of them is mailed the new date (their last mail held the old one), as a rollout's start mails.
    const mails = await env.db.query<{ username: string; details: Record<string, unknown> }>(
      `SELECT u.username, o.details FROM mail_outbox o JOIN users u ON u.id = o.user_id
       WHERE o.kind = 'mfa_deadline_moved' ORDER BY u.username`,
    );
    assert.equal(
      mails.rows.map((r) => r.username),
      ["bob", "cat"],
    );
    const text = renderMail("mfa_deadline_moved", mails.rows[0]!.details, "https://forms.example.test").text;
    assert.match(text, /a new date to set up two-step sign-in \(MFA\)\.\n\nPlease set it up by Monday, 22 June 2026, /);
    assert.match(text, "Sign in: https://forms.example.test/login");
    // A shorter deadline moves nobody: a deadline is never shortened, and no Confirm is offered for nobody.
    const shorter = await c.post(`${path}/extend`, { days: "5" });
    assert.match(shorter.html, /data-count="toExtend"[^>]*>\s*Nobody gets a new deadline/);
    assert.not.match(shorter.html, /aria-label="Confirm the new deadline"/);
    const none = await c.post(`${path}/extend`, { days: "5", expect: "0" });
    assert.is(none.res.status, 422);
    assert.match(none.html, /There is nothing to confirm\./);
  },
);

t(
  "Remind everyone pending of a rollout queues one reminder per user of that rollout not set up",
  async ({ env, ids }) => {
    const c = new TestClient(env.app);
    await c.signIn("root", PASSWORD);
    const path = await salesRollout(c, env, "Sales");
    const admin = { id: ids.root!, name: "root", siteId: null };
    await env.services.mfa.settings.applySettings(ids.dan!, { enabled: true, enforcementDelayDays: 3 }, admin);
    await env.services.mfa.settings.applySettings(ids.cat!, { enabled: false, enforcementDelayDays: 10 }, admin);
    const sent = await c.post(`${path}/remind`, {});
    assert.is(sent.res.status, 303);
    const { rows } = await env.db.query<{ username: string }>(
      `SELECT u.username FROM mail_outbox o JOIN users u ON u.id = o.user_id WHERE o.kind = 'mfa_reminder_now'
     ORDER BY u.username`,
    );
    assert.equal(
      rows.map((r) => r.username),
      ["ann", "bob"],
    );
  },
);

t("another site's administrator, a bad id and a too long name get a clear answer", async ({ env }) => {
  const root = new TestClient(env.app);
  await root.signIn("root", PASSWORD);
  const path = await salesRollout(root, env, "Sales");
  const other = new TestClient(env.app);
  await other.signIn("branchadmin", PASSWORD);
  assert.is((await other.get(path)).res.status, 404);
  assert.is((await other.post(`${path}/extend`, { days: "5" })).res.status, 404);
  assert.is((await other.post(`${path}/remind`, {})).res.status, 404);
  assert.is((await root.get("/configure/mfa/rollouts/not-a-uuid")).res.status, 404);
  const long = await root.get(`/configure/mfa/rollout?q=sales&preview=1&name=${"x".repeat(101)}`);
  assert.is(long.res.status, 422);
  assert.match(long.html, /The name is at most 100 characters/);
});

t.run();
