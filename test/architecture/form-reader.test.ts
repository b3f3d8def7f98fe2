import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/*
 * One way to read input (issue 19): a form route reads its body only through readForm in
 * engine/web/http/form-body.ts (read once, unstorable text refused, the form's JSON Schema applied).
 * The device API is the one exception, and a separate single reader: it takes JSON, not forms, and
 * reads it only in engine/web/device/body.ts (readJsonBody: UTF-8 JSON, unstorable text, its schema).
 */

const WEB = fileURLToPath(new URL("../../engine/web/", import.meta.url));
/** The modules allowed to touch a request body, each with why. */
const READERS: Record<string, string> = {
  "http/form-body.ts": "the one form reader (readForm; the CSRF check's postedToken)",
  "device/body.ts": "the device API's single JSON reader (readJsonBody), not a form",
};
/** Ways Hono (or the Fetch API under it) hands out a request body. */
const BODY_READS =
  /\bparseBody\s*\(|\.formData\s*\(|\breq\.(text|json|arrayBuffer|blob)\s*\(|\breq\.raw\.body\b|\.raw\.(text|json|formData|arrayBuffer|blob)\s*\(/;
/** The readers that readForm replaced (issue 19: seven ways to read a form). */
const FORMER_READERS =
  /\b(readPostedForm|readFormText|readFormWithFiles|formFields|formFieldsForForm|postedForm|readRecordPostForForm|readRecordPost)\s*\(/;

function* sourceFiles(dir: string): Generator<string> {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, d.name);
    if (d.isDirectory()) yield* sourceFiles(path);
    else if (/\.(ts|tsx)$/.test(d.name)) yield path;
  }
}

const test = suite("one form reader");

test("no module under engine/web reads a request body except the form reader and the device API's JSON reader", () => {
  const offenders: string[] = [];
  for (const file of sourceFiles(WEB)) {
    const name = relative(WEB, file);
    if (name in READERS) continue;
    readFileSync(file, "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (BODY_READS.test(line)) offenders.push(`engine/web/${name}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.equal(offenders, [], "read the body with readForm (engine/web/http/form-body.ts)");
});

test("the readers that readForm replaced are gone", () => {
  const left: string[] = [];
  for (const file of sourceFiles(WEB)) {
    const text = readFileSync(file, "utf8");
    const m = FORMER_READERS.exec(text);
    if (m) left.push(`engine/web/${relative(WEB, file)}: ${m[1]}`);
  }
  assert.equal(left, []);
});

test("the rule sees a body read (it is not vacuous)", () => {
  for (const line of [
    "const body = await c.req.parseBody();",
    "await c.req.formData()",
    "const t = await c.req.text();",
    "await c.req.json()",
    "await c.req.raw.formData()",
  ]) {
    assert.ok(BODY_READS.test(line), line);
  }
  assert.not.ok(BODY_READS.test("const content = Buffer.from(await file.arrayBuffer());"));
  assert.ok(FORMER_READERS.test("const f = await formFields(c);"));
});

test("every route module that handles a post reads it through readForm, its device JSON reader, or not at all", () => {
  const routes = [...sourceFiles(WEB)].filter((f) => /\.(post|put|patch|delete)\(/.test(readFileSync(f, "utf8")));
  assert.ok(routes.length > 10, `found ${routes.length} modules with unsafe-method routes`);
  const formReaders = routes.filter((f) => readFileSync(f, "utf8").includes("readForm("));
  assert.ok(formReaders.length >= 10, `only ${formReaders.length} route modules call readForm`);
});

test.run();
