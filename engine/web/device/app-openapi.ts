// GET /api/device/apps/:appId/openapi.json: the device API described for one app, so a client
// generator (openapi-typescript, …) types that app's records. It is /api/openapi.json with the app
// paths fixed to this app and the record bodies' `data` described by the app's own record schema.
import type { OpenedApp } from "../../device/device-apps.js";
import type { FieldSchema } from "../../schema/types.js";
import { openApiDocument } from "./openapi.js";

// The OpenAPI document is walked as plain JSON, whose shape the device API tests check.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument --
   a JSON document walked by key; openapi.test.ts validates the result against the OpenAPI 3.1 schema */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
type Json = Record<string, any>;

/** The app's record schema for a PATCH: every field optional, null to clear it. */
function patchSchema(properties: Record<string, FieldSchema | undefined>): Json {
  const props: Json = {};
  for (const [name, f] of Object.entries(properties)) {
    if (!f || f.readOnly) continue;
    props[name] = { anyOf: [f, { type: "null" }] };
  }
  return { type: "object", additionalProperties: false, properties: props };
}

/** The list operation of an app whose records cannot be synced: no changedSince, no sync answers. */
function withoutSync(op: Json): Json {
  const responses: Json = {
    ...op.responses,
    "200": {
      description: "A list page.",
      content: { "application/json": { schema: { $ref: "#/components/schemas/DeviceRecordPage" } } },
    },
  };
  delete responses["410"];
  return {
    ...op,
    summary: "List records",
    description:
      "One page of the list as the web shows it (q, sort, after, limit). This app's records cannot be synced.",
    parameters: (op.parameters as Json[]).filter((p) => p.name !== "changedSince"),
    responses,
  };
}

/**
 * The OpenAPI 3.1 document of the device API for one opened app (its published version), with only
 * the operations this user may use on it: no create, change or delete where they may not change its
 * records, no changedSince where its records cannot be synced.
 */
export function appOpenApiDocument(o: OpenedApp): Json {
  const doc = structuredClone<Json>(openApiDocument());
  const { app } = o;
  doc.info = {
    ...doc.info,
    title: `Formgate device API: ${app.title}`,
    version: `1 (app ${app.id} version ${app.version})`,
  };
  const paths: Json = {};
  for (const [path, item] of Object.entries(doc.paths as Json)) {
    if (!path.startsWith("/api/device/apps/{appId}")) {
      paths[path] = item;
      continue;
    }
    const fixed: Json = {};
    for (const [method, op] of Object.entries(item as Json)) {
      // Only what this app allows this user: the refused operations would answer 403 (or 422) always.
      if (method !== "get" && !o.writable) continue;
      fixed[method] = { ...op, parameters: (op.parameters as Json[]).filter((p) => p.name !== "appId") };
      if (op.operationId === "deviceRecords" && !o.syncable) fixed[method] = withoutSync(fixed[method]);
    }
    paths[path.replace("{appId}", app.id)] = fixed;
  }
  doc.paths = paths;
  const schemas = doc.components.schemas as Json;
  hoistDefs(doc, schemas);
  const record = structuredClone(app.definition.record) as Json;
  // Read-only fields come back from the server but are never sent.
  const input = {
    ...record,
    properties: Object.fromEntries(Object.entries(record.properties).filter(([, f]) => !(f as Json).readOnly)),
  };
  schemas.AppRecordData = { ...record, title: `${app.title} record`, required: undefined, additionalProperties: false };
  delete schemas.AppRecordData.required;
  schemas.AppRecordInput = { ...input, title: `${app.title} record (to create)`, additionalProperties: false };
  schemas.AppRecordPatch = { ...patchSchema(app.definition.record.properties), title: `${app.title} record (changes)` };
  schemas.DeviceRecord.properties.data = { $ref: "#/components/schemas/AppRecordData" };
  schemas.DeviceRecordCreate.properties.data = { $ref: "#/components/schemas/AppRecordInput" };
  schemas.DeviceRecordUpdate.properties.data = { $ref: "#/components/schemas/AppRecordPatch" };
  return doc;
}

/**
 * Moves each component's `$defs` to components of their own (`Title_name`) and points the $refs
 * there: generators such as openapi-typescript read `#/components/schemas/X/$defs/y` as a member of
 * X's own type, which makes a union that lists its $defs refer to itself.
 */
function hoistDefs(doc: Json, schemas: Json): void {
  const moved = new Map<string, string>();
  for (const [title, schema] of Object.entries(schemas)) {
    const defs = (schema as Json).$defs as Json | undefined;
    if (!defs) continue;
    for (const [name, def] of Object.entries(defs)) {
      schemas[`${title}_${name}`] = def;
      moved.set(`#/components/schemas/${title}/$defs/${name}`, `#/components/schemas/${title}_${name}`);
    }
    delete (schema as Json).$defs;
  }
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      const o = v as Json;
      if (typeof o.$ref === "string" && moved.has(o.$ref)) o.$ref = moved.get(o.$ref);
      Object.values(o).forEach(walk);
    }
  };
  walk(doc);
}
