import { suite } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readdirSync, readFileSync } from "node:fs";
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
/**
 * Files over the limit that another engineer is splitting right now, on their own branch. The list
 * only shrinks: the test fails when a file here is no longer over the limit (or is gone), so whoever
 * splits one takes it off. The lead empties it after merging those branches.
 */
const STILL_TO_CONVERT = new Set<string>([]);

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

t(`no file of engine/ is over ${MAX_LINES} lines (generated files and the files being split aside)`, () => {
  const over = [...longFiles()].filter(([name]) => !STILL_TO_CONVERT.has(name));
  assert.ok(
    over.length === 0,
    `split these by job:\n${over.map(([name, lines]) => `  engine/${name}: ${lines} lines`).join("\n")}`,
  );
});

t("every file on STILL_TO_CONVERT is still over the limit (the list only shrinks)", () => {
  const long = longFiles();
  const done = [...STILL_TO_CONVERT].filter((name) => !long.has(name));
  const gone = done.filter((name) => !existsSync(join(ENGINE, name)));
  assert.ok(
    done.length === 0,
    `take these off STILL_TO_CONVERT in test/architecture/file-size.test.ts:\n${done
      .map((name) => `  engine/${name}${gone.includes(name) ? " (no longer exists)" : " (now within the limit)"}`)
      .join("\n")}`,
  );
});

t.run();
