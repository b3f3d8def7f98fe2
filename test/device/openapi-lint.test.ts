/* eslint-disable @typescript-eslint/no-explicit-any -- the OpenAPI document is walked as plain JSON, as the OpenAPI schema test checks it */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createConfig, lintFromString } from "@redocly/openapi-core";
import { openApiDocument } from "../../engine/web/device/openapi.js";
import { DEVICE_BODY_LIMIT_BYTES } from "../../engine/web/device/body.js";
import { startTestEnv } from "../helpers/app.js";
import { api, assertError } from "./client.js";
import { appOpenApiDocument } from "../../engine/web/device/app-openapi.js";
import { compileApp } from "../../engine/apps/compiled-app.js";
import { loadBuiltInDefinitions } from "../../engine/apps/app-registry.js";
import type { OpenedApp } from "../../engine/device/device-apps.js";

// What a mobile developer runs before generating a client: Redocly's "recommended" rules, from the
// npm package (no network: the rules ship with it). Errors fail; warnings (e.g. no licence) are allowed.
async function lint(doc: unknown) {
  const config = await createConfig({ extends: ["recommended"] });
  const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: "/api/openapi.json", config });
  return problems
    .filter((p) => p.severity === "error")
    .map((p) => `${p.ruleId} ${p.location[0]?.pointer ?? ""}: ${p.message}`);
}

test("/api/openapi.json passes Redocly's recommended lint with no errors", async () => {
  assert.equal(await lint(openApiDocument()), []);
});

test("each app's own document (/api/device/apps/:appId/openapi.json) passes the same lint", async () => {
  const definition = loadBuiltInDefinitions().get("equipment-inspections")!;
  const opened = { app: compileApp(definition, 0), writable: true, syncable: true } as OpenedApp;
  const doc = appOpenApiDocument(opened);
  assert.equal(await lint(doc), []);
  assert.ok(doc.paths["/api/device/apps/equipment-inspections/records/{recordId}"].patch);
  assert.is(doc.components.schemas.AppRecordData.properties.result["x-widget"], "radio");
});

test("the lint is not a rubber stamp: no servers and an operation without security are errors", async () => {
  const doc = openApiDocument() as { servers?: unknown; paths: Record<string, { post?: { security?: unknown } }> };
  delete doc.servers;
  delete doc.paths["/api/device/login"]!.post!.security;
  const errors = await lint(doc);
  assert.ok(
    errors.some((e) => e.startsWith("no-empty-servers")),
    errors.join("\n"),
  );
  assert.ok(
    errors.some((e) => e.startsWith("security-defined #/paths/~1api~1device~1login/post")),
    errors.join("\n"),
  );
});

test("GET /api/device/me describes the user's MFA state and days left", () => {
  const doc = openApiDocument() as { components: { schemas: Record<string, any> } };
  const mfa = doc.components.schemas.DeviceMe.properties.mfa;
  assert.equal(mfa.required, ["state", "requiredFrom", "daysLeft", "method"]);
  assert.equal(mfa.properties.state.enum, ["off", "pending", "overdue", "activated"]);
});

// Issue 20, fault 15: every answer the router can give is in the document — 413 for a body over the
// limit, 405 (with Allow) for another method, 404 for an unknown path — and the server gives them.
test("every operation lists 404 and 405, every POST 413, and the server answers each as documented", async () => {
  const doc = openApiDocument() as any;
  const ops: [string, string, any][] = [];
  for (const [path, item] of Object.entries<any>(doc.paths))
    for (const [method, op] of Object.entries<any>(item)) ops.push([path, method, op]);
  assert.ok(ops.length >= 5);
  for (const [path, method, op] of ops) {
    assert.ok(op.responses["404"] && op.responses["405"], `${method} ${path} lists 404 and 405`);
    if (method === "post") assert.ok(op.responses["413"], `POST ${path} lists 413`);
  }
  assert.ok(doc.components.responses.MethodNotAllowed.headers.Allow);
  const env = await startTestEnv();
  try {
    const big = JSON.stringify({ username: "x".repeat(DEVICE_BODY_LIMIT_BYTES) });
    const cases: [string, string, string | undefined, number, string][] = [
      ["POST", "/api/device/logout", big, 413, "body_too_large"],
      ["POST", "/api/device/mfa", big, 413, "body_too_large"],
      ["GET", "/api/device/login", undefined, 405, "method_not_allowed"],
      ["DELETE", "/api/device/me", undefined, 405, "method_not_allowed"],
      ["GET", "/api/device/tokens", undefined, 404, "not_found"],
    ];
    for (const [method, path, body, status, code] of cases) {
      const r = await api(env.app, method, path, body);
      assertError(r, status, code);
      const op =
        doc.paths[path]?.[method.toLowerCase()] ??
        Object.values<any>(doc.paths[path] ?? doc.paths["/api/device/me"])[0];
      assert.ok(op.responses[String(status)], `${method} ${path}: ${status} is documented`);
      if (status === 405) assert.ok(r.headers.get("allow"), "405 names the method in Allow");
    }
  } finally {
    await env.close();
  }
});

test.run();
