// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { generateTotp, totpStep } from "../../engine/mfa/totp.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { isoMinuteWithZone, minuteIn } from "../../engine/util/zoned-dates.js";
import { decodeBase32 } from "../../engine/mfa/hardware/secret-encoding.js";
import { base32For, hexFor, keyFor, PRIVACYIDEA_FILE, RFC6030_FIGURE_7_HOTP_AND_TOTP } from "./fixtures.js";
import { codeAt } from "../helpers/totp.js";

const PASSWORD = "correct horse battery";
interface Ctx {
  env: TestEnv;
  admin: TestClient;
}
const t = suite<Ctx>(`MFA hardware pages [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  const s = ctx.env.services;
  const pub = (await s.sites.publicSite()).id;
  const other = await s.sites.create("branch", "Branch Office");
  await s.users.create({ siteId: pub, username: "root", password: PASSWORD, role: "admin" });
  await s.users.create({ siteId: pub, username: "designer", password: PASSWORD, role: "designer" });
  await s.users.create({ siteId: other.id, username: "branchadmin", password: PASSWORD, role: "admin" });
  ctx.admin = new TestClient(ctx.env.app);
  const r = await ctx.admin.signIn("root", PASSWORD);
  assert.is(r.res.status, 303);
});
t.after(async (ctx) => ctx.env.close());

async function upload(c: TestClient, name: string, content: string, fields: Record<string, string> = {}) {
  const form = new FormData();
  form.set("_csrf", c.csrf);
  form.set("file", new File([content], name, { type: "text/csv" }));
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  const res = await c.request("/configure/mfa-hardware/import", { method: "POST", body: form });
  return { res, html: await res.text() };
}

/**
 * A successful Register token answers Post/Redirect/Get: 303 to the token list searched for the
 * serial; the list then shows the one-time message (returned), and a refresh does not show it again.
 */
async function afterRegister(c: TestClient, r: { res: Response; html: string }, serial: string) {
  assert.is(r.res.status, 303, r.html.slice(0, 500));
  const location = r.res.headers.get("location")!;
  assert.is(location, `/configure/mfa-hardware?${new URLSearchParams({ q: serial })}`);
  const page = await c.get(location);
  assert.is(page.res.status, 200);
  const flash = page.html.match(/role="status" class="flash">\s*([^<]*)</)?.[1] ?? "";
  assert.ok(flash.includes(`Token ${serial} `), flash);
  const refreshed = await c.get(location);
  assert.not.ok(refreshed.html.includes('class="flash"'), "the message is shown once");
  return { html: page.html, flash };
}

/**
 * A confirmed import answers Post/Redirect/Get: 303 to the token list, which shows the one-time
 * message (returned) once.
 */
async function afterImport(c: TestClient, r: { res: Response; html: string }) {
  assert.is(r.res.status, 303, r.html.slice(0, 500));
  assert.is(r.res.headers.get("location"), "/configure/mfa-hardware");
  const page = await c.get("/configure/mfa-hardware");
  const flash = page.html.match(/role="status" class="flash">\s*([^<]*)</)?.[1] ?? "";
  assert.not.ok((await c.get("/configure/mfa-hardware")).html.includes('class="flash"'), "the message is shown once");
  return flash;
}

t("only administrators of the Public Site reach the registry; others are told where it is", async ({ env }) => {
  for (const who of ["branchadmin", "designer"]) {
    const c = new TestClient(env.app);
    await c.signIn(who, PASSWORD);
    for (const path of [
      "/configure/mfa-hardware",
      "/configure/mfa-hardware/register",
      "/configure/mfa-hardware/import",
    ]) {
      const { res, html } = await c.get(path);
      assert.is(res.status, 403, `${who} ${path}`);
      assert.match(html, /Hardware tokens are managed on the Public Site/);
      assert.match(html, /\/configure\/mfa-hardware/);
    }
    const post = await c.post("/configure/mfa-hardware/register", {
      serialNumber: "X-1",
      timeInterval: "30",
      secretKey: base32For(1),
    });
    assert.is(post.res.status, 403);
  }
  const anonymous = await new TestClient(env.app).get("/configure/mfa-hardware");
  assert.is(anonymous.res.status, 303);
  assert.is((await env.services.hardware.registry.counts()).total, 0);
});

t("Register Token says which encoding it detected and never shows the key again", async ({ env, admin }) => {
  const form = await admin.get("/configure/mfa-hardware/register");
  // Users never see a list of tokens: the name is the administrators' label.
  assert.not.match(form.html, /Shown to the user/);
  assert.match(form.html, /A label for administrators, shown in the token list/);
  const hex = await admin.post("/configure/mfa-hardware/register", {
    name: "Desk token",
    serialNumber: "REG-HEX",
    timeInterval: "60",
    model: "OTP c200",
    secretKey: hexFor(1),
    digits: "6",
    algorithm: "SHA1",
  });
  const hexPage = await afterRegister(admin, hex, "REG-HEX");
  assert.match(
    hexPage.flash,
    /^Token REG-HEX \(Desk token\) is registered and available\. Its secret key was read as hex \(20 bytes\)/,
  );
  assert.match(hexPage.html, /<td class="token-status">available<\/td>/);
  assert.not.ok(hexPage.html.includes(hexFor(1)));
  const b32 = await admin.post("/configure/mfa-hardware/register", {
    serialNumber: "REG-B32",
    timeInterval: "30",
    secretKey: base32For(2).toLowerCase(),
    digits: "8",
    algorithm: "SHA256",
  });
  assert.match(
    (await afterRegister(admin, b32, "REG-B32")).flash,
    /^Token REG-B32 is registered and available\. Its secret key was read as Base32 \(20 bytes\)/,
    "no name: the serial is not repeated",
  );

  const bad = await admin.post("/configure/mfa-hardware/register", {
    serialNumber: "reg-hex",
    timeInterval: "45",
    secretKey: "GEZDGNBV",
    digits: "6",
    algorithm: "SHA1",
  });
  assert.is(bad.res.status, 422);
  assert.match(bad.html, /id="err-timeInterval"[^>]*>Time interval must be 30 or 60 seconds \(got 45\)\./);
  assert.match(bad.html, /id="err-secretKey"[^>]*>Secret key: Base32 key of 5 bytes is too short/);
  assert.not.match(bad.html, /GEZDGNBV/, "the key is not echoed");
  const odd = await admin.post("/configure/mfa-hardware/register", {
    serialNumber: "reg-odd",
    timeInterval: "30",
    secretKey: "3132333435363738393031323334353637383930".slice(1),
  });
  assert.match(odd.html, /id="err-secretKey"[^>]*>Secret key: hex key has an odd number of digits \(39\)\./);
  assert.match(
    odd.html,
    /<a href="#secretKey">Secret key: hex key has an odd number of digits \(39\)\.<\/a>/,
    "the summary too",
  );
  const dup = await admin.post("/configure/mfa-hardware/register", {
    serialNumber: "reg-hex",
    timeInterval: "30",
    secretKey: base32For(3),
  });
  assert.is(dup.res.status, 422);
  assert.match(dup.html, /id="err-serialNumber"[^>]*>Serial number is already registered\./);
  assert.is((await env.services.hardware.registry.counts()).total, 2);
  for (const line of env.logLines) assert.not.ok(line.includes(hexFor(1)) || line.includes(base32For(2)));

  const audit = await env.db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM audit_log WHERE action = 'hardware_token.register' AND actor_name = 'root'",
  );
  assert.is(audit.rows[0]!.n, 2);
});

t(
  "Register and assign to USER: one step, reserved for them, audited as registration and assignment",
  async ({ env, admin }) => {
    const s = env.services;
    const pub = (await s.sites.publicSite()).id;
    const nora = await s.users.create({ siteId: pub, username: "nora", password: PASSWORD });
    await s.mfa.settings.applySettings(
      nora.id,
      { enabled: true, enforcementDelayDays: 0 },
      { id: null, name: "t", siteId: null },
    );
    const form = await admin.get("/configure/mfa-hardware/register?assignTo=nora");
    assert.match(form.html, /name="assignTo"[^>]*value="nora"|value="nora"[^>]*name="assignTo"/);
    assert.match(form.html, /<button type="submit">Register and assign to nora<\/button>/);
    const token = {
      serialNumber: "ASSIGN-1",
      timeInterval: "30",
      secretKey: hexFor(31),
      digits: "6",
      algorithm: "SHA1",
    };
    const nobody = await admin.post("/configure/mfa-hardware/register", { ...token, assignTo: "nobody-here" });
    assert.is(nobody.res.status, 422);
    assert.match(nobody.html, /There is no user nobody-here/);
    assert.is(await s.hardware.registry.bySerial("ASSIGN-1"), null, "nothing registered");
    // An unknown user and bad token fields: every field's message in one answer, nothing stored.
    const all = await admin.post("/configure/mfa-hardware/register", {
      serialNumber: "ASSIGN-1",
      secretKey: "xyz",
      timeInterval: "45",
      digits: "7",
      algorithm: "MD5",
      assignTo: "nosuchuser",
    });
    assert.is(all.res.status, 422);
    assert.match(all.html, /id="err-assignTo"[^>]*>[^<]*There is no user nosuchuser/);
    for (const field of ["secretKey", "timeInterval", "digits", "algorithm"])
      assert.match(all.html, new RegExp(`id="err-${field}"[^>]*>[^<]*\\w`), field);
    assert.is(await s.hardware.registry.bySerial("ASSIGN-1"), null, "nothing registered");
    const done = await admin.post("/configure/mfa-hardware/register", { ...token, assignTo: "nora" });
    const page = await afterRegister(admin, done, "ASSIGN-1");
    assert.match(page.flash, /^Token ASSIGN-1 is registered and assigned to nora: they confirm it with its code/);
    assert.match(page.html, new RegExp(`reserved for <a href="/configure/users/${nora.id}">nora</a>`));
    const { rows } = await env.db.query<{ action: string; target_name: string | null }>(
      "SELECT action, target_name FROM audit_log WHERE details->>'serialNumber' = 'ASSIGN-1' ORDER BY id",
    );
    assert.equal(
      rows.map((r) => [r.action, r.target_name]),
      [
        ["hardware_token.register", null],
        ["hardware_token.assign", "nora"],
      ],
    );
    // Nora's setup has the serial filled in.
    const c = new TestClient(env.app);
    await c.signIn("nora", PASSWORD);
    assert.match((await c.get("/mfa/setup/hardware")).html, /name="serialNumber" value="ASSIGN-1"/);
    // The tests after this one count the registry's tokens.
    const registered = (await s.hardware.registry.bySerial("ASSIGN-1"))!;
    await s.hardware.registry.delete(registered.id, { id: null, name: "t" }, null);
  },
);

t("a token assigned to a user whose MFA is off: the message says it waits until MFA is on", async ({ env, admin }) => {
  const s = env.services;
  await s.users.create({ siteId: (await s.sites.publicSite()).id, username: "olaf", password: PASSWORD });
  await admin.get("/configure/mfa-hardware/register");
  const done = await admin.post("/configure/mfa-hardware/register", {
    serialNumber: "ASSIGN-OFF",
    timeInterval: "30",
    secretKey: hexFor(32),
    assignTo: "olaf",
  });
  const page = await afterRegister(admin, done, "ASSIGN-OFF");
  assert.match(
    page.flash,
    /^Token ASSIGN-OFF is registered and assigned to olaf, whose MFA is off: the token waits until MFA is switched on for them/,
  );
  assert.not.match(page.flash, /assigned to olaf: they confirm/);
  const registered = (await s.hardware.registry.bySerial("ASSIGN-OFF"))!;
  await s.hardware.activation.unassign(registered.id, { id: null, name: "t", siteId: null });
  await s.hardware.registry.delete(registered.id, { id: null, name: "t" }, null);
});

t("Register Token reads a key that is hex or Base32 the valid way and says which", async ({ env, admin }) => {
  await admin.get("/configure/mfa-hardware/register");
  // Fault 8: a vendor's sample key reads as 13 bytes of hex or 16 bytes of Base32; Base32 is the valid one.
  const sample = await admin.post("/configure/mfa-hardware/register", {
    serialNumber: "REG-SAMPLE",
    timeInterval: "30",
    secretKey: "2234567ABCDEF2234567ABCDEF",
  });
  const samplePage = await afterRegister(admin, sample, "REG-SAMPLE");
  assert.match(samplePage.flash, /read as Base32 \(16 bytes\)/);
  assert.not.ok(samplePage.html.includes("2234567ABCDEF2234567ABCDEF"));
  const stored = (await env.services.hardware.registry.bySerial("REG-SAMPLE"))!;
  assert.ok(
    Buffer.from((await env.services.hardware.registry.params(stored)).secret).equals(
      decodeBase32("2234567ABCDEF2234567ABCDEF")!,
    ),
  );
  // Valid both ways (16 bytes as hex, 20 as Base32): hex, as before, and the page says so.
  const both = await admin.post("/configure/mfa-hardware/register", {
    serialNumber: "REG-BOTH",
    timeInterval: "30",
    secretKey: "ABCDEF23 ABCDEF23 ABCDEF23 ABCDEF23",
  });
  assert.match((await afterRegister(admin, both, "REG-BOTH")).flash, /read as hex \(16 bytes\)/);
  const tooShort = await admin.post("/configure/mfa-hardware/register", {
    serialNumber: "REG-SHORT",
    timeInterval: "30",
    secretKey: "ABCDEF2345",
  });
  assert.is(tooShort.res.status, 422);
  assert.match(
    tooShort.html,
    /id="err-secretKey"[^>]*>Secret key: the key is too short read either way: 5 bytes as hex, 6 bytes as Base32/,
  );
  // All zeros, or any one byte over and over, is no token's key.
  for (const [secretKey, byte] of [
    ["00".repeat(20), "00"],
    ["A".repeat(32), "aa"],
    ["ff".repeat(32), "ff"],
  ] as const) {
    const placeholder = await admin.post("/configure/mfa-hardware/register", {
      serialNumber: "REG-ZERO",
      timeInterval: "30",
      secretKey,
    });
    assert.is(placeholder.res.status, 422, secretKey);
    assert.match(
      placeholder.html,
      new RegExp(
        `id="err-secretKey"[^>]*>Secret key: the key is one byte repeated \\(0x${byte} throughout\\), which is no real token&#39;s key: copy the key from the manufacturer&#39;s file`,
      ),
    );
  }
  assert.is(await env.services.hardware.registry.bySerial("REG-ZERO"), null);
  // A taken serial number and a bad key: both in one answer, not the serial after the key is fixed.
  const both2 = await admin.post("/configure/mfa-hardware/register", {
    serialNumber: "reg-sample",
    timeInterval: "30",
    secretKey: "xyz",
  });
  assert.is(both2.res.status, 422);
  assert.match(both2.html, /id="err-serialNumber"[^>]*>[^<]*is already registered/);
  assert.match(both2.html, /id="err-secretKey"[^>]*>[^<]*\w/);
  // ... and with an unknown user to assign to.
  const three = await admin.post("/configure/mfa-hardware/register", {
    serialNumber: "REG-SAMPLE",
    timeInterval: "30",
    secretKey: "00".repeat(20),
    assignTo: "nosuchuser",
  });
  assert.is(three.res.status, 422);
  for (const field of ["serialNumber", "secretKey", "assignTo"])
    assert.match(three.html, new RegExp(`id="err-${field}"[^>]*>[^<]*\\w`), field);
  // Leaves the registry as the later tests expect it.
  const actor = { id: null, name: "test" };
  await env.services.hardware.registry.delete(stored.id, actor, null);
  await env.services.hardware.registry.delete(
    (await env.services.hardware.registry.bySerial("REG-BOTH"))!.id,
    actor,
    null,
  );
});

t(
  "import: upload, preview with each bad row, confirm skipping them, then the list shows the tokens",
  async ({ env, admin }) => {
    await admin.get("/configure/mfa-hardware/import");
    // Larger than the 1 MiB default body limit: the import route has its own.
    const rows = Array.from(
      { length: 5_000 },
      (_, i) => `,IMP-${String(i).padStart(5, "0")},${base32For(1000 + i)},30,Acme,A1,${"x".repeat(160)}`,
    );
    rows.push(`,IMP-BAD,${base32For(7)},90,Acme,A1,`);
    const file = ["upn,serial number,secret key,time interval,manufacturer,model,notes", ...rows].join("\r\n");
    assert.ok(file.length > 1024 * 1024);
    const preview = await upload(admin, "big.csv", file);
    assert.is(preview.res.status, 200, preview.html.slice(0, 500));
    assert.match(preview.html, /5001 rows: <strong>5000 good<\/strong>, <strong>1 bad<\/strong>/);
    assert.match(preview.html, /Skip the bad row and import\s+the 5000 good ones/);
    assert.match(preview.html, /Import 5000 tokens<\/button>/);
    assert.match(
      preview.html,
      /<td>5002<\/td><td>IMP-BAD<\/td><td class="full-text">time interval must be 30 or 60 seconds \(got 90\)<\/td>/,
    );
    assert.is((await env.services.hardware.registry.counts()).total, 2, "a preview stores nothing");
    const action = preview.html.match(/action="(\/configure\/mfa-hardware\/import\/[0-9a-f-]{36})"/)![1]!;

    const unconfirmed = await admin.post(action, { expectedBad: "1" });
    assert.is(unconfirmed.res.status, 422);
    assert.match(unconfirmed.html, /1 row is bad: nothing was imported/);
    assert.is((await env.services.hardware.registry.counts()).total, 2);

    env.clock.advanceSeconds(60);
    const done = await admin.post(action, { expectedBad: "1", skipBad: "yes" });
    assert.match(
      await afterImport(admin, done),
      /^Imported 5000 tokens from big.csv; skipped 1 bad row\. Their keys are stored encrypted\.$/,
    );
    const doneAt = env.clock.now();
    assert.is((await env.services.hardware.registry.counts()).total, 5_002);
    // The same confirm sent again (refresh, Back): it says the import was done, and when; nothing more.
    env.clock.advanceSeconds(600);
    const again = await admin.post(action, { expectedBad: "1", skipBad: "yes" });
    assert.is(
      await afterImport(admin, again),
      `This import was already done at ${minuteIn(doneAt)}: imported 5000 tokens from big.csv; skipped 1 bad row. Nothing was imported again.`,
    );
    assert.is((await env.services.hardware.registry.counts()).total, 5_002);
    const unknown = await admin.post("/configure/mfa-hardware/import/00000000-0000-4000-8000-000000000000", {});
    assert.is(unknown.res.status, 410, "a preview never imported is still gone");

    const page1 = await admin.get("/configure/mfa-hardware?q=imp-");
    assert.is((page1.html.match(/<tr id="token-/g) ?? []).length, 50);
    const next = page1.html
      .match(/href="(\/configure\/mfa-hardware\?q=imp-&amp;after=[^"]+)"/)![1]!
      .replace(/&amp;/g, "&");
    assert.match(next, /after=IMP-00049/);
    const page2 = await admin.get(next);
    assert.match(page2.html, /<code>IMP-00050<\/code>/);
    assert.not.match(page2.html, /<code>IMP-00049<\/code>/);

    const fragment = await admin.request("/configure/mfa-hardware?q=REG-B32", {
      headers: { "hx-request": "true", "hx-target": "div#token-list" },
    });
    const html = await fragment.text();
    assert.match(html, /^<div id="token-list">/);
    assert.match(html, /<code>REG-B32<\/code>/);
    assert.not.match(html, /REG-HEX/);
  },
);

t("import: rows of empty cells left by a spreadsheet are skipped, not bad rows to confirm", async ({ env, admin }) => {
  await admin.get("/configure/mfa-hardware/import");
  const file = [
    "upn;serial number;secret key;time interval;manufacturer;model",
    `;EMPTY-1;${base32For(81)};30;Acme;A1`,
    ";;;;;",
    `;EMPTY-2;${base32For(82)};30;Acme;A1`,
    ";;;;;",
    " ; ;;\t; ;",
  ].join("\r\n");
  const preview = await upload(admin, "sheet.csv", file);
  assert.is(preview.res.status, 200, preview.html.slice(0, 500));
  assert.match(preview.html, /2 rows: <strong>2 good<\/strong>, <strong>0 bad<\/strong>/);
  assert.not.match(preview.html, /id="bad-rows"|name="skipBad"/);
  const action = preview.html.match(/action="(\/configure\/mfa-hardware\/import\/[0-9a-f-]{36})"/)![1]!;
  const done = await admin.post(action, { expectedBad: "0" });
  assert.match(await afterImport(admin, done), /Imported 2 tokens from sheet.csv\./);
  assert.ok(await env.services.hardware.registry.bySerial("EMPTY-2"));
});

t(
  "import: a privacyIDEA file without a header imports its TOTP rows; its HOTP rows are listed",
  async ({ env, admin }) => {
    await admin.get("/configure/mfa-hardware/import");
    const preview = await upload(admin, "vendor-privacyidea.csv", PRIVACYIDEA_FILE);
    assert.is(preview.res.status, 200, preview.html.slice(0, 500));
    assert.match(preview.html, /privacyIDEA OATH CSV without a header/);
    assert.match(preview.html, /5 rows: <strong>3 good<\/strong>, <strong>2 bad<\/strong>/);
    assert.match(preview.html, /Skip the 2 bad rows and import\s+the 3 good ones/);
    assert.match(
      preview.html,
      /<td>3<\/td><td>PI-3<\/td><td class="full-text">type HOTP is not supported \(only time-based TOTP tokens\)<\/td>/,
    );
    assert.match(preview.html, /<td>6<\/td><td>PI-5<\/td><td class="full-text">type HOTP is not supported/);
    const action = preview.html.match(/action="(\/configure\/mfa-hardware\/import\/[0-9a-f-]{36})"/)![1]!;
    const done = await admin.post(action, { expectedBad: "2", skipBad: "yes" });
    assert.match(await afterImport(admin, done), /Imported 3 tokens from vendor-privacyidea.csv; skipped 2 bad rows/);
    const pi1 = (await env.services.hardware.registry.bySerial("PI-1"))!;
    assert.equal([pi1.digits, pi1.periodInSeconds], [8, 30]);
    assert.is((await env.services.hardware.registry.bySerial("PI-2"))!.periodInSeconds, 60);
  },
);

t(
  "import: a password-protected PSKC file takes the password with the upload, and it carries to the import",
  async ({ env, admin }) => {
    await admin.get("/configure/mfa-hardware/import");
    const page = await admin.get("/configure/mfa-hardware/import");
    assert.match(
      page.html,
      /<input id="password"[^>]*type="password" name="password" autocomplete="off" maxlength="200"\/>/,
    );
    const doc = RFC6030_FIGURE_7_HOTP_AND_TOTP;
    const none = await upload(admin, "figure7.pskc", doc);
    assert.is(none.res.status, 422);
    assert.match(
      none.html,
      /This file cannot be imported: the keys in this file are protected by a password \(the file calls its key &quot;My Password 1&quot;\): enter the password the manufacturer sent separately\./,
    );
    const wrong = await upload(admin, "figure7.pskc", doc, { password: "hunter2-wrong" });
    assert.is(wrong.res.status, 422);
    assert.match(
      wrong.html,
      /wrong password for the key the file calls &quot;My Password 1&quot;: the MAC check fails, so no key was decrypted/,
    );
    assert.not.ok(wrong.html.includes("hunter2-wrong"), "the password is not echoed");
    const tooLong = await upload(admin, "figure7.pskc", doc, { password: "x".repeat(201) });
    assert.is(tooLong.res.status, 422);
    assert.match(tooLong.html, /The password is too long/);
    const staged = async () =>
      (await env.db.query<{ n: number }>("SELECT count(*)::int AS n FROM hardware_token_uploads")).rows[0]!.n;
    assert.is(await staged(), 0, "nothing is staged for a refused file");

    const preview = await upload(admin, "figure7.pskc", doc, { password: "qwerty" });
    assert.is(preview.res.status, 200, preview.html.slice(0, 500));
    assert.match(preview.html, /keys encrypted with a key derived from a password \(PBKDF2\)/);
    assert.match(preview.html, /2 rows: <strong>1 good<\/strong>, <strong>1 bad<\/strong>/);
    assert.match(preview.html, /Skip the bad row and import\s+the good one/);
    assert.match(preview.html, /Import 1 token<\/button>/);
    assert.match(
      preview.html,
      /<td>987654321<\/td><td class="full-text">HOTP keys are not supported \(only time-based TOTP tokens\)<\/td>/,
    );
    assert.not.match(preview.html, /qwerty/);
    // Staged sealed with the file: the password is nowhere in the table in clear.
    const row = await env.db.query<{ content_sealed: string }>("SELECT content_sealed FROM hardware_token_uploads");
    assert.is(row.rows.length, 1);
    assert.not.ok(row.rows[0]!.content_sealed.includes("qwerty"));
    const action = preview.html.match(/action="(\/configure\/mfa-hardware\/import\/[0-9a-f-]{36})"/)![1]!;
    const done = await admin.post(action, { expectedBad: "1", skipBad: "yes" });
    assert.match(
      await afterImport(admin, done),
      /Imported 1 token from figure7.pskc; skipped 1 bad row\. Its key is stored encrypted/,
    );
    const token = (await env.services.hardware.registry.bySerial("987654322"))!;
    assert.is(
      Buffer.from((await env.services.hardware.registry.params(token)).secret).toString("ascii"),
      "12345678901234567890",
    );
    for (const line of env.logLines) assert.not.ok(line.includes("qwerty") || line.includes("hunter2-wrong"), line);
  },
);

t("a file that is not a token file is refused with a message and nothing is staged", async ({ env, admin }) => {
  await admin.get("/configure/mfa-hardware/import");
  const r = await upload(admin, "people.csv", "name,email\nA,b@c\n");
  assert.is(r.res.status, 422);
  assert.match(r.html, /This file cannot be imported: the first line is not a token file header/);
  assert.match(r.html, /nor a privacyIDEA token row without a header/);
  const staged = await env.db.query<{ n: number }>("SELECT count(*)::int AS n FROM hardware_token_uploads");
  assert.is(staged.rows[0]!.n, 0);
});

t(
  "import preview: a row without a serial in a file without a name column reports only the serial",
  async ({ admin }) => {
    await admin.get("/configure/mfa-hardware/import");
    const file = ["serial,seed(hex),type,digits,time step", `,${hexFor(71)},totp,6,30`, ""].join("\n");
    const preview = await upload(admin, "noname.csv", file);
    assert.is(preview.res.status, 200, preview.html.slice(0, 500));
    assert.match(preview.html, /<td class="full-text">serial number is required<\/td>/);
    assert.not.match(preview.html, /name is required/);
  },
);

t("an empty (0-byte) file is refused as empty; no file chosen asks for one", async ({ admin }) => {
  await admin.get("/configure/mfa-hardware/import");
  const empty = await upload(admin, "tokens.csv", "");
  assert.is(empty.res.status, 422);
  assert.match(empty.html, /The file tokens.csv is empty \(0 bytes\)/);
  assert.not.match(empty.html, /Choose a token file/);
  const none = await upload(admin, "", "");
  assert.is(none.res.status, 422);
  assert.match(none.html, /Choose a token file \(CSV or PSKC\)\./);
});

t("disable, enable and delete an unassigned token; the audit log records each", async ({ env, admin }) => {
  const token = (await env.services.hardware.registry.bySerial("REG-HEX"))!;
  await admin.get("/configure/mfa-hardware?q=REG-HEX");
  let r = await admin.post(`/configure/mfa-hardware/${token.id}/disable`, {});
  assert.is(r.res.status, 303);
  assert.match(r.res.headers.get("location")!, /q=REG-HEX&done=disabled%3AREG-HEX/);
  let page = await admin.get(r.res.headers.get("location")!);
  assert.match(page.html, /<td class="token-status">disabled<\/td>/);
  assert.match(page.html, /Token REG-HEX is disabled/);
  await admin.post(`/configure/mfa-hardware/${token.id}/enable`, {});
  page = await admin.get("/configure/mfa-hardware?q=REG-HEX");
  assert.match(page.html, /<td class="token-status">available<\/td>/);
  // The list's Delete only asks: a plain POST answers what will be deleted and deletes nothing.
  assert.match(page.html, new RegExp(`<form method="post" action="/configure/mfa-hardware/${token.id}/delete"`));
  const ask = await admin.post(`/configure/mfa-hardware/${token.id}/delete`, {});
  assert.is(ask.res.status, 200);
  assert.match(ask.html, /<h1>Delete token REG-HEX\?<\/h1>/);
  assert.match(ask.html, /Its secret key is deleted for good: it cannot be recovered/);
  assert.match(ask.html, new RegExp(`<form method="post" action="/configure/mfa-hardware/${token.id}/delete"`));
  assert.match(ask.html, /<input type="hidden" name="confirm" value="delete-token"\/>/);
  assert.match(ask.html, /<button type="submit" class="delete">\s*Confirm\s*<\/button>/);
  assert.match(ask.html, /href="\/configure\/mfa-hardware\?q=REG-HEX" role="button"[^>]*>\s*Cancel/);
  assert.ok(await env.services.hardware.registry.bySerial("REG-HEX"), "not deleted before Confirm");
  for (const confirm of ["yes", "mfa-reset", ""]) {
    const wrong = await admin.post(`/configure/mfa-hardware/${token.id}/delete`, { confirm });
    assert.is(wrong.res.status, 200, confirm);
    assert.ok(await env.services.hardware.registry.bySerial("REG-HEX"), `not deleted with confirm=${confirm}`);
  }
  r = await admin.post(`/configure/mfa-hardware/${token.id}/delete`, { confirm: "delete-token" });
  assert.is(r.res.status, 303);
  assert.match(r.res.headers.get("location")!, /q=REG-HEX&done=deleted%3AREG-HEX/);
  assert.is(await env.services.hardware.registry.bySerial("REG-HEX"), null);
  const actions = await env.db.query<{ action: string }>(
    "SELECT action FROM audit_log WHERE action LIKE 'hardware_token.%' AND details->>'serialNumber' = 'REG-HEX' ORDER BY id",
  );
  assert.equal(
    actions.rows.map((a) => a.action),
    ["hardware_token.register", "hardware_token.disable", "hardware_token.enable", "hardware_token.delete"],
  );
  // An id that names no token (not a UUID, a deleted token's, a random one) is a 404 for every action.
  for (const id of ["not-a-uuid", token.id, "5f0e3c52-1c1a-4c1e-9d6a-2b8f0f1e7a11"]) {
    for (const action of ["delete", "disable", "enable", "unassign"]) {
      for (const confirm of ["", "delete-token", "mfa-reset"]) {
        const missing = await admin.post(`/configure/mfa-hardware/${id}/${action}`, { confirm });
        assert.is(missing.res.status, 404, `${action} ${id} ${confirm}`);
        assert.match(missing.html, /There is no such token\./);
      }
    }
  }
});

t(
  "Release… ends a token's reservation after a confirmation, audited; a token reserved for nobody is a 409",
  async ({ env, admin }) => {
    const s = env.services;
    const pub = (await s.sites.publicSite()).id;
    const rita = await s.users.create({ siteId: pub, username: "rita", password: PASSWORD });
    const { token } = await s.hardware.registry.register(
      { serialNumber: "KEEP-1", timeInterval: "30", secretKey: hexFor(61) },
      { id: null, name: "t" },
      pub,
      { id: rita.id, username: "rita", disabled: false },
    );
    const list = await admin.get("/configure/mfa-hardware?q=KEEP-1");
    assert.match(list.html, /reserved for <a href="\/configure\/users\/[^"]+">rita<\/a>/);
    assert.match(list.html, new RegExp(`action="/configure/mfa-hardware/${token.id}/release"`));
    // The first press asks, and changes nothing.
    const ask = await admin.post(`/configure/mfa-hardware/${token.id}/release`, {});
    assert.is(ask.res.status, 200);
    assert.match(ask.html, /<h1>Release token KEEP-1\?<\/h1>/);
    assert.match(ask.html, /no longer reserved for rita/);
    assert.match(ask.html, /name="confirm" value="release-reservation"/);
    assert.is((await s.hardware.registry.bySerial("KEEP-1"))!.state.kind, "reserved");
    const done = await admin.post(`/configure/mfa-hardware/${token.id}/release`, { confirm: "release-reservation" });
    assert.is(done.res.status, 303);
    const after = await admin.get(done.res.headers.get("location")!);
    assert.match(after.html, /Token KEEP-1 is no longer reserved: any user may activate it\./);
    assert.match(after.html, /<td class="token-status">available<\/td>/);
    assert.not.match(after.html, /\/release"/, "no Release… on a token reserved for nobody");
    const released = (await s.hardware.registry.bySerial("KEEP-1"))!;
    assert.is(released.reservedForUserId, null);
    const { rows } = await env.db.query<{ action: string; target_name: string | null }>(
      "SELECT action, target_name FROM audit_log WHERE details->>'serialNumber' = 'KEEP-1' ORDER BY id",
    );
    assert.equal(rows.at(-1), { action: "hardware_token.release", target_name: "rita" });
    for (const form of [{}, { confirm: "release-reservation" }] as Record<string, string>[]) {
      const again = await admin.post(`/configure/mfa-hardware/${token.id}/release`, form);
      assert.is(again.res.status, 409);
      assert.match(again.html, /Token KEEP-1 is not reserved for anyone\./);
    }
    // The tests after this one count the registry's tokens.
    await s.hardware.registry.delete(token.id, { id: null, name: "t" }, null);
  },
);

t("a token is not reserved for a disabled user: the register form and an import say so", async ({ env, admin }) => {
  const s = env.services;
  const pub = (await s.sites.publicSite()).id;
  const dora = await s.users.create({ siteId: pub, username: "dora", password: PASSWORD });
  await env.db.query("UPDATE users SET disabled = true WHERE id = $1", [dora.id]);
  const before = (await s.hardware.registry.counts()).total;
  const form = await admin.post("/configure/mfa-hardware/register", {
    serialNumber: "DORA-1",
    timeInterval: "30",
    secretKey: hexFor(62),
    assignTo: "dora",
  });
  assert.is(form.res.status, 422);
  assert.match(
    form.html,
    /id="err-assignTo"[^>]*>[^<]*dora is disabled and cannot sign in to activate a token: enable the user first, or leave it empty\./,
  );
  const imported = await upload(
    admin,
    "dora.csv",
    `upn,serial number,secret key,time interval\ndora,DORA-2,${base32For(63)},30\n`,
  );
  assert.match(imported.html, /user dora is disabled: a token cannot be reserved for them/);
  assert.is((await s.hardware.registry.counts()).total, before, "nothing registered");
});

t(
  "a file over 32 MiB is answered with the import page and the message on the file field, a 413",
  async ({ env, admin }) => {
    const before = (await env.services.hardware.registry.counts()).total;
    const big = await upload(admin, "huge.csv", "x".repeat(32 * 1024 * 1024 + 1));
    assert.is(big.res.status, 413);
    assert.match(big.res.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(big.html, /<h1>Import tokens<\/h1>/);
    assert.match(big.html, /id="err-file"[^>]*>[^<]*The file is too large \(at most 32 MiB\)/);
    assert.match(big.html, /<a href="\/configure\/mfa-hardware">Tokens<\/a>/, "the way back");
    // The form on it works: the next upload is taken.
    const next = await upload(admin, "one.csv", `serial number,secret key,time interval\nBIG-1,${base32For(64)},30\n`);
    assert.is(next.res.status, 200, next.html.slice(0, 300));
    assert.is((await env.services.hardware.registry.counts()).total, before, "nothing registered");
    // Signed out it stays the bare message: the page is for the registry's administrators.
    const anonymous = await upload(new TestClient(env.app), "huge.csv", "x".repeat(32 * 1024 * 1024 + 1));
    assert.is(anonymous.res.status, 413);
    assert.not.match(anonymous.html, /Import tokens/);
  },
);

t("a page past the end of the token list says so and links to the first page", async ({ env, admin }) => {
  assert.ok((await env.services.hardware.registry.counts()).total > 0);
  for (const [path, first] of [
    ["/configure/mfa-hardware?after=zzz", "/configure/mfa-hardware"],
    ["/configure/mfa-hardware?q=REG&after=zzz", "/configure/mfa-hardware?q=REG"],
  ] as const) {
    const page = await admin.get(path);
    assert.is(page.res.status, 200);
    assert.not.match(page.html, /No tokens are registered yet/, path);
    assert.match(page.html, /comes after &quot;zzz&quot;: that is past the end of\s+the list\./, path);
    assert.match(page.html, new RegExp(`<a href="${first.replace("?", "\\?")}">Go to the first page</a>`), path);
    // The same in the fragment active search swaps in.
    const fragment = await admin.request(path, { headers: { "hx-request": "true", "hx-target": "#token-list" } });
    const html = await fragment.text();
    assert.match(html, /^<div id="token-list">/, path);
    assert.match(html, /past the end of\s+the list/, path);
  }
});

t("find token by code names the token that shows it", async ({ env, admin }) => {
  const token = (await env.services.hardware.registry.bySerial("REG-B32"))!;
  const now = env.clock.now();
  const code = generateTotp(
    { secret: keyFor(2), algorithm: "SHA256", digits: 8, periodInSeconds: 30 },
    totpStep(now, 30) - 1,
  );
  const found = await admin.get(`/configure/mfa-hardware/find?code=${code}`);
  assert.is(found.res.status, 200);
  assert.match(found.html, new RegExp(`<code>${token.serialNumber}</code>`));
  assert.match(found.html, /its clock is -1 step off/);
  const none = await admin.get("/configure/mfa-hardware/find?code=00000000");
  assert.match(none.html, /No registered token shows this code now/);
  const bad = await admin.get("/configure/mfa-hardware/find?code=12ab");
  assert.is(bad.res.status, 422);
});

t("the token list shows when a token was assigned in the site's time zone, named as elsewhere", async ({ env }) => {
  // Last of the suite: it moves the clock on and leaves an assigned token behind.
  const s = env.services;
  const pub = (await s.sites.publicSite()).id;
  // 20:30 UTC on 1 December is 05:30 on 2 December in Tokyo.
  env.clock.set("2026-12-01T20:30:00Z");
  const token = (
    await s.hardware.registry.register(
      { serialNumber: "ZONE-1", timeInterval: "30", secretKey: hexFor(41) },
      { id: null, name: "t" },
      null,
    )
  ).token;
  const zoe = await s.users.create({ siteId: pub, username: "zoe", password: PASSWORD });
  const actor = { id: null, name: "t", siteId: null };
  await s.mfa.settings.applySettings(zoe.id, { enabled: true, enforcementDelayDays: 0 }, actor);
  const code = codeAt(env.clock, await s.hardware.registry.params(token));
  assert.ok((await s.hardware.activation.activateHardware(zoe.id, "ZONE-1", code, actor)).ok);
  const c = new TestClient(env.app);
  await c.signIn("root", PASSWORD);
  const since = async () => {
    const row = new RegExp(`<tr id="token-${token.id}">([\\s\\S]*?)</tr>`).exec(
      (await c.get("/configure/mfa-hardware?q=ZONE-1")).html,
    );
    assert.ok(row, "the token is listed");
    return row[1]!.match(/<td><time datetime="2026-12-01T20:30:00\.000Z">(\d{4}-[^<]*)<\/time><\/td>/)?.[1];
  };
  assert.is(await since(), "2026-12-01 20:30 UTC");
  await s.sites.setTimeZone(pub, "Asia/Tokyo");
  try {
    assert.is(await since(), "2026-12-02 05:30 Asia/Tokyo");
    // The same way the designer and the users' dialogs name it.
    assert.is(await since(), isoMinuteWithZone(new Date("2026-12-01T20:30:00Z"), "Asia/Tokyo"));
  } finally {
    await s.sites.setTimeZone(pub, "UTC");
  }
});

t.run();
