// @storage
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase, testBackend } from "../helpers/db.js";
import { TEST_SECRET_KEY } from "../helpers/app.js";
import { base32For, keyFor, pskcDocument, RFC6030_PSK } from "./fixtures.js";

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

// Each run boots a server process (about 7 s on PGlite), so one file covers three runs; the other paths are in import.test.ts.
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
  assert.match(done.out, /imported 2 tokens, skipped 1 bad rows/);
  assert.not.ok((done.out + done.err).includes(base32For(1)), "keys are not printed");

  const pskc = join(dir, "tokens.pskc");
  writeFileSync(pskc, pskcDocument([{ serial: "C-9", secret: keyFor(9) }], RFC6030_PSK));
  const withKey = formgate(["tokens", "import", pskc], { FORMGATE_PSKC_KEY: RFC6030_PSK });
  assert.is(withKey.code, 0, withKey.err);
  assert.match(withKey.out, /PSKC \(RFC 6030\), keys encrypted with a pre-shared key/);
  assert.match(withKey.out, /imported 1 tokens/);
});

test.run();
