import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** 256 random bits, URL-safe: session tokens, setup links, challenges. */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Only this digest of a token is stored, so a database leak yields no usable token. */
export function hashToken(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

/** Constant-time string equality; unequal lengths compare a digest so timing does not reveal the length. */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}
