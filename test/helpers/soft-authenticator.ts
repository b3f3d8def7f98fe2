// A software WebAuthn authenticator for unit tests (WebAuthn Level 2 §6): an ES256 key pair from
// node:crypto, authenticator data (RP id hash, flags, signature counter, attested credential data),
// client data JSON and "none" attestation, encoded with a minimal CBOR writer (RFC 8949). It answers
// the options the server hands out exactly as a browser would pass them on as JSON.
import { createHash, createSign, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";

type Cbor = number | string | Uint8Array | Map<Cbor, Cbor> | { [k: string]: Cbor };

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 256) return Buffer.from([(major << 5) | 24, n]);
  if (n < 65536) return Buffer.from([(major << 5) | 25, n >> 8, n & 255]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}

/** CBOR (RFC 8949) of integers, text, bytes and maps: what COSE keys and attestation objects need. */
export function cbor(v: Cbor): Buffer {
  if (typeof v === "number") return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === "string") {
    const b = Buffer.from(v, "utf8");
    return Buffer.concat([head(3, b.length), b]);
  }
  if (v instanceof Uint8Array) return Buffer.concat([head(2, v.length), v]);
  const entries = v instanceof Map ? [...v] : Object.entries(v);
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, x]) => [cbor(k), cbor(x)])]);
}

const b64u = (b: Uint8Array) => Buffer.from(b).toString("base64url");
const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest();

/** What the authenticator is told to do differently from a well-behaved one. */
export interface Tamper {
  origin?: string;
  rpId?: string;
  counter?: number;
  userVerified?: boolean;
  challenge?: string;
}

/** One credential on a software authenticator, for one relying party. */
export class SoftAuthenticator {
  readonly credentialId = randomBytes(32);
  readonly #key: KeyObject;
  readonly #publicJwk: { x: string; y: string };
  counter = 0;
  userHandle: string | null = null;

  constructor(
    readonly rpId: string,
    readonly origin: string,
  ) {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    this.#key = privateKey;
    this.#publicJwk = publicKey.export({ format: "jwk" }) as { x: string; y: string };
  }

  get id(): string {
    return b64u(this.credentialId);
  }

  #coseKey(): Buffer {
    return cbor(
      new Map<Cbor, Cbor>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(this.#publicJwk.x, "base64url")],
        [-3, Buffer.from(this.#publicJwk.y, "base64url")],
      ]),
    );
  }

  #authData(rpId: string, flags: number, counter: number, attested?: Buffer): Buffer {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), c, attested ?? Buffer.alloc(0)]);
  }

  #clientData(type: string, challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), "utf8");
  }

  /** RegistrationResponseJSON for creation options `options` (user verified, a synced passkey). */
  register(options: { challenge: string; user: { id: string } }, t: Tamper = {}): Record<string, unknown> {
    this.userHandle = options.user.id;
    const idLen = Buffer.alloc(2);
    idLen.writeUInt16BE(this.credentialId.length);
    const attested = Buffer.concat([Buffer.alloc(16), idLen, this.credentialId, this.#coseKey()]);
    // UP | UV | BE | BS | AT
    const authData = this.#authData(t.rpId ?? this.rpId, 0x01 | 0x04 | 0x08 | 0x10 | 0x40, this.counter, attested);
    const clientDataJSON = this.#clientData(
      "webauthn.create",
      t.challenge ?? options.challenge,
      t.origin ?? this.origin,
    );
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: {
        clientDataJSON: b64u(clientDataJSON),
        attestationObject: b64u(cbor({ fmt: "none", attStmt: {}, authData })),
        transports: ["internal"],
      },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }

  /** AuthenticationResponseJSON for request options `options`; the counter goes up by one first (or is `t.counter`). */
  assert(options: { challenge: string }, t: Tamper = {}): Record<string, unknown> {
    this.counter = t.counter ?? this.counter + 1;
    const flags = 0x01 | (t.userVerified === false ? 0 : 0x04) | 0x08 | 0x10;
    const authData = this.#authData(t.rpId ?? this.rpId, flags, this.counter);
    const clientDataJSON = this.#clientData("webauthn.get", t.challenge ?? options.challenge, t.origin ?? this.origin);
    const signer = createSign("SHA256");
    signer.update(Buffer.concat([authData, sha256(clientDataJSON)]));
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: {
        clientDataJSON: b64u(clientDataJSON),
        authenticatorData: b64u(authData),
        signature: b64u(signer.sign(this.#key)),
        ...(this.userHandle ? { userHandle: this.userHandle } : {}),
      },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }
}
