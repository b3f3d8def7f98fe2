// @storage
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase, testBackend } from "../helpers/db.js";
import { TEST_SECRET_KEY } from "../helpers/app.js";
import {
  base32For,
  keyFor,
  PRIVACYIDEA_FILE,
  pskcDocument,
  RFC6030_FIGURE_7_HOTP_AND_TOTP,
  RFC6030_PSK,
} from "./fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "formgate-tokens-"));
const database = testBackend === "pg" ? await createDatabase() : null;

function formgate(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ["bin/formgate.js", ...args], {
    env: {
      ...process.env,
      DATA_DIR: join(dir, "data"),
      FORMGATE_SECRET_KEY: TEST_SECRET_KEY,
      ...(database ? { DATABASE_URL: database.url } : {}),
      ...env,
    },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test.after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await database?.drop();
});

// Each run boots a server process (about 7 s on PGlite), so one test covers several runs; the other paths are in import.test.ts.
test(`tokens import: refused with the bad rows listed, then imported with --skip-bad [${testBackend}]`, () => {
  const csv = join(dir, "tokens.csv");
  writeFileSync(
    csv,
    [
      "upn,serial number,secret key,time interval,manufacturer,model",
      `,C-1,${base32For(1)},30,Acme,A1`,
      ",,,,,", // rows of empty cells are skipped, not bad rows
      `,C-2,${base32For(2)},60,Acme,A1`,
      " , ,,,,",
      `ghost,C-3,${base32For(3)},30,Acme,A1`,
      ",,,,,",
    ].join("\n"),
  );
  const refused = formgate(["tokens", "import", csv]);
  assert.is(refused.code, 1, refused.out);
  assert.match(refused.err, /3 rows: 2 good, 1 bad/);
  assert.match(refused.err, /line 6 \(C-3\): unknown user ghost/);
  assert.match(refused.err, /1 row is bad: nothing was imported/);

  const done = formgate(["tokens", "import", csv, "--skip-bad"]);
  assert.is(done.code, 0, done.err);
  assert.match(done.out, /imported 2 tokens, skipped 1 bad row$/m);
  assert.not.ok((done.out + done.err).includes(base32For(1)), "keys are not printed");

  const pskc = join(dir, "tokens.pskc");
  writeFileSync(pskc, pskcDocument([{ serial: "C-9", secret: keyFor(9) }], RFC6030_PSK));
  const withKey = formgate(["tokens", "import", pskc], { FORMGATE_PSKC_KEY: RFC6030_PSK });
  assert.is(withKey.code, 0, withKey.err);
  assert.match(withKey.out, /PSKC \(RFC 6030\), keys encrypted with a pre-shared key/);
  assert.match(withKey.out, /imported 1 token$/m);
});

test(`tokens import: a privacyIDEA file without a header, and a password-protected PSKC file [${testBackend}]`, () => {
  const pi = join(dir, "privacyidea.csv");
  writeFileSync(pi, PRIVACYIDEA_FILE);
  const preview = formgate(["tokens", "import", pi, "--dry-run"]);
  assert.is(preview.code, 0, preview.err);
  assert.match(preview.out, /privacyIDEA OATH CSV without a header/);
  assert.match(preview.out, /5 rows: 3 good, 2 bad/);
  assert.match(preview.out, /line 3 \(PI-3\): type HOTP is not supported/);
  assert.match(preview.out, /nothing imported \(dry run\)/);

  const pskc = join(dir, "figure7.pskc");
  writeFileSync(pskc, RFC6030_FIGURE_7_HOTP_AND_TOTP);
  const wrong = formgate(["tokens", "import", pskc, "--skip-bad", "--password", "qwertz"]);
  assert.is(wrong.code, 1, wrong.out);
  assert.match(
    wrong.err,
    /figure7.pskc cannot be imported: wrong password for the key the file calls "My Password 1": the MAC check fails/,
  );
  const done = formgate(["tokens", "import", pskc, "--skip-bad"], { FORMGATE_PSKC_PASSWORD: "qwerty" });
  assert.is(done.code, 0, done.err);
  assert.match(done.out, /keys encrypted with a key derived from a password/);
  assert.match(done.out, /line 40 \(987654321\): HOTP keys are not supported/);
  assert.match(done.out, /imported 1 token, skipped 1 bad row$/m);
  assert.not.ok((done.out + done.err + wrong.out + wrong.err).includes("qwert"), "the password is not printed");
});

test.run();
