/**
 * Reads a token key as vendors and administrators write it: Base32 (RFC 4648,
 * any case, padding optional) or hexadecimal, with spaces and dashes ignored.
 * Returns the bytes and which encoding was found, or a reason for the admin.
 */
import { MIN_SECRET_BYTES, MAX_SECRET_BYTES } from "../totp.js";

/** How a token key was written: Base32 (RFC 4648) or hexadecimal. */
export type SecretEncoding = "base32" | "hex";

/**
 * A secret key as read from input: its bytes and the encoding it was written in, or the reason it
 * could not be read.
 */
export type ParsedSecret = { ok: true; bytes: Buffer; encoding: SecretEncoding } | { ok: false; reason: string };

// The key sizes the TOTP verifier accepts (RFC 4226 R6: at least 128 bits): a token key outside
// them is refused at registration and import, not at its first code.

const BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const BASE32_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 32; i++) {
  BASE32_VALUE[BASE32_ALPHABET.charCodeAt(i)] = i;
  BASE32_VALUE[BASE32_ALPHABET.toLowerCase().charCodeAt(i)] = i;
}

/** Lengths (mod 8) an unpadded Base32 string can have: 1, 3 and 6 cannot end a whole byte. */
const BASE32_VALID_REMAINDERS = new Set([0, 2, 4, 5, 7]);

/**
 * Decodes Base32 (RFC 4648 §6, either case, `=` padding optional) into bytes; null when a character
 * is outside the alphabet or the length cannot end on a whole byte. Leftover bits below a byte are
 * dropped.
 */
export function decodeBase32(text: string): Buffer | null {
  const s = text.replace(/=+$/, "");
  if (!BASE32_VALID_REMAINDERS.has(s.length % 8)) return null;
  const out = Buffer.alloc(Math.floor((s.length * 5) / 8));
  let bits = 0;
  let value = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    const v = code < 128 ? BASE32_VALUE[code]! : -1;
    if (v < 0) return null;
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (value >>> bits) & 0xff;
    }
  }
  return out;
}

/**
 * Encodes bytes as upper-case Base32 (RFC 4648 §6) without `=` padding, as authenticator apps and
 * token vendors write secret keys.
 */
export function encodeBase32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET[(value >>> bits) & 31];
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const BASE32 = /^[A-Za-z2-7]+=*$/;

function sized(bytes: Buffer, encoding: SecretEncoding): ParsedSecret {
  const label = encoding === "hex" ? "hex" : "Base32";
  if (bytes.length < MIN_SECRET_BYTES) {
    return {
      ok: false,
      reason: `${label} key of ${bytes.length} bytes is too short (at least ${MIN_SECRET_BYTES} bytes, 128 bits)`,
    };
  }
  if (bytes.length > MAX_SECRET_BYTES) {
    return { ok: false, reason: `${label} key of ${bytes.length} bytes is too long (at most ${MAX_SECRET_BYTES})` };
  }
  return { ok: true, bytes, encoding };
}

/**
 * `expect` is what a column or form promises; "auto" detects. A string can read
 * both ways (A-F and 2-7 only, such as a vendor's sample `2234567ABCDEF2234567ABCDEF`):
 * then the reading that gives a usable key wins, and when both do, hex does (a
 * random Base32 key almost never consists of A-F and 2-7 alone, while a random
 * hex key avoids 0, 1, 8 and 9 just as rarely). `encoding` says which was used.
 */
export function parseSecretKey(input: string, expect: SecretEncoding | "auto" = "auto"): ParsedSecret {
  const s = input.replace(/[\s-]/g, "");
  if (!s) return { ok: false, reason: "the key is empty" };
  const hexDigits = HEX.test(s) ? s : /^0x/i.test(s) && HEX.test(s.slice(2)) ? s.slice(2) : null;
  const hex = expect !== "base32" && hexDigits !== null ? sized(Buffer.from(hexDigits, "hex"), "hex") : null;
  if (expect === "hex") {
    return (
      hex ?? {
        ok: false,
        reason: /^[0-9a-fA-F]+$/.test(s) ? "hex key has an odd number of digits" : "not a hex key (0-9, A-F)",
      }
    );
  }
  const b32Bytes = BASE32.test(s) ? decodeBase32(s) : null;
  const b32 = b32Bytes ? sized(b32Bytes, "base32") : null;
  if (expect === "base32") return b32 ?? { ok: false, reason: "not a Base32 key (A-Z, 2-7)" };
  if (hex?.ok) return hex;
  if (b32?.ok) return b32;
  if (hex && b32) return { ok: false, reason: neitherReading(hexDigits!.length / 2, b32Bytes!.length) };
  const either = hex ?? b32;
  if (either) return either;
  // Hex digits only, 0, 1, 8 or 9 among them (so not Base32), an odd count: one digit too few or many.
  if (/^(?:0x)?[0-9a-fA-F]+$/i.test(s)) {
    return { ok: false, reason: `hex key has an odd number of digits (${s.replace(/^0x/i, "").length})` };
  }
  return { ok: false, reason: "neither Base32 (A-Z, 2-7) nor hex (0-9, A-F)" };
}

/** Both readings fail on size; Base32 always gives more bytes than hex, so both are short or both long. */
function neitherReading(hexBytes: number, base32Bytes: number): string {
  const sizes = `${hexBytes} bytes as hex, ${base32Bytes} bytes as Base32`;
  return hexBytes < MIN_SECRET_BYTES
    ? `the key is too short read either way: ${sizes} (at least ${MIN_SECRET_BYTES} bytes, 128 bits)`
    : `the key is too long read either way: ${sizes} (at most ${MAX_SECRET_BYTES})`;
}
