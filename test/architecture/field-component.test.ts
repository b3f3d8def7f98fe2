import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/*
 * One field component: the label, help text and error slot of a form control are written once, in
 * engine/render/form-field.tsx (FormField, InputField, ErrorSlot, HelpText, describedBy), so every
 * page ties them to the control the same way (`help-<id>`, `err-<id>`, aria-describedby). Read from
 * the source of engine/, a file other than form-field.tsx breaks the rule when it
 *
 *   1. gives an element the class `field-error` or `field-help` (a hand-written error or help slot);
 *   2. gives an element an id `err-…` or `help-…` (the slots' ids: the component's to give), unless
 *      the element is a form-level notice (class `notice`, such as the record form's `err-form`);
 *   3. writes such a slot as markup in a string (`class="field-error"`, `id="err-…"`);
 *   and, in engine/web/ (pages; engine/render/ builds the record widgets from the same pieces),
 *   4. names such a slot in a literal aria-describedby (describedBy() makes it);
 *   5. writes a `<label for=…>` (FormField writes it), or a `<label>` around anything but a checkbox
 *      or radio button (the one control a wrapping label is the right markup for).
 */

const ENGINE = fileURLToPath(new URL("../../engine/", import.meta.url));
/** The field component itself: the one place that writes these pieces. */
const COMPONENT = "render/form-field.tsx";

const SLOT_CLASS = /(^|\s)field-(error|help)(\s|$)/;
const SLOT_ID = /^(err|help)-/;
const SLOT_REF = /(^|\s)(err|error|help)-/;
const SLOT_MARKUP = /class=["'][^"']*\bfield-(error|help)\b|id=["'](err|help)-/;

/** The static text of an attribute's value; for a template, its text with `${…}` left out; else null. */
function staticText(init: ts.JsxAttributeValue | undefined): string | null {
  if (!init) return "";
  if (ts.isStringLiteral(init)) return init.text;
  if (!ts.isJsxExpression(init) || !init.expression) return null;
  const e = init.expression;
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
  if (ts.isTemplateExpression(e)) return e.head.text + e.templateSpans.map((s) => s.literal.text).join("");
  return null;
}

function attributes(el: ts.JsxOpeningLikeElement): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const a of el.attributes.properties) {
    if (ts.isJsxAttribute(a)) out.set(a.name.getText(), staticText(a.initializer));
  }
  return out;
}

/** Whether a `<label>` element directly holds an `<input type="checkbox">` or `type="radio"`. */
function wrapsChoice(label: ts.JsxElement): boolean {
  return label.children.some((child) => {
    const el = ts.isJsxElement(child) ? child.openingElement : ts.isJsxSelfClosingElement(child) ? child : null;
    if (!el || el.tagName.getText() !== "input") return false;
    const type = attributes(el).get("type");
    return type === "checkbox" || type === "radio";
  });
}

/**
 * Where `source` (a .tsx file of engine/ named `name`, relative to engine/) writes a field's label,
 * help or error slot by hand: one "line: what" entry per place. `page` says whether the file is a
 * page of engine/web/ (rules 4 and 5 above).
 */
export function handWrittenFieldParts(source: string, name: string, page: boolean): string[] {
  const file = ts.createSourceFile(name, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  const at = (node: ts.Node, what: string) =>
    found.push(`${file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1}: ${what}`);

  function checkElement(el: ts.JsxOpeningLikeElement, whole: ts.Node) {
    const tag = el.tagName.getText();
    const attrs = attributes(el);
    const cls = attrs.get("class") ?? attrs.get("className") ?? "";
    const id = attrs.get("id");
    if (SLOT_CLASS.test(cls)) at(el, `<${tag} class="${cls}"> is a hand-written error or help slot`);
    if (id && SLOT_ID.test(id) && !/(^|\s)notice(\s|$)/.test(cls)) {
      at(el, `<${tag} id="${id}…"> is a hand-written slot id`);
    }
    if (!page) return;
    const describedBy = attrs.get("aria-describedby");
    if (describedBy && SLOT_REF.test(describedBy)) {
      at(el, `aria-describedby="${describedBy}" names a slot by hand (use describedBy or FormField)`);
    }
    if (tag === "label") {
      if (attrs.has("for") || attrs.has("htmlFor")) at(el, "<label for> outside FormField");
      else if (!ts.isJsxElement(whole) || !wrapsChoice(whole)) {
        at(el, "<label> around a control other than a checkbox or radio button (use FormField)");
      }
    }
  }

  function visit(node: ts.Node) {
    if (ts.isJsxElement(node)) checkElement(node.openingElement, node);
    else if (ts.isJsxSelfClosingElement(node)) checkElement(node, node);
    else if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node)) {
      if (SLOT_MARKUP.test(node.text)) at(node, "markup of a slot written in a string");
    } else if (ts.isTemplateSpan(node)) {
      if (SLOT_MARKUP.test(node.literal.text)) at(node, "markup of a slot written in a string");
    }
    ts.forEachChild(node, visit);
  }
  visit(file);
  return found;
}

function* tsxFiles(dir: string): Generator<string> {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, d.name);
    if (d.isDirectory()) yield* tsxFiles(path);
    else if (d.name.endsWith(".tsx")) yield path;
  }
}

/** Every .tsx file of engine/ but the component, with the places it breaks the rule. */
function breaches(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const path of tsxFiles(ENGINE)) {
    const name = relative(ENGINE, path).split("\\").join("/");
    if (name === COMPONENT) continue;
    const found = handWrittenFieldParts(readFileSync(path, "utf8"), name, name.startsWith("web/"));
    if (found.length) out.set(name, found);
  }
  return out;
}

const t = suite("field component");

t("hand-written labels, slots and slot references are found; the component's use is not", () => {
  const bad = [
    "export const A = (e: string) => (",
    "  <form>",
    '    <label for="code">Code</label>',
    '    <input id="code" name="code" aria-describedby="error-code" />',
    '    <small class="field-error" id="error-code">{e}</small>',
    '    <label>Name <input name="name" /></label>',
    '    <small class="field-help">Hint</small>',
    "    <p id={`err-${e}`}>x</p>",
    "  </form>",
    ");",
    'const html = `<small class="field-error" id="err-x">${1}</small>`;',
  ].join("\n");
  assert.equal(handWrittenFieldParts(bad, "web/x.tsx", true), [
    "3: <label for> outside FormField",
    '4: aria-describedby="error-code" names a slot by hand (use describedBy or FormField)',
    '5: <small class="field-error"> is a hand-written error or help slot',
    "6: <label> around a control other than a checkbox or radio button (use FormField)",
    '7: <small class="field-help"> is a hand-written error or help slot',
    '8: <p id="err-…"> is a hand-written slot id',
    "11: markup of a slot written in a string",
  ]);
  const good = [
    'import { FormField, InputField } from "../../render/form-field.js";',
    "export const B = (e: string) => (",
    "  <form>",
    '    <InputField id="code" name="code" label="Code" error={e} />',
    '    <FormField id="t" label="T" control={(a) => <select {...a} name="t" />} />',
    '    <label><input type="checkbox" name="skip" value="yes" /> Skip</label>',
    '    <div class="notice error" id="err-form" role="alert">{e}</div>',
    '    <p class="field-label">Not a slot</p>',
    '    <h2 id="error-summary-title">There is a problem</h2>',
    "  </form>",
    ");",
  ].join("\n");
  assert.equal(handWrittenFieldParts(good, "web/y.tsx", true), []);
});

t("rules 4 and 5 hold for pages only: engine/render builds the record widgets from the pieces", () => {
  const widget = '<label for="f-a"><input type="checkbox" id="f-a" aria-describedby={`err-${"a"}`} /></label>';
  assert.equal(handWrittenFieldParts(widget, "render/w.tsx", false), []);
  assert.equal(handWrittenFieldParts(widget, "web/w.tsx", true).length, 2);
});

t("no .tsx file of engine/ writes a label, help or error slot by hand", () => {
  const found = [...breaches()];
  assert.ok(
    found.length === 0,
    `use FormField/InputField (engine/render/form-field.tsx) in:\n${found
      .map(([name, places]) => places.map((p) => `  engine/${name}:${p}`).join("\n"))
      .join("\n")}`,
  );
});

t.run();
