import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/*
 * Every exported function, class, interface, type, enum and constant of engine/ carries a
 * docstring (`/** … *\/` right above it): what it takes and gives (shapes, units), what it throws,
 * and the standard it follows where there is one. Generated files are excepted.
 */

const ENGINE = fileURLToPath(new URL("../../engine/", import.meta.url));
/** Generated from schemas/ by `npm run gen`: documented by the schemas' descriptions. */
const GENERATED = new Set(["schema/types.ts"]);

function* sourceFiles(dir: string): Generator<string> {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, d.name);
    if (d.isDirectory()) yield* sourceFiles(path);
    else if (/\.tsx?$/.test(d.name) && !d.name.endsWith(".d.ts")) yield path;
  }
}

const exported = (node: ts.Node) =>
  ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

/** Names of exported declarations in `source` without a `/**` comment right above them. */
export function undocumentedExports(source: string, fileName = "x.ts"): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const missing: string[] = [];
  for (const node of file.statements) {
    if (!exported(node)) continue;
    let name: string | undefined;
    if (
      ts.isFunctionDeclaration(node) ||
      ts.isClassDeclaration(node) ||
      ts.isInterfaceDeclaration(node) ||
      ts.isTypeAliasDeclaration(node) ||
      ts.isEnumDeclaration(node)
    ) {
      name = node.name?.text ?? "default";
    } else if (ts.isVariableStatement(node)) {
      name = node.declarationList.declarations.map((d) => d.name.getText(file)).join(", ");
    } else continue;
    const ranges = ts.getLeadingCommentRanges(source, node.getFullStart()) ?? [];
    const documented = ranges.some((r) => source.slice(r.pos, r.pos + 3) === "/**");
    if (!documented) missing.push(name);
  }
  return missing;
}

const t = suite("docstrings");

t("an exported declaration without /** */ is found; one with it is not", () => {
  const src = [
    "/** Documented. */",
    "export function a() {}",
    "// a line comment is not a docstring",
    "export const b = 1;",
    "export interface C {}",
    "function local() {}",
  ].join("\n");
  assert.equal(undocumentedExports(src), ["b", "C"]);
});

t("every exported declaration of engine/ has a docstring", () => {
  const missing: string[] = [];
  for (const path of sourceFiles(ENGINE)) {
    const name = relative(ENGINE, path).split("\\").join("/");
    if (GENERATED.has(name)) continue;
    for (const decl of undocumentedExports(readFileSync(path, "utf8"), name)) missing.push(`engine/${name}: ${decl}`);
  }
  assert.ok(missing.length === 0, `${missing.length} exported declarations have no docstring:\n${missing.join("\n")}`);
});

t.run();
