import { suite } from "uvu";
import * as assert from "uvu/assert";
import { loadSchema } from "../../engine/schema/ajv.js";
import {
  APP_ID,
  APP_ID_SOURCE,
  escapePointer,
  FIELD_NAME,
  FIELD_NAME_SOURCE,
  FIELD_PATH,
  pointerOf,
  SORT_KEY,
  unescapePointer,
} from "../../engine/schema/identifiers.js";

const t = suite("identifier patterns (engine/schema/identifiers.ts)");

const app = loadSchema("app.schema.json") as {
  properties: { id: { pattern: string } };
  $defs: {
    fieldName: { pattern: string };
    fieldPath: { pattern: string };
    listView: { properties: { sort: { pattern: string } } };
  };
};
const visibleWhen = loadSchema("keywords/x-visible-when.schema.json") as {
  properties: { field: { pattern: string } };
};

const samples = [
  "",
  "a",
  "A",
  "parts",
  "my-app",
  "my_app",
  "-x",
  "9lives",
  "Parts",
  "name",
  "_name",
  "companions.phone",
  "a.b.c.d.e.f.g.h",
  "a.b.c.d.e.f.g.h.i",
  "a..b",
  "a.",
  "-name",
  "--name",
  "x".repeat(63),
  "x".repeat(64),
  "x".repeat(65),
  "a b",
  "a/b",
  "é",
];

/** The same verdict on every sample: the JSON Schema copy cannot drift from the one definition. */
function sameVerdicts(label: string, ours: RegExp, theirs: string) {
  const json = new RegExp(theirs, "u");
  for (const s of samples) assert.is(ours.test(s), json.test(s), `${label} on ${JSON.stringify(s)}`);
}

t("the app schema's id, field name, field path and sort patterns are the ones defined here", () => {
  sameVerdicts("app id", APP_ID, app.properties.id.pattern);
  sameVerdicts("field name", FIELD_NAME, app.$defs.fieldName.pattern);
  sameVerdicts("field path", FIELD_PATH, app.$defs.fieldPath.pattern);
  sameVerdicts("sort", SORT_KEY, app.$defs.listView.properties.sort.pattern);
  sameVerdicts("x-visibleWhen field", FIELD_NAME, visibleWhen.properties.field.pattern);
});

t("the sources compile under the `v` flag a browser gives an HTML pattern attribute, with the same verdicts", () => {
  for (const [source, re] of [
    [APP_ID_SOURCE, APP_ID],
    [FIELD_NAME_SOURCE, FIELD_NAME],
  ] as const) {
    const html = new RegExp(`^(?:${source})$`, "v");
    for (const s of samples) assert.is(html.test(s), re.test(s), `${source} on ${JSON.stringify(s)}`);
  }
});

t("escapePointer / unescapePointer follow RFC 6901 (~0 before ~1 on the way back)", () => {
  assert.is(escapePointer("a/b~c"), "a~1b~0c");
  assert.is(unescapePointer("a~1b~0c"), "a/b~c");
  assert.is(unescapePointer("~01"), "~1");
  assert.is(pointerOf(["record", "a/b", "~"]), "/record/a~1b/~0");
  assert.is(pointerOf([]), "");
});

t.run();
