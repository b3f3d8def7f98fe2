// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { HardwareTokens, tokenSecretContext } from "../../engine/mfa/hardware/token-registry.js";
import { ImportRefused, type ImportReport } from "../../engine/mfa/hardware/import-report.js";
import { TokenImporter } from "../../engine/mfa/hardware/token-import.js";
import { startTestEnv, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { rejects } from "../helpers/assert.js";
import {
  base32For,
  chunksOf,
  hexFor,
  keyFor,
  PRIVACYIDEA_FILE,
  pskcDocument,
  RFC6030_FIGURE_7_HOTP_AND_TOTP,
  RFC6030_PSK,
} from "./fixtures.js";

interface Ctx {
  env: TestEnv;
  importer: TokenImporter;
  registry: HardwareTokens;
  siteId: string;
  aliceId: string;
  bobId: string;
}
const t = suite<Ctx>(`token import [${testBackend}]`);
const actor = { id: null, name: "test" };

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  const s = ctx.env.services;
  ctx.importer = new TokenImporter(s.db, s.clock, s.secretBox, s.audit);
  ctx.registry = new HardwareTokens(s.db, s.clock, s.secretBox, s.audit);
  ctx.siteId = (await s.sites.publicSite()).id;
  ctx.aliceId = (await s.users.create({ siteId: ctx.siteId, username: "alice" })).id;
  ctx.bobId = (await s.users.create({ siteId: ctx.siteId, username: "bob", email: "Bob@Example.org" })).id;
  await ctx.registry.register(
    { serialNumber: "REG-1", timeInterval: "30", secretKey: base32For(99) },
    actor,
    ctx.siteId,
  );
});
t.after(async (ctx) => ctx.env.close());

const count = async (env: TestEnv) =>
  (await env.db.query<{ n: number }>("SELECT count(*)::int AS n FROM hardware_tokens")).rows[0]!.n;

const VENDOR_A = [
  "upn,serial number,secret key,time interval,manufacturer,model",
  `alice,A-001,${base32For(1)},30,Token Works,"TW-6, ""blue"""`,
  `,A-002,${base32For(2)},60,Token Works,TW-6`,
  `nobody@example.org,A-003,${base32For(3)},30,Token Works,TW-6`,
  `,A-004,NOT*BASE32,30,Token Works,TW-6`,
  `,A-005,${base32For(5)},45,Token Works,TW-6`,
  `,a-002,${base32For(6)},30,Token Works,TW-6`,
  `,REG-1,${base32For(7)},30,Token Works,TW-6`,
  `,A-008,${base32For(8)}`,
  `BOB@example.org,A-009,${base32For(9)},30,,`,
].join("\r\n");

const VENDOR_A_BAD = [
  { line: 4, serialNumber: "A-003", reason: "unknown user nobody@example.org" },
  { line: 5, serialNumber: "A-004", reason: "bad secret key: not a Base32 key (A-Z, 2-7)" },
  { line: 6, serialNumber: "A-005", reason: "time interval must be 30 or 60 seconds (got 45)" },
  { line: 7, serialNumber: "a-002", reason: "duplicate serial number a-002 (also on line 3)" },
  { line: 8, serialNumber: "REG-1", reason: "serial number REG-1 is already registered" },
  { line: 9, serialNumber: "A-008", reason: 'missing column "time interval"' },
];

t(
  "the Base32 vendor layout: the preview counts good rows and lists each bad row with its line and reason",
  async (ctx) => {
    const before = await count(ctx.env);
    const report = await ctx.importer.preview(chunksOf(VENDOR_A, 7), { fileName: "a.csv" });
    assert.equal(report, {
      fileName: "a.csv",
      format: "CSV with Base32 keys (upn, serial number, secret key, time interval, manufacturer, model)",
      ignoredColumns: [],
      total: 9,
      good: 3,
      badCount: 6,
      bad: VENDOR_A_BAD,
      reserved: 2,
      // Each good row with its serial, model and whom the file reserves it for (never the key).
      rows: [
        { line: 2, serialNumber: "A-001", model: 'TW-6, "blue"', reservedFor: "alice" },
        { line: 3, serialNumber: "A-002", model: "TW-6", reservedFor: null },
        { line: 10, serialNumber: "A-009", model: "", reservedFor: "BOB@example.org" },
      ],
      imported: 0,
    } satisfies ImportReport);
    assert.is(await count(ctx.env), before, "a preview stores nothing");
  },
);

t("bad rows refuse the import until the admin confirms skipping them; then only good rows are stored", async (ctx) => {
  const before = await count(ctx.env);
  const err = (await rejects(
    ctx.importer.commit(chunksOf(VENDOR_A), { fileName: "a.csv", actor, siteId: ctx.siteId, skipBad: false }),
    /6 rows are bad: nothing was imported/,
  )) as ImportRefused;
  assert.is(err.report.imported, 0);
  assert.equal(err.report.bad, VENDOR_A_BAD);
  assert.is(await count(ctx.env), before);

  // Confirmed with a count that no longer holds (someone registered A-001 meanwhile): refused.
  await ctx.registry.register({ serialNumber: "A-001", timeInterval: "30", secretKey: base32For(50) }, actor, null);
  await rejects(
    ctx.importer.commit(chunksOf(VENDOR_A), {
      fileName: "a.csv",
      actor,
      siteId: ctx.siteId,
      skipBad: true,
      expectedBad: 6,
    }),
    /now has 7 bad rows, not the 6 you confirmed/,
  );
  await ctx.registry.delete((await ctx.registry.bySerial("A-001"))!.id, actor, null);
  assert.is(await count(ctx.env), before);

  const report = await ctx.importer.commit(chunksOf(VENDOR_A), {
    fileName: "a.csv",
    actor: { id: ctx.aliceId, name: "alice" },
    siteId: ctx.siteId,
    skipBad: true,
    expectedBad: 6,
  });
  assert.is(report.imported, 3);
  assert.is(await count(ctx.env), before + 3);

  const a1 = (await ctx.registry.bySerial("A-001"))!;
  assert.equal([a1.name, a1.model, a1.manufacturer, a1.periodInSeconds], ["A-001", 'TW-6, "blue"', "Token Works", 30]);
  const reserved = (st: typeof a1.state) => (st.kind === "reserved" ? [st.kind, st.username] : [st.kind]);
  assert.equal(reserved(a1.state), ["reserved", "alice"]);
  assert.equal(reserved((await ctx.registry.bySerial("A-009"))!.state), ["reserved", "bob"]);
  assert.equal((await ctx.registry.bySerial("a-002"))!.state, { kind: "available" });
  assert.is((await ctx.registry.bySerial("A-002"))!.periodInSeconds, 60);

  // Sealed at rest, bound to the token: the key is in no column, and opens only in its own context.
  const { rows } = await ctx.env.db.query<{ id: string; secret_sealed: string }>(
    "SELECT id, secret_sealed FROM hardware_tokens WHERE serial_number = 'A-001'",
  );
  assert.not.ok(rows[0]!.secret_sealed.includes(base32For(1)));
  assert.ok(ctx.env.services.secretBox.open(rows[0]!.secret_sealed, tokenSecretContext(rows[0]!.id)).equals(keyFor(1)));
  assert.throws(() => ctx.env.services.secretBox.open(rows[0]!.secret_sealed, tokenSecretContext(ctx.aliceId)));

  const audit = await ctx.env.db.query<{ actor_name: string; details: Record<string, unknown> }>(
    "SELECT actor_name, details FROM audit_log WHERE action = 'hardware_token.import'",
  );
  assert.is(audit.rows.length, 1);
  assert.is(audit.rows[0]!.actor_name, "alice");
  assert.equal(
    { ...audit.rows[0]!.details, importId: undefined },
    { importId: undefined, fileName: "a.csv", format: report.format, imported: 3, skipped: 6, reserved: 2 },
  );
});

t("a file with a duplicate serial commits nothing, not even the rows before it", async (ctx) => {
  const before = await count(ctx.env);
  const file = [
    "serial,seed,type,digits,time step",
    `D-1,${hexFor(11)},TOTP,6,30`,
    `D-2,${hexFor(12)},TOTP,6,30`,
    `D-1,${hexFor(13)},TOTP,6,30`,
  ].join("\n");
  const err = (await rejects(
    ctx.importer.commit(chunksOf(file), { fileName: "d.csv", actor, siteId: ctx.siteId, skipBad: false }),
  )) as ImportRefused;
  assert.equal(err.report.bad, [
    { line: 4, serialNumber: "D-1", reason: "duplicate serial number D-1 (also on line 2)" },
  ]);
  assert.is(await count(ctx.env), before);
  assert.is(await ctx.registry.bySerial("D-2"), null);
});

t("the hex-seed vendor layout with a BOM, LF and unknown columns", async (ctx) => {
  const file =
    "\uFEFFserial, seed(hex), type, digits, time step, colour\n" +
    `H-1,${hexFor(21)},TOTP,6,30,red\n` +
    `H-2,${hexFor(22)},TOTP-SHA256,8,60,blue\n` +
    `H-3,${base32For(23)},TOTP,6,30,green\n` +
    `H-4,${hexFor(24)},HOTP,6,30,green\n` +
    `H-5,${hexFor(25)},TOTP,7,30,green\n`;
  const preview = await ctx.importer.preview(chunksOf(file), { fileName: "b.csv" });
  assert.equal(preview, {
    fileName: "b.csv",
    format: "CSV with hex keys (serial, seed(hex), type, digits, time step, colour)",
    ignoredColumns: ["colour"],
    total: 5,
    good: 2,
    badCount: 3,
    bad: [
      { line: 4, serialNumber: "H-3", reason: "bad secret key: not a hex key (0-9, A-F)" },
      { line: 5, serialNumber: "H-4", reason: "type HOTP is not supported (only time-based TOTP tokens)" },
      { line: 6, serialNumber: "H-5", reason: "digits must be 6 or 8 (got 7)" },
    ],
    reserved: 0,
    rows: [
      { line: 2, serialNumber: "H-1", model: "", reservedFor: null },
      { line: 3, serialNumber: "H-2", model: "", reservedFor: null },
    ],
    imported: 0,
  });
  await ctx.importer.commit(chunksOf(file), { fileName: "b.csv", actor, siteId: ctx.siteId, skipBad: true });
  const h2 = (await ctx.registry.bySerial("H-2"))!;
  assert.equal([h2.algorithm, h2.digits, h2.periodInSeconds], ["SHA256", 8, 60]);
});

t("rows of empty cells (, ; or tab) are skipped like blank lines, above the header too", async (ctx) => {
  const header = ["upn", "serial number", "secret key", "time interval", "manufacturer", "model"];
  let n = 0;
  for (const [d, name] of [
    [",", "comma"],
    [";", "semicolon"],
    ["\t", "tab"],
  ] as const) {
    const row = (cells: string[]) => cells.join(d);
    const empty = d.repeat(5);
    const file = [
      empty,
      "",
      row(header),
      row(["", `E-${name}-1`, base32For(60 + n), "30", "Acme", "A1"]),
      empty,
      row([" ", "  ", "", " ", "", "   "]),
      row(['""', '" "', "", "", "", ""]),
      row(["", `E-${name}-2`, base32For(61 + n), "60", "Acme", "A1"]),
      empty,
      empty,
    ].join("\r\n");
    n += 2;
    const before = await count(ctx.env);
    const preview = await ctx.importer.preview(chunksOf(file, 5), { fileName: `${name}.csv` });
    assert.equal([preview.total, preview.good, preview.badCount, preview.bad], [2, 2, 0, []], name);
    assert.match(preview.format, /^CSV with Base32 keys \(upn, serial number/, name);
    // Nothing to confirm: the import goes through without "skip the bad rows".
    const report = await ctx.importer.commit(chunksOf(file), {
      fileName: `${name}.csv`,
      actor,
      siteId: ctx.siteId,
      skipBad: false,
    });
    assert.is(report.imported, 2, name);
    assert.is(await count(ctx.env), before + 2);
    assert.is((await ctx.registry.bySerial(`E-${name}-2`))!.periodInSeconds, 60);
  }
  // A real bad row among them keeps its own line number.
  const withBad = ["serial,seed,type,digits,time step", ",,,,", `E-9,${hexFor(69)},TOTP,6,45`, ",,,,"].join("\n");
  const report = await ctx.importer.preview(chunksOf(withBad), { fileName: "e.csv" });
  assert.equal(report.bad, [
    { line: 3, serialNumber: "E-9", reason: "time interval must be 30 or 60 seconds (got 45)" },
  ]);
  assert.is(report.total, 1);
  // A file of nothing but empty cells is empty.
  await rejects(ctx.importer.preview(chunksOf(",,,,\n\n , ,\n"), { fileName: "x.csv" }), /the file is empty/);
});

t(
  "privacyIDEA's headerless OATH CSV: TOTP rows with their digits and time step, HOTP rows listed as bad",
  async (ctx) => {
    const before = await count(ctx.env);
    const preview = await ctx.importer.preview(chunksOf(PRIVACYIDEA_FILE, 9), { fileName: "pi.csv" });
    assert.equal(preview, {
      fileName: "pi.csv",
      format: "privacyIDEA OATH CSV without a header (serial, hex seed, type, digits, time step)",
      ignoredColumns: [],
      total: 5,
      good: 3,
      badCount: 2,
      bad: [
        { line: 3, serialNumber: "PI-3", reason: "type HOTP is not supported (only time-based TOTP tokens)" },
        { line: 6, serialNumber: "PI-5", reason: "type HOTP is not supported (only time-based TOTP tokens)" },
      ],
      reserved: 0,
      rows: [
        { line: 1, serialNumber: "PI-1", model: "", reservedFor: null },
        { line: 2, serialNumber: "PI-2", model: "", reservedFor: null },
        { line: 5, serialNumber: "PI-4", model: "", reservedFor: null },
      ],
      imported: 0,
    } satisfies ImportReport);
    await rejects(
      ctx.importer.commit(chunksOf(PRIVACYIDEA_FILE), {
        fileName: "pi.csv",
        actor,
        siteId: ctx.siteId,
        skipBad: false,
      }),
      /2 rows are bad: nothing was imported/,
    );
    assert.is(await count(ctx.env), before);
    const report = await ctx.importer.commit(chunksOf(PRIVACYIDEA_FILE), {
      fileName: "pi.csv",
      actor,
      siteId: ctx.siteId,
      skipBad: true,
      expectedBad: 2,
    });
    assert.is(report.imported, 3);
    const shape = async (serial: string) => {
      const tok = (await ctx.registry.bySerial(serial))!;
      return [tok.algorithm, tok.digits, tok.periodInSeconds];
    };
    assert.equal(await shape("PI-1"), ["SHA1", 8, 30]);
    assert.equal(await shape("PI-2"), ["SHA1", 6, 60]);
    assert.equal(await shape("PI-4"), ["SHA256", 6, 30], "a 32-byte seed is SHA256, as privacyIDEA reads it");
    const pi1 = (await ctx.registry.bySerial("PI-1"))!;
    assert.ok(Buffer.from((await ctx.registry.params(pi1)).secret).equals(keyFor(41)));
    assert.is(await ctx.registry.bySerial("PI-3"), null);
  },
);

t("a file that is no token file is refused as a whole", async (ctx) => {
  await rejects(ctx.importer.preview(chunksOf("name,email\nx,y\n"), { fileName: "x.csv" }), /not a token file header/);
  // Neither a header nor a privacyIDEA row (7 digits): the message names both accepted shapes.
  await rejects(
    ctx.importer.preview(chunksOf(`S-1,${hexFor(1)},totp,7\n`), { fileName: "x.csv" }),
    /not a token file header \(columns such as "upn,serial number,secret key,time interval,manufacturer,model" or "serial,seed,type,digits,time step"\), nor a privacyIDEA token row without a header \("serial, hex seed, TOTP or HOTP, 6 or 8\[, time step\]"\)/,
  );
  await rejects(ctx.importer.preview(chunksOf(""), { fileName: "x.csv" }), /the file is empty/);
  await rejects(ctx.importer.preview(chunksOf("<html></html>"), { fileName: "x.xml" }), /not a PSKC/);
});

t("PSKC with pre-shared-key-encrypted keys imports after the MAC checks out", async (ctx) => {
  const doc = pskcDocument(
    [
      { serial: "P-1", secret: keyFor(31), model: "PK-60", interval: 60, userId: "alice" },
      { serial: "P-2", secret: keyFor(32), badMac: true },
      { serial: "P-3", secret: keyFor(33), algorithm: "urn:ietf:params:xml:ns:keyprov:pskc:hotp" },
    ],
    RFC6030_PSK,
  );
  await rejects(
    ctx.importer.preview(chunksOf(doc), { fileName: "p.pskc" }),
    /encrypted with the pre-shared key "Pre-shared-key"/,
  );
  const preview = await ctx.importer.preview(chunksOf(doc), { fileName: "p.pskc", preSharedKey: RFC6030_PSK });
  assert.is(preview.format, "PSKC (RFC 6030), keys encrypted with a pre-shared key");
  assert.equal([preview.total, preview.good, preview.reserved], [3, 1, 1]);
  assert.equal(preview.bad, [
    {
      line: 34,
      serialNumber: "P-2",
      reason: "bad secret key: the MAC does not match (wrong pre-shared key or altered file)",
    },
    { line: 55, serialNumber: "P-3", reason: "HOTP keys are not supported (only time-based TOTP tokens)" },
  ]);
  await ctx.importer.commit(chunksOf(doc), {
    fileName: "p.pskc",
    preSharedKey: RFC6030_PSK,
    actor,
    siteId: ctx.siteId,
    skipBad: true,
  });
  const p1 = (await ctx.registry.bySerial("P-1"))!;
  assert.equal([p1.model, p1.manufacturer, p1.periodInSeconds], ["PK-60", "Token Works", 60]);
  assert.ok((await ctx.registry.params(p1)).secret.every((b, i) => b === keyFor(31)[i]));
});

t(
  "PSKC protected by a password (RFC 6030 Figure 7): imports with the password, refused without it or with a wrong one",
  async (ctx) => {
    const before = await count(ctx.env);
    const doc = RFC6030_FIGURE_7_HOTP_AND_TOTP;
    await rejects(
      ctx.importer.preview(chunksOf(doc), { fileName: "f7.pskc" }),
      /protected by a password \(the file calls its key "My Password 1"\): enter the password the manufacturer sent separately/,
    );
    for (const password of ["qwertz", "QWERTY"]) {
      await rejects(
        ctx.importer.commit(chunksOf(doc), { fileName: "f7.pskc", password, actor, siteId: ctx.siteId, skipBad: true }),
        /^wrong password for the key the file calls "My Password 1": the MAC check fails, so no key was decrypted$/,
      );
    }
    assert.is(await count(ctx.env), before, "a wrong password stores nothing");
    const preview = await ctx.importer.preview(chunksOf(doc), { fileName: "f7.pskc", password: "qwerty" });
    assert.is(preview.format, "PSKC (RFC 6030), keys encrypted with a key derived from a password (PBKDF2)");
    assert.equal([preview.total, preview.good], [2, 1]);
    assert.equal(preview.bad, [
      { line: 40, serialNumber: "987654321", reason: "HOTP keys are not supported (only time-based TOTP tokens)" },
    ]);
    const report = await ctx.importer.commit(chunksOf(doc), {
      fileName: "f7.pskc",
      password: "qwerty",
      actor,
      siteId: ctx.siteId,
      skipBad: true,
      expectedBad: 1,
    });
    assert.is(report.imported, 1);
    const token = (await ctx.registry.bySerial("987654322"))!;
    assert.equal([token.manufacturer, token.digits, token.periodInSeconds], ["TokenVendorAcme", 8, 30]);
    assert.is(Buffer.from((await ctx.registry.params(token)).secret).toString("ascii"), "12345678901234567890");
    assert.is(await ctx.registry.bySerial("987654321"), null);
  },
);

t.run();
