import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import {
  generateHotp,
  generateTotp,
  matchTotpStep,
  totpStep,
  TotpConfigError,
  type TotpAlgorithm,
  type TotpParams,
} from "../../engine/mfa/totp.js";

interface Vectors {
  totp: {
    seedsHex: Record<TotpAlgorithm, string>;
    vectors: {
      time: number;
      step: number;
      algorithm: TotpAlgorithm;
      digits: 8;
      periodInSeconds: number;
      otp: string;
    }[];
  };
  hotp: { seedAscii: string; digits: 6; algorithm: "SHA1"; vectors: { counter: number; otp: string }[] };
}
const vectors: Vectors = JSON.parse(readFileSync(new URL("../fixtures/otp-vectors.json", import.meta.url), "utf8"));

const params = (algorithm: TotpAlgorithm = "SHA1", digits: 6 | 8 = 8): TotpParams => ({
  secret: Buffer.from(vectors.totp.seedsHex[algorithm], "hex"),
  algorithm,
  digits,
  periodInSeconds: 30,
});

test("RFC 6238 Appendix B vectors: step, code, and the verifier finds the step", () => {
  assert.is(vectors.totp.vectors.length, 18);
  for (const v of vectors.totp.vectors) {
    const p = params(v.algorithm, v.digits);
    const time = new Date(v.time * 1000);
    assert.is(totpStep(time, v.periodInSeconds), v.step, `step at ${v.time}`);
    assert.is(generateTotp(p, v.step), v.otp, `${v.algorithm} at ${v.time}`);
    assert.is(matchTotpStep(p, v.otp, time, { window: 0 }), v.step);
    assert.is(matchTotpStep(p, v.otp, time, { window: 1 }), v.step);
  }
});

test("RFC 4226 Appendix D vectors", () => {
  const secret = Buffer.from(vectors.hotp.seedAscii, "ascii");
  assert.is(vectors.hotp.vectors.length, 10);
  for (const v of vectors.hotp.vectors) assert.is(generateHotp(secret, v.counter, "SHA1", 6), v.otp);
  // TOTP with 6 digits is HOTP of the step: the verifier accepts each counter as a step.
  const p: TotpParams = { secret, algorithm: "SHA1", digits: 6, periodInSeconds: 30 };
  for (const v of vectors.hotp.vectors) {
    assert.is(matchTotpStep(p, v.otp, new Date(v.counter * 30_000 + 5_000), { window: 0 }), v.counter);
  }
});

test("the window: one step early and one late match, two do not; the centre moves with the offset", () => {
  const p = params("SHA1", 6);
  const now = new Date(1_800_000_000_000);
  const step = totpStep(now, 30);
  const at = (s: number) => generateTotp(p, s);
  assert.is(matchTotpStep(p, at(step), now, { window: 1 }), step);
  assert.is(matchTotpStep(p, at(step - 1), now, { window: 1 }), step - 1);
  assert.is(matchTotpStep(p, at(step + 1), now, { window: 1 }), step + 1);
  assert.is(matchTotpStep(p, at(step - 2), now, { window: 1 }), null);
  assert.is(matchTotpStep(p, at(step + 2), now, { window: 1 }), null);
  assert.is(matchTotpStep(p, at(step + 4), now, { window: 1, centreOffset: 3 }), step + 4);
  assert.is(matchTotpStep(p, at(step + 1), now, { window: 1, centreOffset: 3 }), null);
  assert.is(matchTotpStep(p, at(step + 1), now, { window: 0 }), null);
});

test("bad input gives null, never a throw", () => {
  const p = params("SHA1", 8);
  const now = new Date(59_000);
  for (const bad of ["", "9428708", "942870821", "9428708a", " 94287082", "９４２８７０８２", "-4287082"]) {
    assert.is(matchTotpStep(p, bad, now, { window: 1 }), null, JSON.stringify(bad));
  }
  assert.is(matchTotpStep(p, undefined as unknown as string, now, { window: 1 }), null);
});

test("bad configuration throws", () => {
  const p = params();
  const now = new Date(59_000);
  const throwsConfig = (fn: () => unknown) => assert.throws(fn, (e: unknown) => e instanceof TotpConfigError);
  throwsConfig(() => matchTotpStep({ ...p, secret: new Uint8Array(10) }, "94287082", now, { window: 1 }));
  throwsConfig(() => matchTotpStep({ ...p, algorithm: "MD5" as TotpAlgorithm }, "94287082", now, { window: 1 }));
  throwsConfig(() => matchTotpStep({ ...p, digits: 7 as 6 }, "9428708", now, { window: 1 }));
  throwsConfig(() => matchTotpStep({ ...p, periodInSeconds: 0 }, "94287082", now, { window: 1 }));
  throwsConfig(() => matchTotpStep({ ...p, periodInSeconds: 1.5 }, "94287082", now, { window: 1 }));
  throwsConfig(() => matchTotpStep(p, "94287082", now, { window: -1 }));
  throwsConfig(() => matchTotpStep(p, "94287082", now, { window: 1000 }));
  throwsConfig(() => matchTotpStep(p, "94287082", now, { window: 1, centreOffset: 0.5 }));
  throwsConfig(() => totpStep(new Date(NaN), 30));
  throwsConfig(() => generateHotp(p.secret, -1, "SHA1", 6));
});

test.run();
