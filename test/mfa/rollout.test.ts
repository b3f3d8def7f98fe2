// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Db } from "../../engine/db/db.js";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import { RolloutChangedError, RolloutInputError, type RolloutSelection } from "../../engine/mfa/mfa-rollouts.js";
import { enforcementDeadline } from "../../engine/mfa/sign-in-flow.js";
import type { Services } from "../../engine/services.js";
import { startTestEnv, type TestEnv } from "../helpers/app.js";
import { rejects } from "../helpers/assert.js";
import { testBackend } from "../helpers/db.js";
import { saveUser } from "../helpers/users.js";
import { addDepartments } from "../helpers/rollout.js";
import { whatHappened } from "../../engine/audit/audit-words.js";

const t = suite<{ env: TestEnv; siteId: string; otherSiteId: string; admin: MfaActor }>(
  `MFA rollout and site policy [${testBackend}]`,
);

/** Every user's MFA settings, plus the audit log's length: what "changes nothing" compares. */
async function snapshot(db: Db) {
  const settings = await db.query(
    "SELECT user_id, enabled, enforcement_delay_days, enabled_at, required_from FROM mfa_settings ORDER BY user_id",
  );
  const audit = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_log");
  const rollouts = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM mfa_rollouts");
  return { settings: settings.rows, audit: audit.rows[0]!.n, rollouts: rollouts.rows[0]!.n };
}

async function enabledIds(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ user_id: string }>(
    "SELECT user_id FROM mfa_settings WHERE enabled ORDER BY user_id",
  );
  return rows.map((r) => r.user_id);
}

t.before.each(async (ctx) => {
  ctx.env = await startTestEnv();
  const s = ctx.env.services;
  ctx.env.clock.set("2026-06-01T09:00:00Z");
  ctx.siteId = (await s.sites.publicSite()).id;
  ctx.otherSiteId = (await s.sites.create("other", "Other Site")).id;
  await addDepartments(s, ctx.siteId);
  const admin = await s.users.create({ siteId: ctx.siteId, username: "root", role: "admin" });
  ctx.admin = { id: admin.id, name: admin.username, siteId: ctx.siteId };
  const people: [string, string, string, string][] = [
    ["ann", "user", "Sales", ctx.siteId],
    ["bob", "user", "Sales", ctx.siteId],
    ["cat", "designer", "Sales", ctx.siteId],
    ["dan", "user", "Finance", ctx.siteId],
    ["eve", "user", "Sales", ctx.otherSiteId],
  ];
  for (const [username, role, department, siteId] of people) {
    const u = await s.users.create({ siteId, username, role: role as "user" });
    await ctx.env.db.query("UPDATE users SET data = jsonb_build_object('department', $2::text) WHERE id = $1", [
      u.id,
      department,
    ]);
  }
});
t.after.each(async (ctx) => ctx.env.close());

const id = async (s: Services, username: string) => (await s.users.byUsername(username))!.id;

t("the preview counts and lists the users Confirm would change, and changes nothing", async (ctx) => {
  const s = ctx.env.services;
  const before = await snapshot(ctx.env.db);
  const sel: RolloutSelection = { siteId: ctx.siteId, q: "sales" };
  const opts = { enforcementDelayDays: 14, moveDeadlines: false };
  const plan = await s.rollouts.plan(sel, opts);
  assert.equal(
    { selected: plan.selected, toEnable: plan.toEnable, toMove: plan.toMove, activated: plan.activated },
    { selected: 3, toEnable: 3, toMove: 0, activated: 0 },
  );
  assert.equal(plan.requiredFrom, new Date("2026-06-15T09:00:00Z"));
  const page1 = await s.rollouts.previewUsers(sel, opts, { limit: 2 });
  const page2 = await s.rollouts.previewUsers(sel, opts, { limit: 2, after: page1.at(-1)!.username });
  assert.equal(
    [...page1, ...page2].map((u) => u.username),
    ["ann", "bob", "cat"],
  );
  assert.equal(await snapshot(ctx.env.db), before);
});

t("Confirm switches on exactly the previewed users, as the slider does, with one summary entry", async (ctx) => {
  const s = ctx.env.services;
  const sel: RolloutSelection = { siteId: ctx.siteId, role: "user", q: "sales" };
  const opts = { enforcementDelayDays: 14, moveDeadlines: false };
  const previewed = (await s.rollouts.previewUsers(sel, opts, { limit: 100 })).map((u) => u.id).sort();
  const plan = await s.rollouts.plan(sel, opts);
  // A session of one of them ends, as a slider switch-on ends it.
  const ann = await id(s, "ann");
  await s.sessions.create(ann, ctx.siteId, "full", null);
  const result = await s.rollouts.apply(sel, opts, ctx.admin, {
    expect: { toEnable: plan.toEnable, toMove: plan.toMove },
  });
  assert.is(result.enabled, 2);
  assert.equal(result.usernames.sort(), ["ann", "bob"]);
  assert.equal(await enabledIds(ctx.env.db), previewed);
  const status = await s.mfa.statusOf(ann);
  assert.is(status.state, "pending");
  assert.equal(status.requiredFrom, enforcementDeadline(ctx.env.clock.now(), 14));
  assert.is(status.enabledBy, "root");
  const { rows: sessions } = await ctx.env.db.query("SELECT 1 FROM sessions WHERE user_id = $1", [ann]);
  assert.is(sessions.length, 0);
  const { rows: audit } = await ctx.env.db.query<{
    action: string;
    target_name: string | null;
    details: Record<string, unknown>;
  }>("SELECT action, target_name, details FROM audit_log WHERE action IN ('mfa.enable', 'mfa.rollout') ORDER BY id");
  assert.equal(
    audit
      .filter((a) => a.action === "mfa.enable")
      .map((a) => a.target_name)
      .sort(),
    ["ann", "bob"],
  );
  assert.is(audit.filter((a) => a.action === "mfa.enable")[0]!.details.enforcementDelayDays, 14);
  const summary = audit.filter((a) => a.action === "mfa.rollout");
  assert.is(summary.length, 1);
  assert.is(summary[0]!.details.enabled, 2);
  const { rows: rollouts } = await ctx.env.db.query<{ enabled_count: number; finished_at: Date | null }>(
    "SELECT enabled_count, finished_at FROM mfa_rollouts",
  );
  assert.is(rollouts[0]!.enabled_count, 2);
  assert.ok(rollouts[0]!.finished_at);
});

t("an every-site rollout leaves its summary in each touched site's audit log, with that site's counts", async (ctx) => {
  const s = ctx.env.services;
  // ann, bob, cat (Sales) on the Public Site; eve (Sales) on the other site; cat already on.
  await s.mfa.settings.applySettings(await id(s, "cat"), { enabled: true, enforcementDelayDays: 30 }, ctx.admin);
  const result = await s.rollouts.apply(
    { siteId: null, q: "sales" },
    { enforcementDelayDays: 7, moveDeadlines: false },
    ctx.admin,
  );
  assert.is(result.enabled, 3);
  const summaryOn = async (siteId: string) =>
    (await s.auditSearch.list({ siteId, action: "mfa.rollout" })).rows.map((r) => r.details);
  const here = await summaryOn(ctx.siteId);
  const there = await summaryOn(ctx.otherSiteId);
  assert.is(here.length, 1);
  assert.is(there.length, 1);
  assert.equal([here[0]!.enabled, here[0]!.skipped, here[0]!.allSites], [2, 1, true]);
  assert.equal([there[0]!.enabled, there[0]!.skipped], [1, 0]);
  // Both tell the whole rollout's totals too, and the same rollout.
  assert.equal((here[0]!.total as { enabled: number }).enabled, 3);
  assert.is(here[0]!.rolloutId, there[0]!.rolloutId);
  // The audit page's words for it say both.
  const [entry] = (await s.auditSearch.list({ siteId: ctx.otherSiteId, action: "mfa.rollout" })).rows;
  assert.match(
    whatHappened(entry!),
    /^rolled MFA out on every site, required from 8 June 2026, \d\d:\d\d \(UTC\) \(this site: 1 switched on, 0 left as they were; in all, 2 sites: 3 switched on, 1 left as they were\)$/,
  );
  // No summary without a site, which no audit page shows.
  const { rows: orphans } = await ctx.env.db.query(
    "SELECT 1 FROM audit_log WHERE action = 'mfa.rollout' AND site_id IS NULL",
  );
  assert.is(orphans.length, 0);
  // Each user's mfa.enable entry is on the user's own site.
  const enables = async (siteId: string) =>
    (await s.auditSearch.list({ siteId, action: "mfa.enable" })).rows.map((r) => r.targetName).sort();
  assert.equal(await enables(ctx.otherSiteId), ["eve"]);
  assert.equal(
    (await enables(ctx.siteId)).filter((n) => n !== "cat"),
    ["ann", "bob"],
  );
});

t("a rolled-out user ends exactly as one whose slider was switched on in the dialog", async (ctx) => {
  const s = ctx.env.services;
  const [ann, bob] = [await id(s, "ann"), await id(s, "bob")];
  // Each holds a session and a half-done setup (a pending secret) that switching on must end.
  for (const u of [ann, bob]) {
    await s.sessions.create(u, ctx.siteId, "full", null);
    await ctx.env.db.query(
      "INSERT INTO mfa_pending_secrets (user_id, secret_sealed, created_at) VALUES ($1, 'x', $2)",
      [u, ctx.env.clock.now()],
    );
  }
  await s.mfa.settings.applySettings(ann, { enabled: true, enforcementDelayDays: 14 }, ctx.admin);
  await s.rollouts.apply(
    { siteId: ctx.siteId, ids: [bob] },
    { enforcementDelayDays: 14, moveDeadlines: false },
    ctx.admin,
  );
  const settings = async (u: string) =>
    (
      await ctx.env.db.query(
        `SELECT enabled, enforcement_delay_days, enabled_at, enabled_by, enabled_by_name, required_from, disabled_at,
           disabled_by, disabled_by_name, updated_at FROM mfa_settings WHERE user_id = $1`,
        [u],
      )
    ).rows;
  assert.equal(await settings(bob), await settings(ann));
  const leftovers = async (u: string) =>
    (
      await ctx.env.db.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM sessions WHERE user_id = $1)
           + (SELECT count(*) FROM mfa_pending_secrets WHERE user_id = $1)
           + (SELECT count(*) FROM mfa_enrollments WHERE user_id = $1) AS n`,
        [u],
      )
    ).rows[0]!.n;
  assert.equal([Number(await leftovers(ann)), Number(await leftovers(bob))], [0, 0]);
  const entries = async (u: string) =>
    (
      await ctx.env.db.query<{
        site_id: string;
        actor_id: string;
        actor_name: string;
        action: string;
        details: Record<string, unknown>;
      }>("SELECT site_id, actor_id, actor_name, action, details FROM audit_log WHERE target_user_id = $1 ORDER BY id", [
        u,
      ])
    ).rows.map(({ details: { rolloutId: _rolloutId, ...rest }, ...e }) => ({ ...e, details: rest }));
  assert.equal(await entries(bob), await entries(ann));
  assert.is((await entries(bob)).length, 1);
});

t("ticked users must be users of the selection's site: another site's are refused, not dropped", async (ctx) => {
  const s = ctx.env.services;
  const opts = { enforcementDelayDays: 14, moveDeadlines: false };
  const [ann, eve] = [await id(s, "ann"), await id(s, "eve")];
  await rejects(
    s.rollouts.plan({ siteId: ctx.siteId, ids: [ann, eve] }, opts),
    (e) =>
      e instanceof RolloutInputError &&
      e.field === "ids" &&
      /^1 ticked user is not a user of this site: /.test(e.message),
  );
  await rejects(
    s.rollouts.apply({ siteId: ctx.siteId, ids: [eve] }, opts, ctx.admin),
    (e) => e instanceof RolloutInputError && e.field === "ids",
  );
  assert.is((await enabledIds(ctx.env.db)).length, 0);
  // Every site (a Public Site administrator): both are fine.
  assert.is((await s.rollouts.plan({ siteId: null, ids: [ann, eve] }, opts)).toEnable, 2);
});

t("users already on keep their deadline unless it is asked to move them", async (ctx) => {
  const s = ctx.env.services;
  const ann = await id(s, "ann");
  await s.mfa.settings.applySettings(ann, { enabled: true, enforcementDelayDays: 3 }, ctx.admin);
  const annDeadline = (await s.mfa.statusOf(ann)).requiredFrom;
  ctx.env.clock.advanceDays(1);
  const sel: RolloutSelection = { siteId: ctx.siteId, q: "sales" };
  const kept = await s.rollouts.apply(sel, { enforcementDelayDays: 14, moveDeadlines: false }, ctx.admin);
  assert.equal([kept.enabled, kept.moved, kept.keptDeadline], [2, 0, 1]);
  assert.equal((await s.mfa.statusOf(ann)).requiredFrom, annDeadline);
  ctx.env.clock.advanceDays(1);
  const moved = await s.rollouts.apply(sel, { enforcementDelayDays: 14, moveDeadlines: true }, ctx.admin);
  assert.equal([moved.enabled, moved.moved], [0, 3]);
  assert.equal((await s.mfa.statusOf(ann)).requiredFrom, enforcementDeadline(ctx.env.clock.now(), 14));
});

t("Confirm refuses, changing nothing, when the selection changed since the preview", async (ctx) => {
  const s = ctx.env.services;
  const sel: RolloutSelection = { siteId: ctx.siteId, q: "sales" };
  const opts = { enforcementDelayDays: 7, moveDeadlines: false };
  const plan = await s.rollouts.plan(sel, opts);
  await s.users.create({ siteId: ctx.siteId, username: "sales-newcomer" });
  const after = await snapshot(ctx.env.db);
  await rejects(
    s.rollouts.apply(sel, opts, ctx.admin, { expect: { toEnable: plan.toEnable, toMove: 0 } }),
    (e) => e instanceof RolloutChangedError && e.plan.toEnable === 4,
  );
  assert.equal(await snapshot(ctx.env.db), after);
});

t("every site only with siteId null; where matches a designer field; bad input names its field", async (ctx) => {
  const s = ctx.env.services;
  const opts = { enforcementDelayDays: 1, moveDeadlines: false };
  assert.is((await s.rollouts.plan({ siteId: null, q: "sales" }, opts)).toEnable, 4);
  assert.is(
    (await s.rollouts.plan({ siteId: ctx.siteId, where: { field: "department", value: "FINANCE" } }, opts)).toEnable,
    1,
  );
  const bad = [
    [{ siteId: ctx.siteId, where: { field: "colour", value: "x" } }, "where"],
    [{ siteId: ctx.siteId, role: "owner" as "user" }, "role"],
    [{ siteId: ctx.siteId, ids: ["nope"] as string[] }, "ids"],
  ] as [RolloutSelection, string][];
  for (const [sel, field] of bad) {
    await rejects(s.rollouts.plan(sel, opts), (e) => e instanceof RolloutInputError && e.field === field);
  }
  await rejects(
    s.rollouts.plan({ siteId: ctx.siteId }, { enforcementDelayDays: -1, moveDeadlines: false }),
    (e) => e instanceof RolloutInputError && e.field === "enforcementDelayDays",
  );
});

t("batches: a rollout stopped between batches leaves users whole, and running it again finishes", async (ctx) => {
  const s = ctx.env.services;
  const sel: RolloutSelection = { siteId: null, role: "user" };
  const opts = { enforcementDelayDays: 5, moveDeadlines: false };
  const stop = new Error("stopped after the first batch");
  await rejects(
    s.rollouts.apply(sel, opts, ctx.admin, {
      batchSize: 2,
      afterBatch: () => {
        throw stop;
      },
    }),
    (e) => e === stop,
  );
  const { rows } = await ctx.env.db.query<{ n: number; audits: number }>(
    `SELECT count(*)::int AS n, (SELECT count(*)::int FROM audit_log WHERE action = 'mfa.enable') AS audits
     FROM mfa_settings WHERE enabled`,
  );
  assert.equal(rows[0], { n: 2, audits: 2 });
  const [stopped, ...none] = await s.rollouts.unfinished(null);
  assert.equal(none, []);
  assert.equal([stopped!.enabledCount, stopped!.selection.role, stopped!.enforcementDelayDays], [2, "user", 5]);
  // Another selection's run does not finish it.
  await s.rollouts.apply({ siteId: ctx.siteId, role: "admin" }, opts, ctx.admin);
  assert.is((await s.rollouts.unfinished(null)).length, 1);
  const again = await s.rollouts.apply(sel, opts, ctx.admin, { batchSize: 2 });
  assert.equal([again.enabled, again.keptDeadline], [2, 2]);
  assert.is((await enabledIds(ctx.env.db)).length, 5);
  assert.equal(await s.rollouts.unfinished(null), []);
});

t("the policy switches MFA on for new accounts and role changes only in its roles", async (ctx) => {
  const s = ctx.env.services;
  await rejects(
    s.mfaPolicies.set(ctx.siteId, { requiredRoles: ["owner"], defaultEnforcementDelayDays: 3 }, ctx.admin),
    (e) => e instanceof RolloutInputError && e.field === "requiredRoles",
  );
  await s.mfaPolicies.set(
    ctx.siteId,
    { requiredRoles: ["admin", "designer"], defaultEnforcementDelayDays: 3 },
    ctx.admin,
  );
  const app = (await s.apps.get(ctx.siteId, "user-accounts"))!;
  const store = s.apps.storeFor(app);
  const storeCtx = { siteId: ctx.siteId, actor: { id: ctx.admin.id, name: "root" } };
  // The form's starting role (user) is not required: the slider starts off.
  const defaults = await store.newRecordValues!(app, storeCtx, { role: "user", mfaEnabled: false });
  assert.is(defaults.mfaEnabled, false);
  const form = (username: string, role: string) => ({
    username,
    password: "a long enough password",
    role,
    mfaEnabled: false,
    mfaEnforcementDelayDays: 0,
    webAccess: true,
  });
  const newAdmin = await store.create(app, storeCtx, form("new-admin", "admin"));
  const newUser = await store.create(app, storeCtx, form("new-user", "user"));
  const adminStatus = await s.mfa.statusOf(newAdmin.id);
  assert.is(adminStatus.enabled, true);
  assert.is(adminStatus.enforcementDelayDays, 3);
  assert.is((await s.mfa.statusOf(newUser.id)).enabled, false);
  // Role changes: into a required role switches on; into another role does not.
  await saveUser(s, await id(s, "dan"), { role: "designer" });
  assert.is((await s.mfa.statusOf(await id(s, "dan"))).enabled, true);
  await saveUser(s, newUser.id, { displayName: "Still a user" });
  assert.is((await s.mfa.statusOf(newUser.id)).enabled, false);
  // Another site has no policy.
  const other = await s.apps.get(ctx.otherSiteId, "user-accounts");
  const elsewhere = await store.create(other!, { ...storeCtx, siteId: ctx.otherSiteId }, form("far-admin", "admin"));
  assert.is((await s.mfa.statusOf(elsewhere.id)).enabled, false);
  // With "user" required, the Add User form shows the slider on, and switching it off stands.
  await s.mfaPolicies.set(ctx.siteId, { requiredRoles: ["user"], defaultEnforcementDelayDays: 9 }, ctx.admin);
  const preset = await store.newRecordValues!(app, storeCtx, { role: "user", mfaEnabled: false });
  assert.equal([preset.mfaEnabled, preset.mfaEnforcementDelayDays], [true, 9]);
  const waived = await store.create(app, storeCtx, form("waived", "user"));
  assert.is((await s.mfa.statusOf(waived.id)).enabled, false);
});

t.run();
