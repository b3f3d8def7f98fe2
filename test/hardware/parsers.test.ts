import { suite } from "uvu";
import * as assert from "uvu/assert";
import { MAX_RECORD_CHARS, readCsv, type CsvRecord } from "../../engine/mfa/hardware/csv.js";
import { decodeBase32, encodeBase32, parseSecretKey } from "../../engine/mfa/hardware/secret-encoding.js";
import {
  layoutFromHeader,
  rowFromRecord,
  ImportFileError,
  isPrivacyIdeaRow,
  PRIVACYIDEA_LAYOUT,
} from "../../engine/mfa/hardware/csv-formats.js";
import { checkTokenInput } from "../../engine/mfa/hardware/token-input.js";
import { deriveKeyFromPassword, parsePskc } from "../../engine/mfa/hardware/pskc.js";
import { rejects } from "../helpers/assert.js";
import { RFC6030_FIGURE_7, RFC6030_FIGURE_7_PASSWORD, RFC6030_FIGURE_7_TOTP } from "./fixtures.js";

async function records(chunks: (string | Uint8Array)[]): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  for await (const r of readCsv(
    // eslint-disable-next-line @typescript-eslint/require-await -- in-memory chunks served as a stream
    (async function* () {
      yield* chunks;
    })(),
  ))
    out.push(r);
  return out;
}

const csv = suite("CSV reader");

csv("LF and CRLF, a BOM, quoted fields with commas, quotes and line breaks", async () => {
  const text = '\uFEFFa,b,c\r\n1,"two, ""2""",3\r\n"multi\r\nline",x,\n\nlast,y,z';
  const bytes = new TextEncoder().encode(text);
  const expected = [
    { line: 1, fields: ["a", "b", "c"] },
    { line: 2, fields: ["1", 'two, "2"', "3"] },
    { line: 3, fields: ["multi\nline", "x", ""] },
    { line: 6, fields: ["last", "y", "z"] },
  ];
  assert.equal(await records([bytes]), expected);
  // Every split point gives the same records: chunk edges inside "", CRLF and the BOM.
  for (let i = 1; i < bytes.length; i++) {
    assert.equal(await records([bytes.subarray(0, i), bytes.subarray(i)]), expected, `split at ${i}`);
  }
  assert.equal(await records([text.replace(/\r\n/g, "\n")]), expected);
});

csv("semicolon and tab files are recognised by the header", async () => {
  assert.equal((await records(["serial;seed\nA;B\n"]))[1]!.fields, ["A", "B"]);
  assert.equal((await records(["serial\tseed\nA\tB"]))[1]!.fields, ["A", "B"]);
});

csv("the delimiter comes from the first line with text, not from rows of empty cells above it", async () => {
  assert.equal((await records([",,,,\n\nserial;seed\nA;B\n"]))[2]!.fields, ["A", "B"]);
  assert.equal((await records([";;;\r\n", "serial\tse", "ed\nA\tB"]))[2]!.fields, ["A", "B"]);
  assert.equal((await records([",,,"]))[0]!.fields, ["", "", "", ""]);
});

csv("malformed quoting is reported on the record, not thrown", async () => {
  const r = await records(['a,b\n"x"y,z\n"open,b\n']);
  assert.is(r[1]!.error, "text after a closing quote");
  assert.is(r[2]!.error, "a quoted field is not closed");
});

csv("after a bad quote the next rows keep their own lines; an open quote is reported where it starts", async () => {
  const r = await records(['a,b\n"x"y,z\nq,"r\r\nr"\n\n"open,b\nmore\n']);
  assert.equal(
    r.map((x) => [x.line, x.error ?? null]),
    [
      [1, null],
      [2, "text after a closing quote"],
      [3, null],
      [6, "a quoted field is not closed"],
    ],
  );
  assert.equal(r[2]!.fields, ["q", "r\nr"]);
});

csv("a record longer than the limit refuses the file, naming the line where it starts", async () => {
  await rejects(records(["a,b\n", `"${"x\n".repeat(MAX_RECORD_CHARS / 2)}`, ",z\nq,r\n"]), /line 2 is too long/);
  assert.is((await records([`a,b\n${"y".repeat(MAX_RECORD_CHARS - 10)},z\n`]))[1]!.fields[1], "z");
});

csv("bytes that are not UTF-8 stop the file", async () => {
  try {
    await records([new Uint8Array([0x61, 0x0a, 0xff, 0xfe])]);
    assert.unreachable();
  } catch (err) {
    assert.match(String(err), /not valid UTF-8/);
  }
});

const secrets = suite("secret keys");

secrets("Base32 and hex are detected and decoded", () => {
  const bytes = Buffer.from("12345678901234567890");
  const b32 = encodeBase32(bytes);
  assert.is(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  assert.equal(decodeBase32(b32), bytes);
  const a = parseSecretKey(b32.toLowerCase().replace(/(.{4})/g, "$1 "));
  assert.ok(a.ok && a.encoding === "base32" && a.bytes.equals(bytes));
  const h = parseSecretKey(bytes.toString("hex"));
  assert.ok(h.ok && h.encoding === "hex" && h.bytes.equals(bytes));
  assert.equal(parseSecretKey("GEZDGNBV"), {
    ok: false,
    reason: "Base32 key of 5 bytes is too short (at least 16 bytes, 128 bits)",
  });
  assert.equal(parseSecretKey("hello world!"), { ok: false, reason: "neither Base32 (A-Z, 2-7) nor hex (0-9, A-F)" });
  assert.equal(parseSecretKey(b32, "hex"), { ok: false, reason: "not a hex key (0-9, A-F)" });
  assert.equal(parseSecretKey("3132333435363738393031323334353637383930", "base32"), {
    ok: false,
    reason: "not a Base32 key (A-Z, 2-7)",
  });
  assert.equal(parseSecretKey("GEZDGN"), { ok: false, reason: "neither Base32 (A-Z, 2-7) nor hex (0-9, A-F)" });
  // Hex digits with 0, 1, 8 or 9 (not Base32) and one digit short: said as such, not "neither".
  const hex39 = "3132333435363738393031323334353637383930".slice(1);
  const odd = { ok: false, reason: "hex key has an odd number of digits (39)" };
  assert.equal(parseSecretKey(hex39), odd);
  assert.equal(parseSecretKey(`0x${hex39}`), odd);
});

secrets("a blank name is the serial number: a row without either reports only the serial", () => {
  const r = checkTokenInput({ timeInterval: "30", secretKey: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" });
  assert.equal(r, { ok: false, errors: { serialNumber: "is required" } });
});

secrets("a key that reads both ways takes the reading that is valid; hex when both are", () => {
  // A vendor's documented sample: 26 Base32 characters (16 bytes), also hex digits (13 bytes).
  const sample = parseSecretKey("2234567ABCDEF2234567ABCDEF");
  assert.ok(sample.ok, JSON.stringify(sample));
  if (sample.ok) {
    assert.is(sample.encoding, "base32");
    assert.equal(sample.bytes, decodeBase32("2234567ABCDEF2234567ABCDEF"));
    assert.is(sample.bytes.length, 16);
  }
  // Valid both ways (32 digits: 16 bytes as hex, 20 as Base32): today's tie-break, hex.
  const both = parseSecretKey("ABCDEF23ABCDEF23ABCDEF23ABCDEF23");
  assert.ok(both.ok && both.encoding === "hex" && both.bytes.equals(Buffer.from("ABCDEF23".repeat(4), "hex")));
  // Too short (or too long) either way: both sizes are named.
  assert.equal(parseSecretKey("ABCDEF2345"), {
    ok: false,
    reason: "the key is too short read either way: 5 bytes as hex, 6 bytes as Base32 (at least 16 bytes, 128 bits)",
  });
  assert.equal(parseSecretKey("AB".repeat(70)), {
    ok: false,
    reason: "the key is too long read either way: 70 bytes as hex, 87 bytes as Base32 (at most 64)",
  });
  // A column that promises one encoding still reads only that one.
  assert.equal(parseSecretKey("2234567ABCDEF2234567ABCDEF", "hex"), {
    ok: false,
    reason: "hex key of 13 bytes is too short (at least 16 bytes, 128 bits)",
  });
});

secrets("the register form's fields are checked by the JSON Schema, a message per field", () => {
  const r = checkTokenInput({
    name: "",
    serialNumber: "bad serial!",
    timeInterval: "45",
    secretKey: "xyz!",
    digits: "7",
    algorithm: "MD5",
  });
  assert.equal(r, {
    ok: false,
    errors: {
      serialNumber: "must be 1 to 64 letters, digits or . _ : / # - (starting with a letter or digit)",
      timeInterval: "must be 30 or 60 seconds (got 45)",
      digits: "must be 6 or 8 (got 7)",
      algorithm: "must be SHA1, SHA256 or SHA512 (got MD5)",
      secretKey: "neither Base32 (A-Z, 2-7) nor hex (0-9, A-F)",
    },
  });
  const ok = checkTokenInput({
    serialNumber: "T-1",
    timeInterval: "60",
    secretKey: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
    algorithm: "hmac-sha256",
  });
  assert.ok(ok.ok);
  if (ok.ok) {
    assert.is(ok.token.name, "T-1", "the serial names an unnamed token");
    assert.is(ok.token.periodInSeconds, 60);
    assert.is(ok.token.digits, 6);
    assert.is(ok.token.algorithm, "SHA256");
  }
});

const formats = suite("CSV layouts");

formats("both vendor layouts are recognised in any column order", () => {
  const a = layoutFromHeader(["upn", "serial number", "secret key", "time interval", "manufacturer", "model"]);
  assert.is(a.encoding, "base32");
  const b = layoutFromHeader(["serial", " seed(hex)", "type", "digits", "time step"]);
  assert.is(b.encoding, "hex");
  const row = rowFromRecord(b, {
    line: 2,
    fields: ["S1", "3132333435363738393031323334353637383930", "TOTP-SHA256", "8", "60"],
  });
  assert.ok(row.ok);
  if (row.ok) assert.equal([row.token.algorithm, row.token.digits, row.token.periodInSeconds], ["SHA256", 8, 60]);
  const hotp = rowFromRecord(b, {
    line: 3,
    fields: ["S2", "3132333435363738393031323334353637383930", "HOTP", "6", "30"],
  });
  assert.equal(hotp, {
    line: 3,
    ok: false,
    serialNumber: "S2",
    reason: "type HOTP is not supported (only time-based TOTP tokens)",
  });
  const short = rowFromRecord(b, { line: 4, fields: ["S3", "3132333435363738393031323334353637383930", "TOTP"] });
  assert.equal(short, { line: 4, ok: false, serialNumber: "S3", reason: 'missing column "digits"' });
});

formats("privacyIDEA's OATH CSV is recognised by the shape of its first row", () => {
  const seed = "3132333435363738393031323334353637383930";
  assert.ok(isPrivacyIdeaRow(["PI-1", ` ${seed}`, " totp", " 8"]));
  assert.ok(isPrivacyIdeaRow(["PI-1", seed.toUpperCase(), "HOTP", "6", "0", ""]), "trailing empty cells aside");
  assert.ok(isPrivacyIdeaRow(["PI-1", seed, "TOTP", "6", "60"]));
  for (const notOne of [
    ["serial", "seed", "type", "digits", "time step"], // a header
    ["PI-1", seed, "totp"], // 3 cells
    ["PI-1", seed, "totp", "6", "30", "sha256"], // 6 cells
    ["PI-1", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "totp", "6"], // not hex
    ["PI-1", seed.slice(1), "totp", "6"], // odd number of digits
    ["PI-1", seed, "ocra", "6"],
    ["PI-1", seed, "totp", "7"],
  ]) {
    assert.not.ok(isPrivacyIdeaRow(notOne), notOne.join(","));
  }
});

formats("privacyIDEA rows: TOTP with its digits and time step, HOTP refused, the hash by seed length", () => {
  const row = (line: number, fields: string[]) => rowFromRecord(PRIVACYIDEA_LAYOUT, { line, fields });
  const seed20 = "3132333435363738393031323334353637383930";
  const seed32 = Buffer.from("formgate-token-00007-32-byte-key").toString("hex");
  const seed64 = Buffer.concat([Buffer.from(seed32, "hex"), Buffer.from(seed32, "hex")]).toString("hex");
  const ok = (r: ReturnType<typeof row>) => {
    assert.ok(r.ok, JSON.stringify(r));
    return r.ok ? [r.token.serialNumber, r.token.algorithm, r.token.digits, r.token.periodInSeconds] : [];
  };
  assert.equal(ok(row(1, ["PI-1", ` ${seed20}`, " TOTP", " 8"])), ["PI-1", "SHA1", 8, 30]);
  assert.equal(ok(row(2, ["PI-2", seed32, "totp", "6", "60"])), ["PI-2", "SHA256", 6, 60]);
  assert.equal(ok(row(3, ["PI-3", seed64, "totp", "6", ""])), ["PI-3", "SHA512", 6, 30]);
  assert.equal(ok(row(4, ["PI-4", seed20, "totp"])), ["PI-4", "SHA1", 6, 30], "privacyIDEA's defaults");
  assert.equal(ok(row(5, ["PI-5", seed32, "TOTP-SHA1", "6"])), ["PI-5", "SHA1", 6, 30], "a hash on the type wins");
  const reasons = [
    row(6, ["PI-6", seed20, "HOTP", "6", "12"]),
    row(7, ["PI-7", seed20]),
    row(8, ["PI-8", Buffer.from("formgate-token-0008-28-bytes").toString("hex"), "totp", "6"]),
    row(9, ["PI-9", seed20, "totp", "6", "45"]),
    row(10, ["PI-10"]),
    row(11, ["PI-11", seed20, "totp", "6", "30", "x"]),
  ].map((r) => (r.ok ? "ok" : `${r.line} ${r.serialNumber}: ${r.reason}`));
  assert.equal(reasons, [
    "6 PI-6: type HOTP is not supported (only time-based TOTP tokens)",
    "7 PI-7: no type, which privacyIDEA reads as HOTP: type HOTP is not supported (only time-based TOTP tokens)",
    "8 PI-8: a seed of 28 bytes means SHA224 to privacyIDEA, which is not supported (SHA1, SHA256, SHA512)",
    "9 PI-9: time interval must be 30 or 60 seconds (got 45)",
    '10 PI-10: missing column "seed"',
    "11 PI-11: has 6 fields; privacyIDEA token rows have at most 5 (serial, seed, type, digits, time step)",
  ]);
});

formats("a header without the needed columns refuses the file", () => {
  const message = (h: string[]) => {
    try {
      layoutFromHeader(h);
      return "";
    } catch (err) {
      assert.instance(err, ImportFileError);
      return (err as Error).message;
    }
  };
  assert.is(
    message(["name", "email"]),
    'the first line is not a token file header (columns such as "upn,serial number,secret key,time interval,manufacturer,model" or "serial,seed,type,digits,time step"), nor a privacyIDEA token row without a header ("serial, hex seed, TOTP or HOTP, 6 or 8[, time step]")',
  );
  assert.is(message(["serial", "seed"]), 'the header has no column "time interval" or "time step"');
  assert.is(
    message(["serial", "serial number", "seed", "period"]),
    'the header names the column "serial number" twice',
  );
});

const pskc = suite("PSKC");

// RFC 6030 Figure 6 (pre-shared key 12345678901234567890123456789012), with its key declared TOTP.
const FIGURE_6 = `<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0"
    xmlns="urn:ietf:params:xml:ns:keyprov:pskc"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#"
    xmlns:xenc="http://www.w3.org/2001/04/xmlenc#">
    <EncryptionKey>
        <ds:KeyName>Pre-shared-key</ds:KeyName>
    </EncryptionKey>
    <MACMethod Algorithm="http://www.w3.org/2000/09/xmldsig#hmac-sha1">
        <MACKey>
            <xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
            <xenc:CipherData>
                <xenc:CipherValue>
ESIzRFVmd4iZABEiM0RVZgKn6WjLaTC1sbeBMSvIhRejN9vJa2BOlSaMrR7I5wSX
                </xenc:CipherValue>
            </xenc:CipherData>
        </MACKey>
    </MACMethod>
    <KeyPackage>
        <DeviceInfo>
            <Manufacturer>Manufacturer</Manufacturer>
            <SerialNo>987654321</SerialNo>
        </DeviceInfo>
        <CryptoModuleInfo>
            <Id>CM_ID_001</Id>
        </CryptoModuleInfo>
        <Key Id="12345678" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp">
            <Issuer>Issuer</Issuer>
            <AlgorithmParameters>
                <ResponseFormat Length="8" Encoding="DECIMAL"/>
            </AlgorithmParameters>
            <Data>
                <Secret>
                    <EncryptedValue>
                        <xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
                        <xenc:CipherData>
                            <xenc:CipherValue>
AAECAwQFBgcICQoLDA0OD+cIHItlB3Wra1DUpxVvOx2lef1VmNPCMl8jwZqIUqGv
                            </xenc:CipherValue>
                        </xenc:CipherData>
                    </EncryptedValue>
                    <ValueMAC>Su+NvtQfmvfJzF6bmQiJqoLRExc=
                    </ValueMAC>
                </Secret>
            </Data>
        </Key>
    </KeyPackage>
</KeyContainer>`;

pskc("RFC 6030 Figure 6: AES-128-CBC key under a pre-shared key, MAC checked", async () => {
  const file = await parsePskc(FIGURE_6, { preSharedKey: "12345678901234567890123456789012" });
  assert.is(file.rows.length, 1);
  const row = file.rows[0]!;
  assert.ok(row.ok, JSON.stringify(row));
  if (row.ok) {
    assert.is(row.token.secret.toString("ascii"), "12345678901234567890");
    assert.equal([row.token.serialNumber, row.token.digits, row.token.periodInSeconds], ["987654321", 8, 30]);
  }
  // A wrong key cannot even open the MAC key.
  await rejects(parsePskc(FIGURE_6, { preSharedKey: "00000000000000000000000000000000" }), /MAC key/);
  await rejects(parsePskc(FIGURE_6.replace("<KeyContainer", "<!DOCTYPE x><KeyContainer")), /DOCTYPE/);
});

pskc("RFC 6030 Figure 7: the password derives the RFC's key (PBKDF2-HMAC-SHA1)", async () => {
  const derived = await deriveKeyFromPassword(RFC6030_FIGURE_7_PASSWORD, {
    salt: Buffer.from("Ej7/PEpyEpw=", "base64"),
    iterations: 1000,
    keyLength: 16,
    digest: "sha1",
  });
  // The derived key RFC 6030's example was made with.
  assert.is(derived.toString("hex"), "651e63cd57008476af1ff6422cd02e41");
});

pskc(
  "RFC 6030 Figure 7: a password-protected key decrypts to the RFC's plaintext; its HOTP key is a bad row",
  async () => {
    // As published the key is HOTP: the password opens it (its MAC matches), and the row is refused for HOTP.
    const asPublished = await parsePskc(RFC6030_FIGURE_7, { password: RFC6030_FIGURE_7_PASSWORD });
    assert.is(asPublished.description, "PSKC (RFC 6030), keys encrypted with a key derived from a password (PBKDF2)");
    assert.equal(asPublished.rows, [
      {
        line: 40,
        ok: false,
        serialNumber: "987654321",
        reason: "HOTP keys are not supported (only time-based TOTP tokens)",
      },
    ]);
    // The same package declared TOTP: the decrypted secret is the RFC's plaintext.
    const totp = await parsePskc(RFC6030_FIGURE_7_TOTP, { password: RFC6030_FIGURE_7_PASSWORD });
    const row = totp.rows[0]!;
    assert.ok(row.ok, JSON.stringify(row));
    if (row.ok) {
      assert.is(row.token.secret.toString("hex"), "3132333435363738393031323334353637383930");
      assert.is(row.token.secret.toString("ascii"), "12345678901234567890");
      assert.equal(
        [row.token.serialNumber, row.token.manufacturer, row.token.digits, row.token.periodInSeconds],
        ["987654321", "TokenVendorAcme", 8, 30],
      );
    }
  },
);

pskc(
  "a file that is not well-formed XML says so, with the line and column, without the parser's internals",
  async () => {
    const err = await rejects(parsePskc(`<?xml version="1.0"?>\n<KeyContainer Version="1.0">\n  <KeyPackage>`));
    assert.instance(err, ImportFileError);
    assert.is((err as Error).message, "the file is not well-formed XML (line 3, column 3)");
    const mismatch = await rejects(parsePskc("<KeyContainer>\n<a></b></KeyContainer>"));
    assert.match((mismatch as Error).message, /^the file is not well-formed XML \(line 2, column \d+\)$/);
  },
);

pskc("a password-protected file without its password, or with a wrong one, is refused as a whole", async () => {
  await rejects(
    parsePskc(RFC6030_FIGURE_7_TOTP),
    /^the keys in this file are protected by a password \(the file calls its key "My Password 1"\): enter the password the manufacturer sent separately$/,
  );
  // A pre-shared key is no password.
  await rejects(
    parsePskc(RFC6030_FIGURE_7_TOTP, { preSharedKey: "651e63cd57008476af1ff6422cd02e41" }),
    /protected by a password \(the file calls its key "My Password 1"\)/,
  );
  for (const password of ["qwertz", "Qwerty", "qwerty ", "", "p\u00e4ssw\u00f6rd"]) {
    const err = await rejects(parsePskc(RFC6030_FIGURE_7_TOTP, { password }));
    assert.instance(err, ImportFileError);
    assert.match(
      (err as Error).message,
      password
        ? /^wrong password for the key the file calls "My Password 1": the MAC check fails, so no key was decrypted$/
        : /enter the password the manufacturer sent separately/,
      JSON.stringify(password),
    );
  }
  // A wrong password opens the MAC key about once in 256 tries (its padding comes out right by
  // chance); then no MAC in the file matches, which refuses the file the same way. Simulated with
  // the right password and the file's only value MAC spoiled.
  const spoiled = RFC6030_FIGURE_7_TOTP.replace("LP6xMvjtypbfT9PdkJhBZ+D6O4w=", "AP6xMvjtypbfT9PdkJhBZ+D6O4w=");
  await rejects(
    parsePskc(spoiled, { password: RFC6030_FIGURE_7_PASSWORD }),
    /^wrong password for the key the file calls "My Password 1"/,
  );
});

pskc("PBKDF2 parameters outside what the file may ask are refused", async () => {
  const withParams = (from: string, to: string) => RFC6030_FIGURE_7_TOTP.replace(from, to);
  await rejects(
    parsePskc(withParams("<IterationCount>1000<", "<IterationCount>999999999<"), { password: "qwerty" }),
    /iteration count must be 1 to 5000000/,
  );
  await rejects(
    parsePskc(withParams("<KeyLength>16<", "<KeyLength>20<"), { password: "qwerty" }),
    /key length must be 16, 24 or 32 bytes/,
  );
  await rejects(
    parsePskc(withParams("pkcs-5v2-0#pbkdf2", "pkcs-5v2-0#scrypt"), { password: "qwerty" }),
    /key derivation ".*#scrypt" is not supported \(PBKDF2 only\)/,
  );
  await rejects(
    parsePskc(withParams("<KeyLength>16<", "<KeyLength>24<"), { password: "qwerty" }),
    /^the MAC key cannot be used: the key derived from the password is 24 bytes, aes-128-cbc needs 16$/,
  );
  // Without KeyLength the cipher's key size is used: AES-128, 16 bytes, and the file still opens.
  const noLength = await parsePskc(withParams("<KeyLength>16</KeyLength>", ""), { password: "qwerty" });
  assert.ok(noLength.rows[0]!.ok);
});

csv.run();
pskc.run();
secrets.run();
formats.run();
