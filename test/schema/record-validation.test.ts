import { suite } from "uvu";
import * as assert from "uvu/assert";
import { fieldTree } from "../../engine/schema/field-nodes.js";
import {
  compileRecordValidators,
  DEFAULT_MAX_ITEMS,
  DEFAULT_MAX_STRING,
  fieldErrors,
  FORM_ERROR,
  validationSchema,
} from "../../engine/schema/record-validation.js";
import type { RecordSchema } from "../../engine/schema/types.js";

const t = suite("record validation");

const record: RecordSchema = {
  type: "object",
  required: ["name", "secret", "flag", "status", "note"],
  properties: {
    name: { type: "string", title: "Name", minLength: 2, maxLength: 5 },
    free: { type: "string" },
    code: { type: "string", pattern: "^[A-Z]+$" },
    mail: { type: "string", format: "email" },
    web: { type: "string", format: "uri" },
    day: { type: "string", format: "date" },
    at: { type: "string", format: "date-time" },
    count: { type: "integer", minimum: 1, maximum: 9 },
    whole: { type: "integer" },
    big: { type: "integer" },
    real: { type: "number" },
    ratio: { type: "number", exclusiveMinimum: 0, exclusiveMaximum: 1 },
    step: { type: "number", multipleOf: 0.5 },
    pick: { type: "string", oneOf: [{ const: "a", title: "A" }] },
    tags: { type: "array", minItems: 1, maxItems: 2, uniqueItems: true, items: { type: "string" } },
    many: { type: "array", items: { type: "string" } },
    flag: { type: "boolean" },
    obj: { type: "object", properties: { x: { type: "string" } } },
    secret: { type: "string", writeOnly: true },
    status: { type: "string", readOnly: true },
    note: { type: "string", "x-visibleWhen": { field: "flag", equals: true } },
  },
};
const fields = fieldTree(record);
const v = compileRecordValidators(record);

function errorsOf(values: Record<string, unknown>, mode: "create" | "edit" = "create") {
  const validate = v[mode];
  return validate(values) ? {} : fieldErrors(validate.errors, fields, values);
}

const base = { name: "Ann", secret: "x", flag: false };

t("every keyword has a plain message in its field's slot", () => {
  const e = errorsOf({
    ...base,
    name: "A",
    code: "abc",
    mail: "x",
    web: "not a uri",
    day: "2026-13-45",
    at: "yesterday",
    count: 10,
    ratio: 1,
    step: 0.3,
    pick: "b",
    tags: [],
  });
  assert.equal(e, {
    name: "Name must be at least 2 characters.",
    code: "Code does not have the expected format: capital letters only.",
    mail: "Mail must be an email address.",
    web: "Web must be a full web address (https://…).",
    day: "Day must be a date (YYYY-MM-DD).",
    at: "At must be a date and time.",
    count: "Count must be at most 9.",
    ratio: "Ratio must be less than 1.",
    step: "Step must be a multiple of 0.5.",
    pick: "Pick must be one of the options.",
    tags: "Tags needs at least 1 entry.",
  });
  assert.equal(errorsOf({ ...base, name: "Annabel", count: 0, ratio: 0, tags: ["a", "b", "c"] }), {
    name: "Name must be at most 5 characters.",
    count: "Count must be at least 1.",
    ratio: "Ratio must be more than 0.",
    tags: "Tags takes at most 2 entries.",
  });
  assert.equal(errorsOf({ ...base, tags: ["a", "a"] }), { tags: "Tags must not list the same entry twice." });
});

t("a number too large to store exactly is too large, with the limit, not 'must be a whole number'", () => {
  // Posted digits beyond the exact range stay text (form-post.ts); the field's own bound comes first.
  assert.equal(errorsOf({ ...base, count: "99999999999999999999", ratio: "1e400" }), {
    count: "Count must be at most 9.",
    ratio: "Ratio must be less than 1.",
  });
  assert.equal(errorsOf({ ...base, whole: "9007199254740993", big: "-99999999999999999999", real: "1e400" }), {
    whole: "Whole is too large: a whole number is stored exactly only up to 9,007,199,254,740,991.",
    big: "Big is too small: a whole number is stored exactly only down to -9,007,199,254,740,991.",
    real: "Real is too large: a number can be at most 1.7976931348623157e+308.",
  });
  // Through JSON (the device API) 9007199254740993 arrives as 9007199254740992: a number, and refused.
  assert.equal(errorsOf({ ...base, whole: 2 ** 53 + 1, big: -(2 ** 53) }), {
    whole: "Whole is too large: a whole number is stored exactly only up to 9,007,199,254,740,991.",
    big: "Big is too small: a whole number is stored exactly only down to -9,007,199,254,740,991.",
  });
  assert.equal(errorsOf({ ...base, whole: 9007199254740991, big: -9007199254740991 }), {}, "the largest exact ones");
  assert.equal(errorsOf({ ...base, whole: "12a" }), { whole: "Whole must be a whole number." });
});

t("a pattern failure names the format: the help, else the placeholder, else the pattern in words", () => {
  const r: RecordSchema = {
    type: "object",
    properties: {
      serial: { type: "string", title: "Serial", pattern: "^[A-Z0-9\\-]{3,32}$", description: "As on the plate." },
      code: { type: "string", title: "Code", pattern: "^[A-Z]{2}-[0-9]{4}$", "x-placeholder": "e.g. AB-1234" },
      plain: { type: "string", title: "Plain", pattern: "^[A-Z]{2}-\\d{4}$" },
      caps: { type: "string", title: "Caps", pattern: "^[A-Z]+$" },
      user: { type: "string", title: "User", pattern: "^[A-Za-z0-9._@\\-]{1,64}$" },
      odd: { type: "string", title: "Odd", pattern: "^(ab|cd)+$" },
    },
  };
  const nodes = fieldTree(r);
  const validate = compileRecordValidators(r).create;
  const values = { serial: "x", code: "x", plain: "x", caps: "x", user: "a b", odd: "x" };
  assert.not.ok(validate(values));
  assert.equal(fieldErrors(validate.errors, nodes, values), {
    serial: "Serial does not have the expected format: As on the plate.",
    code: "Code does not have the expected format, such as “AB-1234”.",
    plain: "Plain does not have the expected format: 2 capital letters, “-”, then 4 digits.",
    caps: "Caps does not have the expected format: capital letters only.",
    user: "User does not have the expected format: 1 to 64 letters, digits, dots, underscores, at signs and dashes.",
    odd: "Odd does not have the expected format (it must match the pattern ^(ab|cd)+$).",
  });
});

t("type errors name the expected kind of value", () => {
  assert.equal(errorsOf({ ...base, count: "x", ratio: "y", flag: "maybe", name: 5, tags: "t", obj: "o" }), {
    count: "Count must be a whole number from 1 to 9.",
    ratio: "Ratio must be a number more than 0 and less than 1.",
    flag: "Flag must be yes or no.",
    name: "Name must be text.",
    tags: "Tags must be a list.",
    obj: "Obj must be a group of fields.",
  });
});

t("required: missing fields, writeOnly only on create, readOnly never, conditional fields only when shown", () => {
  assert.equal(errorsOf({}), { name: "Name is required.", secret: "Secret is required.", flag: "Flag is required." });
  assert.equal(errorsOf({ name: "Ann", flag: false }, "edit"), {}, "a blank password on edit is not required");
  assert.equal(errorsOf({ ...base, flag: true }), { note: "Note is required." });
  assert.equal(errorsOf({ ...base, flag: true, note: "n" }), {});
});

t("unknown properties and errors that belong to no field go to the form's own slot", () => {
  assert.match(errorsOf({ ...base, extra: 1 })[FORM_ERROR] ?? "", /unknown field "extra"/);
  const e = fieldErrors(
    [{ keyword: "type", instancePath: "", schemaPath: "#/type", params: { type: "object" }, message: "" }],
    fields,
  );
  assert.is(e[FORM_ERROR], "The record must be a group of fields.");
});

t("strings and arrays without limits are bounded anyway", () => {
  const schema = validationSchema(record, "create") as { properties: Record<string, Record<string, unknown>> };
  assert.is(schema.properties.free!.maxLength, DEFAULT_MAX_STRING);
  assert.is(schema.properties.many!.maxItems, DEFAULT_MAX_ITEMS);
  assert.is(schema.properties.name!.maxLength, 5, "a definition's own limit stands");
  assert.match(errorsOf({ ...base, free: "x".repeat(DEFAULT_MAX_STRING + 1) }).free ?? "", /at most 10000 characters/);
  assert.match(errorsOf({ ...base, many: Array(DEFAULT_MAX_ITEMS + 1).fill("x") }).many ?? "", /at most 200 entries/);
});

t.run();
