import type { ValidateFunction } from "ajv/dist/2020.js";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { PATHS } from "../paths.js";
import { compileSchema, loadSchema } from "../schema/ajv.js";

/** The device API's bodies, by file name without `.schema.json` (e.g. "login-request"). */
export type DeviceSchemaName =
  | "login-request"
  | "login-response"
  | "token-grant"
  | "mfa-request"
  | "passkey-assertion"
  | "passkey-options-request"
  | "passkey-options-response"
  | "mfa-setup-request"
  | "mfa-setup-response"
  | "me-response"
  | "error"
  | "app-list"
  | "app-definition"
  | "record"
  | "record-page"
  | "record-changes"
  | "record-create-request"
  | "record-update-request";

let loaded: Map<string, Record<string, unknown>> | null = null;

/** Every schema of schemas/device-api by name, read once. */
export function deviceSchemas(): Map<string, Record<string, unknown>> {
  if (loaded) return loaded;
  const map = new Map<string, Record<string, unknown>>();
  for (const file of readdirSync(join(PATHS.schemas, "device-api"))
    .filter((f) => f.endsWith(".schema.json"))
    .sort()) {
    const schema = loadSchema(`device-api/${file}`);
    map.set(file.replace(/\.schema\.json$/, ""), schema);
  }
  loaded = map;
  return map;
}

/** The validator of one device API schema; the others are its $refs (by $id). */
export function deviceValidator<T>(name: DeviceSchemaName): ValidateFunction<T> {
  const all = deviceSchemas();
  const schema = all.get(name);
  if (!schema) throw new Error(`no device API schema ${name}`);
  const validate = compileSchema<T>(schema, { refs: [...all.values()].filter((s) => s !== schema) });
  // A standalone validator of the build has no `schema`; the error messages read it (engine/web/device/body.ts).
  validate.schema ??= schema;
  return validate;
}
