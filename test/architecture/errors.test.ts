import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/*
 * One error vocabulary (docs/architecture.md, "Errors"), read from the source:
 *
 *   - nothing under engine/ outside web/ and the entry points imports Hono, the HTTP framework:
 *     the domain does not know about statuses, contexts or responses. Hono's JSX (hono/jsx,
 *     hono/html, hono/utils/html) is the template language of engine/render/ and stays allowed
 *     (tsconfig's jsxImportSource makes every .tsx file use it);
 *   - every error class declared under engine/ extends the domain base DomainError
 *     (engine/errors.ts), so the one mapping in engine/web/ gives it a status; the errors that never
 *     reach a route (configuration, start-up, the command line, errors caught where they are thrown)
 *     are listed below with the reason.
 */

const ENGINE = fileURLToPath(new URL("../../engine/", import.meta.url));

/** Files outside web/ that may import Hono: the server's entry points. */
const HONO_ENTRY_POINTS = new Set(["main.ts", "start.ts"]);
/** Hono's template language (JSX and the html helpers), not its HTTP layer. */
const HONO_TEMPLATES = /^hono\/(jsx(\/.*)?|html|utils\/html)$/;

/** Error classes that never reach a route, each with why. Names not (or no longer) declared are ignored. */
const APART: Readonly<Record<string, string>> = {
  ConfigError: "configuration read at start-up; the server does not start",
  TotpConfigError: "TOTP parameters a caller got wrong (a bug or the configuration), never user input",
  DataDirInUseError: "start-up and the command line: another process holds the data directory",
  CsvEncodingError: "caught in mfa/hardware/token-file.ts and thrown again as ImportFileError (a ValidationError)",
  CsvFileError: "caught in mfa/hardware/token-file.ts and thrown again as ImportFileError (a ValidationError)",
  RowError: "private to mfa/hardware/pskc.ts, caught there and reported as a bad row",
  JsonTooDeepError:
    "like JSON.parse's SyntaxError, caught by each reader of client JSON (util/json-depth.ts) and answered as its refusal",
};
/** Every class declared under engine/cli/ is a command-line error, reported on stderr with an exit code. */
const CLI_FOLDER = "cli/";

function* sourceFiles(dir: string): Generator<string> {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, d.name);
    if (d.isDirectory()) yield* sourceFiles(path);
    else if (/\.tsx?$/.test(d.name) && !d.name.endsWith(".d.ts")) yield path;
  }
}

const files = [...sourceFiles(ENGINE)].map((path) => ({
  rel: relative(ENGINE, path).split("\\").join("/"),
  source: ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, false, ts.ScriptKind.TSX),
}));

/** Every module a file imports or re-exports, type-only ones included. */
export function importedModules(file: ts.SourceFile): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const lit = node.argument.literal;
      if (ts.isStringLiteral(lit)) found.push(lit.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** True when `specifier` is Hono's HTTP layer (hono, @hono/*, hono/* but its templates). */
export function isHonoHttp(specifier: string): boolean {
  if (specifier.startsWith("@hono/")) return true;
  if (specifier !== "hono" && !specifier.startsWith("hono/")) return false;
  return !HONO_TEMPLATES.test(specifier);
}

/** Every class declared under engine/: its file and the name of the class it extends (null when none). */
export function declaredClasses(file: ts.SourceFile): { name: string; base: string | null }[] {
  const out: { name: string; base: string | null }[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isClassDeclaration(node) || ts.isClassExpression(node)) && node.name) {
      const clause = node.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword);
      const expr = clause?.types[0]?.expression;
      out.push({ name: node.name.text, base: expr ? expr.getText(file).replace(/^.*\./, "") : null });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}

const t = suite("one error vocabulary");

t("the Hono check tells the HTTP layer from the templates", () => {
  assert.ok(isHonoHttp("hono"));
  assert.ok(isHonoHttp("hono/http-exception"));
  assert.ok(isHonoHttp("hono/utils/http-status"));
  assert.ok(isHonoHttp("@hono/node-server"));
  assert.not.ok(isHonoHttp("hono/jsx"));
  assert.not.ok(isHonoHttp("hono/jsx/jsx-runtime"));
  assert.not.ok(isHonoHttp("hono/html"));
  assert.not.ok(isHonoHttp("honorific"));
  const typeOnly = ts.createSourceFile("x.ts", 'import type { Context } from "hono";', ts.ScriptTarget.Latest, true);
  assert.equal(importedModules(typeOnly), ["hono"], "a type-only import counts: the domain should not know the type");
});

t("nothing under engine/ outside web/ and the entry points imports Hono's HTTP layer", () => {
  const offenders = files
    .filter((f) => !f.rel.startsWith("web/") && !HONO_ENTRY_POINTS.has(f.rel))
    .flatMap((f) =>
      importedModules(f.source)
        .filter(isHonoHttp)
        .map((m) => `${f.rel} imports ${m}`),
    );
  assert.equal(offenders, []);
});

t("the class check follows a chain of bases", () => {
  const file = ts.createSourceFile(
    "x.ts",
    "class A extends Error {}\nclass B extends errors.DomainError {}\nclass C {}",
    ts.ScriptTarget.Latest,
    true,
  );
  assert.equal(declaredClasses(file), [
    { name: "A", base: "Error" },
    { name: "B", base: "DomainError" },
    { name: "C", base: null },
  ]);
});

t("every error class under engine/ extends DomainError, but those listed apart", () => {
  const base = new Map<string, { base: string | null; file: string }>();
  for (const f of files) {
    for (const c of declaredClasses(f.source)) base.set(c.name, { base: c.base, file: f.rel });
  }
  /** The chain of bases of a class, up to a class not declared under engine/ (Error, HTTPException, …). */
  const chain = (name: string): string[] => {
    const seen: string[] = [name];
    for (let at = base.get(name)?.base; at; at = base.get(at)?.base) {
      if (seen.includes(at)) break;
      seen.push(at);
    }
    return seen;
  };
  const offenders: string[] = [];
  for (const [name, { file }] of base) {
    const bases = chain(name);
    const root = bases.at(-1)!;
    const isError = /(Error|Exception)$/.test(root) && root !== name;
    if (!isError || name === "DomainError" || bases.includes("DomainError")) continue;
    if (file.startsWith(CLI_FOLDER) || Object.hasOwn(APART, name)) continue;
    offenders.push(`${name} (${file}) extends ${bases.slice(1).join(" → ")}`);
  }
  assert.equal(offenders, [], "an error that can reach a route extends DomainError (engine/errors.ts)");
});

t("the base is where the mapping expects it", () => {
  const errors = files.find((f) => f.rel === "errors.ts")!;
  assert.ok(
    declaredClasses(errors.source).some((c) => c.name === "DomainError" && c.base === "Error"),
    "engine/errors.ts declares DomainError",
  );
});

t.run();
