import { test } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "node:crypto";
import { SecretBox } from "../../engine/mfa/secret-box.js";

const key = randomBytes(32);

test("seals and opens; each seal uses a fresh nonce", () => {
  const box = new SecretBox(key);
  const secret = Buffer.from("12345678901234567890");
  const a = box.seal(secret, "totp:user-1");
  const b = box.seal(secret, "totp:user-1");
  assert.is.not(a, b);
  assert.match(a, new RegExp(`^v1:${box.keyId}:`));
  assert.not.ok(a.includes(secret.toString("base64url")) || a.includes(secret.toString("hex")));
  assert.equal(box.open(a, "totp:user-1"), secret);
});

test("nonces never repeat across many seals (pool refills included)", () => {
  const box = new SecretBox(key);
  const seen = new Set<string>();
  for (let i = 0; i < 10_000; i++) {
    const nonce = Buffer.from(box.seal(Buffer.from("x"), "ctx").split(":")[2]!, "base64url").subarray(0, 12);
    seen.add(nonce.toString("hex"));
  }
  assert.is(seen.size, 10_000);
});

test("refuses another context, a tampered value and an unknown key", () => {
  const box = new SecretBox(key);
  const sealed = box.seal(Buffer.from("secret"), "totp:user-1");
  assert.throws(() => box.open(sealed, "totp:user-2"));
  const raw = Buffer.from(sealed.split(":")[2]!, "base64url");
  raw[14] = raw[14]! ^ 1;
  assert.throws(() => box.open(`v1:${box.keyId}:${raw.toString("base64url")}`, "totp:user-1"));
  assert.throws(() => new SecretBox(randomBytes(32)).open(sealed, "totp:user-1"), /unknown key/);
});

test("a rotated box still opens values sealed with the previous key", () => {
  const old = new SecretBox(key);
  const sealed = old.seal(Buffer.from("secret"), "ctx");
  const rotated = new SecretBox(randomBytes(32), [key]);
  assert.is(rotated.open(sealed, "ctx").toString(), "secret");
  assert.throws(() => new SecretBox(Buffer.alloc(16)));
});

test.run();
