import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { EditContext, EditResult } from "../../engine/apps/designer-edits.js";
import { addField, deleteField, updateField } from "../../engine/apps/designer-field-edits.js";
import {
  addSection,
  deleteSection,
  moveField,
  renameSection,
  setList,
  setSettings,
} from "../../engine/apps/designer-layout-edits.js";
import { mayOpen, OPEN_TO, openToOf } from "../../engine/apps/open-to.js";
import { appChanges, fieldChanges } from "../../engine/apps/definition-diff.js";
import { loadBuiltInDefinitions } from "../../engine/apps/app-registry.js";
import { nameFromLabel, parseOptions } from "../../engine/apps/field-types.js";
import { checkDefinition } from "../../engine/schema/app-definition.js";
import type { AppDefinition } from "../../engine/schema/types.js";

const t = suite("designer edits");
const builtIns = loadBuiltInDefinitions();
const users = builtIns.get("user-accounts")!;

const blank: AppDefinition = {
  id: "visitor-log",
  title: "Visitor log",
  record: {
    type: "object",
    required: ["name"],
    additionalProperties: false,
    properties: { name: { type: "string", title: "Name", minLength: 1, maxLength: 200 } },
  },
  list: { columns: ["name"], searchable: ["name"] },
};
const fresh: EditContext = { published: blank, recordCount: 0 };

function ok(r: EditResult): AppDefinition {
  if (!r.ok) throw new Error(`refused: ${JSON.stringify(r.errors)}`);
  assert.ok(checkDefinition(r.definition).ok);
  return r.definition;
}
function refused(r: EditResult): Record<string, string> {
  if (r.ok) throw new Error(`accepted: ${r.message}`);
  return r.errors;
}

t("names come from labels; options are value|Label lines", () => {
  assert.is(nameFromLabel("Visit date"), "visitDate");
  assert.is(nameFromLabel("3rd party"), "field3rdParty");
  assert.is(nameFromLabel("Café host"), "cafeHost");
  const o = parseOptions("guest|Guest\nContractor\n\n");
  assert.equal(o.ok && o.options, [
    { const: "guest", title: "Guest" },
    { const: "Contractor", title: "Contractor" },
  ]);
  assert.not.ok(parseOptions("a|A\na|Again").ok);
  assert.not.ok(parseOptions(" \n").ok);
});

t("each designer type becomes the schema the engine renders", () => {
  let d = blank;
  const add = (type: string, title: string, more = {}) => (d = ok(addField(d, { type, title, ...more }, fresh)));
  add("textarea", "Purpose", { maxLength: "500" });
  add("integer", "Badge number", { minimum: "1", maximum: "999" });
  add("number", "Temperature");
  add("date", "Visit date", { required: "on" });
  add("datetime", "Arrived at");
  add("email", "Email");
  add("url", "Website");
  add("boolean", "Escort needed", { default: "false" });
  add("choice", "Kind", { options: "guest|Guest\ncontractor|Contractor" });
  add("multichoice", "Areas", { options: "lab|Lab\nyard|Yard" });
  add("group", "Company");
  add("rows", "Companions");
  add("text", "Escort", { visibleField: "escortNeeded", visibleValue: "true", pattern: "^[A-Z0-9-]+$" });
  const p = d.record.properties;
  assert.equal(p.purpose, { type: "string", "x-widget": "textarea", title: "Purpose", maxLength: 500 });
  assert.equal(p.badgeNumber, { type: "integer", title: "Badge number", minimum: 1, maximum: 999 });
  assert.is(p.visitDate!.format, "date");
  assert.is(p.arrivedAt!.format, "date-time");
  assert.is(p.website!.format, "uri");
  assert.is(p.escortNeeded!.default, false);
  assert.equal(p.kind!.oneOf, [
    { const: "guest", title: "Guest" },
    { const: "contractor", title: "Contractor" },
  ]);
  assert.is(p.areas!.type, "array");
  assert.is(p.areas!["x-widget"], "checkboxes");
  assert.is(p.company!.type, "object");
  assert.is(p.companions!.items!.type, "object");
  assert.equal(p.escort!["x-visibleWhen"], { field: "escortNeeded", equals: true });
  assert.ok(d.record.required!.includes("visitDate"));
  // A field inside the rows.
  d = ok(addField(d, { type: "text", title: "Phone", parent: "companions" }, fresh));
  assert.ok(d.record.properties.companions!.items!.properties!.phone);
});

t("moving: up, down, before another field and across sections", () => {
  let d = blank;
  for (const title of ["Host", "Purpose", "Badge"]) d = ok(addField(d, { type: "text", title }, fresh));
  d = ok(moveField(d, "badge", { direction: "up" }, fresh));
  assert.equal(Object.keys(d.record.properties), ["name", "host", "badge", "purpose"]);
  d = ok(moveField(d, "name", { before: "purpose" }, fresh));
  assert.equal(Object.keys(d.record.properties), ["host", "badge", "name", "purpose"]);
  assert.ok(refused(moveField(d, "host", { direction: "up" }, fresh))._!.includes("already first"));
  d = ok(addSection(d, { title: "Visitor", fields: ["name", "host"] }, fresh));
  d = ok(addSection(d, { title: "Visit", fields: [] }, fresh));
  assert.equal(
    d.form!.sections!.map((s) => s.fields),
    [
      ["name", "host"],
      ["badge", "purpose"],
    ],
  );
  d = ok(moveField(d, "badge", { direction: "up" }, fresh));
  assert.equal(
    d.form!.sections!.map((s) => s.fields),
    [["name", "host", "badge"], ["purpose"]],
  );
  d = ok(moveField(d, "purpose", { section: 1 }, fresh));
  assert.equal(
    d.form!.sections!.map((s) => s.fields),
    [["name", "host", "badge", "purpose"], []],
    "the emptied section stays, a place to move fields to, until it is deleted",
  );
});

t("sections: renamed; deleted only when empty, else refused with the reason on that section", () => {
  let d = ok(addField(blank, { type: "text", title: "Badge", name: "badge" }, fresh));
  d = ok(addField(d, { type: "text", title: "Purpose", name: "purpose" }, fresh));
  d = ok(addSection(d, { title: "Visitor", fields: ["name"] }, fresh));
  d = ok(addSection(d, { title: "Visit", fields: [] }, fresh));
  const renamed = renameSection(d, 2, "  The visit ", fresh);
  assert.ok(renamed.ok);
  assert.is(renamed.ok && renamed.message, 'Renamed the section "Visit" to "The visit".');
  d = ok(renamed);
  assert.is(d.form!.sections![1]!.title, "The visit");
  assert.match(refused(renameSection(d, 2, "  ", fresh))["section-2"]!, /Give the section a title/);
  assert.match(refused(renameSection(d, 3, "Nope", fresh))["section-3"]!, /There is no section 3/);
  assert.match(refused(renameSection(d, 1, "x".repeat(201), fresh))["section-1"]!, /at most 200/);

  const full = refused(deleteSection(d, 2, fresh));
  assert.is(
    full["section-2"],
    '"The visit" holds 2 fields: move them to another section first, then delete the empty section.',
  );
  assert.match(refused(deleteSection(d, 1, fresh))["section-1"]!, /holds 1 field: move it/);
  d = ok(moveField(d, "name", { section: 2 }, fresh));
  assert.equal(d.form!.sections![0]!.fields, [], "Visitor is empty now");
  const deleted = deleteSection(d, 1, fresh);
  assert.is(deleted.ok && deleted.message, 'Deleted the empty section "Visitor".');
  d = ok(deleted);
  assert.equal(
    d.form!.sections!.map((s) => [s.title, s.fields]),
    [["The visit", ["badge", "purpose", "name"]]],
  );
  assert.ok(checkDefinition(d).ok);
});

t("system fields of User accounts: relabel and help only, never deleted or retyped", () => {
  const ctx = { published: users, recordCount: 3 };
  const errors = refused(deleteField(users, "username", ctx));
  assert.match(errors._!, /system field .*never deleted/);
  assert.match(refused(updateField(users, "mfaEnabled", { type: "text", title: "MFA" }, ctx)).type!, /system field/);
  assert.match(refused(updateField(users, "email", { name: "mail" }, ctx)).name!, /system field/);
  const d = ok(updateField(users, "displayName", { title: "Full name", help: "As on the badge" }, ctx));
  assert.is(d.record.properties.displayName!.title, "Full name");
  assert.is(d.record.properties.displayName!["x-system"], "user.displayName");
  assert.is(d.form!.help!.displayName, "As on the badge");
  const dept = ok(addField(users, { type: "choice", title: "Department", options: "sales|Sales\nit|IT" }, ctx));
  assert.ok(dept.form!.sections!.at(-1)!.fields.includes("department"));
});

t("renaming a field that has stored values is refused with the reason; without records it renames everywhere", () => {
  const withHost = ok(addField(blank, { type: "text", title: "Host" }, fresh));
  const listed = ok(setList(withHost, { columns: ["name", "host"], searchable: ["host"], sort: "-host" }, fresh));
  const stored = { published: listed, recordCount: 2 };
  assert.match(
    refused(updateField(listed, "host", { name: "hostName" }, stored)).name!,
    /2 stored records .*Change the label/,
  );
  const renamed = ok(updateField(listed, "host", { name: "hostName" }, { published: listed, recordCount: 0 }));
  assert.equal(renamed.list, { columns: ["name", "hostName"], searchable: ["hostName"], sort: "-hostName" });
});

t("what the JSON editor refuses is refused on the form field it concerns", () => {
  const d = ok(addField(blank, { type: "choice", title: "Kind", options: "a|A\nb|B" }, fresh));
  assert.ok(refused(addField(d, { type: "text", title: "Code", pattern: "([" }, fresh)).pattern);
  assert.ok(refused(addField(d, { type: "integer", title: "Age", minimum: "9", maximum: "1" }, fresh)).minimum);
  assert.ok(refused(addField(d, { type: "choice", title: "K2", options: "a|A", default: "z" }, fresh)).default);
  assert.ok(
    refused(addField(d, { type: "text", title: "T", visibleField: "nope", visibleValue: "x" }, fresh)).visibleField,
  );
  assert.ok(refused(addField(d, { type: "text", title: "x".repeat(201) }, fresh)).title);
  assert.ok(refused(addField(d, { type: "text", title: "Name", name: "name" }, fresh)).name, "taken name");
  assert.ok(refused(setList(d, { columns: ["name"], searchable: [], sort: "kind" }, fresh)).sort);
  assert.ok(refused(setList(d, { columns: ["name", "nope"], searchable: [], sort: "" }, fresh)).columns);
  // A type change while records exist: the breaking-change rule, on `type`.
  assert.match(
    refused(updateField(d, "kind", { type: "integer" }, { published: d, recordCount: 4 })).type!,
    /4 stored records/,
  );
});

t("deleting keeps stored values and says so; a field another depends on is kept", () => {
  let d = ok(addField(blank, { type: "boolean", title: "Escort needed" }, fresh));
  d = ok(addField(d, { type: "text", title: "Escort", visibleField: "escortNeeded", visibleValue: "true" }, fresh));
  assert.match(refused(deleteField(d, "escortNeeded", fresh))._!, /shown only when/);
  const r = deleteField(d, "escort", { published: d, recordCount: 5 });
  assert.ok(r.ok && /kept in the 5 records/.test(r.message));
  assert.match(refused(deleteField(blank, "name", fresh))._!, /at least one field/);
});

t(
  "placeholder: set on text-like fields, checked by the x-placeholder meta-schema, dropped where it cannot show",
  () => {
    let d = ok(addField(blank, { type: "text", title: "Company", placeholder: " e.g. Acme Ltd " }, fresh));
    assert.is(d.record.properties.company!["x-placeholder"], "e.g. Acme Ltd");
    d = ok(addField(d, { type: "integer", title: "Badge", placeholder: "1 to 999" }, fresh));
    assert.is(d.record.properties.badge!["x-placeholder"], "1 to 999");
    d = ok(addField(d, { type: "boolean", title: "Escort", placeholder: "ignored" }, fresh));
    assert.is(d.record.properties.escort!["x-placeholder"], undefined, "a switch has no placeholder");
    d = ok(updateField(d, "company", { title: "Company name" }, fresh));
    assert.is(d.record.properties.company!["x-placeholder"], "e.g. Acme Ltd", "kept when not posted");
    d = ok(updateField(d, "company", { placeholder: "" }, fresh));
    assert.is(d.record.properties.company!["x-placeholder"], undefined, "cleared when posted blank");
    assert.match(
      refused(addField(d, { type: "text", title: "Long", placeholder: "x".repeat(201) }, fresh)).placeholder!,
      /200/,
      "the meta-schema's limit, on the placeholder field",
    );

    const bad = structuredClone(d);
    (bad.record.properties.badge as unknown as Record<string, unknown>)["x-placeholder"] = 5;
    assert.not.ok(checkDefinition(bad).ok, "x-placeholder is a string");
    const onSwitch = structuredClone(d);
    onSwitch.record.properties.escort!["x-placeholder"] = "Yes?";
    const check = checkDefinition(onSwitch);
    assert.ok(!check.ok && check.problems.some((p) => p.pointer === "/record/properties/escort/x-placeholder"));
  },
);

t("openTo: ranks user < designer < admin; adminOnly is its older spelling; a contradiction is refused", () => {
  assert.equal(
    OPEN_TO.map((o) => ["user", "designer", "admin", "guest"].map((r) => mayOpen(o, r))),
    [
      [true, true, true, false],
      [false, true, true, false],
      [false, false, true, false],
    ],
  );
  assert.is(openToOf(blank, false), "user");
  assert.is(openToOf({ ...blank, adminOnly: true }, false), "admin");
  assert.is(openToOf({ ...blank, openTo: "designer" }, false), "designer");
  assert.is(openToOf({ ...blank, openTo: "user" }, true), "admin", "user accounts: administrators only");
  const d = ok(
    setSettings({ ...blank, adminOnly: true }, { title: "Visitor log", description: "", openTo: "designer" }, fresh),
  );
  assert.is(d.openTo, "designer");
  assert.is(d.adminOnly, undefined, "the older spelling goes");
  const clash = checkDefinition({ ...blank, adminOnly: true, openTo: "user" });
  assert.ok(!clash.ok && clash.problems.some((p) => p.pointer === "/openTo"));
  assert.not.ok(checkDefinition({ ...blank, openTo: "root" }).ok, "the schema's enum");
});

t("history: what changed between two versions, per field (added, removed, renamed?, changed properties)", () => {
  let v1 = ok(addField(blank, { type: "text", title: "Company", name: "company" }, fresh));
  v1 = ok(addField(v1, { type: "rows", title: "Companions", name: "companions" }, fresh));
  v1 = ok(addField(v1, { type: "text", title: "Phone", name: "phone", parent: "companions" }, fresh));
  v1 = ok(addField(v1, { type: "boolean", title: "Escort", name: "escort" }, fresh));
  let v2 = ok(updateField(v1, "name", { title: "Visitor name", required: "off" }, fresh));
  v2 = ok(updateField(v2, "company", { name: "firm" }, fresh));
  v2 = ok(updateField(v2, "companions.phone", { type: "integer", placeholder: "digits" }, fresh));
  v2 = ok(deleteField(v2, "escort", fresh));
  v2 = ok(addField(v2, { type: "choice", title: "Purpose", options: "a|A\nb|B" }, fresh));
  v2 = ok(setSettings(v2, { title: "Visitors", description: "", openTo: "designer" }, fresh));
  const changes = fieldChanges(v1, v2);
  assert.equal(
    changes.map((c) => [c.path, c.kind, c.from ?? "", c.changes.map((p) => `${p.property}: ${p.before} > ${p.after}`)]),
    [
      ["name", "changed", "", ["Label: Name > Visitor name", "Required: yes > no"]],
      ["firm", "renamed", "company", []],
      ["companions.phone", "changed", "", ["Type: Text > Whole number", "Placeholder:  > digits"]],
      ["purpose", "added", "", []],
      ["escort", "removed", "", []],
    ],
  );
  assert.equal(appChanges(v1, v2), [
    { property: "Title", before: "Visitor log", after: "Visitors" },
    { property: "Who may open it", before: "user", after: "designer" },
  ]);
  assert.equal(fieldChanges(v2, v2), [], "a version compared with itself: nothing");
});

t.run();
