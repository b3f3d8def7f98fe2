import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/*
 * Packages the server loads only when a feature needs them, not at start (issue 26: every package
 * imported statically is resolved, read and linked before the server can open its database).
 * They may be imported with `import type`, a dynamic `import()` or a `require` made by
 * createRequire, never with a run-time `import … from`.
 */
const LAZY_PACKAGES = [
  "prom-client", // engine/ops/metrics.ts: only with METRICS_TOKEN
  "nodemailer", // engine/mail/smtp-transport.ts: at the first mail sent
  "csv-parse", // engine/mfa/hardware/csv.ts: at the first token file read
  "@simplewebauthn/server", // engine/mfa/passkeys/webauthn-library.ts: at the first passkey operation
  "ajv", // engine/schema/ajv.ts: only for a schema the build did not compile
  "ajv-formats",
];

const ENGINE = fileURLToPath(new URL("../../engine/", import.meta.url));

function* sourceFiles(dir: string): Generator<string> {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, d.name);
    if (d.isDirectory()) yield* sourceFiles(path);
    else if (/\.tsx?$/.test(d.name) && !d.name.endsWith(".d.ts")) yield path;
  }
}

/** The package a bare specifier names: `csv-parse/sync` → `csv-parse`, `@a/b/c` → `@a/b`. */
const packageName = (specifier: string) =>
  specifier
    .split("/")
    .slice(0, specifier.startsWith("@") ? 2 : 1)
    .join("/");

/** The specifiers of a file's static imports and re-exports that stay at run time (not type-only). */
function staticRuntimeImports(source: string, fileName: string): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TSX);
  const found: string[] = [];
  for (const node of file.statements) {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause?.isTypeOnly ||
        (clause !== undefined &&
          !clause.name &&
          clause.namedBindings !== undefined &&
          ts.isNamedImports(clause.namedBindings) &&
          clause.namedBindings.elements.length > 0 &&
          clause.namedBindings.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) found.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.isTypeOnly) found.push(node.moduleSpecifier.text);
    }
  }
  return found;
}

const t = suite("packages loaded on first use");

t("the scan sees a run-time import and lets a type-only one pass", () => {
  const src = `import type { A } from "prom-client";\nimport { type B } from "nodemailer";\nimport { parse } from "csv-parse/sync";\n`;
  assert.equal(staticRuntimeImports(src, "x.ts").map(packageName), ["csv-parse"]);
});

t("no file of engine/ imports them statically", () => {
  const offenders: string[] = [];
  for (const path of sourceFiles(ENGINE)) {
    for (const specifier of staticRuntimeImports(readFileSync(path, "utf8"), path)) {
      if (LAZY_PACKAGES.includes(packageName(specifier))) offenders.push(`${relative(ENGINE, path)}: ${specifier}`);
    }
  }
  assert.equal(offenders, []);
});

t.run();
