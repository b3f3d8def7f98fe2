// `npm start` runs bin/start.js: the server bundled into dist/ (rebuilt first when a source
// changed), with the validators generated at build time, so a start compiles no JSON Schema.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { exchange } from "../helpers/raw-http.js";
import { startServer, stopServer } from "../helpers/server-process.js";

const t = suite("start-up");
const scratch = mkdtempSync(join(tmpdir(), "formgate-startup-"));
t.after(() => rmSync(scratch, { recursive: true, force: true }));

// Reports every CommonJS module of Ajv the process requires (Ajv and ajv-formats are CommonJS).
const preload = join(scratch, "report-ajv.cjs");
writeFileSync(
  preload,
  `const Module = require("node:module");
const load = Module._load;
Module._load = function (request, ...rest) {
  if (/^ajv(-formats)?(\\/|$)/.test(request)) process.stderr.write("required " + request + "\\n");
  return load.call(this, request, ...rest);
};
`,
);

const env = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: "warn" };

t("the built server starts on an empty DATA_DIR without compiling a schema, and serves pages", async () => {
  const server = await startServer([process.execPath, "--require", preload, "bin/start.js"], {
    cwd: process.cwd(),
    env: { ...env, DATA_DIR: join(scratch, "data") },
    timeoutMs: 180_000,
  });
  try {
    const health = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    assert.equal(await health.json(), { status: "ok", database: "pglite" });
    const login = await fetch(`http://127.0.0.1:${server.port}/login`);
    assert.is(login.status, 200);
    assert.match(await login.text(), /name="password"/);
    const openapi = await fetch(`http://127.0.0.1:${server.port}/api/openapi.json`);
    assert.is(openapi.status, 200);
    // What Node's parser refuses carries the app's headers too (engine/web/http/client-errors.ts).
    const refused = await exchange(server.port, "NOT A REQUEST\r\n\r\n");
    assert.is(refused.status, 400);
    assert.is(refused.headers.get("cache-control"), "no-store");
    assert.is(refused.headers.get("x-content-type-options"), "nosniff");
  } finally {
    await stopServer(server.child);
  }
  const required = server.output();
  // The generated code needs only Ajv's small run-time helpers and the format checks.
  assert.match(required, /required ajv-formats\/dist\/formats/);
  assert.not.match(required, /required ajv\/dist\/2020/, "Ajv itself was loaded: a schema was compiled at start");
  assert.not.match(required, /required ajv-formats\n/);
});

t("the built server refuses a bad setting with one line naming the variable", () => {
  const r = spawnSync(process.execPath, ["bin/start.js"], {
    env: { ...env, PORT: "not-a-port", DATA_DIR: join(scratch, "unused") },
    encoding: "utf8",
    timeout: 120_000,
  });
  assert.is(r.status, 2);
  assert.is(r.stderr.trim(), 'Configuration error: PORT must be a whole number (got "not-a-port")');
});

t.run();
