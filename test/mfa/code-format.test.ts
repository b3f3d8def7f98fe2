import { suite } from "uvu";
import * as assert from "uvu/assert";
import { deviceValidator } from "../../engine/device/schemas.js";
import { readCode } from "../../engine/web/mfa/mfa-route-helpers.js";
import { MAX_CODE_INPUT_LENGTH, normaliseCode } from "../../engine/mfa/totp.js";

const t = suite("one reading of codes for every surface");

t("spaces and dashes anywhere are ignored; what is left must be 6 or 8 digits", () => {
  const read: [string, string][] = [
    ["123456", "123456"],
    ["123 456", "123456"],
    [" 123 456 ", "123456"],
    ["123-456", "123456"],
    ["1234 5678", "12345678"],
    ["1234-5678", "12345678"],
    ["12 34 56 78", "12345678"],
    ["123\u00a0456", "123456"], // a no-break space, as some apps copy it
    ["123\t456\n", "123456"],
    ["-123456-", "123456"],
  ];
  for (const [input, digits] of read) assert.is(normaliseCode(input), digits, JSON.stringify(input));
  for (const bad of [
    "",
    "12345",
    "1234567",
    "123456789",
    "12ab56",
    "123_456",
    "123.456",
    "１２３４５６",
    "123456\u0000",
  ]) {
    assert.is(normaliseCode(bad), null, JSON.stringify(bad));
  }
  assert.is(normaliseCode(123456), null);
  assert.is(normaliseCode(undefined), null);
  assert.is(normaliseCode(" ".repeat(MAX_CODE_INPUT_LENGTH) + "123456"), null, "bounded before it is scanned");
});

t("the web form field reads codes with the same function", () => {
  assert.is(readCode({ code: "123 456" }), "123456");
  assert.is(readCode({ code: "1234-5678" }), "12345678");
  assert.is(readCode({ code: "12345" }), null);
  assert.is(readCode({}), null);
});

t("the device API's schemas accept exactly the codes normaliseCode reads", () => {
  const requests = [
    { name: "mfa-request" as const, body: (code: string) => ({ challenge: "a".repeat(43), code }) },
    {
      name: "mfa-setup-request" as const,
      body: (code: string) => ({ challenge: "a".repeat(43), method: "app", code }),
    },
  ];
  // Every string up to 9 characters over an alphabet of digits, separators and near misses,
  // sampled with a fixed seed, plus the hand-picked cases above.
  const alphabet = ["1", "2", "0", "9", " ", "-", "\t", "\u00a0", "a", "_", "."];
  let seed = 9;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  const inputs = ["123 456", "1234-5678", "12345", "1234567", " 12345678 ", "-1-2-3-4-5-6-"];
  for (let i = 0; i < 4000; i++) {
    const length = 5 + (next() % 6);
    let s = "";
    for (let j = 0; j < length; j++) s += alphabet[next() % alphabet.length];
    // Most random strings are not codes; bias half of them towards digits and separators only.
    inputs.push(i % 2 ? s : s.replace(/[a_.]/g, "1"));
  }
  inputs.push("1".repeat(6) + " ".repeat(MAX_CODE_INPUT_LENGTH));
  let accepted = 0;
  for (const { name, body } of requests) {
    const validate = deviceValidator(name);
    for (const input of inputs) {
      const expected = normaliseCode(input) !== null;
      assert.is(validate(body(input)), expected, `${name} ${JSON.stringify(input)}`);
      if (expected) accepted++;
    }
  }
  assert.ok(accepted > 100, `the sample holds codes too (${accepted})`);
});

t.run();
