// @storage
import { randomBytes } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { appParams, codeAt, keyBytes } from "../helpers/totp.js";
import { api, bearer } from "../device/client.js";

// Issue 9, fault 10: the web accepted "123 456" while the device API answered 422 for the same code.
const PASSWORD = "correct horse battery";
const ADMIN: MfaActor = { id: null, name: "test admin", siteId: null };
const t = suite<{ env: TestEnv; siteId: string }>(`spaced codes on every surface [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
});
t.after(async (ctx) => ctx.env.close());
// Each test starts in a fresh time step, so no code of an earlier test is a replay.
t.before.each((ctx) => ctx.env.clock.advanceSeconds(120));

const spaced = (code: string) => `${code.slice(0, 3)} ${code.slice(3)}`;
const dashed = (code: string) => `${code.slice(0, code.length / 2)}-${code.slice(code.length / 2)}`;

let n = 0;
async function mfaUser(env: TestEnv, siteId: string) {
  const username = `spaced${++n}`;
  const u = await env.services.users.create({ siteId, username, password: PASSWORD, deviceAccess: true });
  await env.services.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, ADMIN);
  return { id: u.id, username };
}

async function activated(env: TestEnv, siteId: string) {
  const u = await mfaUser(env, siteId);
  const p = appParams(randomBytes(20));
  assert.equal(await env.services.mfa.activation.activate(u.id, { method: "app", ...p }, codeAt(env.clock, p), ADMIN), {
    ok: true,
  });
  env.clock.advanceSeconds(60);
  return { ...u, p };
}

async function registerToken(env: TestEnv, siteId: string, digits: 6 | 8) {
  const secret = randomBytes(20);
  const serialNumber = `SP${++n}${randomBytes(3).toString("hex")}`.toUpperCase();
  await env.services.hardware.registry.register(
    { name: serialNumber, serialNumber, timeInterval: 30, secretKey: secret.toString("hex"), digits },
    { id: null, name: "test admin" },
    siteId,
  );
  return { serialNumber, p: { ...appParams(secret), digits } };
}

const deviceLogin = (env: TestEnv, username: string) =>
  api(env.app, "POST", "/api/device/login", { username, password: PASSWORD });

t("device API: POST /api/device/mfa takes '123 456' (was 422)", async ({ env, siteId }) => {
  const u = await activated(env, siteId);
  const { json } = await deviceLogin(env, u.username);
  const r = await api(env.app, "POST", "/api/device/mfa", {
    challenge: json.challenge,
    code: spaced(codeAt(env.clock, u.p)),
  });
  assert.is(r.status, 200, JSON.stringify(r.json));
  assert.is((await api(env.app, "GET", "/api/device/me", undefined, bearer(r.json.token))).status, 200);
});

t("device API: app setup and hardware setup take spaced and dashed codes", async ({ env, siteId }) => {
  const u = await mfaUser(env, siteId);
  const first = await deviceLogin(env, u.username);
  const started = await api(env.app, "POST", "/api/device/mfa/setup", {
    challenge: first.json.challenge,
    method: "app",
  });
  assert.is(started.status, 200);
  const p = appParams(keyBytes(started.json.key));
  const done = await api(env.app, "POST", "/api/device/mfa/setup", {
    challenge: started.json.challenge,
    method: "app",
    code: spaced(codeAt(env.clock, p)),
  });
  assert.is(done.status, 200, JSON.stringify(done.json));

  const h = await mfaUser(env, siteId);
  const token = await registerToken(env, siteId, 8);
  const login = await deviceLogin(env, h.username);
  const bound = await api(env.app, "POST", "/api/device/mfa/setup", {
    challenge: login.json.challenge,
    method: "hardware",
    serialNumber: token.serialNumber,
    code: dashed(codeAt(env.clock, token.p)),
  });
  assert.is(bound.status, 200, JSON.stringify(bound.json));
  assert.is((await env.services.mfa.statusOf(h.id)).activation?.tokenSerial, token.serialNumber);
});

t(
  "device API: a spaced code that is not 6 or 8 digits is still a 422 with the field named",
  async ({ env, siteId }) => {
    const u = await activated(env, siteId);
    const { json } = await deviceLogin(env, u.username);
    const r = await api(env.app, "POST", "/api/device/mfa", { challenge: json.challenge, code: "123 45" });
    assert.is(r.status, 422);
    assert.equal(Object.keys(r.json.error.fields), ["code"]);
    assert.is((await env.db.query("SELECT 1 FROM throttles")).rowCount, 0, "not counted as a wrong code");
  },
);

t("web: sign-in, app setup and hardware setup take the same spaced and dashed codes", async ({ env, siteId }) => {
  const u = await activated(env, siteId);
  const web = new TestClient(env.app);
  await web.signIn(u.username, PASSWORD);
  const signedIn = await web.post("/login/mfa", { code: spaced(codeAt(env.clock, u.p)) });
  assert.is(signedIn.res.status, 303);
  assert.is(signedIn.res.headers.get("location"), "/");

  const fresh = await mfaUser(env, siteId);
  const setup = new TestClient(env.app);
  await setup.signIn(fresh.username, PASSWORD);
  const page = await setup.get("/mfa/setup/app");
  const key = page.html.match(/id="totp-key">([A-Z2-7 ]+)</)![1]!;
  const done = await setup.post("/mfa/setup/app", { code: dashed(codeAt(env.clock, appParams(keyBytes(key)))) });
  assert.is(done.res.status, 200, "activated: the recovery codes are shown");

  const h = await mfaUser(env, siteId);
  const token = await registerToken(env, siteId, 6);
  const hw = new TestClient(env.app);
  await hw.signIn(h.username, PASSWORD);
  await hw.get("/mfa/setup/hardware");
  const bound = await hw.post("/mfa/setup/hardware", {
    serialNumber: token.serialNumber,
    code: spaced(codeAt(env.clock, token.p)),
  });
  assert.is(bound.res.status, 200, "activated: the recovery codes are shown");
  assert.is((await env.services.mfa.statusOf(h.id)).activation?.tokenSerial, token.serialNumber);
});

t("find token by code reads spaced and dashed codes the same way", async ({ env, siteId }) => {
  await env.services.users.create({ siteId, username: "finder", password: PASSWORD, role: "admin" });
  const admin = new TestClient(env.app);
  await admin.signIn("finder", PASSWORD);
  const token = await registerToken(env, siteId, 8);
  for (const code of [dashed(codeAt(env.clock, token.p)), "  " + spaced(codeAt(env.clock, token.p))]) {
    const found = await admin.get(`/configure/mfa-hardware/find?code=${encodeURIComponent(code)}`);
    assert.is(found.res.status, 200, code);
    assert.match(found.html, new RegExp(`<code>${token.serialNumber}</code>`));
  }
  const matches = await env.services.hardware.registry.findByCode(spaced(codeAt(env.clock, token.p)));
  assert.equal(
    matches.map((m) => m.token.serialNumber),
    [token.serialNumber],
  );
});

t.run();
