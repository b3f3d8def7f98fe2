import { MAX_JSON_DEPTH } from "../../util/json-depth.js";
import { deviceSchemas, type DeviceSchemaName } from "../../device/schemas.js";
import { DEVICE_BODY_LIMIT_BYTES } from "./body.js";
import { appPaths } from "./openapi-app-paths.js";

type Json = Record<string, unknown>;

/**
 * /api/openapi.json (OpenAPI 3.1), assembled from the very schema files Ajv
 * validates with, so the document cannot drift from what the server checks.
 * Each schema becomes components/schemas/<title>; its $refs (to #/$defs/… and
 * to sibling files) are rewritten to point inside the document, and $id and
 * $schema are dropped, so tools that do not resolve $id still follow them.
 */
export function openApiDocument(): Json {
  const files = deviceSchemas();
  const titleOf = new Map<string, string>();
  for (const [name, schema] of files) titleOf.set(`${name}.schema.json`, schema.title as string);

  const schemas: Json = {};
  for (const schema of files.values()) {
    const title = schema.title as string;
    const { $id: _id, $schema: _schema, ...rest } = schema;
    schemas[title] = rewriteRefs(rest, title, titleOf);
  }
  const ref = (name: DeviceSchemaName) => ({ $ref: `#/components/schemas/${files.get(name)!.title as string}` });
  const json = (name: DeviceSchemaName) => ({ "application/json": { schema: ref(name) } });
  const error = (description: string) => ({ description, content: json("error") });
  const limited = {
    description:
      "Too many failed passwords for this account or from this address; the lock is shared with the web sign-in.",
    headers: {
      "Retry-After": { description: "Seconds until another attempt is allowed.", schema: { type: "integer" } },
    },
    content: json("error"),
  };
  const unavailable = {
    description: "service_unavailable: the database cannot be reached for now; retry after Retry-After seconds.",
    headers: { "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "integer" } } },
    content: json("error"),
  };
  // Answers every operation can give whatever its body: the path called with another method (405,
  // with Allow), and 404 for a path under /api/device/ that is not one of these (listed on each
  // operation too, so a generated client knows the error shape of both).
  const notFound = error(
    "not_found: there is no such device API endpoint (a path under /api/device/ not listed here).",
  );
  const methodNotAllowed = {
    description: "method_not_allowed: the path was called with another method than the one it answers.",
    headers: { Allow: { description: "The method this path answers.", schema: { type: "string" } } },
    content: json("error"),
  };
  const tooLarge = error(`body_too_large: the body is larger than ${DEVICE_BODY_LIMIT_BYTES} bytes.`);
  const routing = { "404": notFound, "405": methodNotAllowed };
  const common = {
    "503": unavailable,
    "400": error(
      `The body is not JSON (or is nested more than ${MAX_JSON_DEPTH} levels deep), or not sent as application/json.`,
    ),
    "413": tooLarge,
    "422": error("A field is missing or invalid; `fields` says which and why."),
    ...routing,
  };
  const body = (name: DeviceSchemaName) => ({ required: true, content: json(name) });

  return {
    openapi: "3.1.0",
    info: {
      title: "Formgate device API",
      version: "1",
      description:
        "JSON sign-in for mobile devices with multi-factor authentication, and the apps and records of the user's site " +
        "(the web's rules; records synced offline with changedSince). Sign in with POST /api/device/login; " +
        "follow `mfa_required` with POST /api/device/mfa (a code, a recovery code, or a passkey after " +
        "POST /api/device/mfa/passkey/options) and `mfa_setup_required` with POST /api/device/mfa/setup; " +
        "send the token as `Authorization: Bearer TOKEN`. Only `application/json` bodies are accepted, of at most " +
        `${DEVICE_BODY_LIMIT_BYTES} bytes (413 body_too_large). A path under /api/device/ that is not listed here ` +
        "answers 404 not_found; a listed path called with another method answers 405 method_not_allowed with an " +
        "`Allow` header naming the method it answers.",
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    // Relative: the API is on the server that serves this document, whatever its address.
    servers: [{ url: "/", description: "The Formgate server that serves this document." }],
    paths: {
      "/api/device/login": {
        post: {
          operationId: "deviceLogin",
          // Public: an explicit empty requirement (the caller has no token yet).
          security: [],
          summary: "Password step of a device sign-in",
          description:
            "Throttled together with the web sign-in. Users without device access get 403 device_access_denied.",
          requestBody: body("login-request"),
          responses: {
            "200": { description: "A token, or a challenge for the MFA step.", content: json("login-response") },
            ...common,
            "429": limited,
            "401": error("invalid_credentials: unknown user, wrong password or disabled account."),
            "403": error("device_access_denied: the account may sign in on the web only."),
          },
        },
      },
      "/api/device/mfa": {
        post: {
          operationId: "deviceMfa",
          // Public: an explicit empty requirement (the caller has no token yet).
          security: [],
          summary: "Finish a sign-in with a current code, a recovery code or a passkey",
          description:
            "Send exactly one of `code`, `recoveryCode` and `passkey` (an assertion for the options of POST " +
            "/api/device/mfa/passkey/options, made with the platform's passkey API for the same relying party). Each code is accepted once, on the web or here. Five wrong " +
            "codes lock the account for both; a code sent while it is locked gets the answer of a wrong code (401 " +
            "invalid_code): only administrators see the lock. A recovery code (for a lost device) works once and counts " +
            "against the same lock when wrong; the answer then says how many are left (`recoveryCodesLeft`).",
          requestBody: body("mfa-request"),
          responses: {
            "200": { description: "Signed in.", content: json("token-grant") },
            ...common,
            "401": error(
              "challenge_invalid (unknown, used or expired challenge) or invalid_code (a wrong code or recovery code, a " +
                "used recovery code, or locked), invalid_passkey (an assertion refused: unknown credential, replayed " +
                "or foreign challenge, wrong origin or RP id, bad signature, a signature counter that went backwards, " +
                "or locked: the same answer).",
            ),
            "409": error("wrong_step: the challenge is for setup, or MFA changed meanwhile."),
          },
        },
      },
      "/api/device/mfa/passkey/options": {
        post: {
          operationId: "deviceMfaPasskeyOptions",
          // Public: an explicit empty requirement (the caller has no token yet).
          security: [],
          summary: "WebAuthn request options for a passkey second step",
          description:
            "For the challenge of an `mfa_required` answer: request options for the platform's passkey API (the " +
            "server's relying party, the user's passkeys). Each call hands out a new single-use WebAuthn challenge " +
            "(five minutes) and ends the user's previous one; then POST /api/device/mfa with `passkey`.",
          requestBody: body("passkey-options-request"),
          responses: {
            "200": { description: "The request options.", content: json("passkey-options-response") },
            ...common,
            "401": error("challenge_invalid: unknown, used or expired challenge."),
            "409": error("wrong_step (the challenge is for setup) or no_passkey (the user holds no passkey)."),
          },
        },
      },
      "/api/device/mfa/setup": {
        post: {
          operationId: "deviceMfaSetup",
          // Public: an explicit empty requirement (the caller has no token yet).
          security: [],
          summary: "Activate MFA (authenticator app or hardware token), or postpone it",
          requestBody: body("mfa-setup-request"),
          responses: {
            "200": {
              description: "Signed in, or the key of a new app enrollment.",
              content: json("mfa-setup-response"),
            },
            ...common,
            "401": error("challenge_invalid or invalid_code (wrong, or locked: the same answer)."),
            "409": error("setup_required (cannot be postponed any more), hardware_token_unavailable, or wrong_step."),
          },
        },
      },
      "/api/device/me": {
        get: {
          operationId: "deviceMe",
          summary: "The signed-in user",
          security: [{ bearer: [] }],
          responses: {
            "200": { description: "The token's user.", content: json("me-response") },
            "401": error("invalid_token: missing, expired or revoked (sign-out, MFA reset, user disabled)."),
            "503": unavailable,
            ...routing,
          },
        },
      },
      "/api/device/logout": {
        post: {
          operationId: "deviceLogout",
          summary: "Revoke the bearer token",
          security: [{ bearer: [] }],
          responses: {
            "204": { description: "The token is revoked." },
            "401": error("invalid_token."),
            "413": tooLarge,
            "503": unavailable,
            ...routing,
          },
        },
      },
      ...withRoutingAnswers(
        appPaths({
          json: (title) => ({ "application/json": { schema: { $ref: `#/components/schemas/${title}` } } }),
          error,
          unavailable,
        }),
        routing,
        tooLarge,
      ),
    },
    components: {
      schemas,
      responses: { NotFound: notFound, MethodNotAllowed: methodNotAllowed, PayloadTooLarge: tooLarge },
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "A token from a device sign-in." },
      },
    },
  };
}

/**
 * `paths` with the router's own answers on every operation that does not list them already: 404
 * and 405 (`routing`), and 413 (`tooLarge`) on operations that take a body (POST, PUT, PATCH).
 */
function withRoutingAnswers(paths: Json, routing: Json, tooLarge: Json): Json {
  const out: Json = {};
  for (const [path, item] of Object.entries(paths)) {
    const ops: Json = {};
    for (const [method, op] of Object.entries(item as Record<string, Json>)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) {
        ops[method] = op; // parameters, summary: not an operation
        continue;
      }
      const responses = { ...(op.responses as Json) };
      for (const [code, answer] of Object.entries(routing)) responses[code] ??= answer;
      if (["post", "put", "patch"].includes(method)) responses["413"] ??= tooLarge;
      ops[method] = { ...op, responses };
    }
    out[path] = ops;
  }
  return out;
}

function rewriteRefs(value: unknown, title: string, titleOf: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, title, titleOf));
  if (value === null || typeof value !== "object") return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "$ref" && typeof v === "string") out[k] = rewriteRef(v, title, titleOf);
    else out[k] = rewriteRefs(v, title, titleOf);
  }
  return out;
}

function rewriteRef(ref: string, title: string, titleOf: Map<string, string>): string {
  const [file, fragment = ""] = ref.split("#");
  const target = file ? titleOf.get(file) : title;
  if (!target) throw new Error(`device API schema ${title}: cannot place $ref ${ref} in the OpenAPI document`);
  return `#/components/schemas/${target}${fragment}`;
}
