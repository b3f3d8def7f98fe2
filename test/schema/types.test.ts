import { readFileSync } from "node:fs";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { generateTypes, typesFile } from "../../engine/schema/generate-types.js";

const t = suite("generated types");

t("engine/schema/types.ts is what `npm run gen` makes from schemas/ (run it after changing a schema)", async () => {
  const expected = await generateTypes();
  const actual = readFileSync(typesFile, "utf8");
  assert.ok(actual === expected, "engine/schema/types.ts is stale: run `npm run gen`");
});

t("the app definition types are generated from schemas/app.schema.json", () => {
  const actual = readFileSync(typesFile, "utf8");
  assert.match(actual, /export interface AppDefinition \{/);
  assert.match(actual, /"x-system"\?: SystemBinding;/);
  assert.match(actual, /"x-visibleWhen"\?: VisibleWhen;/);
});

t.run();
