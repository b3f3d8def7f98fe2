import type { Ajv2020 } from "ajv/dist/2020.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PATHS } from "../paths.js";
import type { SystemBinding } from "./types.js";

/** The engine's own JSON Schema keywords, each with the meta-schema file its value must satisfy. */
export const ENGINE_KEYWORDS = {
  "x-system": "x-system.schema.json",
  "x-widget": "x-widget.schema.json",
  "x-visibleWhen": "x-visible-when.schema.json",
  "x-placeholder": "x-placeholder.schema.json",
} as const;

/** A keyword's meta-schema from schemas/keywords/, as Ajv gets it. */
export function loadKeywordSchema(file: string): Record<string, unknown> {
  const schema = JSON.parse(readFileSync(join(PATHS.schemas, "keywords", file), "utf8")) as Record<string, unknown>;
  // "x-generate" only tells `npm run gen` not to emit a second copy of the type; Ajv would call it unknown.
  delete schema["x-generate"];
  return schema;
}

/**
 * Registers x-system, x-widget, x-visibleWhen and x-placeholder as annotation keywords whose
 * values Ajv checks against their meta-schemas (strict mode stays on, so any
 * other x- keyword is an error), and adds those meta-schemas by $id so
 * app.schema.json can $ref them.
 */
export function registerEngineKeywords(ajv: Ajv2020): void {
  for (const [keyword, file] of Object.entries(ENGINE_KEYWORDS)) {
    const schema = loadKeywordSchema(file);
    ajv.addSchema(schema);
    ajv.addKeyword({ keyword, metaSchema: schema });
  }
}

/** Every value x-system accepts, in the order of DESIGN.md's table. */
export const SYSTEM_BINDINGS = (loadKeywordSchema(ENGINE_KEYWORDS["x-system"]).enum as SystemBinding[]).slice();
