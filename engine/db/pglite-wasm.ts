import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

let compiled: Promise<WebAssembly.Module> | undefined;

/**
 * PostgreSQL's WebAssembly module (PGlite's pglite.wasm, 9 MB), compiled once per process and
 * handed to PGlite (its `pgliteWasmModule` option). Left to PGlite, compiling would start only
 * after PGlite has been imported, has read its file system bundle and set up its extensions, and
 * PGlite would then wait for it with nothing else to do (issue 26). V8 compiles on background
 * threads; the file is read synchronously (a few milliseconds) so that compiling starts at this
 * call, while PGlite's JavaScript is imported.
 */
export function pgliteWasmModule(): Promise<WebAssembly.Module> {
  // An async function runs up to its first await at once: the read and the compile start here,
  // and an error (no such file) becomes the promise's rejection.
  compiled ??= (async () =>
    WebAssembly.compile(readFileSync(fileURLToPath(import.meta.resolve("@electric-sql/pglite/pglite.wasm")))))();
  return compiled;
}
