import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PATHS } from "../paths.js";
import { registerEngineKeywords } from "./keywords.js";

// ajv-formats is CommonJS; its default export arrives wrapped under tsx/ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as typeof import("ajv-formats").default;

/** One strict draft 2020-12 validator for every boundary: typos in schemas fail loudly. */
export function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true, useDefaults: false });
  addFormats(ajv);
  registerEngineKeywords(ajv);
  return ajv;
}

export const ajv = createAjv();

export function loadSchema(relativePath: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(PATHS.schemas, relativePath), "utf8"));
}

const compiled = new Map<string, ValidateFunction>();

/** Compiles a schema from schemas/ once and keeps the validator. */
export function validatorFor<T>(relativePath: string): ValidateFunction<T> {
  let v = compiled.get(relativePath);
  if (!v) {
    v = ajv.compile(loadSchema(relativePath));
    compiled.set(relativePath, v);
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
      return `must be ${(e.params as { type: string }).type === "integer" ? "a whole number" : `a ${(e.params as { type: string }).type}`}`;
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

/** The JSON Pointer an error is about, pointing at the missing property for `required`. */
export function errorPointer(e: ErrorObject): string {
  if (e.keyword === "required") {
    return `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`;
  }
  if (e.keyword === "dependentRequired") {
    return `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`;
  }
  return e.instancePath;
}
