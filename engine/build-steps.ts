// What bin/build.js runs from the engine once the bundles are written: the Ajv standalone
// validators and the PGlite template. Importing the routes and CLI commands compiles their
// module-level validators, so those are among the schemas turned into standalone code.
import { readdirSync } from "node:fs";
import { loadBuiltInDefinitions } from "./apps/app-registry.js";
import { deviceSchemas, deviceValidator, type DeviceSchemaName } from "./device/schemas.js";
import "./web/app.js";
import "./cli/tokens-cli.js";
import "./cli/mfa-cli.js";
import { PATHS } from "./paths.js";
import { validatorFor } from "./schema/ajv.js";
import { standaloneValidators } from "./schema/standalone.js";

export { pgliteTemplateDir } from "./db/pglite-template.js";

/**
 * Standalone code for every validator the engine compiles before its first
 * request: the schema files at the top of schemas/, the device API, module-level
 * form and query schemas, and the record validators of the built-in apps (a
 * broken built-in app is left to the server, which refuses to start with the
 * file name and pointers). `build` ties the code to the bundles of this build.
 */
export function buildStandaloneValidators(build: string): string {
  for (const file of readdirSync(PATHS.schemas).filter((f) => f.endsWith(".schema.json"))) validatorFor(file);
  for (const name of deviceSchemas().keys()) deviceValidator(name as DeviceSchemaName);
  try {
    loadBuiltInDefinitions();
  } catch {
    // reported at start
  }
  return standaloneValidators(build);
}
