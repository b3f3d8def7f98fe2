import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/*
 * Unescaped markup reaches a page only through trustedRaw(SafeHtml) in
 * engine/render/shells.ts, the module that alone makes SafeHtml. The compiler
 * holds every caller to that type (test/render/safe-html-types.tsx is the
 * type-level half, checked by tsc in npm run check); this suite makes sure
 * nothing in engine/ goes around it.
 */

const root = fileURLToPath(new URL("../../", import.meta.url));
const WRAPPER = "engine/render/shells.ts";

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return sources(p);
    return /\.tsx?$/.test(d.name) ? [p] : [];
  });
}

const files = sources(join(root, "engine")).map((p) => ({ path: relative(root, p), text: readFileSync(p, "utf8") }));

const isComment = (line: string) => /^\s*(\/\/|\/\*|\*)/.test(line);

/** Every line of code (not comment) in engine/, outside `except`, that matches: "path:line: text". */
function linesMatching(re: RegExp, except: string[] = []): string[] {
  return files
    .filter((f) => !except.includes(f.path))
    .flatMap((f) =>
      f.text
        .split("\n")
        .flatMap((line, i) => (!isComment(line) && re.test(line) ? [`${f.path}:${i + 1}: ${line.trim()}`] : [])),
    );
}

const lineOf = (path: string, text: string) =>
  files
    .find((f) => f.path === path)!
    .text.split("\n")
    .findIndex((l) => l.trim() === text) + 1;

test("the engine's sources are where this suite looks", () => {
  assert.ok(files.some((f) => f.path === WRAPPER));
  assert.ok(files.length > 50, `${files.length} files`);
});

test("raw() is called only inside trustedRaw()", () => {
  assert.equal(linesMatching(/(?<![\w$.])raw\s*\(/, [WRAPPER]), []);
  const inWrapper = linesMatching(/(?<![\w$.])raw\s*\(/).filter((l) => l.startsWith(WRAPPER));
  assert.equal(inWrapper, [`${WRAPPER}:${lineOf(WRAPPER, "return raw(html);")}: return raw(html);`]);
  assert.match(
    readFileSync(join(root, WRAPPER), "utf8"),
    /export function trustedRaw\(html: SafeHtml\): HtmlEscapedString \{\n {2}return raw\(html\);\n\}/,
  );
});

test("no other way to unescaped markup: hono's raw and html helpers, isEscaped, dangerouslySetInnerHTML", () => {
  // Type-only imports of hono's html utilities are harmless; values are not.
  assert.equal(linesMatching(/^import (?!type ).*from "hono\/(html|utils\/html)"/, [WRAPPER]), []);
  assert.equal(linesMatching(/isEscaped|dangerouslySetInnerHTML/), []);
});

test("SafeHtml is made only in the shell module: no cast to it anywhere else", () => {
  assert.equal(linesMatching(/as (unknown as )?SafeHtml\b|<SafeHtml>/, [WRAPPER]), []);
});

test.run();
