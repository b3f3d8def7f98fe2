import { test } from "uvu";
import * as assert from "uvu/assert";
import { CursorError, decodeCursor, encodeCursor } from "../../engine/apps/record-store-contract.js";
import { fieldTree, type FieldNode } from "../../engine/schema/field-nodes.js";

const ID = "00e1f75e-1ac9-4794-b3f6-a02216c0dda1";

const fields = fieldTree({
  type: "object",
  properties: {
    name: { type: "string" },
    on: { type: "string", format: "date" },
    at: { type: "string", format: "date-time" },
    count: { type: "integer" },
    ratio: { type: "number" },
    ok: { type: "boolean" },
    tags: { type: "array", items: { type: "string", enum: ["a", "b"] } },
  },
});
const field = (name: string) => fields.find((f) => f.name === name) as FieldNode;
const raw = (key: unknown, id: unknown = ID) => Buffer.from(JSON.stringify([key, id])).toString("base64url");

function refused(text: string, name: string, why: RegExp) {
  try {
    decodeCursor(text, field(name));
  } catch (err) {
    assert.instance(err, CursorError);
    assert.match((err as Error).message, why);
    return;
  }
  assert.unreachable(`${name}: ${Buffer.from(text, "base64url").toString()} was accepted`);
}

test("a cursor the list made reads back, for every column type", () => {
  const keys: [string, unknown][] = [
    ["name", "drill press"],
    ["on", "2026-01-02"],
    ["at", "2026-01-02t10:00:00z"],
    ["count", 3],
    ["ratio", -0.5],
    ["ok", false],
    ["tags", '["a", "b"]'],
  ];
  for (const [name, key] of keys) {
    assert.equal(decodeCursor(encodeCursor({ key, id: ID }), field(name)), { key, id: ID }, name);
    assert.equal(decodeCursor(raw(null), field(name)), { key: null, id: ID }, `${name}: a missing value`);
  }
});

test("a key of another type than the column's is refused with the reason", () => {
  refused(raw(5), "name", /"Name" is text/);
  refused(raw({ a: 1 }), "name", /"Name" is text/);
  refused(raw(["x"]), "tags", /"Tags" is text/);
  refused(raw("soon"), "on", /"On" is a date/);
  refused(raw("2026-01-02 and more"), "at", /"At" is a date/);
  refused(raw("3"), "count", /"Count" is a number/);
  refused(raw(true), "ratio", /"Ratio" is a number/);
  refused(raw("yes"), "ok", /"Ok" is yes\/no/);
  refused(raw(0), "ok", /"Ok" is yes\/no/);
});

test("text PostgreSQL cannot store, a bad id and a malformed cursor are refused", () => {
  refused(raw("\u0000x"), "name", /cannot be stored/);
  refused(raw("a\ud800"), "name", /cannot be stored/);
  refused(raw("x", "not-a-uuid"), "name", /not a page link/);
  refused(raw("x", 5), "name", /not a page link/);
  refused(Buffer.from(JSON.stringify(["x"])).toString("base64url"), "name", /not a page link/);
  refused(Buffer.from('["x", "' + ID + '"').toString("base64url"), "name", /not a page link/);
  refused(Buffer.from([0xff, 0xfe]).toString("base64url"), "name", /not a page link/);
  refused("a+b/", "name", /not a page link/);
  refused("A".repeat(2001), "name", /not a page link/);
});

test.run();
