// Deeply nested JSON from a client: refused by one linear pass before it is parsed, and the walk for
// text PostgreSQL cannot store linear in the value however deep it is (it copied the path per level).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { jsonNestsDeeper, JsonTooDeepError, MAX_JSON_DEPTH, parseClientJson } from "../../engine/util/json-depth.js";
import { unstorablePaths } from "../../engine/util/storable-text.js";

const t = suite("JSON depth");

const nested = (depth: number, inner = "") => "[".repeat(depth) + inner + "]".repeat(depth);

t("nesting is counted up to the limit, brackets inside strings and escapes not counted", () => {
  assert.not.ok(jsonNestsDeeper(nested(MAX_JSON_DEPTH)));
  assert.ok(jsonNestsDeeper(nested(MAX_JSON_DEPTH + 1)));
  assert.not.ok(jsonNestsDeeper(`{"a": "${"[".repeat(1000)}", "b": "\\"[[[["}`, 1));
  assert.ok(jsonNestsDeeper(`{"a": "\\\\", "b": [1]}`, 1), "an escaped backslash ends before the quote");
  assert.not.ok(jsonNestsDeeper("[1][2][3]", 1), "siblings do not add up");
});

t("parseClientJson refuses 1,000,000 levels with JsonTooDeepError, parses the rest as JSON.parse does", () => {
  assert.throws(
    () => parseClientJson(nested(1_000_000)),
    (e: unknown) => e instanceof JsonTooDeepError,
  );
  assert.throws(() => parseClientJson(nested(3), 2), /nested more than 2 levels deep/);
  assert.equal(parseClientJson('{"data": {"rows": [{"a": 1}]}}'), { data: { rows: [{ a: 1 }] } });
  assert.throws(() => parseClientJson("{"), SyntaxError);
});

t("unstorablePaths walks 200,000 levels without recursion and reports the place's whole path", () => {
  let value: unknown = "a\u0000b";
  for (let i = 0; i < 200_000; i++) value = i % 2 ? [value] : { k: value };
  const found = unstorablePaths(value);
  assert.is(found.length, 1);
  assert.is(found[0]!.length, 200_000);
  assert.equal(found[0]!.slice(0, 4), ["0", "k", "0", "k"]);
});

t("a key that cannot be stored is reported at the object holding it, never echoed", () => {
  assert.equal(unstorablePaths({ site: { "na\u0000me": 1, ok: "x\ud800" } }), [["site"], ["site", "ok"]]);
  assert.equal(unstorablePaths({ "\udc00": 1 }), [[]]);
  assert.equal(unstorablePaths({ a: ["ok", "\u0000"] }), [["a", "1"]]);
});

t.run();
