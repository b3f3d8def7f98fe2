import type { SchemaObject } from "ajv/dist/2020.js";
import { createRequire } from "node:module";
import { compiledSchemas, createAjv, schemaKey } from "./ajv.js";

const require = createRequire(import.meta.url);

/**
 * Ajv standalone code (CommonJS) for schemas compiled in this process: each
 * validator exported under its schemaKey, and `build` naming the bundle it
 * belongs to (engine/schema/precompiled.ts loads it only for that bundle).
 * The build (engine/build-steps.ts) first compiles every schema the engine
 * knows before a request: schemas/ files, module-level forms, the device API
 * and the built-in apps' record validators.
 */
export function standaloneValidators(build: string, entries = compiledSchemas()): string {
  const standaloneCode = require("ajv/dist/standalone") as typeof import("ajv/dist/standalone/index.js").default;
  const ajv = createAjv({ source: true });
  const refs: Record<string, string> = {};
  const add = (schema: SchemaObject, key: string): string => {
    const id = schema.$id;
    if (!(id ? ajv.getSchema(id) : ajv.getSchema(key))) ajv.addSchema(schema, id ? undefined : key);
    return id ?? key;
  };
  for (const { schema, refs: deps } of entries) {
    for (const dep of deps) add(dep, schemaKey(dep));
    const key = schemaKey(schema, deps);
    refs[key] = add(schema, key);
  }
  return `${standaloneCode(ajv, refs)}\nexports.build = ${JSON.stringify(build)};\n`;
}
