// @storage
import { randomBytes } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { codeThrottleKey, type MfaActor } from "../../engine/mfa/mfa-model.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { appParams, codeAt, keyBytes } from "../helpers/totp.js";
import { api, type ApiResponse } from "../device/client.js";

// Issue 9, fault 7: the device API answered a locked account with 429 too_many_attempts
// ("Try again in 30 seconds") while the web gave the same answer for a wrong code and a lock.
// The policy, on every surface that takes a code: a locked account gets exactly the answer to
// a wrong code (no 429, no Retry-After); only administrators see the lock.
const PASSWORD = "correct horse battery";
const ADMIN: MfaActor = { id: null, name: "test admin", siteId: null };
const t = suite<{ env: TestEnv; siteId: string }>(`a lock answers like a wrong code [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
});
t.after(async (ctx) => ctx.env.close());
t.before.each((ctx) => ctx.env.clock.advanceSeconds(3600));

let n = 0;
async function mfaUser(env: TestEnv, siteId: string) {
  const username = `lock${++n}`;
  const u = await env.services.users.create({ siteId, username, password: PASSWORD, deviceAccess: true });
  await env.services.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, ADMIN);
  return { id: u.id, username };
}

async function activatedUser(env: TestEnv, siteId: string) {
  const u = await mfaUser(env, siteId);
  const p = appParams(randomBytes(20));
  assert.equal(await env.services.mfa.activation.activate(u.id, { method: "app", ...p }, codeAt(env.clock, p), ADMIN), {
    ok: true,
  });
  env.clock.advanceSeconds(60);
  return { ...u, p };
}

async function registerToken(env: TestEnv, siteId: string) {
  const secret = randomBytes(20);
  const serialNumber = `LK${++n}${randomBytes(3).toString("hex")}`.toUpperCase();
  await env.services.hardware.registry.register(
    { name: serialNumber, serialNumber, timeInterval: 30, secretKey: secret.toString("hex") },
    { id: null, name: "test admin" },
    siteId,
  );
  return { serialNumber, p: appParams(secret) };
}

/** Locks the user's codes the way a guesser would: five wrong codes (activation attempts when not enrolled). */
async function lock(env: TestEnv, userId: string, enrolled: boolean) {
  for (let i = 0; i < 5; i++) {
    if (enrolled) await env.services.mfa.codes.verifyCode(userId, "000000");
    else
      await env.services.mfa.activation.activate(
        userId,
        { method: "app", ...appParams(randomBytes(20)) },
        "000000",
        ADMIN,
      );
  }
  const { rows } = await env.db.query<{ locked_until: Date }>("SELECT locked_until FROM throttles WHERE key = $1", [
    codeThrottleKey(userId),
  ]);
  assert.ok(rows[0]!.locked_until > env.clock.now(), "locked");
}

/** A page without the values that differ on every render (CSRF tokens). */
const page = (html: string) => html.replace(/(name="_csrf" value|name="csrf-token" content)="[^"]+"/g, "$1=X");

function webAnswer(res: Response, html: string) {
  return { status: res.status, retryAfter: res.headers.get("retry-after"), html: page(html) };
}
const deviceAnswer = (r: ApiResponse) => ({ status: r.status, retryAfter: r.headers.get("retry-after"), json: r.json });

t(
  "web sign-in (/login/mfa): a wrong code, and the right code while locked, get the same page",
  async ({ env, siteId }) => {
    const u = await activatedUser(env, siteId);
    const web = new TestClient(env.app);
    await web.signIn(u.username, PASSWORD);
    const wrong = await web.post("/login/mfa", { code: "000000" });
    await env.services.mfa.settings.unlock(u.id, ADMIN);
    await lock(env, u.id, true);
    const locked = await web.post("/login/mfa", { code: codeAt(env.clock, u.p) });
    assert.equal(webAnswer(locked.res, locked.html), webAnswer(wrong.res, wrong.html));
    assert.is(locked.res.status, 401);
    assert.is(locked.res.headers.get("retry-after"), null);
  },
);

t(
  'a hardware token\'s user reads "token", never "authenticator", on the code pages; a lock still answers like a wrong code',
  async ({ env, siteId }) => {
    const u = await mfaUser(env, siteId);
    const token = await registerToken(env, siteId);
    const activated = await env.services.hardware.activation.activateHardware(
      u.id,
      token.serialNumber,
      codeAt(env.clock, token.p),
      ADMIN,
    );
    assert.ok(activated.ok, "fixture: activated with the token");
    env.clock.advanceSeconds(60);
    const web = new TestClient(env.app);
    await web.signIn(u.username, PASSWORD);
    const words = (html: string) => /<article class="narrow">[\s\S]*?<\/article>/.exec(html)![0];
    const page = await web.get("/login/mfa");
    assert.match(words(page.html), /Enter the code your hardware token shows now\./);
    const malformed = await web.post("/login/mfa", { code: "12" });
    assert.is(malformed.res.status, 422);
    assert.match(words(malformed.html), /Enter the code your token shows \(6 or 8 digits\)\./);
    const wrong = await web.post("/login/mfa", { code: "000000" });
    assert.match(words(wrong.html), /The code is not valid\. Check the code your hardware token shows and try again\./);
    await env.services.mfa.settings.unlock(u.id, ADMIN);
    await lock(env, u.id, true);
    const locked = await web.post("/login/mfa", { code: codeAt(env.clock, token.p) });
    assert.equal(webAnswer(locked.res, locked.html), webAnswer(wrong.res, wrong.html));
    for (const html of [page.html, malformed.html, wrong.html, locked.html]) {
      assert.not.match(words(html), /authenticator/i);
    }

    // The hardware setup page's refusal of a wrong code (or a lock) speaks of the token too.
    const h = await mfaUser(env, siteId);
    const spare = await registerToken(env, siteId);
    const hw = new TestClient(env.app);
    await hw.signIn(h.username, PASSWORD);
    await hw.get("/mfa/setup/hardware");
    const wrongHw = await hw.post("/mfa/setup/hardware", { serialNumber: spare.serialNumber, code: "000000" });
    assert.match(wrongHw.html, /The code is not valid\. Check the code your hardware token shows and try again\./);
    assert.not.match(wrongHw.html, /Check your authenticator/);

    // An authenticator app's user is still told about the app.
    const a = await activatedUser(env, siteId);
    const app = new TestClient(env.app);
    await app.signIn(a.username, PASSWORD);
    assert.match(words((await app.get("/login/mfa")).html), /Enter the current code from your authenticator app\./);
    const wrongApp = await app.post("/login/mfa", { code: "000000" });
    assert.match(words(wrongApp.html), /The code is not valid\. Check your authenticator and try again\./);
  },
);

t(
  "web setup pages (app and hardware token): the same page for a wrong code and a lock, no Retry-After",
  async ({ env, siteId }) => {
    const u = await mfaUser(env, siteId);
    const web = new TestClient(env.app);
    await web.signIn(u.username, PASSWORD);
    const setup = await web.get("/mfa/setup/app");
    const p = appParams(keyBytes(setup.html.match(/id="totp-key">([A-Z2-7 ]+)</)![1]!));
    const wrong = await web.post("/mfa/setup/app", { code: "000000" });
    await env.services.mfa.settings.unlock(u.id, ADMIN);
    await lock(env, u.id, false);
    const locked = await web.post("/mfa/setup/app", { code: codeAt(env.clock, p) });
    assert.equal(webAnswer(locked.res, locked.html), webAnswer(wrong.res, wrong.html));
    assert.is(locked.res.headers.get("retry-after"), null);

    const h = await mfaUser(env, siteId);
    const token = await registerToken(env, siteId);
    const hw = new TestClient(env.app);
    await hw.signIn(h.username, PASSWORD);
    await hw.get("/mfa/setup/hardware");
    const wrongHw = await hw.post("/mfa/setup/hardware", { serialNumber: token.serialNumber, code: "000000" });
    await env.services.mfa.settings.unlock(h.id, ADMIN);
    await lock(env, h.id, false);
    const lockedHw = await hw.post("/mfa/setup/hardware", {
      serialNumber: token.serialNumber,
      code: codeAt(env.clock, token.p),
    });
    assert.equal(webAnswer(lockedHw.res, lockedHw.html), webAnswer(wrongHw.res, wrongHw.html));
    assert.is(lockedHw.res.headers.get("retry-after"), null, "was Retry-After: 30");
    assert.is((await env.services.mfa.statusOf(h.id)).activation, null);
  },
);

t(
  "device API /mfa: 401 invalid_code for a wrong code and for a lock (was 429 too_many_attempts)",
  async ({ env, siteId }) => {
    const u = await activatedUser(env, siteId);
    const login = () => api(env.app, "POST", "/api/device/login", { username: u.username, password: PASSWORD });
    const wrong = await api(env.app, "POST", "/api/device/mfa", {
      challenge: (await login()).json.challenge,
      code: "000000",
    });
    await env.services.mfa.settings.unlock(u.id, ADMIN);
    await lock(env, u.id, true);
    const locked = await api(env.app, "POST", "/api/device/mfa", {
      challenge: (await login()).json.challenge,
      code: codeAt(env.clock, u.p),
    });
    assert.equal(deviceAnswer(locked), deviceAnswer(wrong));
    assert.equal(deviceAnswer(locked), {
      status: 401,
      retryAfter: null,
      json: { error: { code: "invalid_code", message: "The code is not correct." } },
    });
  },
);

t(
  "device API /mfa/setup (app and hardware): the same 401 invalid_code for a wrong code and a lock",
  async ({ env, siteId }) => {
    const u = await mfaUser(env, siteId);
    const login = async () =>
      (await api(env.app, "POST", "/api/device/login", { username: u.username, password: PASSWORD })).json.challenge;
    const started = await api(env.app, "POST", "/api/device/mfa/setup", { challenge: await login(), method: "app" });
    const p = appParams(keyBytes(started.json.key));
    const wrong = await api(env.app, "POST", "/api/device/mfa/setup", {
      challenge: started.json.challenge,
      method: "app",
      code: "000000",
    });
    await env.services.mfa.settings.unlock(u.id, ADMIN);
    await lock(env, u.id, false);
    const locked = await api(env.app, "POST", "/api/device/mfa/setup", {
      challenge: started.json.challenge,
      method: "app",
      code: codeAt(env.clock, p),
    });
    assert.equal(deviceAnswer(locked), deviceAnswer(wrong));
    assert.is(locked.status, 401);

    const token = await registerToken(env, siteId);
    const lockedHw = await api(env.app, "POST", "/api/device/mfa/setup", {
      challenge: await login(),
      method: "hardware",
      serialNumber: token.serialNumber,
      code: codeAt(env.clock, token.p),
    });
    assert.equal(deviceAnswer(lockedHw), deviceAnswer(wrong));
    assert.is((await env.services.mfa.statusOf(u.id)).activation, null);
  },
);

t(
  "failed passwords keep their 429 with Retry-After on both surfaces (that lock is not a code's)",
  async ({ env, siteId }) => {
    await env.services.users.create({ siteId, username: "pw", password: PASSWORD, deviceAccess: true });
    for (let i = 0; i < 5; i++) await new TestClient(env.app).signIn("pw", "wrong password!!");
    const web = await new TestClient(env.app).signIn("pw", PASSWORD);
    assert.is(web.res.status, 429);
    assert.is(web.res.headers.get("retry-after"), "30");
    const device = await api(env.app, "POST", "/api/device/login", { username: "pw", password: PASSWORD });
    assert.is(device.status, 429);
    assert.is(device.json.error.code, "too_many_attempts");
    assert.is(device.headers.get("retry-after"), "30");
  },
);

t.run();
