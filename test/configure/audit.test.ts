// @storage
import { suite } from "uvu";
import { AUDIT_ACTIONS, type AuditAction } from "../../engine/audit/audit-log.js";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { appParams, codeAt } from "../helpers/totp.js";

const PASSWORD = "correct horse battery";
/**
 * An action of this suite's own (no engine code writes it). Its entries are found by their actor, a
 * name only this suite uses: a filter by an action the engine does not write is refused (400).
 */
const testAction = (name: `test.${string}`) => name as AuditAction;
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
    await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 2 }, admin);
    ctx.env.clock.advanceSeconds(1);
  }
  const ann = (await s.users.byUsername("ann"))!;
  await s.mfa.settings.applySettings(ann.id, { enabled: true, enforcementDelayDays: 5 }, admin);
  const carl = await s.users.create({ siteId: ctx.otherId, username: "carl" });
  await s.mfa.settings.applySettings(
    carl.id,
    { enabled: true, enforcementDelayDays: 0 },
    { id: null, name: "cli", siteId: null },
  );
});
t.after(async (ctx) => ctx.env.close());

/** Each entry's one line (its details cell), sign-ins left out: "root turned MFA on for ann (required from …)". */
const rowsOf = (html: string) =>
  [...html.matchAll(/<span class="audit-line">([^<]*)<\/span>/g)]
    .map((m) =>
      m[1]!
        .replace(/&#39;/g, "'")
        .replace(/&quot;/g, '"')
        .replace(/&amp;/g, "&"),
    )
    .filter((line) => !/ signed in with the /.test(line));

t(
  "an administrator sees the site's entries, newest first, one line each, with filters by user and action",
  async ({ env }) => {
    const c = new TestClient(env.app);
    await c.signIn("root", PASSWORD);
    const all = await c.get("/configure/audit");
    assert.is(all.res.status, 200);
    assert.equal(rowsOf(all.html), [
      "root changed the enforcement delay for ann from 2 days to 5 days",
      "root turned MFA on for bob (required from 7 January 2026, 09:00 (UTC))",
      "root turned MFA on for ann (required from 7 January 2026, 09:00 (UTC))",
    ]);
    assert.match(all.html, /<time datetime="2026-01-05T09:00:02.000Z">2026-01-05 09:00<\/time>/);
    assert.not.match(all.html, /carl/, "another site's entries are not shown");

    const ann = await c.get("/configure/audit?user=ANN");
    assert.is(rowsOf(ann.html).length, 2);
    assert.ok(rowsOf(ann.html).every((l) => l.includes("ann")));
    const enables = await c.get("/configure/audit?action=mfa.enable");
    assert.equal(rowsOf(enables.html), [
      "root turned MFA on for bob (required from 7 January 2026, 09:00 (UTC))",
      "root turned MFA on for ann (required from 7 January 2026, 09:00 (UTC))",
    ]);
    assert.match(enables.html, /<option value="mfa.enable" selected="">/);
    assert.match(
      enables.html,
      /href="\/configure\/audit\/export.csv\?action=mfa.enable"/,
      "the export keeps the filter",
    );
    const both = await c.get("/configure/audit?user=bob&action=mfa.delay_change");
    assert.equal(rowsOf(both.html), []);
    assert.match(both.html, /No entries match/);
  },
);

t("MFA events read as plain words", async ({ env, publicId }) => {
  const s = env.services;
  const nora = await s.users.create({ siteId: publicId, username: "nora", password: PASSWORD });
  const root = (await s.users.byUsername("root"))!;
  const admin = { id: root.id, name: "root", siteId: publicId };
  const target = { id: nora.id, name: "nora" };
  const record = (actor: { id: string | null; name: string }, action: AuditAction, details: Record<string, unknown>) =>
    s.audit.record({ siteId: publicId, actor, action, target, details });
  await record({ id: nora.id, name: "nora" }, "mfa.activate", { method: "app" });
  await record({ id: nora.id, name: "nora" }, "mfa.activate", { method: "hardware", serialNumber: "HW-77" });
  await record(admin, "mfa.reset", { method: "app" });
  await record(admin, "mfa.reset", { method: "hardware" });
  await record(admin, "mfa.disable", {});
  await record({ id: null, name: "system" }, "mfa.lock", { failures: 5, lockSeconds: 900 });
  await record(admin, "mfa.unlock", { cleared: 1 });
  await record(admin, "hardware_token.unassign", { serialNumber: "HW-77" });
  await record({ id: nora.id, name: "nora" }, "mfa.postpone", {
    daysLeft: 2,
    requiredFrom: "2026-12-09T17:32:00.000Z",
  });
  const c = new TestClient(env.app);
  await c.signIn("root", PASSWORD);
  const lines = rowsOf((await c.get("/configure/audit?user=nora")).html);
  assert.equal(lines, [
    "nora put off setting up MFA (2 days left, required from 9 December 2026, 17:32 (UTC))",
    "root unassigned hardware token HW-77 from nora",
    "root unlocked nora",
    "system locked nora after 5 failed attempts",
    "root turned MFA off for nora",
    "root reset MFA for nora (hardware token unassigned)",
    "root reset MFA for nora (authenticator app removed)",
    "nora activated MFA with hardware token HW-77",
    "nora activated MFA with an authenticator app",
  ]);
});

t("from and to choose whole days (UTC), both included", async ({ env, publicId }) => {
  const s = env.services;
  const start = env.clock.now();
  env.clock.set("2026-03-10T23:59:59Z");
  await s.audit.record({
    siteId: publicId,
    actor: { id: null, name: "day-check" },
    action: testAction("test.day"),
    details: { n: 10 },
  });
  env.clock.set("2026-03-11T00:00:00Z");
  await s.audit.record({
    siteId: publicId,
    actor: { id: null, name: "day-check" },
    action: testAction("test.day"),
    details: { n: 11 },
  });
  env.clock.set("2026-03-12T23:59:59Z");
  await s.audit.record({
    siteId: publicId,
    actor: { id: null, name: "day-check" },
    action: testAction("test.day"),
    details: { n: 12 },
  });
  env.clock.set("2026-03-13T00:00:00Z");
  await s.audit.record({
    siteId: publicId,
    actor: { id: null, name: "day-check" },
    action: testAction("test.day"),
    details: { n: 13 },
  });
  env.clock.set(start);
  const c = new TestClient(env.app);
  await c.signIn("root", PASSWORD);
  const days = async (q: string) =>
    [...(await c.get(`/configure/audit?user=day-check${q}`)).html.matchAll(/datetime="2026-03-(\d\d)/g)].map(
      (m) => m[1],
    );
  assert.equal(await days("&from=2026-03-11&to=2026-03-12"), ["12", "11"]);
  assert.equal(await days("&from=2026-03-12"), ["13", "12"]);
  assert.equal(await days("&to=2026-03-10"), ["10"]);
  assert.equal(await days("&from=2026-03-11&to=2026-03-11"), ["11"]);
  const page = await c.get("/configure/audit?user=day-check&from=2026-03-11&to=2026-03-12");
  assert.match(page.html, /name="from" value="2026-03-11"/);
  assert.match(
    page.html,
    /href="\/configure\/audit\/export.csv\?user=day-check&amp;from=2026-03-11&amp;to=2026-03-12"/,
  );
});

t(
  "in the site's time zone: the times shown, the deadlines worded and the days the filters choose",
  async ({ env, publicId }) => {
    const s = env.services;
    const start = env.clock.now();
    // 05:30 UTC on 12 March is still 11 March in Honolulu (UTC−10) and already afternoon in Tokyo.
    env.clock.set("2026-03-12T05:30:00Z");
    await s.audit.record({
      siteId: publicId,
      actor: { id: null, name: "zone-check" },
      action: testAction("test.zone"),
      details: {},
    });
    env.clock.set(start);
    const c = new TestClient(env.app);
    await c.signIn("root", PASSWORD);
    const day = async (q: string) =>
      [...(await c.get(`/configure/audit?user=zone-check${q}`)).html.matchAll(/<time[^>]*>([^<]*)</g)].map((m) => m[1]);
    try {
      await s.sites.setTimeZone(publicId, "Pacific/Honolulu");
      const page = await c.get("/configure/audit?user=zone-check");
      assert.match(page.html, /Times are in the site(?:'|&#39;)s time zone, Pacific\/Honolulu/);
      assert.equal(await day(""), ["2026-03-11 19:30"]);
      assert.equal(await day("&from=2026-03-11&to=2026-03-11"), ["2026-03-11 19:30"]);
      assert.equal(await day("&from=2026-03-12"), [], "the 12th in Honolulu starts after it");
      const enables = await c.get("/configure/audit?action=mfa.enable");
      assert.match(enables.html, /required from 6 January 2026, 23:00 \(Pacific\/Honolulu\)/);
      const csv = await c.get("/configure/audit/export.csv?action=mfa.enable");
      assert.match(csv.html, /required from 6 January 2026, 23:00 \(Pacific\/Honolulu\)/);
      assert.match(
        csv.html,
        /\r\n2026-01-05T09:00:0\d\.000Z,root,mfa\.enable,/,
        "the time column stays ISO 8601 (UTC)",
      );

      await s.sites.setTimeZone(publicId, "Asia/Tokyo");
      assert.equal(await day(""), ["2026-03-12 14:30"]);
      assert.equal(await day("&from=2026-03-11&to=2026-03-11"), []);
      assert.equal(await day("&from=2026-03-12&to=2026-03-12"), ["2026-03-12 14:30"]);
    } finally {
      await s.sites.setTimeZone(publicId, "UTC");
    }
  },
);

t("paging by keyset", async ({ env, publicId }) => {
  for (let i = 0; i < 60; i++) {
    await env.services.audit.record({
      siteId: publicId,
      actor: { id: null, name: "bulk-check" },
      action: testAction("test.bulk"),
    });
  }
  const c = new TestClient(env.app);
  await c.signIn("root", PASSWORD);
  const first = await c.get("/configure/audit?user=bulk-check");
  assert.is(rowsOf(first.html).length, 50);
  const next = first.html.match(/href="(\/configure\/audit\?[^"]+)" rel="next"/)![1]!.replace(/&amp;/g, "&");
  assert.match(next, /user=bulk-check&after=\d+/);
  const second = await c.get(next);
  assert.is(rowsOf(second.html).length, 10);
  assert.not.match(second.html, /rel="next"/);
});

t("bad filters get a 400 with a message per field, on the page and the export", async ({ env }) => {
  const c = new TestClient(env.app);
  await c.signIn("root", PASSWORD);
  const bad = await c.get(
    "/configure/audit?user=%3Cscript%3E&after=abc&action=DROP%20TABLE&from=2026-02-30&to=yesterday",
  );
  assert.is(bad.res.status, 400);
  assert.match(bad.html, /id="err-user"[^>]*>User must be a username/);
  assert.match(bad.html, /id="err-action"[^>]*>Action must be one of/);
  assert.match(bad.html, /id="err-after"[^>]*>Page must be/);
  assert.match(bad.html, /id="err-from"[^>]*>From must be a date \(YYYY-MM-DD\)/);
  assert.match(bad.html, /id="err-to"[^>]*>To must be a date/);
  assert.not.match(bad.html, /<script>/);
  const reversed = await c.get("/configure/audit?from=2026-03-12&to=2026-03-11");
  assert.is(reversed.res.status, 400);
  assert.match(reversed.html, /id="err-to"[^>]*>To must be the same day as From or later/);
  const unknown = await c.get("/configure/audit?sort=x");
  assert.is(unknown.res.status, 400);
  assert.match(unknown.html, /The audit log has no filter &quot;sort&quot;/);
  const csv = await c.get("/configure/audit/export.csv?from=13/03/2026");
  assert.is(csv.res.status, 400);
  assert.match(csv.html, /From must be a date \(YYYY-MM-DD\)/);
});

t("an action the audit log does not know is a 400 that says so, on the page and the export", async ({ env }) => {
  const c = new TestClient(env.app);
  await c.signIn("root", PASSWORD);
  const bogus = await c.get("/configure/audit?action=bogus");
  assert.is(bogus.res.status, 400);
  assert.match(
    bogus.html,
    /id="err-action"[^>]*>The audit log has no action &quot;bogus&quot;: choose one from the list\./,
  );
  assert.is(rowsOf(bogus.html).length, 0);
  // With another bad filter: a message for each.
  const both = await c.get("/configure/audit?action=mfa.enabled&from=2026-02-30");
  assert.is(both.res.status, 400);
  assert.match(both.html, /id="err-action"[^>]*>The audit log has no action &quot;mfa\.enabled&quot;/);
  assert.match(both.html, /id="err-from"[^>]*>From must be a date/);
  const csv = await c.get("/configure/audit/export.csv?action=bogus");
  assert.is(csv.res.status, 400);
  assert.match(csv.html, /The audit log has no action "bogus"/);
  // An action the engine writes is a filter, entries or none.
  for (const action of AUDIT_ACTIONS) {
    assert.is((await c.get(`/configure/audit?action=${action}`)).res.status, 200, action);
  }
  assert.is((await c.get("/configure/audit/export.csv?action=app.restore")).res.status, 200);
});

t("the CSV export: every matching entry, the page's filters, no secret, no formula", async ({ env, publicId }) => {
  const s = env.services;
  const vera = await s.users.create({ siteId: publicId, username: "vera", password: PASSWORD });
  await s.audit.record({
    siteId: publicId,
    actor: { id: null, name: "=cmd|' /C calc'!A0" },
    action: "user.update",
    target: { id: vera.id, name: "vera" },
    details: {
      fields: ["displayName", "password"],
      changes: { displayName: { before: "Vera, Old", after: 'Vera "New"' }, password: { before: "x1", after: "y2" } },
    },
  });
  const c = new TestClient(env.app);
  await c.signIn("root", PASSWORD);
  const res = await c.get("/configure/audit/export.csv?user=vera&action=user.update");
  assert.is(res.res.status, 200);
  assert.match(res.res.headers.get("content-type")!, /^text\/csv/);
  assert.match(res.res.headers.get("content-disposition")!, /attachment; filename="audit-2026-01-05.csv"/);
  const lines = res.html.trimEnd().split("\r\n");
  assert.is(lines[0], "time,actor,action,user,entry,changes,surface,address");
  assert.is(lines.length, 2, "only the filtered entry");
  // The changed fields in the order jsonb keeps keys (shorter first), the same on both backends.
  assert.is(
    lines[1],
    `2026-01-05T09:00:02.000Z,'=cmd|' /C calc'!A0,user.update,vera,"'=cmd|' /C calc'!A0 changed vera: password, displayName","password: changed; displayName: Vera, Old → Vera ""New""",,`,
  );
  assert.not.match(res.html, /x1|y2/);

  const all = await c.get("/configure/audit/export.csv?user=bulk-check");
  assert.is(all.html.trimEnd().split("\r\n").length, 61, "every page, not only the first 50");
});

t("only administrators, and only for the site they work on", async ({ env }) => {
  const designer = new TestClient(env.app);
  await designer.signIn("designer1", PASSWORD);
  assert.is((await designer.get("/configure/audit")).res.status, 403);
  const anonymous = new TestClient(env.app);
  assert.is((await anonymous.get("/configure/audit")).res.headers.get("location"), "/login?next=%2Fconfigure%2Faudit");
  const branch = new TestClient(env.app);
  await branch.signIn("branchadmin", PASSWORD);
  const page = await branch.get("/configure/audit");
  assert.equal(rowsOf(page.html), ["cli turned MFA on for carl (required from 5 January 2026, 09:00 (UTC))"]);
  assert.is(rowsOf((await branch.get("/configure/audit?user=ann")).html).length, 0);
});

t(
  "a save that changes only MFA, or nothing, writes no empty user entry beside the MFA ones",
  async ({ env, publicId }) => {
    const s = env.services;
    const ivy = await s.users.create({ siteId: publicId, username: "ivy", password: PASSWORD, displayName: "Ivy" });
    const c = new TestClient(env.app);
    await c.signIn("root", PASSWORD);
    const save = async (extra: Record<string, string>) => {
      const page = await c.get(`/configure/users/${ivy.id}`);
      const version = /name="_version" value="(\d+)"/.exec(page.html)![1]!;
      const form = { _version: version, username: "ivy", displayName: "Ivy", role: "user", webAccess: "true" };
      const r = await c.post(`/configure/users/${ivy.id}`, { ...form, ...extra });
      assert.is(r.res.status, 303, r.html.slice(0, 300));
    };
    const lines = async () => rowsOf((await c.get("/configure/audit?user=ivy")).html);
    const mfaOn = { mfaEnabled: "true", mfaEnforcementDelayDays: "0" };

    await save(mfaOn);
    assert.equal(await lines(), ["root turned MFA on for ivy (required from 5 January 2026, 09:00 (UTC))"]);
    await save(mfaOn);
    assert.equal(
      await lines(),
      ["root turned MFA on for ivy (required from 5 January 2026, 09:00 (UTC))"],
      "nothing changed",
    );
    // The reviewer's case: activated, then slider off + Confirm.
    const p = appParams(Buffer.alloc(20, 9));
    assert.ok(
      (
        await s.mfa.activation.activate(ivy.id, { method: "app", ...p }, codeAt(env.clock, p), {
          id: ivy.id,
          name: "ivy",
          siteId: null,
        })
      ).ok,
    );
    await save({ confirm: "mfa-reset" });
    const after = await lines();
    assert.ok(after.includes("root turned MFA off for ivy"), after.join("\n"));
    assert.not.ok(
      after.some((l) => l.includes("no field changed") || l.startsWith("root saved ivy")),
      after.join("\n"),
    );
    // A save that does change a field still says which.
    await save({ displayName: "Ivy Green" });
    assert.is((await lines())[0], "root changed ivy: displayName");
    const updates = await env.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_log WHERE action = 'user.update' AND target_user_id = $1",
      [ivy.id],
    );
    assert.is(updates.rows[0]!.n, 1);
  },
);

t.run();
