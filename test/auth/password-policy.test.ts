// @storage
// Issue 20, faults 6 and 7: common/breached and context passwords are refused everywhere a password
// is chosen (NIST SP 800-63B §5.1.1.2); passwords are normalised (RFC 8265 OpaqueString: NFC)
// before hashing and checking, and hashes made before that keep working.
import { hash } from "@node-rs/argon2";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { normalisePassword, passwordProblem } from "../../engine/auth/passwords.js";
import { UserInputError } from "../../engine/auth/user-accounts.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { api } from "../device/client.js";

const PASSWORD = "correct horse battery";
const PRECOMPOSED = "crème brûlée à volonté"; // é, è, û, à as one code point each (NFC)
const DECOMPOSED = PRECOMPOSED.normalize("NFD"); // the same letters as base + combining mark

const t = suite<{ env: TestEnv; siteId: string; admin: TestClient }>(`password policy [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
  const s = ctx.env.services;
  await s.users.create({ siteId: ctx.siteId, username: "root", password: PASSWORD, role: "admin" });
  await s.users.create({ siteId: ctx.siteId, username: "maxine", password: PASSWORD, displayName: "Maxine Okafor" });
  ctx.admin = new TestClient(ctx.env.app);
  assert.is((await ctx.admin.signIn("root", PASSWORD)).res.status, 303);
});
t.after(async (ctx) => ctx.env.close());
t.before.each(async (ctx) => {
  await ctx.env.db.query("DELETE FROM throttles");
  ctx.env.clock.advanceSeconds(1);
});

t("the rules: list entries, list words with digits and symbols added, repeats, sequences, context", () => {
  const refused: [string, RegExp, Parameters<typeof passwordProblem>[1]?][] = [
    ["password1234", /list of common or breached/],
    ["qwertyuiop12", /list of common or breached/],
    ["Password123!", /common password with a few characters added/],
    ["P@ssw0rd2024!!", /common password with a few characters added/],
    ["  Sunshine!!2025", /common password with a few characters added/],
    ["aaaaaaaaaaaa", /repeats the same few characters/],
    ["abcabcabcabcabc", /repeats the same few characters/],
    ["abcdefghijklm", /plain sequence/],
    ["987654321098", /plain sequence/],
    ["my formgate passphrase", /must not contain "formgate"/],
    ["maxine's long passphrase", /must not contain the username/, { username: "maxine" }],
    ["okafor maxine 2026 yes", /must not contain the username|display name/, { displayName: "Okafor Maxine" }],
    ["north depot winter 2026", /must not contain the site's name/, { siteName: "North Depot" }],
  ];
  for (const [pw, why, context] of refused) assert.match(passwordProblem(pw, context) ?? "", why, pw);
  for (const pw of [PASSWORD, "a long enough password", PRECOMPOSED, "Zoë trägt 7 Äpfel heim", "tq8#Lm2!vR0z"])
    assert.is(passwordProblem(pw, { username: "zoe", displayName: "Zoë Ng", siteName: "Public Site" }), null, pw);
  assert.match(passwordProblem("short") ?? "", /at least 12 characters/);
});

t("Add user and an administrator's password change refuse a common password, per field", async ({ env, admin }) => {
  await admin.get("/configure/users/new");
  const add = await admin.post("/configure/users/new", {
    username: "victor",
    displayName: "Victor",
    password: "Password123!",
    role: "user",
    webAccess: "true",
  });
  assert.is(add.res.status, 422, add.res.headers.get("location") ?? add.html.slice(0, 300));
  assert.match(add.html, /id="err-password"[^>]*>Password is a common password with a few characters added/);
  assert.not.match(add.html, /Password123!/, "the password is never echoed");
  assert.is(await env.services.users.byUsername("victor"), null, "nothing created");

  const maxine = (await env.services.users.byUsername("maxine"))!;
  const { html } = await admin.get(`/configure/users/${maxine.id}`);
  const version = html.match(/name="_version" value="(\d+)"/)![1]!;
  const change = await admin.post(`/configure/users/${maxine.id}`, {
    _version: version,
    username: "maxine",
    displayName: "Maxine Okafor",
    password: "OkaforFamily2026",
    role: "user",
    webAccess: "true",
  });
  assert.is(change.res.status, 422);
  assert.match(change.html, /id="err-password"[^>]*>Password must not contain a part of the display name/);
  assert.is((await new TestClient(env.app).signIn("maxine", PASSWORD)).res.headers.get("location"), "/");
});

t("/account, first-administrator setup and the service the CLI calls refuse them too", async ({ env }) => {
  const c = new TestClient(env.app);
  await c.signIn("maxine", PASSWORD);
  await c.get("/account");
  const own = await c.post("/account", { currentPassword: PASSWORD, newPassword: "aaaaaaaaaaaaaaaa" });
  assert.is(own.res.status, 422);
  assert.match(own.html, /id="err-newPassword"[^>]*>The new password repeats the same few characters/);

  const s = env.services;
  const err = await s.users
    .create({ siteId: (await s.sites.publicSite()).id, username: "cli-user", password: "iloveyou1234" })
    .catch((e: unknown) => e);
  assert.instance(err, UserInputError);
  assert.match((err as Error).message, /common/);
  const maxine = (await s.users.byUsername("maxine"))!;
  const reset = await s.users.setPassword(maxine.id, "Maxine-Okafor-99").catch((e: unknown) => e);
  assert.instance(reset, UserInputError, "user reset-password goes through setPassword");

  const { setupFormErrors } = await import("../../engine/auth/first-admin.js");
  assert.match(setupFormErrors("boss", "1qaz2wsx3edc")?.password ?? "", /^Password is on a list/);
  assert.match(setupFormErrors("boss", "boss-of-this-place")?.password ?? "", /must not contain the username/);
});

t("a password set precomposed signs in typed decomposed, on the web and the device API", async ({ env }) => {
  const s = env.services;
  const u = await s.users.create({
    siteId: (await s.sites.publicSite()).id,
    username: "amelie",
    password: PRECOMPOSED,
    deviceAccess: true,
  });
  assert.is.not(PRECOMPOSED, DECOMPOSED);
  assert.is(normalisePassword(DECOMPOSED), PRECOMPOSED);
  assert.is((await new TestClient(env.app).signIn("amelie", DECOMPOSED)).res.headers.get("location"), "/");
  const device = await api(env.app, "POST", "/api/device/login", { username: "amelie", password: DECOMPOSED });
  assert.is(device.status, 200);
  // A no-break space (U+00A0) is an ASCII space under OpaqueString.
  await s.users.setPassword(u.id, "deux\u00a0mots bien longs");
  assert.is((await new TestClient(env.app).signIn("amelie", "deux mots bien longs")).res.headers.get("location"), "/");
  const { rows } = await env.db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM throttles WHERE key LIKE 'password:account:amelie' AND failures > 0",
  );
  assert.is(rows[0]!.n, 0, "no failed attempt counted");
});

t("a hash made before normalisation (from decomposed text) keeps working typed either way", async ({ env }) => {
  const s = env.services;
  const u = await s.users.create({ siteId: (await s.sites.publicSite()).id, username: "legacy", password: PASSWORD });
  const legacy = await hash(DECOMPOSED, { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
  await env.db.query("UPDATE users SET password_hash = $2 WHERE id = $1", [u.id, legacy]);
  assert.is((await new TestClient(env.app).signIn("legacy", DECOMPOSED)).res.headers.get("location"), "/");
  assert.is((await new TestClient(env.app).signIn("legacy", PRECOMPOSED)).res.headers.get("location"), "/");
  assert.is((await new TestClient(env.app).signIn("legacy", "crème brûlée à volontE")).res.status, 401);
});

t.run();
