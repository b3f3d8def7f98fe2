import type { ValidateFunction } from "ajv/dist/2020.js";
import type { Context } from "hono";
import { describeError, errorPointer } from "../../schema/ajv.js";
import { pointerOf, unescapePointer } from "../../schema/identifiers.js";
import { JsonTooDeepError, parseClientJson } from "../../util/json-depth.js";
import { ValidationError } from "../../errors.js";
import { deviceRefusal } from "./device-errors.js";
import { HTTPException } from "hono/http-exception";
import { UNSTORABLE_TEXT_MESSAGE, unstorablePaths } from "../../util/storable-text.js";

/** Largest JSON body the device API reads; its requests are a few hundred bytes. */
export const DEVICE_BODY_LIMIT_BYTES = 16 * 1024;
/** Largest JSON body of a record create or change: the web's record form limit (256 KiB). */
export const DEVICE_RECORD_BODY_LIMIT_BYTES = 256 * 1024;

/**
 * Only `application/json` (UTF-8) is read. This is what keeps the CSRF exemption
 * of /api/device/ sound: a cross-site HTML form can only send urlencoded,
 * multipart or text/plain bodies, and a script would need a CORS preflight.
 */
export function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  const [type, ...params] = header.split(";").map((p) => p.trim().toLowerCase());
  if (type !== "application/json") return false;
  return params.every((p) => p === "" || p === "charset=utf-8");
}

/**
 * How a refusal names the fields of a body: "path" (`username`, `extra.a`: the sign-in routes, as
 * their clients read them) or "pointer" (JSON Pointers, `/data/serialNumber`: the app routes, as
 * DESIGN's "Apps over the device API" says).
 */
export type FieldNaming = "path" | "pointer";

/**
 * Reads, parses and validates a JSON body; any problem is a 400 (deviceRefusal) or a ValidationError
 * (422) and nothing else happens. JSON nested deeper than MAX_JSON_DEPTH is a 400 before it is parsed,
 * so no walk over the body (the storable-text check, Ajv, the records' rules) sees an unbounded depth.
 * `naming` says how the 422's `fields` name what they are about.
 */
export async function readJsonBody<T>(
  c: Context,
  validate: ValidateFunction<T>,
  naming: FieldNaming = "path",
): Promise<T> {
  if (!isJsonContentType(c.req.header("content-type"))) {
    throw deviceRefusal(c, 400, "unsupported_media_type", "Send the body as application/json (UTF-8).");
  }
  let value: unknown;
  try {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    value = parseClientJson(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    if (err instanceof HTTPException) throw err;
    if (err instanceof JsonTooDeepError)
      throw deviceRefusal(c, 400, "malformed_json", `The body is not accepted: ${err.message}`);
    throw deviceRefusal(c, 400, "malformed_json", "The body is not valid JSON.");
  }
  const nameOf = (tokens: string[]) => (naming === "pointer" ? pointerOf(tokens) : tokens.join("."));
  // JSON's \u escapes can carry a NUL or an unpaired surrogate, which PostgreSQL cannot store: refused
  // here, before the schema or anything else looks at the value. A bad key is named by its object.
  const unstorable = unstorablePaths(value);
  if (unstorable.length) {
    const fields = Object.fromEntries(unstorable.map((p) => [nameOf(p) || "body", UNSTORABLE_TEXT_MESSAGE]));
    throw new ValidationError(`A value ${UNSTORABLE_TEXT_MESSAGE}.`, fields);
  }
  if (validate(value)) return value;
  const fields = new Map<string, string>();
  const add = (name: string, message: string) => {
    if (!fields.has(name)) fields.set(name, message);
  };
  let general: string | null = null;
  const alternatives = exactlyOneOf(validate.schema);
  for (const e of validate.errors ?? []) {
    // "Exactly one of these fields" (a root oneOf of `required` branches): one message for the choice.
    if (alternatives && e.schemaPath.startsWith("#/oneOf/") && e.keyword === "required") continue;
    if (alternatives && e.schemaPath === "#/oneOf") {
      // The body may be any JSON (null, a number, an array): only an object can have sent fields.
      const body = typeof value === "object" && value !== null ? value : {};
      const sent = alternatives.filter((name) => Object.hasOwn(body, name));
      const list = alternatives.join(", ");
      general ??= `Send exactly one of ${list}.`;
      if (!sent.length)
        for (const name of alternatives) add(nameOf([name]), `is required: send exactly one of ${list}`);
      for (const name of sent) {
        add(nameOf([name]), `cannot be sent together with ${sent.filter((n) => n !== name).join(", ")}`);
      }
      continue;
    }
    const tokens = errorPointer(e).split("/").slice(1).map(unescapePointer);
    let message = describeError(e);
    if (e.keyword === "additionalProperties") {
      tokens.push((e.params as { additionalProperty: string }).additionalProperty);
      message = "is not a known property";
    }
    const field = nameOf(tokens);
    if (e.keyword === "pattern") message = patternMessage(tokens.join("."));
    if (!field) general ??= `The body ${message}.`;
    else add(field, message);
  }
  throw new ValidationError(
    general ?? "Some fields are missing or invalid.",
    fields.size ? Object.fromEntries(fields) : undefined,
  );
}

/**
 * The property names of a root `oneOf` whose every branch is `{required: [name], properties: {name: true}}` (a body that
 * takes exactly one of these fields), or null when the schema has no such oneOf.
 */
function exactlyOneOf(schema: unknown): string[] | null {
  const branches = (schema as { oneOf?: unknown } | null)?.oneOf;
  if (!Array.isArray(branches) || !branches.length) return null;
  const names: string[] = [];
  for (const b of branches as Record<string, unknown>[]) {
    const { required, properties, ...rest } = b;
    if (Object.keys(rest).length || !Array.isArray(required) || required.length !== 1) return null;
    // Strict mode (strictRequired) wants the branch to name its property: `properties: {name: true}`.
    if (properties !== undefined && JSON.stringify(properties) !== JSON.stringify({ [required[0]]: true })) return null;
    names.push(String(required[0]));
  }
  return names;
}

/** Plain words for the few patterns the request schemas use. */
function patternMessage(field: string): string {
  if (field === "code") return "must be the 6 or 8 digits the authenticator shows";
  if (field === "challenge") return "must be the challenge the previous answer returned";
  if (field === "recoveryCode") {
    return "must be a recovery code: 10 characters like 7K3QD-XM2PA (a temporary access pass works on the web only)";
  }
  return "has an invalid format";
}
