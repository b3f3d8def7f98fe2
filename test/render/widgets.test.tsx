/* eslint-disable @typescript-eslint/no-base-to-string -- String(<Component />) renders a synchronous Hono JSX element to its markup */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { compileApp } from "../../engine/apps/compiled-app.js";
import { Field, Fields, Leaf, type FieldContext, type RenderMode } from "../../engine/render/fields.js";
import { RecordForm } from "../../engine/render/record-form.js";
import { checkDefinition } from "../../engine/schema/app-definition.js";
import { fieldTree, type FieldNode } from "../../engine/schema/field-nodes.js";
import { applyRowAction, parseForm, type FormBody } from "../../engine/schema/form-post.js";
import { compileRecordValidators, fieldErrors } from "../../engine/schema/record-validation.js";
import type { AppDefinition, FieldSchema, RecordSchema } from "../../engine/schema/types.js";

const t = suite("widgets");

function nodeOf(schema: FieldSchema, required = false): FieldNode {
  return fieldTree({ type: "object", properties: { f: schema }, required: required ? ["f"] : [] })[0]!;
}

/** The HTML of one field `f` with the given schema and value. */
function html(
  schema: FieldSchema,
  value?: unknown,
  opts: { mode?: RenderMode; errors?: Record<string, string>; required?: boolean } = {},
): string {
  const ctx: FieldContext = { errors: opts.errors ?? {}, mode: opts.mode ?? "edit" };
  const node = nodeOf(schema, opts.required);
  return String(<Field node={node} value={value} path={["f"]} siblings={{ f: value }} ctx={ctx} />);
}

/** Posts `body` to a form of one field `f` and returns the typed value (and the validation errors). */
function roundTrip(schema: FieldSchema, body: FormBody, mode: "create" | "edit" = "create") {
  const record = { type: "object" as const, properties: { f: schema } };
  const fields = fieldTree(record);
  const parsed = parseForm(fields, body, mode);
  const validate = compileRecordValidators(record)[mode];
  const errors = validate(parsed.values) ? {} : fieldErrors(validate.errors, fields, parsed.values);
  return { value: parsed.values.f, parsed, errors };
}

t("text: an input with maxlength, minlength and an anchored pattern; round trip keeps the string", () => {
  const h = html({ type: "string", minLength: 2, maxLength: 40, pattern: "^[A-Z]+$" }, "ABC", { required: true });
  assert.match(h, /<label for="f-f">F<abbr class="required"/);
  assert.match(
    h,
    /<input name="f"[^>]* id="f-f" maxlength="40" minlength="2" pattern="\^\[A-Z\]\+\$" type="text" value="ABC" required=""/,
  );
  assert.match(h, /<small class="field-error" id="err-f" aria-live="polite"><\/small>/);
  assert.is(roundTrip({ type: "string" }, { f: ["  hello "] }).value, "hello");
  assert.is(roundTrip({ type: "string" }, { f: [""] }).value, undefined, "blank is left out");
  // An unanchored JSON Schema pattern means "contains"; HTML's would mean "is", so it is not copied.
  assert.not.match(html({ type: "string", pattern: "[0-9]" }), /pattern=/);
  // Nor one that HTML's `v`-flag regexes refuse (the browser would log an error and ignore it).
  assert.not.match(html({ type: "string", pattern: "^[A-Z0-9-]+$" }), /pattern=/);
  assert.match(html({ type: "string", pattern: "^[A-Z0-9\\-]+$" }), /pattern="\^\[A-Z0-9\\-\]\+\$"/);
});

t("textarea: for x-widget textarea and long strings; keeps spaces and newlines", () => {
  assert.match(
    html({ type: "string", "x-widget": "textarea" }, "a\nb"),
    /<textarea name="f"[^>]*rows="4">a\nb<\/textarea>/,
  );
  assert.match(html({ type: "string", maxLength: 2000 }), /<textarea/);
  assert.is(
    roundTrip({ type: "string", "x-widget": "textarea" }, { f: [" line 1\nline 2 "] }).value,
    " line 1\nline 2 ",
  );
});

t("email, uri, date and date-time map to HTML5 input types", () => {
  assert.match(html({ type: "string", format: "email" }), /type="email"/);
  assert.match(html({ type: "string", format: "uri" }), /type="url"/);
  assert.match(html({ type: "string", format: "date" }, "2026-01-05"), /type="date" value="2026-01-05"/);
  assert.match(
    html({ type: "string", format: "date-time" }, "2026-01-05T09:30:00Z"),
    /type="datetime-local" value="2026-01-05T09:30"/,
  );
  assert.is(
    roundTrip({ type: "string", format: "date-time" }, { f: ["2026-01-05T09:30"] }).value,
    "2026-01-05T09:30:00Z",
  );
  const bad = roundTrip({ type: "string", format: "email" }, { f: ["not-an-email"] });
  assert.is(bad.value, "not-an-email");
  assert.is(bad.errors.f, "F must be an email address.");
  assert.is(
    roundTrip({ type: "string", format: "date" }, { f: ["05/01/2026"] }).errors.f,
    "F must be a date (YYYY-MM-DD).",
  );
  assert.is(
    roundTrip({ type: "string", format: "uri" }, { f: ["example"] }).errors.f,
    "F must be a full web address (https://…).",
  );
});

t("integer and number: number inputs with bounds and step; strings become numbers", () => {
  assert.match(
    html({ type: "integer", minimum: 0, maximum: 10 }, 3),
    /min="0" max="10" step="1" type="number" value="3"/,
  );
  assert.match(html({ type: "number", minimum: -5.5, multipleOf: 0.5 }), /min="-5.5" step="0.5" type="number"/);
  assert.match(html({ type: "number" }), /step="any"/);
  assert.is(roundTrip({ type: "integer" }, { f: ["42"] }).value, 42);
  assert.is(roundTrip({ type: "number" }, { f: ["-1.25"] }).value, -1.25);
  const notWhole = roundTrip({ type: "integer" }, { f: ["4.5"] });
  assert.is(notWhole.value, "4.5", "what the user typed is kept for the re-rendered form");
  assert.is(notWhole.errors.f, "F must be a whole number.");
  assert.is(roundTrip({ type: "number" }, { f: ["12a"] }).errors.f, "F must be a number.");
  assert.is(roundTrip({ type: "integer", minimum: 1 }, { f: ["0"] }).errors.f, "F must be at least 1.");
  assert.is(roundTrip({ type: "integer", maximum: 9 }, { f: ["10"] }).errors.f, "F must be at most 9.");
  // Whole numbers are exact up to 2^53 - 1, 16 digits too; beyond, the typed digits stay and are too large.
  assert.is(roundTrip({ type: "integer" }, { f: ["9007199254740991"] }).value, 9007199254740991);
  const huge = roundTrip({ type: "integer" }, { f: ["9007199254740993"] });
  assert.is(huge.value, "9007199254740993", "what the user typed is kept");
  assert.is(huge.errors.f, "F is too large: a whole number is stored exactly only up to 9,007,199,254,740,991.");
});

t("select from enum and from oneOf const/title; the choice comes back typed", () => {
  const e = html({ type: "string", enum: ["red", "green"] }, "green");
  assert.match(e, /<select name="f"/);
  assert.match(e, /<option value="" >—<\/option>|<option value="">—<\/option>/);
  assert.match(e, /<option value="green" selected="">green<\/option>/);
  const o = html(
    {
      type: "integer",
      oneOf: [
        { const: 1, title: "Low" },
        { const: 2, title: "High" },
      ],
    },
    2,
    { required: true },
  );
  assert.match(o, /<option value="">Choose…<\/option>/);
  assert.match(o, /<option value="2" selected="">High<\/option>/);
  assert.is(roundTrip({ type: "integer", oneOf: [{ const: 1, title: "Low" }] }, { f: ["1"] }).value, 1);
  const bad = roundTrip({ type: "string", enum: ["red"] }, { f: ["blue"] });
  assert.is(bad.errors.f, "F must be one of the options.");
});

t("radio buttons for x-widget radio", () => {
  const h = html({ type: "string", enum: ["a", "b"], "x-widget": "radio" }, "b");
  assert.match(h, /<fieldset class="choices"[^>]*><legend>F<\/legend>/);
  assert.match(h, /type="radio" value="a"\/>a/);
  assert.match(h, /type="radio" value="b" checked=""\/>b/);
  assert.is(roundTrip({ type: "string", enum: ["a", "b"], "x-widget": "radio" }, { f: ["b"] }).value, "b");
});

t("multi-select from an array of enums: checkboxes, or <select multiple> with x-widget select", () => {
  const schema: FieldSchema = { type: "array", uniqueItems: true, items: { type: "string", enum: ["x", "y", "z"] } };
  const h = html(schema, ["x", "z"]);
  assert.match(h, /data-widget="checkboxes"/);
  assert.match(h, /type="checkbox" value="x" checked=""\/>x/);
  assert.match(h, /type="checkbox" value="y"\/>y/);
  assert.match(
    html({ ...schema, "x-widget": "select" }, ["y"]),
    /<select name="f"[^>]* multiple=""><option value="x">x<\/option><option value="y" selected="">y<\/option>/,
  );
  assert.equal(roundTrip(schema, { f: ["x", "z"] }).value, ["x", "z"]);
  assert.is(roundTrip(schema, {}).value, undefined, "none picked, not required: left out");
  assert.equal(roundTrip({ type: "array", items: { type: "integer", enum: [1, 2] } }, { f: ["2"] }).value, [2]);
  assert.is(roundTrip(schema, { f: ["x", "x"] }).errors.f, "F must not list the same entry twice.");
  assert.is(roundTrip(schema, { f: ["w"] }).errors.f, "F must be one of the options.");
});

t('boolean: a switch (role="switch"), or a plain checkbox; unchecked posts nothing and means false', () => {
  const sw = html({ type: "boolean" }, true);
  assert.match(
    sw,
    /<label for="f-f"><input name="f"[^>]* id="f-f" type="checkbox" role="switch" value="true" checked=""\/>F<\/label>/,
  );
  assert.not.match(html({ type: "boolean", "x-widget": "checkbox" }), /role="switch"/);
  assert.is(roundTrip({ type: "boolean" }, { f: ["true"] }).value, true);
  assert.is(roundTrip({ type: "boolean" }, {}).value, false);
  assert.is(roundTrip({ type: "boolean" }, { f: ["maybe"] }).errors.f, "F must be yes or no.");
});

t("readOnly renders as text, not an input, and is never taken from a post", () => {
  const h = html({ type: "string", readOnly: true, enum: ["on", "off"] }, "on");
  assert.not.match(h, /<input|<select/);
  assert.match(h, /<output id="f-f" aria-labelledby="label-f">on<\/output>/);
  const r = roundTrip({ type: "string", readOnly: true }, { f: ["forged"] });
  assert.is(r.value, undefined);
  assert.not.ok(r.parsed.fields.includes("f"), "a read-only field is not decided by a post");
});

t("writeOnly renders a password input that never echoes a value; blank on edit means unchanged", () => {
  const h = html({ type: "string", writeOnly: true }, "secret-value", { mode: "edit", required: true });
  assert.match(h, /type="password"/);
  assert.not.match(h, /secret-value/);
  assert.not.match(h, /value=/);
  assert.not.match(h, /required=""/, "on edit a blank password keeps the stored one");
  assert.match(h, /placeholder="Leave blank to keep it unchanged"/);
  assert.match(html({ type: "string", writeOnly: true }, undefined, { mode: "create", required: true }), /required=""/);
  const edit = roundTrip({ type: "string", writeOnly: true }, { f: [""] }, "edit");
  assert.equal(edit.parsed.unchanged, ["f"]);
  assert.not.ok(edit.parsed.fields.includes("f"));
  const set = roundTrip({ type: "string", writeOnly: true }, { f: [" new pass "] }, "edit");
  assert.is(set.value, " new pass ", "passwords keep their spaces");
  assert.equal(set.parsed.unchanged, []);
  // In view mode a password is not shown at all.
  assert.is(html({ type: "string", writeOnly: true }, "x", { mode: "view" }), "");
});

t("nested objects render as fieldsets with dotted names, and come back as objects", () => {
  const schema: FieldSchema = {
    type: "object",
    title: "Address",
    required: ["city"],
    properties: { street: { type: "string" }, city: { type: "string" }, floor: { type: "integer" } },
  };
  const h = html(schema, { street: "Main St", city: "Bern" });
  assert.match(h, /<fieldset class="field group" id="field-f" data-widget="fieldset"><legend>Address<\/legend>/);
  assert.match(h, /name="f\.street"[^>]* id="f-f-street"[^>]* value="Main St"/);
  assert.match(h, /id="err-f-city"/);
  assert.equal(roundTrip(schema, { "f.street": ["Main St"], "f.city": ["Bern"], "f.floor": ["3"] }).value, {
    street: "Main St",
    city: "Bern",
    floor: 3,
  });
  assert.is(
    roundTrip(schema, { "f.street": [""], "f.city": [""] }).value,
    undefined,
    "all blank, not required: left out",
  );
  assert.is(roundTrip({ ...schema }, { "f.street": ["x"] }).errors["f.city"], "City is required.");
});

t("arrays of objects are repeatable rows with add and remove buttons that work without JavaScript", () => {
  const schema: FieldSchema = {
    type: "array",
    title: "Checklist",
    maxItems: 3,
    items: { type: "object", required: ["item"], properties: { item: { type: "string" }, ok: { type: "boolean" } } },
  };
  const h = html(schema, [{ item: "Guard", ok: true }, { item: "Cable" }]);
  assert.match(h, /<input type="hidden" name="f\.0\._row" value="1"\/>/);
  assert.match(h, /name="f\.1\.item"[^>]*value="Cable"/);
  assert.match(h, /<button type="submit" name="_action" value="remove:f\.1" formnovalidate=""/);
  assert.match(h, /<button type="submit" name="_action" value="add:f" formnovalidate=""/);
  assert.not.match(html(schema, [{}, {}, {}]), /value="add:f"/, "no add button at maxItems");
  // A row whose only input is an unchecked box still counts, thanks to its row marker.
  const r = roundTrip(schema, {
    "f.0._row": ["1"],
    "f.0.item": ["Guard"],
    "f.0.ok": ["true"],
    "f.5._row": ["1"],
    "f.5.item": ["Cable"],
  });
  assert.equal(r.value, [
    { item: "Guard", ok: true },
    { item: "Cable", ok: false },
  ]);
  assert.equal(roundTrip(schema, { "f.0._row": ["1"], "f.0.item": [""] }).errors["f.0.item"], "Item is required.");

  const fields = fieldTree({ type: "object", properties: { f: schema } });
  const added = parseForm(fields, { "f.0._row": ["1"], "f.0.item": ["A"], _action: ["add:f"] }, "create");
  assert.equal(added.action, { kind: "add", path: "f" });
  assert.ok(applyRowAction(fields, added.values, added.action as { kind: "add"; path: string }));
  assert.equal(added.values.f, [{ item: "A", ok: false }, {}]);
  const removed = parseForm(
    fields,
    { "f.0._row": ["1"], "f.0.item": ["A"], "f.1._row": ["1"], "f.1.item": ["B"], _action: ["remove:f.0"] },
    "create",
  );
  assert.ok(applyRowAction(fields, removed.values, removed.action as { kind: "remove"; path: string; index: number }));
  assert.equal(removed.values.f, [{ item: "B", ok: false }]);
  assert.not.ok(applyRowAction(fields, removed.values, { kind: "add", path: "nope" }));
});

t("repeatable rows from the memoised frame are exactly what a fresh render gives", () => {
  const schema: FieldSchema = {
    type: "array",
    title: "Checks & <notes>",
    maxItems: 3,
    items: { type: "object", properties: { item: { type: "string" }, ok: { type: "boolean" } } },
  };
  const node = nodeOf(schema);
  const render = (value: unknown, mode: RenderMode = "edit", errors: Record<string, string> = {}) =>
    String(<Field node={node} value={value} path={["f"]} siblings={{ f: value }} ctx={{ errors, mode }} />);
  const cases: Array<[unknown, RenderMode, Record<string, string>]> = [
    [[{ item: "Guard", ok: true }, { item: "Cable" }], "edit", {}],
    [[{ item: 'A "quoted" & <odd> one' }, { item: "B", ok: true }], "edit", {}],
    [[{ item: "x" }, { item: "y" }], "edit", { f: "Too <many> rows." }],
    [[{ item: "p" }, { item: "q" }], "edit", { f: "Another & message." }],
    [[{ item: "only" }], "create", {}],
    [[{ item: "v1" }, { item: "v2" }], "view", {}],
    [[], "edit", {}],
  ];
  for (const [value, mode, errors] of cases) render(value, mode, errors); // warm the frames
  for (const [value, mode, errors] of cases) {
    assert.is(render(value, mode, errors), html(schema, value, { mode, errors }), JSON.stringify([value, mode]));
  }
});

t("arrays of free values are rows of single inputs", () => {
  const schema: FieldSchema = { type: "array", title: "Tags", items: { type: "string", maxLength: 5 } };
  const h = html(schema, ["a", "b"]);
  assert.match(h, /<label for="f-f-1">Tags 2<\/label><input name="f\.1"/);
  assert.equal(roundTrip(schema, { "f.0": ["a"], "f.1": [""], "f.2": ["c"] }).value, ["a", "c"]);
  assert.is(roundTrip(schema, { "f.0": ["toolong"] }).errors["f.0"], "Tags must be at most 5 characters.");
});

t(
  "x-visibleWhen: a hidden field stays in the form for no-JS browsers, not required; a shown one renders; hidden values are dropped",
  () => {
    const record: RecordSchema = {
      type: "object",
      required: ["reason"],
      properties: {
        result: { type: "string", enum: ["pass", "fail"] },
        reason: { type: "string", "x-visibleWhen": { field: "result", equals: "fail" } },
      },
    };
    const fields = fieldTree(record);
    const ctx: FieldContext = { errors: {}, mode: "edit" };
    const hidden = String(<Fields nodes={fields} values={{ result: "pass" }} path={[]} ctx={ctx} />);
    // In the form for a browser without JavaScript; the page hides it with JavaScript (the js class).
    assert.match(hidden, /<div class="when-hidden field" id="field-reason" data-widget="text">.*name="reason"/);
    assert.not.match(hidden, /required/, "not required while hidden");
    const shown = String(<Fields nodes={fields} values={{ result: "fail" }} path={[]} ctx={ctx} />);
    assert.match(shown, /name="reason"/);
    const validators = compileRecordValidators(record);
    const pass = parseForm(fields, { result: ["pass"], reason: ["stale text"] }, "create");
    assert.equal(pass.values, { result: "pass" }, "a hidden field is not part of the record");
    assert.ok(pass.fields.includes("reason"), "so the store removes a stored value");
    assert.ok(validators.create(pass.values), "a hidden required field is not required");
    const fail = parseForm(fields, { result: ["fail"] }, "create");
    assert.not.ok(validators.create(fail.values));
    assert.is(fieldErrors(validators.create.errors, fields).reason, "Reason is required.");
  },
);

t("inline validation: one listener on the fields posts the form to the check URL on change", () => {
  const app = compileApp({ id: "a", title: "A", record: { type: "object", properties: { f: { type: "string" } } } }, 0);
  const h = String(
    <RecordForm
      sections={app.sections}
      values={{}}
      errors={{}}
      mode="create"
      action="/apps/a/new"
      csrfToken="T"
      checkUrl="/apps/a/new/check"
    />,
  );
  assert.match(
    h,
    /<div class="record-fields" hx-post="\/apps\/a\/new\/check" hx-trigger="change" hx-swap="none"><input type="hidden" name="_field" value=""\/>/,
  );
  assert.not.match(html({ type: "string" }), /hx-post/, "inputs carry no request attributes of their own");
});

t("errors go to the field's own slot and mark the input invalid", () => {
  const h = html({ type: "string" }, "x", { errors: { f: "F is required." } });
  assert.match(h, /aria-invalid="true"/);
  assert.match(h, /<small class="field-error" id="err-f" aria-live="polite">F is required\.<\/small>/);
});

t("view mode (users without edit rights) shows every field as text", () => {
  const h = html({ type: "integer", oneOf: [{ const: 1, title: "One" }] }, 1, { mode: "view" });
  assert.match(h, /<output[^>]*>One<\/output>/);
  assert.not.match(h, /<select|<input/);
});

t("the form: sections with titles, descriptions and help texts from `form`; CSRF and version fields", () => {
  const def: AppDefinition = {
    id: "demo",
    title: "Demo",
    record: {
      type: "object",
      properties: {
        a: { type: "string", description: "From the schema" },
        b: { type: "integer" },
        c: { type: "boolean" },
      },
    },
    form: {
      sections: [{ title: "First", description: "Intro", fields: ["b"] }],
      help: { a: "From the layout" },
      submitLabel: "Store",
    },
  };
  assert.ok(checkDefinition(def).ok);
  const app = compileApp(def, 0);
  const h = String(
    <RecordForm
      sections={app.sections}
      values={{}}
      errors={{ "": "Something is off." }}
      mode="edit"
      action="/x"
      csrfToken="T"
      version={3}
      submitLabel="Store"
    />,
  );
  assert.match(h, /<form method="post" action="\/x" id="record-form"/);
  assert.match(h, /<input type="hidden" name="_csrf" value="T"\/>/);
  assert.match(h, /<input type="hidden" name="_version" value="3"\/>/);
  assert.match(h, /<div class="notice error" id="err-form" role="alert">Something is off\.<\/div>/);
  assert.match(h, /<h2>First<\/h2><p class="section-description">Intro<\/p><div class="field" id="field-b"/);
  assert.ok(h.indexOf('id="field-b"') < h.indexOf('id="field-a"'), "section fields first, the rest after");
  // …under a heading of their own, so they do not read as part of "First".
  assert.match(h, /<section class="form-section"><h2>Other fields<\/h2><div class="field" id="field-a"/);
  assert.match(h, /<small class="field-help" id="help-a">From the layout<\/small>/);
  assert.match(h, /Store<\/button>/);
  const dialog = String(
    <RecordForm
      sections={app.sections}
      values={{}}
      errors={{}}
      mode="create"
      action="/x"
      csrfToken="T"
      inDialog={true}
    />,
  );
  assert.match(dialog, /hx-post="\/x" hx-target="this" hx-swap="outerHTML"/);
  assert.match(dialog, /name="_dialog" value="1"/);
});

t("a field rendered from its cached shell is exactly the JSX markup, whatever the value", () => {
  const nodes = fieldTree({
    type: "object",
    properties: {
      text: { type: "string", maxLength: 50 },
      area: { type: "string", "x-widget": "textarea" },
      when: { type: "string", format: "date-time" },
      count: { type: "integer", minimum: 0 },
      pick: { type: "string", enum: ["a&b", "<c>"] },
      flag: { type: "boolean" },
      many: { type: "array", items: { type: "string", enum: ["x", "y"] } },
      secret: { type: "string", writeOnly: true },
    },
  });
  const values: unknown[] = [
    undefined,
    "",
    `He said "hi" & <left> 'now'`,
    "2026-01-05T09:30:00Z",
    12,
    "a&b",
    true,
    ["y"],
    "12a",
  ];
  for (const mode of ["create", "edit"] as const) {
    const ctx: FieldContext = { errors: {}, mode };
    for (const node of nodes) {
      for (const value of values) {
        for (let i = 0; i < 2; i++) {
          const cached = String(<Field node={node} value={value} path={[node.name]} siblings={{}} ctx={ctx} />);
          const fresh = String(<Leaf node={node} value={value} path={[node.name]} ctx={ctx} />);
          assert.is(cached, fresh, `${node.name} = ${JSON.stringify(value)} (${mode})`);
        }
      }
    }
  }
});

t.run();
