import { test } from "uvu";
import * as assert from "uvu/assert";
import { createConfig, lintFromString } from "@redocly/openapi-core";
import { openApiDocument } from "../../engine/web/device/openapi.js";
import { appOpenApiDocument } from "../../engine/web/device/app-openapi.js";
import { compileApp } from "../../engine/apps/compiled-app.js";
import { loadBuiltInDefinitions } from "../../engine/apps/registry.js";
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
  const opened = { app: compileApp(definition, 0), writable: true } as OpenedApp;
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

test.run();
