// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import jsQRModule from "jsqr";
import { PNG } from "pngjs";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { appParams, codeAt, keyBytes } from "../helpers/totp.js";
import { testBackend } from "../helpers/db.js";

const PASSWORD = "correct horse battery";
// jsqr is CommonJS with a default export: unwrap it the way engine/schema/ajv.ts does for ajv-formats.
type JsQR = typeof import("jsqr").default;
const jsQR = ((jsQRModule as unknown as { default?: JsQR }).default ?? jsQRModule) as JsQR;

const t = suite<{ env: TestEnv; siteId: string; admin: MfaActor }>(`MFA sign-in flow [${testBackend}]`);
let n = 0;

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
  const admin = await ctx.env.services.users.create({ siteId: ctx.siteId, username: "root", role: "admin" });
  ctx.admin = { id: admin.id, name: admin.username, siteId: ctx.siteId };
});
t.after(async (ctx) => ctx.env.close());
t.before.each((ctx) => ctx.env.clock.advanceSeconds(3600));

async function userWithMfa(env: TestEnv, siteId: string, admin: MfaActor, delayDays: number | null) {
  const username = `web${++n}`;
  const user = await env.services.users.create({ siteId, username, password: PASSWORD });
  if (delayDays !== null) {
    await env.services.mfa.settings.applySettings(user.id, { enabled: true, enforcementDelayDays: delayDays }, admin);
  }
  return { username, id: user.id };
}

const decode = (html: string) =>
  html
    .replace(/&amp;/g, "&")
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"');

/** What the setup page shows: the grouped key, the link and the QR data URL. */
function setupPageParts(html: string) {
  const key = html.match(/id="totp-key">([A-Z2-7 ]+)</)![1]!;
  const link = decode(html.match(/href="(otpauth:[^"]+)"/)![1]!);
  const qr = html.match(/src="data:image\/png;base64,([A-Za-z0-9+/=]+)"/)![1]!;
  return { key, link, qr };
}

/** Signs in, sets up an authenticator app through the pages, signs out; returns the parameters. */
async function activateThroughPages(env: TestEnv, username: string) {
  const c = new TestClient(env.app);
  const login = await c.signIn(username, PASSWORD);
  assert.is(login.res.headers.get("location"), "/mfa/setup");
  const page = await c.get("/mfa/setup/app");
  const p = appParams(keyBytes(setupPageParts(page.html).key));
  const done = await c.post("/mfa/setup/app", { code: codeAt(env.clock, p) });
  assert.is(done.res.status, 200, "the first activation shows the recovery codes once");
  await c.post("/logout", {});
  env.clock.advanceSeconds(60);
  return p;
}

t("MFA off: the password signs in", async ({ env, siteId, admin }) => {
  const u = await userWithMfa(env, siteId, admin, null);
  const { res } = await new TestClient(env.app).signIn(u.username, PASSWORD);
  assert.is(res.headers.get("location"), "/");
});

t(
  "delay 0: setup is required; the half-signed-in session reaches only the MFA pages",
  async ({ env, siteId, admin }) => {
    const u = await userWithMfa(env, siteId, admin, 0);
    const c = new TestClient(env.app);
    const { res } = await c.signIn(u.username, PASSWORD);
    assert.is(res.status, 303);
    assert.is(res.headers.get("location"), "/mfa/setup");
    const { rows } = await env.db.query<{ stage: string }>("SELECT stage FROM sessions WHERE user_id = $1", [u.id]);
    assert.equal(
      rows.map((r) => r.stage),
      ["mfa_setup"],
    );
    // Any other page sends the half-signed-in user back to the step they left, not to a blank /login.
    for (const path of ["/", "/configure", "/configure/apps", "/configure/audit", "/account", "/login/mfa"]) {
      const r = await c.get(path);
      assert.is(r.res.status, 303, path);
      assert.is(r.res.headers.get("location"), "/mfa/setup", path);
    }
    const setup = await c.get("/mfa/setup");
    assert.is(setup.res.status, 200);
    assert.match(setup.html, /requires multi-factor authentication \(MFA\) before you can continue/);
    assert.match(setup.html, /href="\/mfa\/setup\/app"/);
    assert.match(setup.html, /href="\/mfa\/setup\/hardware"/);
    assert.not.match(setup.html, /Remind me later/);
    const later = await c.post("/mfa/setup/later", {});
    assert.is(later.res.status, 403);
    assert.is((await c.get("/")).res.headers.get("location"), "/mfa/setup", "still not signed in");
  },
);

t("delay 3: 'Remind me later' on day 2 signs in; on day 4 it is gone and refused", async ({ env, siteId, admin }) => {
  const u = await userWithMfa(env, siteId, admin, 3);
  env.clock.advanceDays(2);
  const c = new TestClient(env.app);
  await c.signIn(u.username, PASSWORD);
  const half = c.cookies.get("fg_session");
  const setup = await c.get("/mfa/setup");
  assert.match(setup.html, /You have 1 day left/);
  // The deadline in words, as everywhere else ("3 December 2026, 09:00 (UTC)": the site's zone), never as an ISO date.
  const from = (await env.services.mfa.statusOf(u.id)).requiredFrom!;
  const words = `${from.getUTCDate()} ${from.toLocaleString("en", { month: "long", timeZone: "UTC" })} ${from.getUTCFullYear()}, ${from.toISOString().slice(11, 16)} \\(UTC\\)`;
  assert.match(setup.html, new RegExp(`requires multi-factor authentication \\(MFA\\) from\\s+${words}\\. You have`));
  assert.not.match(setup.html, /\d{4}-\d{2}-\d{2}\. You have/);
  assert.match(setup.html, /Remind me later/);
  const later = await c.post("/mfa/setup/later", {});
  assert.is(later.res.status, 303);
  assert.is(later.res.headers.get("location"), "/");
  assert.is.not(c.cookies.get("fg_session"), half, "the token changes when the session becomes full");
  assert.is(await env.services.sessions.validate(half!), null);
  assert.is((await c.get("/")).res.status, 200);
  // Putting it off is audited: who, how many days were left and the deadline.
  const { rows } = await env.db.query<{
    action: string;
    actor_name: string;
    target_name: string;
    details: Record<string, unknown>;
  }>(
    "SELECT action, actor_name, target_name, details FROM audit_log WHERE action = 'mfa.postpone' AND target_user_id = $1",
    [u.id],
  );
  assert.equal(
    rows.map((r) => [r.actor_name, r.target_name, r.details.daysLeft, r.details.requiredFrom]),
    [[u.username, u.username, 1, from.toISOString()]],
  );
  // Signed in, the user can still set up, but there is nothing to postpone.
  const again = await c.get("/mfa/setup");
  assert.is(again.res.status, 200);
  assert.not.match(again.html, /Remind me later/);

  env.clock.advanceDays(2);
  const d = new TestClient(env.app);
  await d.signIn(u.username, PASSWORD);
  const required = await d.get("/mfa/setup");
  assert.not.match(required.html, /Remind me later/);
  assert.is((await d.post("/mfa/setup/later", {})).res.status, 403);
});

t("changing the delay from 3 to 0 forces setup at the next sign-in", async ({ env, siteId, admin }) => {
  const u = await userWithMfa(env, siteId, admin, 3);
  const c = new TestClient(env.app);
  await c.signIn(u.username, PASSWORD);
  assert.match((await c.get("/mfa/setup")).html, /Remind me later/);
  await env.services.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, admin);
  const d = new TestClient(env.app);
  await d.signIn(u.username, PASSWORD);
  assert.not.match((await d.get("/mfa/setup")).html, /Remind me later/);
  // The earlier half-signed-in session cannot postpone any more either.
  assert.is((await c.post("/mfa/setup/later", {})).res.status, 403);
});

t(
  "authenticator-app setup: one key while pending (reload, second tab), QR = link, activation with a current code",
  async ({ env, siteId, admin }) => {
    const u = await userWithMfa(env, siteId, admin, 0);
    const c = new TestClient(env.app);
    await c.signIn(u.username, PASSWORD);
    const first = await c.get("/mfa/setup/app");
    assert.is(first.res.status, 200);
    assert.is(first.res.headers.get("cache-control"), "no-store");
    const a = setupPageParts(first.html);
    assert.match(a.key, /^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/, "32 base32 characters (160 bits) in groups of four");
    assert.is(a.link, `otpauth://totp/Formgate:${u.username}?secret=${a.key.replace(/ /g, "")}&issuer=Formgate`);
    const png = PNG.sync.read(Buffer.from(a.qr, "base64"));
    const qr = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    assert.ok(qr, "the QR code decodes");
    assert.is(qr.data, a.link);

    // A reload (or a second tab) shows the key already scanned, not a new one.
    const second = setupPageParts((await c.get("/mfa/setup/app")).html);
    assert.is(second.key, a.key, "a reload while the setup is pending shows the same key");
    const other = await userWithMfa(env, siteId, admin, 0);
    const oc = new TestClient(env.app);
    await oc.signIn(other.username, PASSWORD);
    assert.is.not(
      setupPageParts((await oc.get("/mfa/setup/app")).html).key,
      a.key,
      "another user has a key of their own",
    );
    const scanned = appParams(keyBytes(a.key));

    const malformed = await c.post("/mfa/setup/app", { code: "12ab" });
    assert.is(malformed.res.status, 422);
    assert.match(malformed.html, /Enter the code your authenticator shows/);
    const wrong = await c.post("/mfa/setup/app", { code: codeAt(env.clock, appParams(Buffer.alloc(20, 1))) });
    assert.is(wrong.res.status, 422);
    assert.match(wrong.html, /The code is not valid/);
    assert.is(setupPageParts(wrong.html).key, a.key, "a failed attempt shows the same key again");
    assert.is((await env.services.mfa.statusOf(u.id)).state, "required");

    const half = c.cookies.get("fg_session");
    const ok = await c.post("/mfa/setup/app", { code: codeAt(env.clock, scanned) });
    assert.is(ok.res.status, 200, "the first activation shows the recovery codes");
    assert.match(ok.html, /href="\/account" role="button" id="codes-saved"/, "then on to the account page");
    assert.is.not(c.cookies.get("fg_session"), half);
    assert.is((await c.get("/")).res.status, 200);
    const status = await env.services.mfa.statusOf(u.id);
    assert.is(status.state, "active");
    // Never shown again.
    const after = await c.get("/mfa/setup/app");
    assert.is(after.res.status, 303);
    assert.not.match(after.html, new RegExp(a.key.slice(0, 9)));
    const { rows } = await env.db.query<{ action: string }>(
      "SELECT action FROM audit_log WHERE target_user_id = $1 AND action = 'mfa.activate'",
      [u.id],
    );
    assert.is(rows.length, 1);
  },
);

t("with MFA activated every sign-in needs a fresh code; a code is used once", async ({ env, siteId, admin }) => {
  const u = await userWithMfa(env, siteId, admin, 0);
  const p = await activateThroughPages(env, u.username);
  const c = new TestClient(env.app);
  const login = await c.signIn(u.username, PASSWORD);
  assert.is(login.res.headers.get("location"), "/login/mfa");
  for (const path of ["/", "/configure/apps", "/account", "/mfa/setup", "/mfa/setup/app"]) {
    const r = await c.get(path);
    assert.is(r.res.status, 303, path);
    assert.is(r.res.headers.get("location"), "/login/mfa", `${path}: back to the code step`);
  }
  const page = await c.get("/login/mfa");
  assert.is(page.res.status, 200);
  assert.match(page.html, /autocomplete="one-time-code"/);
  const code = codeAt(env.clock, p);
  const ok = await c.post("/login/mfa", { code });
  assert.is(ok.res.status, 303);
  assert.is(ok.res.headers.get("location"), "/");
  assert.is((await c.get("/")).res.status, 200);

  const d = new TestClient(env.app);
  await d.signIn(u.username, PASSWORD);
  const replay = await d.post("/login/mfa", { code });
  assert.is(replay.res.status, 401);
  assert.match(replay.html, /The code is not valid/);
});

t("two sign-ins submitting the same code at the same moment: exactly one wins", async ({ env, siteId, admin }) => {
  const u = await userWithMfa(env, siteId, admin, 0);
  const p = await activateThroughPages(env, u.username);
  const clients = [new TestClient(env.app), new TestClient(env.app), new TestClient(env.app)];
  for (const c of clients) await c.signIn(u.username, PASSWORD);
  const code = codeAt(env.clock, p);
  const results = await Promise.all(clients.map((c) => c.post("/login/mfa", { code })));
  assert.equal(results.map((r) => r.res.status).sort(), [303, 401, 401]);
});

t("after 5 wrong codes even the right code gets the same refusal", async ({ env, siteId, admin }) => {
  const u = await userWithMfa(env, siteId, admin, 0);
  const p = await activateThroughPages(env, u.username);
  const c = new TestClient(env.app);
  await c.signIn(u.username, PASSWORD);
  const strip = (h: string) => h.replace(/(value|content)="[A-Za-z0-9_-]{43}"/g, "TOKEN");
  let wrongPage = "";
  for (let i = 0; i < 5; i++) {
    const r = await c.post("/login/mfa", { code: "000000" });
    assert.is(r.res.status, 401);
    wrongPage = strip(r.html);
  }
  const right = await c.post("/login/mfa", { code: codeAt(env.clock, p) });
  assert.is(right.res.status, 401);
  assert.is(strip(right.html), wrongPage, "a locked account looks like a wrong code");
  assert.is(right.res.headers.get("retry-after"), null);
  assert.match((await env.services.mfa.statusOf(u.id)).message, /locked after failed codes/);
  // The administrator sees it and lifts it.
  await env.services.mfa.settings.unlock(u.id, admin);
  env.clock.advanceSeconds(30);
  assert.is((await c.post("/login/mfa", { code: codeAt(env.clock, p) })).res.status, 303);
});

t("a half-signed-in session expires in minutes", async ({ env, siteId, admin }) => {
  const u = await userWithMfa(env, siteId, admin, 0);
  const c = new TestClient(env.app);
  await c.signIn(u.username, PASSWORD);
  assert.is((await c.get("/mfa/setup")).res.status, 200);
  env.clock.advanceSeconds(env.services.sessions.policy.partialSeconds + 1);
  const r = await c.get("/mfa/setup");
  assert.is(r.res.status, 303);
  assert.is(r.res.headers.get("location"), "/login");
});

t("reset (OFF then ON) signs the user out; the next sign-in asks for a new setup", async ({ env, siteId, admin }) => {
  const u = await userWithMfa(env, siteId, admin, 0);
  const p = await activateThroughPages(env, u.username);
  const c = new TestClient(env.app);
  await c.signIn(u.username, PASSWORD);
  await c.post("/login/mfa", { code: codeAt(env.clock, p) });
  assert.is((await c.get("/")).res.status, 200);
  await env.services.mfa.settings.applySettings(u.id, { enabled: false, enforcementDelayDays: 0 }, admin);
  await env.services.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, admin);
  assert.is((await c.get("/")).res.headers.get("location"), "/login", "the session was revoked");
  const d = new TestClient(env.app);
  const login = await d.signIn(u.username, PASSWORD);
  assert.is(login.res.headers.get("location"), "/mfa/setup");
  env.clock.advanceSeconds(30);
  // The old key's code does not sign in: this session's step is the new setup.
  assert.is((await d.post("/login/mfa", { code: codeAt(env.clock, p) })).res.headers.get("location"), "/mfa/setup");
  const fresh = setupPageParts((await d.get("/mfa/setup/app")).html);
  assert.is.not(keyBytes(fresh.key).toString("hex"), Buffer.from(p.secret).toString("hex"));
});

t("no TOTP secret in plaintext in the database or the logs", async ({ env, siteId, admin }) => {
  const u = await userWithMfa(env, siteId, admin, 0);
  const c = new TestClient(env.app);
  await c.signIn(u.username, PASSWORD);
  const pending = setupPageParts((await c.get("/mfa/setup/app")).html);
  const p = appParams(keyBytes(pending.key));
  await c.post("/mfa/setup/app", { code: "000000" });
  await c.post("/mfa/setup/app", { code: codeAt(env.clock, p) });
  // And one still pending for another user.
  const v = await userWithMfa(env, siteId, admin, 0);
  const c2 = new TestClient(env.app);
  await c2.signIn(v.username, PASSWORD);
  const pending2 = setupPageParts((await c2.get("/mfa/setup/app")).html);

  const forms = (key: string) => {
    const raw = keyBytes(key);
    return [key.replace(/ /g, ""), raw.toString("hex"), raw.toString("base64"), raw.toString("base64url"), key];
  };
  const needles = [...forms(pending.key), ...forms(pending2.key)].map((s) => s.toLowerCase());
  const { rows: tables } = await env.db.query<{ tablename: string }>(
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
  );
  let dump = "";
  for (const { tablename } of tables) {
    const { rows } = await env.db.query(`SELECT t::text AS row FROM "${tablename}" t`);
    dump += rows.map((r) => String(r.row)).join("\n");
  }
  assert.ok(dump.includes("mfa.activate") || dump.length > 0);
  const { rows: sealed } = await env.db.query<{ secret_sealed: string }>("SELECT secret_sealed FROM mfa_enrollments");
  assert.ok(
    sealed.some((r) => r.secret_sealed.startsWith("v1:")),
    "secrets are sealed",
  );
  const logs = env.logLines.join("\n");
  assert.ok(logs.length > 0);
  for (const needle of needles) {
    assert.not.ok(dump.toLowerCase().includes(needle), `secret found in the database`);
    assert.not.ok(logs.toLowerCase().includes(needle), `secret found in the logs`);
  }
});

t.run();
