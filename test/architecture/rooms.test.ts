import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/*
 * The code is found by name: a console page lives in its room under engine/web/configure/, and a
 * file's base name says which one file it is (no two `registry.ts` to confuse in an import or a
 * stack trace).
 */

const ENGINE = fileURLToPath(new URL("../../engine/", import.meta.url));
const CONFIGURE = join(ENGINE, "web/configure");
/** The one file Configure's folder holds directly: its route table. */
const CONFIGURE_TOP = new Set(["index.tsx"]);

function* sourceFiles(dir: string): Generator<string> {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, d.name);
    if (d.isDirectory()) yield* sourceFiles(path);
    else if (/\.(ts|tsx)$/.test(d.name)) yield path;
  }
}

/** Base names (without extension) of engine/ used by more than one file, each with its files. */
export function sharedBaseNames(files: Iterable<string>): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const f of files) {
    const name = basename(f).replace(/\.tsx?$/, "");
    byName.set(name, [...(byName.get(name) ?? []), f]);
  }
  return new Map([...byName].filter(([, paths]) => paths.length > 1));
}

const test = suite("rooms");

test("engine/web/configure/ holds only its route table; the pages are in rooms", () => {
  const loose = readdirSync(CONFIGURE, { withFileTypes: true })
    .filter((d) => d.isFile() && !CONFIGURE_TOP.has(d.name))
    .map((d) => d.name);
  assert.equal(loose, []);
});

test("no two files of engine/ share a base name", () => {
  const shared = sharedBaseNames([...sourceFiles(ENGINE)].map((p) => relative(ENGINE, p)));
  assert.equal(Object.fromEntries(shared), {});
});

test("the base-name check sees a shared name in different folders", () => {
  const shared = sharedBaseNames(["a/registry.ts", "b/registry.tsx", "c/other.ts"]);
  assert.equal(Object.fromEntries(shared), { registry: ["a/registry.ts", "b/registry.tsx"] });
});

test.run();
