// The OpenAPI paths of the device API's apps and records (/api/device/apps/…), shared by
// /api/openapi.json (record bodies generic) and the per-app document (app-openapi.ts).
import { MAX_JSON_DEPTH } from "../../util/json-depth.js";

type Json = Record<string, unknown>;

/** How the paths refer to the document's components, as openapi.ts builds them. */
export interface OpenApiParts {
  /** `content` of a JSON body with this component schema. */
  json(title: string): Json;
  /** A refusal answered with the error body. */
  error(description: string): Json;
  /** The 503 answer (database unreachable, Retry-After). */
  unavailable: Json;
}

const appId = { name: "appId", in: "path", required: true, schema: { type: "string" }, description: "The app's id." };
const recordId = {
  name: "recordId",
  in: "path",
  required: true,
  schema: { type: "string", format: "uuid" },
  description: "The record's id.",
};
const limit = {
  name: "limit",
  in: "query",
  schema: { type: "integer", minimum: 1, maximum: 200, default: 50 },
  description: "Records per page.",
};

/** The app paths, each with its operation ids, parameters, bodies and answers. */
export function appPaths(p: OpenApiParts): Json {
  const security = [{ bearer: [] }];
  const common = {
    "401": p.error("invalid_token: missing, expired or revoked."),
    "403": p.error(
      "forbidden (the app is not open to this role, or only administrators change records) or mfa_setup_required " +
        "(MFA is on for the user and not set up: a token got without a code opens no app).",
    ),
    "404": p.error("not_found: no such app (or record) on the user's site."),
    "503": p.unavailable,
  };
  const bodyErrors = {
    "400": p.error(
      `malformed_json (not JSON, or nested more than ${MAX_JSON_DEPTH} levels deep) or unsupported_media_type (not application/json).`,
    ),
    "413": p.error("The body is larger than 256 KiB."),
    "422": p.error(
      "validation_failed: `fields` names each problem by JSON Pointer into the body (/data/name), with the web's message " +
        "(a query parameter by its name; a `version` the record never had is one too).",
    ),
  };
  return {
    "/api/device/apps": {
      get: {
        operationId: "deviceApps",
        summary: "The apps this user may open",
        security,
        responses: {
          "200": { description: "Id, title and published version of each app.", content: p.json("DeviceAppList") },
          "401": common["401"],
          "403": common["403"],
          "503": common["503"],
        },
      },
    },
    "/api/device/apps/{appId}": {
      get: {
        operationId: "deviceApp",
        summary: "An app's published definition",
        security,
        parameters: [appId],
        responses: { "200": { description: "The definition.", content: p.json("DeviceAppDefinition") }, ...common },
      },
    },
    "/api/device/apps/{appId}/openapi.json": {
      get: {
        operationId: "deviceAppOpenApi",
        summary: "This API described for one app, its record schema the app's own",
        security,
        parameters: [appId],
        responses: {
          "200": {
            description: "An OpenAPI 3.1 document.",
            content: { "application/json": { schema: { type: "object" } } },
          },
          ...common,
        },
      },
    },
    "/api/device/apps/{appId}/records": {
      get: {
        operationId: "deviceRecords",
        summary: "List records, or sync the changes since a cursor",
        description:
          "Without changedSince: one page of the list as the web shows it (q, sort, after, limit) → DeviceRecordPage. " +
          "With changedSince (0 for everything): the records created or changed since, the ids deleted since and the " +
          "next cursor → DeviceRecordChanges; ask again with the cursor until both lists are empty. A cursor older " +
          "than the kept deletions (30 days) answers 410 cursor_expired: load again from 0.",
        security,
        parameters: [
          appId,
          { name: "q", in: "query", schema: { type: "string", maxLength: 100 }, description: "Search words." },
          {
            name: "sort",
            in: "query",
            schema: { type: "string" },
            description: "A sortable column, with a leading - for descending.",
          },
          { name: "after", in: "query", schema: { type: "string" }, description: "`next` of the previous page." },
          limit,
          {
            name: "changedSince",
            in: "query",
            schema: { type: "string" },
            description: "0, or the cursor of the previous sync page.",
          },
        ],
        responses: {
          "200": {
            description: "A list page, or a sync page (with changedSince).",
            content: {
              "application/json": {
                schema: {
                  oneOf: [
                    { $ref: "#/components/schemas/DeviceRecordPage" },
                    { $ref: "#/components/schemas/DeviceRecordChanges" },
                  ],
                },
              },
            },
          },
          ...common,
          "410": p.error("cursor_expired: load every record again with changedSince=0."),
          "422": bodyErrors["422"],
        },
      },
      post: {
        operationId: "deviceCreateRecord",
        summary: "Create a record",
        security,
        parameters: [
          appId,
          {
            name: "Idempotency-Key",
            in: "header",
            schema: { type: "string", minLength: 1, maxLength: 200 },
            description: "Makes a retry answer with the record the first create made (kept 24 hours).",
          },
        ],
        requestBody: { required: true, content: p.json("DeviceRecordCreate") },
        responses: {
          "201": { description: "Created.", content: p.json("DeviceRecord") },
          "200": {
            description:
              "A retry with the same Idempotency-Key: the first create's record (Idempotent-Replayed: true).",
            content: p.json("DeviceRecord"),
          },
          ...common,
          ...bodyErrors,
          "409": p.error("idempotency_key_reused: the key was used with other values."),
        },
      },
    },
    "/api/device/apps/{appId}/records/{recordId}": {
      get: {
        operationId: "deviceRecord",
        summary: "One record",
        security,
        parameters: [appId, recordId],
        responses: { "200": { description: "The record.", content: p.json("DeviceRecord") }, ...common },
      },
      patch: {
        operationId: "deviceUpdateRecord",
        summary: "Change a record",
        security,
        parameters: [appId, recordId],
        requestBody: { required: true, content: p.json("DeviceRecordUpdate") },
        responses: {
          "200": { description: "Saved: the new version.", content: p.json("DeviceRecord") },
          ...common,
          ...bodyErrors,
          "409": p.error(
            "conflict: someone saved first; `changed` names the fields they changed, `current` is the record now.",
          ),
        },
      },
      delete: {
        operationId: "deviceDeleteRecord",
        summary: "Delete a record",
        security,
        parameters: [
          appId,
          recordId,
          {
            name: "version",
            in: "query",
            schema: { type: "integer", minimum: 1 },
            description: "Delete only this version.",
          },
        ],
        responses: {
          "204": { description: "Deleted." },
          ...common,
          "409": p.error(
            "conflict: the record has a newer version than the one given; `changed` names the fields changed since it.",
          ),
          "422": bodyErrors["422"],
        },
      },
    },
  };
}
