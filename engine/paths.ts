import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The directory that holds package.json: the nearest ancestor of this module's
 * file. The module runs from engine/ under tsx (tests) and bundled into dist/
 * (the server and the CLI), so files read at run time are found from here, not
 * relative to a module's own URL.
 */
function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** Absolute path of the project's root directory. */
export const PROJECT_ROOT = findProjectRoot(dirname(fileURLToPath(import.meta.url)));

/** Where files read at run time live; every path the engine opens by name starts here. */
export const PATHS = {
  /** JSON Schemas: app.schema.json, config.schema.json, keywords/, device-api/. */
  schemas: join(PROJECT_ROOT, "schemas"),
  /** Built-in app definitions (forms/*.app.json). */
  forms: join(PROJECT_ROOT, "forms"),
  /** Plain SQL migrations (NNN_name.sql). */
  migrations: join(PROJECT_ROOT, "engine", "db", "migrations"),
  /** CSS, JS and images served under /static. */
  public: join(PROJECT_ROOT, "public"),
  /** The build's output (bin/build.js): the bundles and the standalone validators; gitignored. */
  dist: join(PROJECT_ROOT, "dist"),
  /** Generated files that may be deleted at any time (the PGlite template); gitignored. */
  cache: join(PROJECT_ROOT, ".cache"),
} as const;
