import type { Ajv2020, ErrorObject, Options, SchemaObject, ValidateFunction } from "ajv/dist/2020.js";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { PATHS } from "../paths.js";
import { ENGINE_KEYWORDS, loadKeywordSchema, registerEngineKeywords } from "./keywords.js";
import { escapePointer } from "./identifiers.js";
import { precompiledValidator } from "./precompiled.js";

// Ajv and ajv-formats are CommonJS and are required on first use: a server whose validators were
// all generated at build time (engine/schema/standalone.ts) never loads them.
const require = createRequire(import.meta.url);

/** The options of every instance: strict draft 2020-12, so typos in schemas fail loudly. */
export const AJV_OPTIONS: Options = { strict: true, allErrors: true, useDefaults: false };

/**
 * A strict draft 2020-12 validator with formats and the engine's keywords.
 * `source: true` keeps each validator's code for Ajv standalone (the build).
 */
export function createAjv(options: { source?: boolean } = {}): Ajv2020 {
  const { Ajv2020 } = require("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js");
  const addFormats = require("ajv-formats") as typeof import("ajv-formats").default;
  const ajv = new Ajv2020({ ...AJV_OPTIONS, ...(options.source ? { code: { source: true } } : {}) });
  addFormats(ajv);
  registerEngineKeywords(ajv);
  return ajv;
}

let shared: Ajv2020 | undefined;

/** The one instance every boundary compiles with, made on first use (it compiles Ajv's meta-schema). */
export function sharedAjv(): Ajv2020 {
  return (shared ??= createAjv());
}

/**
 * Reads and parses a JSON Schema file of `schemas/` by its path relative to that folder; throws
 * when it is missing or not JSON.
 */
export function loadSchema(relativePath: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(PATHS.schemas, relativePath), "utf8")) as Record<string, unknown>;
}

let context: string | undefined;

/**
 * SHA-256 (hex) naming a schema as the engine compiles it: the schema, the
 * schemas it refers to, Ajv's options and the engine keywords' meta-schemas.
 * Equal keys compile to the same validator; build-time code is found by it.
 */
export function schemaKey(schema: SchemaObject, refs: readonly SchemaObject[] = []): string {
  context ??= JSON.stringify([AJV_OPTIONS, Object.values(ENGINE_KEYWORDS).map(loadKeywordSchema)]);
  return createHash("sha256")
    .update(context)
    .update(JSON.stringify([schema, refs]))
    .digest("hex");
}

/** A schema compiled in this process, kept for reuse and for the build's standalone code. */
export interface CompiledSchema {
  schema: SchemaObject;
  refs: readonly SchemaObject[];
  validate: ValidateFunction;
}

// Bounded: apps saved in the designer bring new record schemas while the server runs.
const CACHE_LIMIT = 1000;
const compiled = new Map<string, CompiledSchema>();

/**
 * The validator for a schema, compiled once per process and reused: the
 * standalone code generated for the same key at build time when the server
 * runs from dist/, else compiled now with the shared instance. `refs` are
 * schemas it refers to by $id. `transient` drops the schema from Ajv's own
 * cache after compiling (the engine keeps the function). Throws Ajv's error
 * for a schema that strict mode refuses.
 */
export function compileSchema<T>(
  schema: SchemaObject,
  options: { refs?: readonly SchemaObject[]; transient?: boolean } = {},
): ValidateFunction<T> {
  const refs = options.refs ?? [];
  const key = schemaKey(schema, refs);
  let entry = compiled.get(key);
  if (entry) {
    // Least recently used goes first when the cache is full.
    compiled.delete(key);
  } else {
    entry = { schema, refs, validate: precompiledValidator(key) ?? compileNow(schema, refs, options.transient) };
    if (compiled.size >= CACHE_LIMIT) compiled.delete(compiled.keys().next().value!);
  }
  compiled.set(key, entry);
  return entry.validate as ValidateFunction<T>;
}

function compileNow(schema: SchemaObject, refs: readonly SchemaObject[], transient = false): ValidateFunction {
  const ajv = sharedAjv();
  for (const ref of refs) if (!ajv.getSchema(ref.$id as string)) ajv.addSchema(ref);
  const id = schema.$id;
  const known = id ? ajv.getSchema(id) : undefined;
  if (known) return known;
  try {
    return ajv.compile(schema);
  } finally {
    if (transient) ajv.removeSchema(schema);
  }
}

/** Every schema compiled in this process so far (the build turns them into standalone code). */
export function compiledSchemas(): CompiledSchema[] {
  return [...compiled.values()];
}

const byPath = new Map<string, ValidateFunction>();

/** The validator of a schema file under schemas/, compiled once. */
export function validatorFor<T>(relativePath: string): ValidateFunction<T> {
  let v = byPath.get(relativePath);
  if (!v) {
    v = compileSchema(loadSchema(relativePath));
    byPath.set(relativePath, v);
  }
  return v as ValidateFunction<T>;
}

/** A plain-language message for one Ajv error, without the pointer. */
export function describeError(e: ErrorObject): string {
  switch (e.keyword) {
    case "required":
      return `is required`;
    case "additionalProperties":
      return `has an unknown property "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    case "enum":
      return `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
    case "type":
      return `must be ${typeWords((e.params as { type: string }).type)}`;
    case "minLength":
      return `must be at least ${(e.params as { limit: number }).limit} characters`;
    case "maxLength":
      return `must be at most ${(e.params as { limit: number }).limit} characters`;
    case "minimum":
      return `must be at least ${(e.params as { limit: number }).limit}`;
    case "maximum":
      return `must be at most ${(e.params as { limit: number }).limit}`;
    case "dependentRequired":
      return `is required when ${(e.params as { property: string }).property} is set`;
    case "format":
      return `must be a valid ${(e.params as { format: string }).format}`;
    case "pattern":
      return `has an invalid format`;
    default:
      return e.message ?? "is invalid";
  }
}

/** "a whole number", "an object", "a string" (Ajv's `type` in words; one type or several joined by commas). */
function typeWords(type: string): string {
  if (type === "integer") return "a whole number";
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/**
 * The JSON Pointer an error is about, pointing at the missing property for `required` (its name
 * escaped as RFC 6901 says, like Ajv's instancePath).
 */
export function errorPointer(e: ErrorObject): string {
  if (e.keyword === "required" || e.keyword === "dependentRequired") {
    return `${e.instancePath}/${escapePointer((e.params as { missingProperty: string }).missingProperty)}`;
  }
  return e.instancePath;
}
