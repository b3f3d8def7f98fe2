// @storage
import { randomBytes } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import { runMfaCommand } from "../../engine/cli/mfa-cli.js";
import type { TotpParams } from "../../engine/mfa/totp.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { appParams, codeAt, keyBytes } from "../helpers/totp.js";
import { api, bearer } from "../device/client.js";

// Issue 9, fault 1: device tokens survived a password change (web sessions ended, GET
// /api/device/me still answered 200). Every credential change ends every web session and every
// device token of the user, through one path (engine/auth/revocation.ts).
const PASSWORD = "correct horse battery";
const USERS = "/configure/users";
const ROOT: MfaActor = { id: null, name: "test admin", siteId: null };

interface Ctx {
  env: TestEnv;
  siteId: string;
  admin: TestClient;
}
const t = suite<Ctx>(`every credential change revokes every credential [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
  await ctx.env.services.users.create({ siteId: ctx.siteId, username: "root", password: PASSWORD, role: "admin" });
  ctx.admin = new TestClient(ctx.env.app);
  assert.is((await ctx.admin.signIn("root", PASSWORD)).res.status, 303);
});
t.after(async (ctx) => ctx.env.close());
// A fresh time step for every test, so no code is a replay of an earlier one.
t.before.each((ctx) => ctx.env.clock.advanceSeconds(120));

interface Holder {
  id: string;
  username: string;
  /** A browser signed in on the web (session at stage full). */
  web: TestClient;
  /** A device API bearer token. */
  token: string;
  p?: TotpParams;
}

let n = 0;

/** A user signed in on the web and on a device; with an activated authenticator app when `activated`. */
async function holder(env: TestEnv, siteId: string, activated = false): Promise<Holder> {
  const s = env.services;
  const username = `holder${++n}`;
  const { id } = await s.users.create({ siteId, username, password: PASSWORD, webAccess: true, deviceAccess: true });
  let p: TotpParams | undefined;
  if (activated) {
    await s.mfa.settings.applySettings(id, { enabled: true, enforcementDelayDays: 0 }, ROOT);
    p = appParams(randomBytes(20));
    assert.equal(await s.mfa.activation.activate(id, { method: "app", ...p }, codeAt(env.clock, p), ROOT), {
      ok: true,
    });
    env.clock.advanceSeconds(30);
  }
  const web = new TestClient(env.app);
  const signIn = await web.signIn(username, PASSWORD);
  if (p) {
    assert.is(signIn.res.headers.get("location"), "/login/mfa");
    assert.is((await web.post("/login/mfa", { code: codeAt(env.clock, p) })).res.status, 303);
    env.clock.advanceSeconds(30);
  }
  const login = await api(env.app, "POST", "/api/device/login", { username, password: PASSWORD });
  let token: string = login.json.token;
  if (p) {
    const done = await api(env.app, "POST", "/api/device/mfa", {
      challenge: login.json.challenge,
      code: codeAt(env.clock, p),
    });
    token = done.json.token;
    env.clock.advanceSeconds(30);
  }
  await assertAlive(env, { web, token });
  return { id, username, web, token, ...(p ? { p } : {}) };
}

async function webStatus(c: TestClient): Promise<string> {
  const { res } = await c.get("/");
  return res.status === 303 ? `303 ${res.headers.get("location")}` : String(res.status);
}

async function deviceStatus(env: TestEnv, token: string): Promise<string> {
  const r = await api(env.app, "GET", "/api/device/me", undefined, bearer(token));
  return r.status === 200 ? "200" : `${r.status} ${r.json.error.code}`;
}

async function assertAlive(env: TestEnv, h: Pick<Holder, "web" | "token">, what = "") {
  assert.is(await webStatus(h.web), "200", `web session alive ${what}`);
  assert.is(await deviceStatus(env, h.token), "200", `device token alive ${what}`);
}

/** The web page sends the user to /login and the device API answers 401 with the old token. */
async function assertEnded(env: TestEnv, h: Pick<Holder, "web" | "token">, what = "") {
  assert.is(await deviceStatus(env, h.token), "401 invalid_token", `device token ${what}`);
  assert.is(await webStatus(h.web), "303 /login", `web session ${what}`);
}

/** Saves the user's form in Configure > Users as an administrator would: every field, some changed. */
async function saveForm(
  env: TestEnv,
  admin: TestClient,
  h: Holder,
  changes: Record<string, string | null> = {},
  expectStatus = 303,
) {
  const status = await env.services.mfa.statusOf(h.id);
  const { rows } = await env.db.query<{ version: number }>("SELECT version FROM users WHERE id = $1", [h.id]);
  await admin.get(`${USERS}/${h.id}`);
  const fields: Record<string, string | null> = {
    _version: String(rows[0]!.version),
    username: h.username,
    displayName: h.username,
    email: `${h.username}@example.org`,
    password: "",
    role: "user",
    webAccess: "true",
    deviceAccess: "true",
    mfaEnabled: status.enabled ? "true" : null,
    mfaEnforcementDelayDays: String(status.enforcementDelayDays),
    ...changes,
  };
  // An unticked checkbox is not sent at all.
  const sent = Object.fromEntries(Object.entries(fields).filter((e): e is [string, string] => e[1] !== null));
  const r = await admin.post(`${USERS}/${h.id}`, sent);
  assert.is(r.res.status, expectStatus, r.html.match(/class="field-error"[^>]*>([^<]+)</)?.[1] ?? r.html.slice(0, 200));
}

t("a password saved by an administrator in /configure/users/:id", async ({ env, siteId, admin }) => {
  const h = await holder(env, siteId);
  await saveForm(env, admin, h, { password: "a brand new password" });
  await assertEnded(env, h);
  assert.is((await new TestClient(env.app).signIn(h.username, "a brand new password")).res.status, 303);
});

t("a password set the way `formgate user reset-password` does (UserAccounts.setPassword)", async ({ env, siteId }) => {
  const h = await holder(env, siteId);
  const revoked = await env.services.users.setPassword(h.id, "another long password");
  assert.equal(revoked, {
    webSessions: 1,
    deviceTokens: 1,
    deviceChallenges: 0,
    rememberedBrowsers: 0,
    recoveryCodes: 0,
    accessPasses: 0,
  });
  await assertEnded(env, h);
});

t(
  "a new password also ends sign-ins half done: the web at /login/mfa, a device challenge",
  async ({ env, siteId, admin }) => {
    const h = await holder(env, siteId, true);
    const halfWeb = new TestClient(env.app);
    assert.is((await halfWeb.signIn(h.username, PASSWORD)).res.headers.get("location"), "/login/mfa");
    const { json } = await api(env.app, "POST", "/api/device/login", { username: h.username, password: PASSWORD });
    await saveForm(env, admin, h, { password: "a brand new password" });
    await assertEnded(env, h);
    const code = codeAt(env.clock, h.p!);
    assert.is((await halfWeb.post("/login/mfa", { code })).res.headers.get("location"), "/login");
    const r = await api(env.app, "POST", "/api/device/mfa", { challenge: json.challenge, code });
    assert.is(r.status, 401);
    assert.is(r.json.error.code, "challenge_invalid");
  },
);

t("MFA switched on (slider ON + Save)", async ({ env, siteId, admin }) => {
  const h = await holder(env, siteId);
  await saveForm(env, admin, h, { mfaEnabled: "true", mfaEnforcementDelayDays: "7" });
  await assertEnded(env, h);
});

t("MFA switched off (slider OFF + Save) for an activated user", async ({ env, siteId, admin }) => {
  const h = await holder(env, siteId, true);
  // The first save only asks (the confirmed reset): nothing ends until Confirm.
  await saveForm(env, admin, h, { mfaEnabled: null }, 200);
  await assertAlive(env, h, "before Confirm");
  await saveForm(env, admin, h, { mfaEnabled: null, confirm: "mfa-reset" });
  await assertEnded(env, h);
});

t("MFA reset with `formgate mfa reset`", async ({ env, siteId }) => {
  const h = await holder(env, siteId, true);
  assert.match(await runMfaCommand(env.services, ["reset", h.username]), /sessions signed out/);
  await assertEnded(env, h);
});

t(
  "MFA activated on the web: the activating sign-in goes on, the sessions and tokens got without a code end",
  async ({ env, siteId }) => {
    const s = env.services;
    const username = `later${++n}`;
    const { id } = await s.users.create({ siteId, username, password: PASSWORD, deviceAccess: true });
    await s.mfa.settings.applySettings(id, { enabled: true, enforcementDelayDays: 3 }, ROOT);
    // Signed in with the password alone, during the grace period, on the web and on a device.
    const early = new TestClient(env.app);
    await early.signIn(username, PASSWORD);
    assert.is((await early.post("/mfa/setup/later", {})).res.headers.get("location"), "/");
    const login = await api(env.app, "POST", "/api/device/login", { username, password: PASSWORD });
    const later = await api(env.app, "POST", "/api/device/mfa/setup", {
      challenge: login.json.challenge,
      method: "later",
    });
    const before = { web: early, token: later.json.token as string };
    await assertAlive(env, before);

    const now = new TestClient(env.app);
    await now.signIn(username, PASSWORD);
    const page = await now.get("/mfa/setup/app");
    const p = appParams(keyBytes(page.html.match(/id="totp-key">([A-Z2-7 ]+)</)![1]!));
    const done = await now.post("/mfa/setup/app", { code: codeAt(env.clock, p) });
    assert.is(done.res.status, 200, "the first activation shows the recovery codes");
    assert.match(done.html, /href="\/account"/);
    assert.is(await webStatus(now), "200", "the session that activated");
    await assertEnded(env, before);
  },
);

t(
  "MFA activated through the device API: the new token works, the older ones and web sessions end",
  async ({ env, siteId }) => {
    const s = env.services;
    const username = `later${++n}`;
    const { id } = await s.users.create({ siteId, username, password: PASSWORD, deviceAccess: true });
    await s.mfa.settings.applySettings(id, { enabled: true, enforcementDelayDays: 3 }, ROOT);
    const early = new TestClient(env.app);
    await early.signIn(username, PASSWORD);
    await early.post("/mfa/setup/later", {});
    const first = await api(env.app, "POST", "/api/device/login", { username, password: PASSWORD });
    const later = await api(env.app, "POST", "/api/device/mfa/setup", {
      challenge: first.json.challenge,
      method: "later",
    });
    const before = { web: early, token: later.json.token as string };
    await assertAlive(env, before);

    const login = await api(env.app, "POST", "/api/device/login", { username, password: PASSWORD });
    const started = await api(env.app, "POST", "/api/device/mfa/setup", {
      challenge: login.json.challenge,
      method: "app",
    });
    const p = appParams(keyBytes(started.json.key));
    const done = await api(env.app, "POST", "/api/device/mfa/setup", {
      challenge: started.json.challenge,
      method: "app",
      code: codeAt(env.clock, p),
    });
    assert.is(done.status, 200, JSON.stringify(done.json));
    assert.is(await deviceStatus(env, done.json.token), "200", "the token of the activating sign-in");
    await assertEnded(env, before);
  },
);

t("the user disabled", async ({ env, siteId, admin }) => {
  const h = await holder(env, siteId);
  await saveForm(env, admin, h, { disabled: "true" });
  await assertEnded(env, h);
  await saveForm(env, admin, h, { disabled: null });
  await assertEnded(env, h, "after re-enabling");
});

t("web access removed: the device token ends too", async ({ env, siteId, admin }) => {
  const h = await holder(env, siteId);
  await saveForm(env, admin, h, { webAccess: null });
  await assertEnded(env, h);
});

t("device access removed: the web session ends too", async ({ env, siteId, admin }) => {
  const h = await holder(env, siteId);
  await saveForm(env, admin, h, { deviceAccess: null });
  await assertEnded(env, h);
});

t("the user deleted", async ({ env, siteId, admin }) => {
  const h = await holder(env, siteId);
  const { rows } = await env.db.query<{ version: number }>("SELECT version FROM users WHERE id = $1", [h.id]);
  await admin.get(`${USERS}/${h.id}`);
  const del = await admin.post(`${USERS}/${h.id}/delete`, { _version: String(rows[0]!.version), confirm: "yes" });
  assert.is(del.res.status, 303);
  await assertEnded(env, h);
});

t(
  "an administrator saving their own new password keeps that session; their others and their tokens end",
  async ({ env, siteId }) => {
    const s = env.services;
    const username = `self${++n}`;
    const { id } = await s.users.create({ siteId, username, password: PASSWORD, role: "admin", deviceAccess: true });
    const other = await holderOf(env, username);
    const self = new TestClient(env.app);
    await self.signIn(username, PASSWORD);
    await saveForm(
      env,
      self,
      { id, username, web: self, token: "" },
      { role: "admin", password: "my new long password" },
    );
    assert.is(await webStatus(self), "200", "the session that saved");
    await assertEnded(env, other);
  },
);

t(
  "changes that are not credential changes end nothing (display name, enforcement delay)",
  async ({ env, siteId, admin }) => {
    const h = await holder(env, siteId, true);
    await saveForm(env, admin, h, { displayName: "Renamed", mfaEnforcementDelayDays: "5" });
    assert.is((await env.services.mfa.statusOf(h.id)).enforcementDelayDays, 5);
    await assertAlive(env, h);
  },
);

t("every kind of credential is registered with the one revocation path", ({ env }) => {
  assert.equal(env.services.revocation.kinds, [
    "webSessions",
    "deviceTokens",
    "deviceChallenges",
    "rememberedBrowsers",
    "recoveryCodes",
    "accessPasses",
  ]);
});

/** A web session and a device token of an existing user without MFA. */
async function holderOf(env: TestEnv, username: string) {
  const web = new TestClient(env.app);
  assert.is((await web.signIn(username, PASSWORD)).res.headers.get("location"), "/");
  const token = (await api(env.app, "POST", "/api/device/login", { username, password: PASSWORD })).json.token;
  const h = { web, token: token as string };
  await assertAlive(env, h);
  return h;
}

t("a session revoked while a privilege change was under way is not renewed by it", async ({ env, siteId }) => {
  const s = env.services;
  const { id } = await s.users.create({ siteId, username: `rotating${++n}`, password: PASSWORD });
  const { token } = await s.sessions.create(id, siteId, "mfa", null);
  const session = (await s.sessions.validate(token))!;
  // The request that would finish the sign-in read its session; then a credential change ended it.
  await s.revocation.revoke(id, "password_changed", env.db);
  assert.is(await s.sessions.rotate(session, { stage: "full" }, null), null);
  const { rows } = await env.db.query<{ n: number }>("SELECT count(*)::int AS n FROM sessions WHERE user_id = $1", [
    id,
  ]);
  assert.is(rows[0]!.n, 0, "no new session came out of the rotation");
  // An intact session still rotates, and the old token stops working.
  const live = await s.sessions.create(id, siteId, "mfa", null);
  const rotated = await s.sessions.rotate((await s.sessions.validate(live.token))!, { stage: "full" }, null);
  assert.ok(rotated);
  assert.is(await s.sessions.validate(live.token), null);
  assert.is((await s.sessions.validate(rotated.token))?.stage, "full");
});

t.run();
