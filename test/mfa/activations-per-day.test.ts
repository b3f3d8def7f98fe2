// @storage
// The activations chart of Configure > MFA counts calendar days of the site's time zone, not UTC
// days: an activation at 20:00 UTC is the next day in Auckland, and days that a clock change makes
// 23 or 25 hours long are each one bar.
import { randomBytes } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { appParams, codeAt } from "../helpers/totp.js";
import { addPasskeyAsSignedIn, passkeyThroughSetup } from "../helpers/webauthn-page.js";
import { SESSION_COOKIE } from "../../engine/web/http/cookies.js";

const PASSWORD = "correct horse battery";
const t = suite<{ env: TestEnv; siteId: string }>(`activations per day in the site's time zone [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
  await ctx.env.services.users.create({ siteId: ctx.siteId, username: "root", password: PASSWORD, role: "admin" });
});
t.after(async (ctx) => ctx.env.close());

let n = 0;
/** A user of the Public Site who activates an authenticator app at `at`. */
async function activatedAt(ctx: { env: TestEnv; siteId: string }, at: string): Promise<void> {
  const { env } = ctx;
  const s = env.services;
  env.clock.set(at);
  const u = await s.users.create({ siteId: ctx.siteId, username: `act${++n}` });
  const admin = { id: null, name: "test admin", siteId: ctx.siteId };
  await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 3 }, admin);
  const p = appParams(randomBytes(20));
  const self = { id: u.id, name: u.username, siteId: ctx.siteId };
  assert.equal(await s.mfa.activation.activate(u.id, { method: "app", ...p }, codeAt(env.clock, p), self), {
    ok: true,
  });
}

const counted = (days: { day: string; count: number }[]) =>
  days.filter((d) => d.count > 0).map((d) => `${d.day}:${d.count}`);

t("an activation falls on the site's calendar day; the page says which zone", async (ctx) => {
  const { env } = ctx;
  const s = env.services;
  await activatedAt(ctx, "2026-06-02T20:00:00Z"); // 3 June, 08:00 in Auckland (UTC+12)
  await activatedAt(ctx, "2026-06-03T09:00:00Z"); // 3 June in both
  env.clock.set("2026-06-05T12:00:00Z");
  const since = new Date("2026-06-01T12:00:00Z");
  assert.equal(counted(await s.mfaProgress.activationsPerDay(ctx.siteId, since, "UTC")), [
    "2026-06-02:1",
    "2026-06-03:1",
  ]);
  const auckland = await s.mfaProgress.activationsPerDay(ctx.siteId, since, "Pacific/Auckland");
  assert.equal(counted(auckland), ["2026-06-03:2"]);
  assert.equal(
    auckland.map((d) => d.day),
    ["2026-06-02", "2026-06-03", "2026-06-04", "2026-06-05", "2026-06-06"],
    "from the first rollout's day to today, both in Auckland (today is 6 June there)",
  );

  await s.sites.setTimeZone(ctx.siteId, "Pacific/Auckland");
  try {
    const c = new TestClient(env.app);
    await c.signIn("root", PASSWORD);
    const page = await c.get("/configure/mfa");
    assert.is(page.res.status, 200);
    assert.match(page.html, /data-day="2026-06-03" data-count="2"/);
    assert.not.match(page.html, /data-day="2026-06-02" data-count="1"/);
    assert.match(page.html, /the last 30 days \(days in Pacific\/Auckland\)/);
  } finally {
    await s.sites.setTimeZone(ctx.siteId, "UTC");
  }
});

t("days a clock change makes 23 or 25 hours long are one bar each, none missing or twice", async (ctx) => {
  const { env } = ctx;
  const s = env.services;
  // Berlin: summer time starts on 29 March 2026 (a 23-hour day) and ends on 25 October (25 hours).
  await activatedAt(ctx, "2026-03-28T23:30:00Z"); // 00:30 on 29 March in Berlin (UTC+1)
  await activatedAt(ctx, "2026-03-29T21:30:00Z"); // 23:30 on 29 March in Berlin (UTC+2 by then)
  await activatedAt(ctx, "2026-10-24T22:30:00Z"); // 00:30 on 25 October in Berlin (UTC+2)
  await activatedAt(ctx, "2026-10-25T22:30:00Z"); // 23:30 on 25 October in Berlin (UTC+1 by then)
  env.clock.set("2026-10-27T10:00:00Z");
  const march = await s.mfaProgress.activationsPerDay(ctx.siteId, new Date("2026-03-28T12:00:00Z"), "Europe/Berlin");
  assert.is(march.length, 90, "at most 90 days, the latest");
  const days = march.map((d) => d.day);
  assert.is(new Set(days).size, days.length, "no day twice");
  assert.is(days.at(-1), "2026-10-27");
  assert.is(days[0], "2026-07-30");
  assert.equal(counted(march), ["2026-10-25:2"], "the 25-hour day holds its first and last hour");
  env.clock.set("2026-04-01T10:00:00Z");
  const spring = await s.mfaProgress.activationsPerDay(ctx.siteId, new Date("2026-03-27T12:00:00Z"), "Europe/Berlin");
  assert.equal(
    spring.map((d) => d.day),
    ["2026-03-27", "2026-03-28", "2026-03-29", "2026-03-30", "2026-03-31", "2026-04-01"],
  );
  assert.equal(counted(spring), ["2026-03-29:2"], "the 23-hour day holds its first and last hour");
  const utc = await s.mfaProgress.activationsPerDay(ctx.siteId, new Date("2026-03-27T12:00:00Z"), "UTC");
  assert.equal(counted(utc), ["2026-03-28:1", "2026-03-29:1"], "in UTC the same instants are two days");
});

t("a passkey activates too: each user counts once, on the day of their first factor of any kind", async (ctx) => {
  const { env } = ctx;
  const s = env.services;
  const admin = { id: null, name: "test admin", siteId: ctx.siteId };
  env.clock.set("2027-01-10T10:00:00Z");
  const pia = await s.users.create({ siteId: ctx.siteId, username: "pkonly", password: PASSWORD });
  await s.mfa.settings.applySettings(pia.id, { enabled: true, enforcementDelayDays: 3 }, admin);
  await passkeyThroughSetup(env, "pkonly", PASSWORD, "Laptop");
  // An app on the 11th, then a passkey on the 12th: one activation, on the 11th.
  env.clock.set("2027-01-11T10:00:00Z");
  const both = await s.users.create({ siteId: ctx.siteId, username: "appthenkey", password: PASSWORD });
  await s.mfa.settings.applySettings(both.id, { enabled: true, enforcementDelayDays: 3 }, admin);
  const p = appParams(randomBytes(20));
  const self = { id: both.id, name: both.username, siteId: ctx.siteId };
  assert.ok((await s.mfa.activation.activate(both.id, { method: "app", ...p }, codeAt(env.clock, p), self)).ok);
  env.clock.set("2027-01-12T10:00:00Z");
  const made = await s.sessions.create(both.id, ctx.siteId, "full", null);
  const c = new TestClient(env.app);
  c.cookies.set(SESSION_COOKIE, made.token);
  const added = await addPasskeyAsSignedIn(c, "Desk", PASSWORD);
  assert.is(added.res.status, 303);
  env.clock.set("2027-01-13T10:00:00Z");
  const days = await s.mfaProgress.activationsPerDay(ctx.siteId, new Date("2027-01-09T12:00:00Z"), "UTC");
  assert.equal(counted(days), ["2027-01-10:1", "2027-01-11:1"]);
  const root = new TestClient(env.app);
  await root.signIn("root", PASSWORD);
  const page = await root.get("/configure/mfa");
  assert.match(page.html, /<th scope="col">with passkeys only<\/th>/);
  assert.match(page.html, /data-count="activatedPasskey">1</, "the passkey-only user is in the breakdown");
  assert.match(page.html, /data-day="2027-01-10" data-count="1"/);
});

t.run();
