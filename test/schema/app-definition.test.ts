import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { loadBuiltInDefinitions } from "../../engine/apps/app-registry.js";
import {
  checkDefinition,
  checkDefinitionText,
  DefinitionError,
  type DefinitionProblem,
} from "../../engine/schema/app-definition.js";
import { compileSchema } from "../../engine/schema/ajv.js";
import { SYSTEM_BINDINGS } from "../../engine/schema/keywords.js";
import type { AppDefinition } from "../../engine/schema/types.js";

const t = suite("app definitions");

/** A small valid definition the cases below break one way each. */
function base(): AppDefinition {
  return {
    id: "things",
    title: "Things",
    record: {
      type: "object",
      required: ["name"],
      additionalProperties: false,
      properties: {
        name: { type: "string", maxLength: 100 },
        size: { type: "integer", minimum: 0 },
        kind: { type: "string", enum: ["a", "b"] },
        active: { type: "boolean" },
        note: { type: "string", "x-visibleWhen": { field: "active", equals: true } },
        address: { type: "object", properties: { street: { type: "string" } } },
        rows: { type: "array", items: { type: "object", properties: { item: { type: "string" } } } },
      },
    },
    form: { sections: [{ title: "Main", fields: ["name", "size"] }], help: { "address.street": "Where" } },
    list: { columns: ["name", "size"], sort: "-size", searchable: ["name"] },
  };
}

function userApp(): AppDefinition {
  return {
    id: "people",
    title: "People",
    record: {
      type: "object",
      required: ["username"],
      properties: {
        username: { type: "string", "x-system": "user.username" },
        email: { type: "string", format: "email", "x-system": "user.email" },
        password: { type: "string", writeOnly: true, "x-system": "user.password" },
        role: { type: "string", enum: ["admin", "user"], "x-system": "user.role" },
        mfaEnabled: { type: "boolean", "x-system": "mfa.enabled" },
        delay: {
          type: "integer",
          minimum: 0,
          "x-system": "mfa.enforcementDelayDays",
          "x-visibleWhen": { field: "mfaEnabled", equals: true },
        },
        mfaStatus: { type: "string", readOnly: true, "x-system": "mfa.status" },
      },
    },
  };
}

function problems(def: unknown): DefinitionProblem[] {
  const r = checkDefinition(def);
  return r.ok ? [] : r.problems;
}

function refusedAt(def: unknown, pointer: string, message: RegExp) {
  const found = problems(def);
  assert.ok(
    found.some((p) => p.pointer === pointer && message.test(p.message)),
    `expected a problem at ${pointer} matching ${message}, got ${JSON.stringify(found)}`,
  );
}

t("a valid definition passes, and so do the built-in apps in forms/", () => {
  assert.equal(problems(base()), []);
  assert.equal(problems(userApp()), []);
  const builtIns = loadBuiltInDefinitions();
  assert.ok(builtIns.has("equipment-inspections"));
});

t("a typo in an x- keyword is refused with its JSON Pointer", () => {
  const def = base() as unknown as { record: { properties: Record<string, Record<string, unknown>> } };
  def.record.properties.name!["x-sytem"] = "user.email";
  refusedAt(
    def,
    "/record/properties/name/x-sytem",
    /unknown keyword "x-sytem".*x-system, x-widget, x-visibleWhen and x-placeholder/,
  );
});

t("a typo in a standard keyword is refused with its pointer too", () => {
  const def = base() as unknown as { record: { properties: Record<string, Record<string, unknown>> } };
  def.record.properties.name!.maxLenght = 10;
  refusedAt(def, "/record/properties/name/maxLenght", /unknown keyword "maxLenght"/);
});

t("a wrong value of an x- keyword is refused by the keyword's own meta-schema", () => {
  const a = base();
  (a.record.properties.name as unknown as Record<string, unknown>)["x-system"] = "user.emial";
  refusedAt(a, "/record/properties/name/x-system", /must be one of "user.username"/);
  const b = base();
  (b.record.properties.name as unknown as Record<string, unknown>)["x-widget"] = "slider";
  refusedAt(b, "/record/properties/name/x-widget", /must be one of/);
  const c = base();
  (c.record.properties.note as unknown as Record<string, unknown>)["x-visibleWhen"] = { field: "active", equal: true };
  refusedAt(c, "/record/properties/note/x-visibleWhen/equal", /unknown property "equal"/);
});

t("the strict Ajv instance itself refuses unknown x- keywords and bad values when compiling a schema", () => {
  assert.throws(() => compileSchema({ type: "string", "x-sytem": "user.email" }), /unknown keyword: "x-sytem"/);
  assert.throws(() => compileSchema({ type: "string", "x-system": "user.emial" }), /x-system/);
});

t("system bindings of the wrong type are refused with a plain message", () => {
  const a = userApp();
  a.record.properties.mfaEnabled = { type: "string", "x-system": "mfa.enabled" };
  refusedAt(a, "/record/properties/mfaEnabled/x-system", /mfa.enabled must be bound to a boolean field/);
  const b = userApp();
  b.record.properties.delay = { type: "number", minimum: 0, "x-system": "mfa.enforcementDelayDays" };
  refusedAt(b, "/record/properties/delay/x-system", /must be bound to an integer field/);
  const c = userApp();
  c.record.properties.delay = { type: "integer", "x-system": "mfa.enforcementDelayDays" };
  refusedAt(c, "/record/properties/delay/x-system", /needs "minimum": 0/);
  const d = userApp();
  d.record.properties.password = { type: "string", "x-system": "user.password" };
  refusedAt(d, "/record/properties/password/x-system", /must be writeOnly/);
  const e = userApp();
  e.record.properties.mfaStatus = { type: "string", "x-system": "mfa.status" };
  refusedAt(e, "/record/properties/mfaStatus/x-system", /must be readOnly/);
  const f = userApp();
  f.record.properties.role = { type: "string", enum: ["admin", "root"], "x-system": "user.role" };
  refusedAt(f, "/record/properties/role/x-system", /not "root"/);
  const g = userApp();
  g.record.properties.username = { type: "integer", "x-system": "user.username" };
  refusedAt(g, "/record/properties/username/x-system", /user.username must be bound to a string field/);
});

t("every binding has a type rule (the table in DESIGN.md)", () => {
  for (const binding of SYSTEM_BINDINGS) {
    const def = userApp();
    def.record.properties.extra = { type: "array", items: { type: "string" }, "x-system": binding };
    const found = problems(def);
    assert.ok(
      found.some((p) => p.pointer === "/record/properties/extra/x-system"),
      `${binding} on an array was not refused`,
    );
  }
});

t("a system field bound twice is refused at the second binding", () => {
  const def = userApp();
  def.record.properties.other = { type: "boolean", "x-system": "mfa.enabled" };
  refusedAt(
    def,
    "/record/properties/other/x-system",
    /mfa.enabled is already bound to \/record\/properties\/mfaEnabled/,
  );
});

t("system fields belong at the top level of a user app that binds user.username", () => {
  const nested = userApp();
  nested.record.properties.extra = {
    type: "object",
    properties: { flag: { type: "boolean", "x-system": "user.disabled" } },
  };
  refusedAt(nested, "/record/properties/extra/properties/flag/x-system", /top-level/);
  const noUsername = base();
  noUsername.record.properties.active = { type: "boolean", "x-system": "mfa.enabled" };
  refusedAt(noUsername, "/record/properties", /must bind user.username/);
  const optional = userApp();
  optional.record.required = [];
  refusedAt(optional, "/record/required", /must be required/);
});

t("references inside a definition must name real fields", () => {
  const a = base();
  a.record.required = ["name", "nmae"];
  refusedAt(a, "/record/required/1", /names "nmae"/);
  const b = base();
  b.form!.sections![0]!.fields = ["name", "sise"];
  refusedAt(b, "/form/sections/0/fields/1", /names "sise"/);
  const c = base();
  c.form!.sections!.push({ fields: ["name"] });
  refusedAt(c, "/form/sections/1/fields/0", /already placed in section 0/);
  const d = base();
  d.list!.columns = ["name", "address"];
  refusedAt(d, "/list/columns/1", /a column shows a single value/);
  const e = base();
  e.list!.sort = "kind";
  refusedAt(e, "/list/sort", /not a column/);
  const f = base();
  f.list!.searchable = ["size"];
  refusedAt(f, "/list/searchable/0", /not a text field/);
  const g = base();
  g.form!.help = { "address.town": "x" };
  refusedAt(g, "/form/help/address.town", /not a field/);
});

t("x-visibleWhen must name a sibling with a value of the right type", () => {
  const a = base();
  a.record.properties.note!["x-visibleWhen"] = { field: "missing", equals: true };
  refusedAt(a, "/record/properties/note/x-visibleWhen/field", /not a field of the same object/);
  const b = base();
  b.record.properties.note!["x-visibleWhen"] = { field: "active", equals: "yes" };
  refusedAt(b, "/record/properties/note/x-visibleWhen", /not a boolean/);
  const c = base();
  c.record.properties.note!["x-visibleWhen"] = { field: "note", equals: "x" };
  refusedAt(c, "/record/properties/note/x-visibleWhen/field", /itself/);
  const d = base();
  d.record.properties.active = { type: "boolean", readOnly: true };
  refusedAt(d, "/record/properties/note/x-visibleWhen/field", /readOnly/);
});

t("x-visibleWhen must compare with one of the controlling choice's options (said on those options)", () => {
  const a = base();
  a.record.properties.kind = { type: "string", title: "Kind", oneOf: [{ const: "a", title: "A" }] };
  a.record.properties.note = { type: "string", title: "Note", "x-visibleWhen": { field: "kind", equals: "b" } };
  const at = problems(a).filter((p) => p.pointer === "/record/properties/kind/oneOf");
  assert.equal(
    at.map((p) => p.message),
    ["Note is shown when Kind is b, which is not one of Kind's options: change Note's Visible when first."],
  );
  const b = base();
  b.record.properties.note!["x-visibleWhen"] = { field: "kind", in: ["a", "c", "d"] };
  refusedAt(b, "/record/properties/kind/enum", /^note is shown when kind is a or c or d, and c and d are not among/);
  // Nested: the rule's field is a sibling in the group.
  const c = base();
  c.record.properties.address = {
    type: "object",
    properties: {
      kind: { type: "string", enum: ["x"] },
      street: { type: "string", "x-visibleWhen": { field: "kind", equals: "y" } },
    },
  };
  refusedAt(c, "/record/properties/address/properties/kind/enum", /street is shown when kind is y, which is not/);
  const ok = base();
  ok.record.properties.note!["x-visibleWhen"] = { field: "kind", in: ["a", "b"] };
  assert.equal(problems(ok), []);
});

t("keywords that do not fit the type, bad choices and bad defaults are refused", () => {
  const a = base();
  a.record.properties.size = { type: "integer", maxLength: 3 };
  refusedAt(a, "/record/properties/size/maxLength", /does not apply to an integer field/);
  const b = base();
  b.record.properties.size = { type: "integer", enum: [1, "two"] };
  refusedAt(b, "/record/properties/size/enum/1", /must be an integer like the field/);
  const c = base();
  c.record.properties.kind = { type: "string", enum: ["a", "b"], default: "c" };
  refusedAt(c, "/record/properties/kind/default", /one of the choices/);
  const d = base();
  d.record.properties.active = { type: "boolean", "x-widget": "textarea" };
  refusedAt(d, "/record/properties/active/x-widget", /does not fit a boolean field/);
  const e = base();
  e.record.properties.rows = { type: "array" };
  refusedAt(e, "/record/properties/rows", /needs "items"/);
  const f = base();
  f.record.properties.name = { type: "string", pattern: "([a-z" };
  refusedAt(f, "/record/properties/name/pattern", /regex/);
  const g = base();
  (g.record as unknown as Record<string, unknown>).additionalProperties = true;
  refusedAt(g, "/record/additionalProperties", /must be false/);
});

t("the top level needs id, title and a record; ids are URL-safe", () => {
  refusedAt({ title: "x", record: base().record }, "/id", /is required/);
  refusedAt({ ...base(), id: "Bad Id" }, "/id", /invalid format/);
  refusedAt({ ...base(), colour: "red" }, "/colour", /unknown property "colour"/);
});

t("JSON text with a syntax error is refused at the root with the reason", () => {
  const r = checkDefinitionText('{"id": "x",');
  assert.is(r.ok, false);
  if (!r.ok) {
    assert.is(r.problems[0]!.pointer, "");
    assert.match(r.problems[0]!.message, /not valid JSON/);
  }
});

t("start-up refuses a forms/ directory with an invalid file, naming the file and the pointer", () => {
  const dir = mkdtempSync(join(tmpdir(), "fg-forms-"));
  try {
    const def = base() as unknown as { record: { properties: Record<string, Record<string, unknown>> } };
    def.record.properties.size!["x-visiblewhen"] = { field: "active", equals: true };
    writeFileSync(join(dir, "things.app.json"), JSON.stringify(def));
    const err = (() => {
      try {
        loadBuiltInDefinitions(dir);
      } catch (e) {
        return e;
      }
      return null;
    })();
    assert.ok(err instanceof DefinitionError);
    assert.match((err as Error).message, /things\.app\.json: invalid app definition/);
    assert.match((err as Error).message, /\/record\/properties\/size\/x-visiblewhen: unknown keyword/);

    writeFileSync(join(dir, "things.app.json"), JSON.stringify({ ...base(), id: "other" }));
    assert.throws(() => loadBuiltInDefinitions(dir), /\/id: must match the file name/);
    writeFileSync(join(dir, "things.app.json"), "{ nope");
    assert.throws(() => loadBuiltInDefinitions(dir), /things\.app\.json[\s\S]*not valid JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
