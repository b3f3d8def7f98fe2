#!/usr/bin/env node
// Builds the server and the `formgate` command from engine/ into dist/, so they run as plain
// JavaScript and nothing is transpiled at run time:
//   1. esbuild bundles each entry (node_modules stay external, resolved at run time, except
//      BUNDLED_PACKAGES);
//   2. the Ajv validators the engine compiles before its first request are written as standalone
//      code (dist/validators.cjs, engine/schema/standalone.ts), so a start compiles no schema;
//   3. (this script only, not ensureBuilt) the PGlite template a new DATA_DIR starts from.
// `npm start` (bin/start.js) and `formgate` (bin/formgate.js) call ensureBuilt() first, which
// rebuilds only when a source changed since the last build; `npm install` runs this file once
// (the `prepare` script).
//
//   node bin/build.js      (npm run build)
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The bundles, dist/NAME.js, and the source file each starts from. Edit here when an entry file moves. */
export const ENTRIES = {
  main: "engine/main.ts",
  cli: "engine/cli/run-cli.ts",
  "build-steps": "engine/build-steps.ts",
};

/**
 * Packages bundled into dist/ instead of resolved from node_modules at run time: Hono and otplib
 * with their dependencies are about 110 small ES modules that every start would otherwise resolve,
 * read and link one by one (~60 ms of the start-up, issue 26). A package listed here that an
 * external package also imports runs twice (its own copy in each): list only packages nothing
 * external imports (@hono/node-server imports hono; otplib its @otplib/* plugins, @noble/hashes
 * and @scure/base), or stateless ones.
 */
const BUNDLED_PACKAGES = new Set([
  "hono",
  "@hono/node-server",
  "otplib",
  "@otplib/core",
  "@otplib/hotp",
  "@otplib/totp",
  "@otplib/uri",
  "@otplib/plugin-base32-scure",
  "@otplib/plugin-crypto-noble",
  "@noble/hashes",
  "@scure/base",
]);

/** The package a bare import names: `hono/jsx` → `hono`, `@hono/node-server/conninfo` → `@hono/node-server`. */
function packageName(specifier) {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** esbuild's `packages: "external"` except BUNDLED_PACKAGES. */
const externalPackages = {
  name: "external-packages",
  setup(build) {
    // A bare specifier (not ./, ../ or /): a package or a node: builtin.
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      BUNDLED_PACKAGES.has(packageName(args.path)) ? undefined : { path: args.path, external: true },
    );
  },
};

/** What the build is made from: a change to any file under these rebuilds. */
const SOURCES = ["engine", "schemas", "forms", "tsconfig.json", "package.json", "bin/build.js"];

// engine/paths.ts names the same directory (PATHS.dist).
const OUT_DIR = join(ROOT, "dist");
const VALIDATORS = join(OUT_DIR, "validators.cjs");
const STAMP = join(OUT_DIR, "build-stamp.json");

/** The file URL of a bundle, for import(). */
export function bundleUrl(name) {
  return pathToFileURL(join(OUT_DIR, `${name}.js`)).href;
}

function* files(path) {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return;
  if (!st.isDirectory()) {
    yield [path, st];
    return;
  }
  for (const name of readdirSync(path).sort()) yield* files(join(path, name));
}

/**
 * SHA-256 over every source file's path, size and modification time (a few
 * milliseconds for the whole tree): any edit, added, removed or restored file
 * gives another fingerprint.
 */
function sourceFingerprint() {
  const hash = createHash("sha256");
  for (const source of SOURCES) {
    for (const [path, st] of files(join(ROOT, source))) {
      hash.update(`${relative(ROOT, path)}\0${st.size}\0${st.mtimeMs}\n`);
    }
  }
  hash.update(JSON.stringify(ENTRIES));
  return hash.digest("hex");
}

function isFresh(fingerprint) {
  try {
    const stamp = JSON.parse(readFileSync(STAMP, "utf8"));
    return (
      stamp.fingerprint === fingerprint &&
      [...Object.keys(ENTRIES).map((name) => join(OUT_DIR, `${name}.js`)), VALIDATORS].every((f) =>
        statSync(f, { throwIfNoEntry: false }),
      )
    );
  } catch {
    return false;
  }
}

// Each file is written under a name of its own and renamed into place, so a process starting
// while another builds never imports half a file.
function writeAtomically(path, contents) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, path);
}

/** esbuild's options for every bundle: the server's entries and the benchmarks (bundleBenchmark). */
const BUNDLE_OPTIONS = {
  absWorkingDir: ROOT,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  plugins: [externalPackages],
  jsx: "automatic",
  jsxImportSource: "hono/jsx",
  // engine/auth/passwords.ts: the suites' cheaper Argon2id cost is undefined here, not looked up at
  // run time (bundleTests alone defines it).
  define: { FORMGATE_TEST_ARGON2ID: "undefined" },
};

/** Bundles every entry into dist/ and writes the standalone validators; returns the build's id. */
export async function build() {
  const fingerprint = sourceFingerprint();
  // esbuild is imported only here: a start that needs no build does not load it.
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    ...BUNDLE_OPTIONS,
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, join(ROOT, file)])),
    outdir: OUT_DIR,
    sourcemap: "linked",
    // engine/schema/precompiled.ts uses dist/validators.cjs only when it was made by the same build.
    define: { ...BUNDLE_OPTIONS.define, FORMGATE_BUILD: JSON.stringify(fingerprint) },
    write: false,
    logLevel: "warning",
  });
  for (const file of result.outputFiles) writeAtomically(file.path, file.contents);
  const steps = await import(`${bundleUrl("build-steps")}?${fingerprint}`);
  writeAtomically(VALIDATORS, steps.buildStandaloneValidators(fingerprint));
  writeAtomically(STAMP, JSON.stringify({ fingerprint, builtAt: new Date().toISOString() }) + "\n");
  // Bundles of an entry that was renamed or removed would only mislead; files of a build still
  // being written by another process end in .tmp.
  const current = new Set([...result.outputFiles.map((f) => basename(f.path)), basename(VALIDATORS), basename(STAMP)]);
  for (const name of readdirSync(OUT_DIR)) {
    if (!current.has(name) && !name.endsWith(".tmp")) rmSync(join(OUT_DIR, name), { force: true });
  }
  return fingerprint;
}

/**
 * Bundles a benchmark (a test/bench/*.ts file) the way the server is bundled, into
 * test/bench/NAME.PID.bundle.mjs beside its source (so paths it takes from import.meta.url still
 * hold; the process id keeps two runs in one checkout apart),
 * and returns that file's path. A benchmark then measures the engine's code as `npm start` runs it:
 * under tsx every function created at run time also goes through a `__name` call (esbuild's
 * keepNames, which tsx turns on), about 5% of an edit form's rendering.
 */
export async function bundleBenchmark(file) {
  const esbuild = await import("esbuild");
  const outfile = join(ROOT, file.replace(/\.tsx?$/, `.${process.pid}.bundle.mjs`));
  await esbuild.build({ ...BUNDLE_OPTIONS, entryPoints: [join(ROOT, file)], outfile, logLevel: "warning" });
  return outfile;
}

/**
 * `import.meta` in the suites' bundles (ownImportMeta): each expression, the name esbuild's
 * `define` turns it into, and that name's value for a module at `path`.
 */
const OWN_IMPORT_META = [
  ["import.meta.url", "__formgate_own_import_meta_url", (path) => pathToFileURL(path).href],
  ["import.meta.dirname", "__formgate_own_import_meta_dirname", (path) => dirname(path)],
  ["import.meta.filename", "__formgate_own_import_meta_filename", (path) => path],
];

/**
 * Each module sees its own source file as `import.meta.url` (and `.dirname`, `.filename`), as it
 * does under tsx, wherever the bundle that holds it is written: test helpers take paths from it
 * (`new URL("../../", …)`). esbuild's `define` turns the expressions, never text inside strings or
 * comments, into names that this plugin declares at the start of each module's first line (so
 * source-map lines stay), with that module's own values. It hands esbuild every file it reads, so
 * no file is read twice.
 */
const ownImportMeta = {
  name: "own-import-meta",
  setup(build) {
    build.onLoad({ filter: /\.(ts|tsx|js|mjs)$/ }, (args) => {
      const source = readFileSync(args.path, "utf8");
      const loader = args.path.endsWith(".tsx") ? "tsx" : args.path.endsWith(".ts") ? "ts" : "js";
      if (!source.includes("import.meta")) return { contents: source, loader };
      const declared = OWN_IMPORT_META.map(([, name, valueAt]) => `${name} = ${JSON.stringify(valueAt(args.path))}`);
      return { contents: `const ${declared.join(", ")};${source}`, loader };
    });
  },
};

/**
 * Bundles test suites (paths relative to the project, or absolute) in one esbuild pass into
 * `outdir`: one ES module per suite at its path under the project (test/web/x.test.ts →
 * outdir/test/web/x.test.js) and the code they share in outdir/chunks. Packages are bundled or
 * left external as in the server's bundles; names are kept (tsx keeps them too). Loading a suite's bundle takes
 * about half the CPU of loading its sources through tsx, whose loader resolves and transforms each
 * of the few hundred engine modules a suite imports one by one. Returns suite path → bundle path.
 */
export async function bundleTests(suites, outdir) {
  const esbuild = await import("esbuild");
  await esbuild.build({
    ...BUNDLE_OPTIONS,
    plugins: [externalPackages, ownImportMeta],
    entryPoints: suites,
    outdir,
    outbase: ROOT,
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    keepNames: true,
    sourcemap: "linked",
    // engine/auth/passwords.ts: Argon2id at 1 MiB and 1 pass in the suites' own processes (tested
    // at its real cost by test/auth/password-cost.test.ts, whose child runs through tsx).
    define: {
      ...Object.fromEntries(OWN_IMPORT_META.map(([expression, name]) => [expression, name])),
      FORMGATE_TEST_ARGON2ID: JSON.stringify({ memoryCost: 1024, timeCost: 1 }),
    },
    logLevel: "warning",
  });
  return new Map(
    suites.map((suite) => [suite, join(outdir, relative(ROOT, resolve(ROOT, suite)).replace(/\.tsx?$/, ".js"))]),
  );
}

/** Rebuilds dist/ when a source changed since the last build; otherwise returns at once. */
export async function ensureBuilt() {
  if (!isFresh(sourceFingerprint())) await build();
}

/** The PGlite template for the current migrations (made only when the cache has none). */
export async function makePgliteTemplate() {
  const { pgliteTemplateDir } = await import(bundleUrl("build-steps"));
  await pgliteTemplateDir();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const start = performance.now();
  await build();
  console.log(
    `formgate: built ${relative(process.cwd(), OUT_DIR) || "."} in ${Math.round(performance.now() - start)} ms`,
  );
  const t = performance.now();
  await makePgliteTemplate();
  console.log(`formgate: PGlite template ready in ${Math.round(performance.now() - t)} ms`);
}
