// The validators the build writes as Ajv standalone code (dist/validators.cjs, used by the
// bundled server) must accept and refuse exactly what the validators compiled at run time do,
// with the same errors: the form, the device API and the config messages are built from them.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { loadBuiltInDefinitions } from "../../engine/apps/app-registry.js";
import { buildStandaloneValidators } from "../../engine/build-steps.js";
import { PATHS } from "../../engine/paths.js";
import { compiledSchemas, schemaKey } from "../../engine/schema/ajv.js";
import { precompiledValidator } from "../../engine/schema/precompiled.js";

const t = suite("standalone validators");

const BUILD = "test-build";
const code = buildStandaloneValidators(BUILD);
// Written inside the project so its require()s of ajv's run-time helpers resolve from node_modules.
const file = join(PATHS.cache, `standalone-test-${process.pid}.cjs`);
writeFileSync(file, code);
const generated = createRequire(import.meta.url)(file) as Record<string, unknown>;
rmSync(file);

const builtIns = [...loadBuiltInDefinitions().values()];
const broken = JSON.parse(JSON.stringify(builtIns[0]));
broken.record.properties.extra = { type: "string", maxLenght: 3, "x-system": "user.emial" };
broken.list = { columns: 7 };

/** Valid and invalid values for every kind of schema the engine has; each schema sees them all. */
const inputs: unknown[] = [
  null,
  0,
  "x",
  [],
  {},
  {
    PORT: 3000,
    DATA_DIR: "./data",
    TRUST_PROXY: false,
    LOG_LEVEL: "info",
    TOTP_WINDOW_STEPS: 1,
    MAIL_POLL_SECONDS: 10,
  },
  { PORT: 70000, DATA_DIR: "", LOG_LEVEL: "loud", DATABASE_URL: "mysql://x", ADMIN_USERNAME: "root", extra: 1 },
  ...builtIns,
  broken,
  { username: "dora", password: "correct horse battery" },
  { username: "", password: 5, other: true },
  { challenge: "c".repeat(43), code: "123456" },
  { challenge: "c", code: "12 34", method: "hardware" },
  { challenge: "c".repeat(43), method: "hardware", serialNumber: "SN-1", code: "123456" },
  { name: "Token 1", serialNumber: "SN-1", timeInterval: 30, secretKey: "JBSWY3DPEHPK3PXP", digits: 6 },
  { name: "", serialNumber: "x".repeat(300), timeInterval: 45, algorithm: "MD5" },
  { equipment: "Lathe 3", result: "fail", failureReason: "Guard missing", inspectedOn: "2024-02-30" },
  { equipment: 5, result: "maybe", checklist: [{ item: 1, ok: "yes" }], hoursInUse: -1, inspector: "not mail" },
  { username: "dora", email: "dora@example.org", role: "admin", mfaEnabled: true, mfaEnforcementDelayDays: 3 },
  { username: "a b", email: "no-at-sign", role: "root", mfaEnforcementDelayDays: "3" },
  { code: "123456" },
  { q: "x".repeat(500), after: 5 },
];

t("every schema compiled before the first request has generated code", () => {
  const entries = compiledSchemas();
  // schemas/ files, the device API, module-level forms and the built-in apps' create and edit validators.
  assert.ok(entries.length >= 3 + 8 + 2 * builtIns.length, `only ${entries.length} schemas compiled`);
  for (const { schema, refs } of entries) {
    assert.type(generated[schemaKey(schema, refs)], "function", `no code for ${JSON.stringify(schema).slice(0, 80)}`);
  }
  assert.is(generated.build, BUILD);
});

t("generated and run-time validators give the same result and errors for every input", () => {
  let refused = 0;
  for (const { schema, refs, validate } of compiledSchemas()) {
    const standalone = generated[schemaKey(schema, refs)] as typeof validate;
    for (const input of inputs) {
      const expected = validate(input);
      const actual = standalone(input);
      const what = `${String(schema.$id ?? schema.title ?? JSON.stringify(schema).slice(0, 60))} on ${JSON.stringify(input).slice(0, 60)}`;
      assert.is(actual, expected, what);
      assert.equal(standalone.errors ?? null, validate.errors ?? null, what);
      if (!expected) refused++;
    }
  }
  assert.ok(refused > 0);
});

t("a changed schema gets another key, so stale generated code is never used for it", () => {
  const schema = JSON.parse(readFileSync(join(PATHS.schemas, "config.schema.json"), "utf8"));
  const key = schemaKey(schema);
  schema.properties.PORT.maximum = 1000;
  assert.is.not(schemaKey(schema), key);
  // A schema $ref'd by another is part of the other's key.
  assert.is.not(schemaKey({ $ref: "a" }, [{ $id: "a", type: "string" }]), schemaKey({ $ref: "a" }, [{ $id: "a" }]));
});

t("code running from source (tsx) never takes generated validators", () => {
  for (const { schema, refs } of compiledSchemas()) assert.is(precompiledValidator(schemaKey(schema, refs)), undefined);
});

t.run();
