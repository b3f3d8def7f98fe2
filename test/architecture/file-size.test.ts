import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/*
 * No file of engine/ grows past MAX_LINES: a file that long holds more than one job, and is split
 * by job (see docs/architecture.md). Generated files are excepted.
 */

const ENGINE = fileURLToPath(new URL("../../engine/", import.meta.url));
/** A file of engine/ has at most this many lines. */
export const MAX_LINES = 400;
/** Generated from schemas/ by `npm run gen`: as long as the schemas make it. */
const GENERATED = new Set(["schema/types.ts"]);

function* sourceFiles(dir: string): Generator<string> {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, d.name);
    if (d.isDirectory()) yield* sourceFiles(path);
    else if (/\.(ts|tsx|js|mjs)$/.test(d.name)) yield path;
  }
}

/** The number of lines of a text (a last line without a newline counts). */
export function lineCount(text: string): number {
  if (text === "") return 0;
  return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

/** The files (relative to engine/) over MAX_LINES, with their line counts. */
function longFiles(): Map<string, number> {
  const out = new Map<string, number>();
  for (const path of sourceFiles(ENGINE)) {
    const name = relative(ENGINE, path).split("\\").join("/");
    const lines = lineCount(readFileSync(path, "utf8"));
    if (lines > MAX_LINES && !GENERATED.has(name)) out.set(name, lines);
  }
  return out;
}

const t = suite("file size");

t("lines are counted as an editor shows them", () => {
  assert.is(lineCount(""), 0);
  assert.is(lineCount("a"), 1);
  assert.is(lineCount("a\n"), 1);
  assert.is(lineCount("a\nb\n"), 2);
  assert.is(lineCount("a\n\nb"), 3);
});

t(`no file of engine/ is over ${MAX_LINES} lines (generated files aside)`, () => {
  const over = [...longFiles()];
  assert.ok(
    over.length === 0,
    `split these by job:\n${over.map(([name, lines]) => `  engine/${name}: ${lines} lines`).join("\n")}`,
  );
});

t.run();
