import type { ValidateFunction } from "ajv/dist/2020.js";
import { createRequire } from "node:module";
import { join } from "node:path";
import { PATHS } from "../paths.js";

/** The build's id, written into the bundles by esbuild (bin/build.js); not defined when running from source. */
declare const FORMGATE_BUILD: string | undefined;

// bin/build.js writes the standalone validators here, next to the bundles.
const STANDALONE_FILE = "validators.cjs";

let table: Record<string, ValidateFunction> | null | undefined;

/**
 * The validator generated at build time for a schemaKey, when this code is a
 * bundle and dist/validators.cjs came from the same build; otherwise (running
 * from source under tsx, no file, another build) undefined, and the caller
 * compiles. The file is read once.
 */
export function precompiledValidator(key: string): ValidateFunction | undefined {
  if (table === undefined) table = load();
  return table?.[key];
}

function load(): Record<string, ValidateFunction> | null {
  const build = typeof FORMGATE_BUILD === "string" ? FORMGATE_BUILD : undefined;
  if (!build) return null;
  try {
    // Ajv standalone's CommonJS exports, one per schemaKey (64 hex digits), and `build`.
    const mod = createRequire(import.meta.url)(join(PATHS.dist, STANDALONE_FILE)) as Record<string, unknown>;
    return mod.build === build ? (mod as Record<string, ValidateFunction>) : null;
  } catch {
    return null;
  }
}
