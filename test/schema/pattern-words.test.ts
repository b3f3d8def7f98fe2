import { suite } from "uvu";
import * as assert from "uvu/assert";
import { PATTERN_PRESETS } from "../../engine/apps/field-types.js";
import { patternInWords } from "../../engine/schema/pattern-words.js";

const t = suite("a pattern in plain words");

t("the designer's presets and the seed apps' patterns read as what they allow", () => {
  assert.equal(
    PATTERN_PRESETS.map((p) => patternInWords(p.pattern)),
    [
      "capital letters, digits and dashes only",
      "digits only",
      "letters and spaces only",
      "5 to 20 digits, spaces, plus signs, brackets and dashes",
      "2 to 10 letters, digits and spaces",
    ],
  );
  assert.is(patternInWords("^[A-Z0-9\\-]{3,32}$"), "3 to 32 capital letters, digits and dashes");
  assert.is(patternInWords("^[0-9 +\\(\\)\\-]{5,20}$"), "5 to 20 digits, spaces, plus signs, brackets and dashes");
  assert.is(
    patternInWords("^[A-Za-z0-9._@\\-]{1,64}$"),
    "1 to 64 letters, digits, dots, underscores, at signs and dashes",
  );
});

t("a sequence of steps, counts and literal text", () => {
  assert.is(patternInWords("^[A-Z]{2}-\\d{4}$"), "2 capital letters, “-”, then 4 digits");
  assert.is(patternInWords("^INV-[0-9]{6}$"), "“INV-”, then 6 digits");
  assert.is(patternInWords("^[a-f0-9]{8,}$"), "at least 8 small letters a to f and digits");
  assert.is(patternInWords("^[A-Z][a-z]*$"), "one capital letter, then any number of small letters");
  assert.is(patternInWords("^\\d{1,3}$"), "1 to 3 digits");
  assert.is(patternInWords("^[0-9]{5}[A-Z]?$"), "5 digits, then an optional capital letter");
});

t("what is not sensibly said in words is null: the message then names the pattern", () => {
  for (const p of [
    "[A-Z]", // not anchored: "contains a capital letter somewhere"
    "^(ab|cd)+$",
    "^[^0-9]+$",
    "^\\p{L}+$",
    "^a+?$",
    "^[A-Z]$|^x$",
    "^a\\b$",
    "^.{1}[A-Z][0-9][a-z]-x[A-Z]$",
  ]) {
    assert.is(patternInWords(p), null, p);
  }
});

t.run();
