// @storage
// Issue 25: a site's time zone. The same deadline named in the site's zone (the right local day in
// Pacific/Honolulu and in Asia/Tokyo), set on the Sites page with a message on the field for an
// unknown zone (nothing changed), and the status badges and message words in that zone.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import { mfaBadges } from "../../engine/mfa/status.js";
import { SiteError } from "../../engine/sites/sites.js";
import { deadlineInWords } from "../../engine/mail/templates.js";
import { whatHappened } from "../../engine/audit/audit-words.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";

const PASSWORD = "correct horse battery";
const t = suite<{ env: TestEnv; siteId: string; admin: MfaActor; userId: string; c: TestClient }>(
  `site time zone [${testBackend}]`,
);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  const s = ctx.env.services;
  // 20:30 UTC on 1 December: 10:30 on 1 December in Honolulu (UTC−10), 05:30 on 2 December in Tokyo.
  ctx.env.clock.set("2026-12-01T20:30:00Z");
  ctx.siteId = (await s.sites.publicSite()).id;
  const root = await s.users.create({ siteId: ctx.siteId, username: "root", password: PASSWORD, role: "admin" });
  ctx.admin = { id: root.id, name: "root", siteId: ctx.siteId };
  ctx.userId = (await s.users.create({ siteId: ctx.siteId, username: "kai" })).id;
  // Deadline 8 days on: 2026-12-09T20:30Z.
  await s.mfa.settings.applySettings(ctx.userId, { enabled: true, enforcementDelayDays: 8 }, ctx.admin);
  ctx.c = new TestClient(ctx.env.app);
  await ctx.c.signIn("root", PASSWORD);
});
t.after(async (ctx) => ctx.env.close());

t("a new site shows dates in UTC", async (ctx) => {
  const site = (await ctx.env.services.sites.byId(ctx.siteId))!;
  assert.is(site.timeZone, "UTC");
  const st = await ctx.env.services.mfa.statusOf(ctx.userId);
  assert.is(st.message, "On — not activated, required from 9 December 2026, 20:30 (UTC)");
});

t("the same deadline names the local day: 9 December in Honolulu, 10 December in Tokyo", async (ctx) => {
  const s = ctx.env.services;
  const now = ctx.env.clock.now();
  await s.sites.setTimeZone(ctx.siteId, "Pacific/Honolulu");
  let st = await s.mfa.statusOf(ctx.userId);
  assert.is(st.message, "On — not activated, required from 9 December 2026, 10:30 (Pacific/Honolulu)");
  assert.equal(mfaBadges(st, now), [
    {
      kind: "pending",
      text: "Pending — due 9 December 2026, 10:30 (Pacific/Honolulu)",
      short: "Pending — due 9 December 2026",
    },
  ]);
  let dialog = await ctx.c.get(`/configure/users/${ctx.userId}`);
  assert.match(dialog.html, /required from 9 December 2026, 10:30 \(Pacific\/Honolulu\)/);
  assert.match(
    dialog.html,
    /<span class="badge pending" title="[^"]*">Pending — due 9 December 2026, 10:30 \(Pacific\/Honolulu\)<\/span>/,
  );

  await s.sites.setTimeZone(ctx.siteId, "Asia/Tokyo");
  st = await s.mfa.statusOf(ctx.userId);
  assert.is(st.message, "On — not activated, required from 10 December 2026, 05:30 (Asia/Tokyo)");
  dialog = await ctx.c.get(`/configure/users/${ctx.userId}`);
  assert.match(dialog.html, /required from 10 December 2026, 05:30 \(Asia\/Tokyo\)/);
  const overview = await ctx.c.get("/configure");
  assert.match(overview.html, /Pending — due 10 December 2026, 05:30 \(Asia\/Tokyo\)/);
  const list = await ctx.c.get("/configure/users?mfa=pending");
  assert.match(
    list.html,
    /<span class="badge pending" title="Pending — due 10 December 2026, 05:30 \(Asia\/Tokyo\)">Pending — due 10 December 2026<\/span>/,
  );
  // The mail words and the audit words name the same local day.
  assert.is(deadlineInWords("2026-12-09T20:30:00Z", "Asia/Tokyo"), "Thursday, 10 December 2026, 05:30 (Asia/Tokyo)");
  assert.is(
    deadlineInWords("2026-12-09T20:30:00Z", "Pacific/Honolulu"),
    "Wednesday, 9 December 2026, 10:30 (Pacific/Honolulu)",
  );
  const entry = {
    action: "mfa.enable",
    actorName: "root",
    targetName: "kai",
    at: now,
    details: { requiredFrom: "2026-12-09T20:30:00.000Z" },
  } as unknown as Parameters<typeof whatHappened>[0];
  assert.is(
    whatHappened(entry, "Pacific/Honolulu"),
    "turned MFA on for kai (required from 9 December 2026, 10:30 (Pacific/Honolulu))",
  );
  assert.is(
    whatHappened(entry, "Asia/Tokyo"),
    "turned MFA on for kai (required from 10 December 2026, 05:30 (Asia/Tokyo))",
  );
  // CSV stays machine-readable: the deadline column is ISO 8601 with its offset, whatever the zone.
  const csv = await (await ctx.c.request("/configure/users/export.csv?mfa=pending")).text();
  assert.match(csv, /,Pending,2026-12-09T20:30:00\.000Z,/);
  await s.sites.setTimeZone(ctx.siteId, "UTC");
});

t("an every-site rollout by date: one moment, shown in each site's own zone (and the zone named)", async (ctx) => {
  const s = ctx.env.services;
  const tokyo = await s.sites.create("tokyo", "Tokyo Office");
  await s.sites.setTimeZone(tokyo.id, "Asia/Tokyo");
  await s.users.create({ siteId: tokyo.id, username: "yui" });
  const preview = await ctx.c.get("/configure/mfa/rollout?scope=all&deadline=2026-12-20&preview=1");
  assert.is(preview.res.status, 200);
  // The Public Site (UTC) is where the date starts; Tokyo keeps its own zone for the same moment.
  assert.match(preview.html, /data-deadline-at="2026-12-20T00:00:00.000Z">\s*20 December 2026, 00:00 \(UTC\)/);
  assert.match(
    preview.html,
    /<li data-site-zone="Asia\/Tokyo">Tokyo Office: 20 December 2026, 09:00 \(Asia\/Tokyo\)<\/li>/,
  );
  assert.match(preview.html, /with Every site, from that same moment on every site/);
  // One site's rollout names no other zone.
  const one = await ctx.c.get("/configure/mfa/rollout?deadline=2026-12-20&preview=1");
  assert.not.match(one.html, /data-site-zone/);
});

t("an unknown zone is refused with a message on the field; nothing changes", async (ctx) => {
  const s = ctx.env.services;
  for (const bad of ["Mars/Olympus_Mons", "+02:00", "", "Europe/Berlin; DROP TABLE sites"]) {
    try {
      await s.sites.setTimeZone(ctx.siteId, bad);
      assert.unreachable(bad);
    } catch (err) {
      assert.instance(err, SiteError);
      assert.is((err as SiteError).field, "timeZone");
    }
  }
  assert.is((await s.sites.byId(ctx.siteId))!.timeZone, "UTC");

  const refused = await ctx.c.post("/configure/sites/time-zone", { timeZone: "Mars/Olympus_Mons" });
  assert.is(refused.res.status, 422);
  assert.match(refused.html, /id="err-timeZone"[^>]*>[^<]*Time zone must be an IANA time zone/);
  assert.match(refused.html, /value="Mars\/Olympus_Mons"/, "the input is kept");
  const malformed = await ctx.c.post("/configure/sites/time-zone", { timeZone: "<script>" });
  assert.is(malformed.res.status, 422);
  assert.match(malformed.html, /Time zone must be an IANA time zone/);
  assert.is((await s.sites.byId(ctx.siteId))!.timeZone, "UTC");

  const saved = await ctx.c.post("/configure/sites/time-zone", { timeZone: " Europe/Berlin " });
  assert.is(saved.res.status, 303);
  assert.is((await s.sites.byId(ctx.siteId))!.timeZone, "Europe/Berlin");
  // A zone in another case is stored (and shown) under its canonical name.
  assert.is((await s.sites.setTimeZone(ctx.siteId, "pacific/honolulu"))!.timeZone, "Pacific/Honolulu");
  // A zone the runtime's ICU knows by an old alias keeps the name given (Node 20: "Asia/Calcutta").
  assert.is((await s.sites.setTimeZone(ctx.siteId, "Asia/Kolkata"))!.timeZone, "Asia/Kolkata");
  assert.is((await s.sites.setTimeZone(ctx.siteId, "Europe/Kyiv"))!.timeZone, "Europe/Kyiv");
  const lower = await ctx.c.post("/configure/sites/time-zone", { timeZone: "utc" });
  assert.is(lower.res.status, 303);
  assert.is((await s.sites.byId(ctx.siteId))!.timeZone, "UTC");
  assert.is((await ctx.c.post("/configure/sites/time-zone", { timeZone: "europe/berlin" })).res.status, 303);
  const page = await ctx.c.get("/configure/sites");
  assert.match(page.html, /now shows dates in Europe\/Berlin/);
  assert.match(page.html, /<td>Europe\/Berlin<\/td>/);
  // Audited, with the zone before and after.
  const audit = await ctx.c.get("/configure/audit");
  assert.match(
    audit.html,
    /root set the site&#39;s time zone to Europe\/Berlin \(was UTC\)|root set the site's time zone to Europe\/Berlin \(was UTC\)/,
  );
  await s.sites.setTimeZone(ctx.siteId, "UTC");
});

t.run();
