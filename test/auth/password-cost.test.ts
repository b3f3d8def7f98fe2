import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { OWASP_ARGON2ID, verifyPassword } from "../../engine/auth/passwords.js";

// The suites' bundles hash passwords at a cheaper Argon2id cost (bin/build.js, bundleTests): this
// suite shows that the server hashes at OWASP's, and that the cheaper cost cannot reach dist/.
const root = fileURLToPath(new URL("../../", import.meta.url));
const OWASP_PHC = new RegExp(
  `^\\$argon2id\\$v=19\\$m=${OWASP_ARGON2ID.memoryCost},t=${OWASP_ARGON2ID.timeCost},p=${OWASP_ARGON2ID.parallelism}\\$`,
);

test("OWASP's minimum: Argon2id, 19 MiB, 2 passes, 1 lane", () => {
  assert.equal(OWASP_ARGON2ID, { memoryCost: 19_456, timeCost: 2, parallelism: 1 });
});

test("a process of the engine's sources (as a suite starts them) hashes at OWASP's cost", async () => {
  const phc = execFileSync(process.execPath, ["--import", "tsx", "test/auth/password-cost-child.ts"], {
    cwd: root,
    encoding: "utf8",
  }).trim();
  assert.match(phc, OWASP_PHC);
  // A hash made at one cost verifies wherever the parameters are read from its PHC string.
  assert.ok(await verifyPassword(phc, "a long enough password"));
  assert.not.ok(await verifyPassword(phc, "a long enough passwort"));
});

test("the server's and the command line's bundles leave the suites' cost out", () => {
  // dist/ as `npm start` would run it (rebuilt only when a source changed).
  execFileSync(process.execPath, ["-e", 'import("./bin/build.js").then((m) => m.ensureBuilt())'], { cwd: root });
  for (const bundle of ["dist/main.js", "dist/cli.js"]) {
    const code = readFileSync(`${root}${bundle}`, "utf8");
    // The build defines the name as undefined: nothing is looked up at run time, and OWASP's cost,
    // the only one, is in the bundle.
    assert.not.match(code, /FORMGATE_TEST_ARGON2ID/, bundle);
    assert.match(code, /memoryCost: 19456, timeCost: 2, parallelism: 1/, bundle);
    assert.not.match(code, /memoryCost: 1024/, bundle);
  }
});

test.run();
