import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/*
 * The layering rule of engine/ (docs/architecture.md), read from the source:
 *
 *   - run-time imports between the folders of engine/ form no cycle, so every
 *     folder can be read and changed knowing only the folders below it;
 *   - the composition (engine/services.ts, which builds every service, and the
 *     route table engine/web/app.tsx) is imported only by the entry points.
 *
 * Only run-time imports count: `import type`, `import { type X }` and
 * `export type … from` vanish when the code is compiled, so they tie nothing.
 * A side-effect import (`import "./x.js"`) and a dynamic `import("./x.js")`
 * count.
 */

const ENGINE = fileURLToPath(new URL("../../engine/", import.meta.url));

/** The files that may import the composition: the server, the start-up shared with the CLI, the CLI, the build. */
const ENTRY_POINTS = new Set(["main.ts", "start.ts", "cli/run-cli.ts", "build-steps.ts"]);
/** The composition: whoever imports it depends on every folder. */
const COMPOSITION = new Set(["services.ts", "web/app.tsx"]);

function* sourceFiles(dir: string): Generator<string> {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, d.name);
    if (d.isDirectory()) yield* sourceFiles(path);
    else if (/\.tsx?$/.test(d.name) && !d.name.endsWith(".d.ts")) yield path;
  }
}

/** The relative specifiers a file imports at run time. */
export function runtimeImports(source: string, fileName = "x.ts"): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TSX);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const runtime =
        !clause ||
        (!clause.isTypeOnly &&
          (clause.name !== undefined ||
            !clause.namedBindings ||
            ts.isNamespaceImport(clause.namedBindings) ||
            clause.namedBindings.elements.length === 0 ||
            clause.namedBindings.elements.some((e) => !e.isTypeOnly)));
      if (runtime) found.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.exportClause;
      const runtime =
        !node.isTypeOnly && (!clause || !ts.isNamedExports(clause) || clause.elements.some((e) => !e.isTypeOnly));
      if (runtime) found.push(node.moduleSpecifier.text);
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

/**
 * The folder a file belongs to: `web/<area>` under engine/web/, otherwise the
 * first folder under engine/ (engine/mfa/hardware/x.ts is in `mfa`); a file
 * directly in engine/ (or engine/web/) is a node of its own.
 */
function folderOf(file: string): string {
  const parts = file.split("/");
  if (parts[0] === "web") return parts.length > 2 ? `web/${parts[1]}` : file;
  return parts.length > 1 ? parts[0]! : file;
}

/** engine-relative path of the file a relative specifier names (".js" written for a .ts/.tsx source). */
function resolveSpecifier(from: string, specifier: string, known: Set<string>): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const base = relative(ENGINE, resolve(ENGINE, dirname(from), specifier))
    .split("\\")
    .join("/");
  const stem = base.replace(/\.(js|jsx|ts|tsx)$/, "");
  for (const candidate of [`${stem}.ts`, `${stem}.tsx`, `${stem}/index.ts`, base]) {
    if (known.has(candidate)) return candidate;
  }
  return undefined;
}

type Edge = { from: string; to: string; via: string[] };

function readGraph() {
  const files = [...sourceFiles(ENGINE)].map((f) => relative(ENGINE, f).split("\\").join("/"));
  const known = new Set(files);
  const fileEdges: { from: string; to: string }[] = [];
  for (const file of files) {
    for (const spec of runtimeImports(readFileSync(join(ENGINE, file), "utf8"), file)) {
      const to = resolveSpecifier(file, spec, known);
      if (to) fileEdges.push({ from: file, to });
    }
  }
  const folders = new Map<string, Map<string, Edge>>();
  for (const { from, to } of fileEdges) {
    const a = folderOf(from);
    const b = folderOf(to);
    if (a === b) continue;
    const out = folders.get(a) ?? new Map<string, Edge>();
    folders.set(a, out);
    const edge = out.get(b) ?? { from: a, to: b, via: [] };
    edge.via.push(`${from} → ${to}`);
    out.set(b, edge);
  }
  return { files, fileEdges, folders };
}

/** Strongly connected components with more than one folder (Tarjan). */
function cycles(graph: Map<string, Map<string, Edge>>): string[][] {
  const nodes = new Set<string>([...graph.keys(), ...[...graph.values()].flatMap((m) => [...m.keys()])]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const strong = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const v of [...nodes].sort()) if (!index.has(v)) strong(v);
  return out;
}

function describe(graph: Map<string, Map<string, Edge>>): string {
  return [...graph.keys()]
    .sort()
    .map((a) => `  ${a} → ${[...graph.get(a)!.keys()].sort().join(", ")}`)
    .join("\n");
}

const t = suite("engine import graph");

t("only run-time imports are counted", () => {
  const src = [
    `import type { A } from "./a.js";`,
    `import { type B, type C } from "./b.js";`,
    `import { type D, e } from "./d.js";`,
    `import "./side-effect.js";`,
    `import f from "./f.js";`,
    `import * as g from "./g.js";`,
    `export type { H } from "./h.js";`,
    `export { i } from "./i.js";`,
    `const j = () => import("./j.js");`,
  ].join("\n");
  assert.equal(runtimeImports(src), ["./d.js", "./side-effect.js", "./f.js", "./g.js", "./i.js", "./j.js"]);
});

t("run-time imports between the folders of engine/ form no cycle", () => {
  const { folders } = readGraph();
  const found = cycles(folders);
  const detail = found
    .map((component) => {
      const inside = new Set(component);
      const edges = component.flatMap((a) =>
        [...(folders.get(a)?.values() ?? [])].filter((e) => inside.has(e.to)).map((e) => `    ${e.via.join("\n    ")}`),
      );
      return `cycle: ${component.join(", ")}\n${edges.join("\n")}`;
    })
    .join("\n");
  assert.ok(
    found.length === 0,
    `folders of engine/ import each other in a cycle.\n${detail}\nfolder graph (run-time imports):\n${describe(folders)}`,
  );
});

t("the composition (services.ts, the route table) is imported only by the entry points", () => {
  const { fileEdges, folders } = readGraph();
  const wrong = fileEdges.filter((e) => COMPOSITION.has(e.to) && !ENTRY_POINTS.has(e.from));
  assert.ok(
    wrong.length === 0,
    `only ${[...ENTRY_POINTS].join(", ")} may import ${[...COMPOSITION].join(", ")}:\n` +
      wrong.map((e) => `  ${e.from} → ${e.to}`).join("\n") +
      `\nfolder graph (run-time imports):\n${describe(folders)}`,
  );
});

t("engine/render/ imports no service, store or web code: only schema/ and util/", () => {
  const { folders } = readGraph();
  const allowed = new Set(["schema", "util"]);
  const wrong = [...(folders.get("render")?.values() ?? [])].filter((e) => !allowed.has(e.to));
  assert.equal(
    wrong.flatMap((e) => e.via),
    [],
  );
});

t("the layout names real files", () => {
  const { files } = readGraph();
  for (const f of [...COMPOSITION]) assert.ok(files.includes(f), `engine/${f} is missing: update this test`);
  for (const f of [...ENTRY_POINTS]) assert.ok(files.includes(f), `engine/${f} is missing: update this test`);
});

t.run();
