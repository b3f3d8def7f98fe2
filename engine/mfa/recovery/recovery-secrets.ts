import { createHmac, hkdfSync, randomInt } from "node:crypto";

/** Crockford's Base32 alphabet (https://www.crockford.com/base32.html): no I, L, O or U. */
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A recovery code has 10 characters (50 bits), shown as `XXXXX-XXXXX`. */
export const RECOVERY_CODE_CHARS = 10;
/** A temporary access pass has 14 characters (70 bits), shown in groups of four. */
export const ACCESS_PASS_CHARS = 14;
/** How many recovery codes one set holds. */
export const RECOVERY_CODES_PER_SET = 10;

/** `n` characters of Crockford Base32 from the CSPRNG (crypto.randomInt, no modulo bias). */
function randomCrockford(n: number): string {
  let out = "";
  for (let i = 0; i < n; i++) out += CROCKFORD[randomInt(32)];
  return out;
}

/** A new recovery code in its display form `XXXXX-XXXXX` (10 Crockford Base32 characters). */
export function newRecoveryCode(): string {
  const raw = randomCrockford(RECOVERY_CODE_CHARS);
  return `${raw.slice(0, 5)}-${raw.slice(5)}`;
}

/** A new temporary access pass in its display form: 14 Crockford Base32 characters in groups of 4 (`XXXX-XXXX-XXXX-XX`). */
export function newAccessPass(): string {
  return randomCrockford(ACCESS_PASS_CHARS).replace(/(.{4})(?=.)/g, "$1-");
}

/**
 * Typed input as canonical Crockford Base32, forgiving as Crockford's decoding rules are: case,
 * spaces and hyphens are ignored, O reads as 0, I and L as 1. Null when anything else remains, or
 * when the length is neither a recovery code's (10) nor a pass's (14). At most 64 characters are read.
 */
export function normaliseRecoveryInput(input: string | undefined): { kind: "code" | "pass"; value: string } | null {
  if (typeof input !== "string" || input.length > 64) return null;
  const v = input.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
  if (![...v].every((ch) => CROCKFORD.includes(ch))) return null;
  if (v.length === RECOVERY_CODE_CHARS) return { kind: "code", value: v };
  if (v.length === ACCESS_PASS_CHARS) return { kind: "pass", value: v };
  return null;
}

/**
 * The keyed hash stored for recovery codes and access passes: HMAC-SHA-256 (RFC 2104) under a key
 * derived with HKDF-SHA-256 (RFC 5869) from the server key (FORMGATE_SECRET_KEY / DATA_DIR/secret.key),
 * over the kind, the user id and the canonical value. Without the server key a dump of the hashes
 * allows no offline guessing; the user id in the input makes equal codes of two users unrelated.
 */
export class RecoveryHasher {
  readonly #key: Buffer;

  /** Throws when the server key is not 32 bytes. */
  constructor(serverKey: Buffer) {
    if (serverKey.length !== 32) throw new Error("RecoveryHasher needs the 32-byte server key");
    this.#key = Buffer.from(hkdfSync("sha256", serverKey, Buffer.alloc(0), "formgate recovery secrets v1", 32));
  }

  /** The 32-byte digest of a canonical value (normaliseRecoveryInput's `value`) for `userId`. */
  hash(kind: "code" | "pass", userId: string, canonical: string): Buffer {
    return createHmac("sha256", this.#key).update(`${kind}:${userId}:${canonical}`, "utf8").digest();
  }
}
