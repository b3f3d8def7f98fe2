import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/**
 * AES-256-GCM for secrets at rest (TOTP and hardware-token keys).
 * Stored form: "v1:<keyId>:<base64url(nonce | ciphertext | tag)>". The key id
 * (first 8 hex of the key's SHA-256) lets a later key rotation find which key
 * sealed a value. `context` is bound as associated data, so a sealed secret
 * copied to another row (another user, another token) does not decrypt.
 */
const NONCE_BYTES = 12;
// Bulk imports seal one secret per token; one randomBytes call per nonce was a
// fifth of the import's CPU. Nonces are cut from a pooled CSPRNG buffer, each
// slice used once, so they stay unpredictable and unique.
const NONCES_PER_REFILL = 4096;
let noncePool = Buffer.alloc(0);
let nonceOffset = 0;

function nextNonce(): Buffer {
  if (nonceOffset + NONCE_BYTES > noncePool.length) {
    noncePool = randomBytes(NONCE_BYTES * NONCES_PER_REFILL);
    nonceOffset = 0;
  }
  const nonce = Buffer.from(noncePool.subarray(nonceOffset, nonceOffset + NONCE_BYTES));
  nonceOffset += NONCE_BYTES;
  return nonce;
}

/**
 * Seals secrets at rest with AES-256-GCM (NIST SP 800-38D): a 12-byte nonce, the context string as
 * associated data (a value sealed for one row cannot be opened for another) and a 16-byte tag,
 * written `v1:<key id>:<base64url>`. Previous keys only open, so keys can be rotated. Throws when
 * the key is not 32 bytes or a sealed value does not open.
 */
export class SecretBox {
  readonly keyId: string;
  readonly #keys: Map<string, Buffer>;

  constructor(key: Buffer, previousKeys: Buffer[] = []) {
    if (key.length !== 32) throw new Error("SecretBox needs a 32-byte key");
    this.keyId = SecretBox.idOf(key);
    this.#keys = new Map([[this.keyId, key], ...previousKeys.map((k) => [SecretBox.idOf(k), k] as const)]);
  }

  static idOf(key: Buffer): string {
    return createHash("sha256").update(key).digest("hex").slice(0, 8);
  }

  seal(plaintext: Buffer, context: string): string {
    const nonce = nextNonce();
    const cipher = createCipheriv("aes-256-gcm", this.#keys.get(this.keyId)!, nonce);
    cipher.setAAD(Buffer.from(context, "utf8"));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return `v1:${this.keyId}:${Buffer.concat([nonce, body, cipher.getAuthTag()]).toString("base64url")}`;
  }

  /** Throws when the value was tampered with, sealed for another context, or by an unknown key. */
  open(sealed: string, context: string): Buffer {
    const [version, keyId, data] = sealed.split(":");
    if (version !== "v1" || !keyId || !data) throw new Error("not a sealed secret");
    const key = this.#keys.get(keyId);
    if (!key) throw new Error(`secret sealed with unknown key ${keyId}`);
    const raw = Buffer.from(data, "base64url");
    if (raw.length < 12 + 16) throw new Error("sealed secret too short");
    const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
  }
}
