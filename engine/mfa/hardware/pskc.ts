import type { Element } from "@xmldom/xmldom";
import { createDecipheriv, createHmac, pbkdf2, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { ImportFileError, type ParsedRow } from "./csv-formats.js";
import { checkTokenInput, describeInputErrors } from "./token-input.js";

/**
 * PSKC (RFC 6030) token files as hardware vendors ship them: one KeyPackage
 * per token, keys in plain text (base64) or encrypted (AES-CBC, IV in front of
 * the ciphertext) and authenticated by an HMAC over IV and ciphertext with a
 * MAC key that is itself encrypted (RFC 6030 section 6.1.1). The key-encryption
 * key is a pre-shared key (section 6.1, Figure 6) or is derived with PBKDF2
 * from a password the vendor sends separately (section 6.2, Figure 7). PSKC
 * files are small (a few thousand keys), so the document is read whole.
 */

const NS = {
  pskc: "urn:ietf:params:xml:ns:keyprov:pskc",
  xenc: "http://www.w3.org/2001/04/xmlenc#",
  ds: "http://www.w3.org/2000/09/xmldsig#",
};

/** PBKDF2 as RFC 6030 section 6.2 names it (PKCS #5 v2.0), and as XML Encryption 1.1 does. */
const PBKDF2_METHODS = new Set([
  "http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2",
  "http://www.w3.org/2009/xmlenc11#pbkdf2",
]);
/** Longest password taken for a PSKC file (the form and the CLI). */
export const MAX_PSKC_PASSWORD_CHARS = 200;
/** Far above what vendors use (RFC 6030's example: 1,000), low enough that a file cannot tie up a core for long. */
export const MAX_PBKDF2_ITERATIONS = 5_000_000;

const CIPHERS: Record<string, { name: string; keyBytes: number }> = {
  "http://www.w3.org/2001/04/xmlenc#aes128-cbc": { name: "aes-128-cbc", keyBytes: 16 },
  "http://www.w3.org/2001/04/xmlenc#aes192-cbc": { name: "aes-192-cbc", keyBytes: 24 },
  "http://www.w3.org/2001/04/xmlenc#aes256-cbc": { name: "aes-256-cbc", keyBytes: 32 },
};

/** HMACs for the MAC and for PBKDF2's pseudorandom function. */
const MACS: Record<string, string> = {
  "http://www.w3.org/2000/09/xmldsig#hmac-sha1": "sha1",
  "http://www.w3.org/2001/04/xmldsig-more#hmac-sha224": "sha224",
  "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256": "sha256",
  "http://www.w3.org/2001/04/xmldsig-more#hmac-sha384": "sha384",
  "http://www.w3.org/2001/04/xmldsig-more#hmac-sha512": "sha512",
};

const TOTP_ALGORITHMS = new Set(["urn:ietf:params:xml:ns:keyprov:pskc:totp", "http://www.ietf.org/keyprov/pskc#totp"]);

function children(el: Element, name: string, ns = NS.pskc): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).localName === name && (n as Element).namespaceURI === ns)
      out.push(n as Element);
  }
  return out;
}
const child = (el: Element | undefined, name: string, ns = NS.pskc) => (el ? children(el, name, ns)[0] : undefined);
/** The PBKDF2 parameters' children are unqualified in RFC 6030's example and qualified elsewhere. */
function childAnyNs(el: Element | undefined, name: string): Element | undefined {
  for (let n = el?.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).localName === name) return n as Element;
  }
  return undefined;
}
const text = (el: Element | undefined) => (el?.textContent ?? "").trim() || undefined;

/**
 * True when a file's first characters (after an optional BOM and whitespace) start an XML document,
 * i.e. it should be read as PSKC rather than CSV.
 */
export function looksLikeXml(head: string): boolean {
  return /^\uFEFF?\s*</.test(head);
}

/** A pre-shared key as the admin types it: hex, 16, 24 or 32 bytes. */
export function parsePreSharedKey(hex: string): Buffer | null {
  const s = hex.replace(/[\s:-]/g, "");
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(s)) return null;
  const b = Buffer.from(s, "hex");
  return [16, 24, 32].includes(b.length) ? b : null;
}

class RowError extends Error {}

/** Where the key-encryption key came from, for the messages. */
type KeySource = { kind: "psk"; name: string | undefined } | { kind: "password"; name: string | undefined };

function cipherOf(encrypted: Element): { name: string; keyBytes: number } {
  const method = child(encrypted, "EncryptionMethod", NS.xenc)?.getAttribute("Algorithm") ?? "";
  const cipher = CIPHERS[method];
  if (!cipher) throw new RowError(`encryption method "${method || "none"}" is not supported (AES-CBC only)`);
  return cipher;
}

/** IV and ciphertext of an xenc EncryptedValue (or MACKey), as the MAC covers them. */
function cipherBytes(encrypted: Element): Buffer {
  const b64 = text(child(child(encrypted, "CipherData", NS.xenc), "CipherValue", NS.xenc));
  if (!b64) throw new RowError("the encrypted value has no CipherValue");
  const ivAndCipher = Buffer.from(b64.replace(/\s+/g, ""), "base64");
  if (ivAndCipher.length < 32 || ivAndCipher.length % 16 !== 0) throw new RowError("the encrypted value is malformed");
  return ivAndCipher;
}

function decrypt(encrypted: Element, key: Buffer, source: KeySource): Buffer {
  const cipher = cipherOf(encrypted);
  if (key.length !== cipher.keyBytes) {
    throw new RowError(
      source.kind === "psk"
        ? `the pre-shared key must be ${cipher.keyBytes} bytes for ${cipher.name}`
        : `the key derived from the password is ${key.length} bytes, ${cipher.name} needs ${cipher.keyBytes}`,
    );
  }
  const ivAndCipher = cipherBytes(encrypted);
  try {
    const d = createDecipheriv(cipher.name, key, ivAndCipher.subarray(0, 16));
    return Buffer.concat([d.update(ivAndCipher.subarray(16)), d.final()]);
  } catch {
    throw new RowError(`cannot be decrypted (wrong ${source.kind === "psk" ? "pre-shared key" : "password"}?)`);
  }
}

const pbkdf2Async = promisify(pbkdf2);

/** PBKDF2 parameters of a PSKC DerivedKey (RFC 6030 section 6.2; RFC 8018 section 5.2). */
export interface Pbkdf2Params {
  salt: Buffer;
  iterations: number;
  /** Bytes of key to derive. */
  keyLength: number;
  /** node:crypto digest name of the HMAC pseudorandom function ("sha1" unless the file names another). */
  digest: string;
}

/**
 * The key-encryption key of a password-protected PSKC file: PBKDF2 (RFC 8018 section 5.2) over
 * the password's UTF-8 bytes, by node:crypto off the event loop.
 */
export async function deriveKeyFromPassword(password: string, p: Pbkdf2Params): Promise<Buffer> {
  return pbkdf2Async(Buffer.from(password, "utf8"), p.salt, p.iterations, p.keyLength, p.digest);
}

/**
 * Reads `<xenc11:DerivedKey>`'s KeyDerivationMethod (RFC 6030 section 6.2): PBKDF2 with a
 * specified salt, an iteration count, an optional key length (else the one the file's cipher
 * needs) and an optional PRF (HMAC-SHA1 by default). Throws ImportFileError for anything else.
 */
function pbkdf2ParamsOf(derivedKey: Element, cipherKeyBytes: number | undefined): Pbkdf2Params {
  const method = childAnyNs(derivedKey, "KeyDerivationMethod");
  const algorithm = method?.getAttribute("Algorithm") ?? "";
  if (!PBKDF2_METHODS.has(algorithm)) {
    throw new ImportFileError(`the password's key derivation "${algorithm || "none"}" is not supported (PBKDF2 only)`);
  }
  const params = childAnyNs(method, "PBKDF2-params");
  const saltText = text(childAnyNs(childAnyNs(params, "Salt"), "Specified"));
  if (!saltText) throw new ImportFileError("the PBKDF2 parameters have no specified salt");
  const iterations = Number(text(childAnyNs(params, "IterationCount")));
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) {
    throw new ImportFileError(`the PBKDF2 iteration count must be 1 to ${MAX_PBKDF2_ITERATIONS}`);
  }
  const lengthText = text(childAnyNs(params, "KeyLength"));
  const keyLength = lengthText === undefined ? cipherKeyBytes : Number(lengthText);
  if (keyLength === undefined || ![16, 24, 32].includes(keyLength)) {
    throw new ImportFileError("the PBKDF2 key length must be 16, 24 or 32 bytes (AES)");
  }
  const prf = childAnyNs(params, "PRF")?.getAttribute("Algorithm") || "http://www.w3.org/2000/09/xmldsig#hmac-sha1";
  const digest = MACS[prf];
  if (!digest) throw new ImportFileError(`the PBKDF2 pseudorandom function "${prf}" is not supported`);
  return { salt: Buffer.from(saltText.replace(/\s+/g, ""), "base64"), iterations, keyLength, digest };
}

/** The key the file's keys are encrypted with, or null when they are in plain text. */
async function keyEncryptionKey(
  root: Element,
  credentials: PskcCredentials,
): Promise<{ key: Buffer; source: KeySource } | null> {
  const encryptionKey = child(root, "EncryptionKey");
  if (!encryptionKey) return null;
  const derived = childAnyNs(encryptionKey, "DerivedKey");
  if (derived) {
    const name = text(childAnyNs(derived, "MasterKeyName"));
    if (!credentials.password) {
      throw new ImportFileError(
        name
          ? `the keys in this file are protected by a password (the file calls its key "${name}"): enter the password the manufacturer sent separately`
          : "the keys in this file are protected by a password: enter the password the manufacturer sent separately",
      );
    }
    const firstCipher = root.getElementsByTagNameNS(NS.xenc, "EncryptionMethod")[0]?.getAttribute("Algorithm");
    const params = pbkdf2ParamsOf(derived, CIPHERS[firstCipher ?? ""]?.keyBytes);
    return { key: await deriveKeyFromPassword(credentials.password, params), source: { kind: "password", name } };
  }
  const name = text(child(encryptionKey, "KeyName", NS.ds));
  if (!credentials.preSharedKey?.trim()) {
    throw new ImportFileError(
      name
        ? `the keys in this file are encrypted with the pre-shared key "${name}": enter that key (hex)`
        : "the keys in this file are encrypted with a pre-shared key: enter that key (hex)",
    );
  }
  const psk = parsePreSharedKey(credentials.preSharedKey);
  if (!psk) throw new ImportFileError("the pre-shared key must be 16, 24 or 32 bytes in hex");
  return { key: psk, source: { kind: "psk", name } };
}

/** " (line 3, column 15)", " (line 3)" or "": where the XML parser stopped, as far as it says. */
function whereInXml(at: { line?: number; column?: number } | null): string {
  if (!at?.line) return "";
  return at.column ? ` (line ${at.line}, column ${at.column})` : ` (line ${at.line})`;
}

/**
 * The whole file's key is wrong: no MAC in it matches. The name is the one the file gives its
 * encryption key (never the password or the key itself), and is worded as such.
 */
function wrongKey(source: KeySource): ImportFileError {
  const named = source.name ? ` for the key the file calls "${source.name}"` : "";
  return new ImportFileError(
    source.kind === "password"
      ? `wrong password${named}: the MAC check fails, so no key was decrypted`
      : `wrong pre-shared key${named}: the MAC check fails, so no key was decrypted`,
  );
}

/** A parsed PSKC file (RFC 6030): a description for the preview and its key packages as token rows. */
export interface PskcFile {
  description: string;
  rows: ParsedRow[];
}

/** What the admin gives for an encrypted file: the pre-shared key in hex, or the password. */
export interface PskcCredentials {
  preSharedKey?: string;
  password?: string;
}

/**
 * Reads a PSKC document into token rows. Throws ImportFileError when the file cannot be used at
 * all: not PSKC, a DOCTYPE, a missing or wrong pre-shared key or password (every MAC fails). A
 * key whose own MAC fails is a bad row, never a garbage key.
 */
export async function parsePskc(xml: string, credentials: PskcCredentials = {}): Promise<PskcFile> {
  if (/<!DOCTYPE/i.test(xml)) throw new ImportFileError("PSKC files with a DOCTYPE are refused");
  // Imported on the first PSKC file, not at start.
  const { DOMParser } = await import("@xmldom/xmldom");
  let doc;
  // Where the parser stopped; its own words (and how it reports them) are not the admin's concern.
  let at: { line?: number; column?: number } | null = null;
  try {
    doc = new DOMParser({
      onError: (level, msg, context) => {
        if (level === "warning") return;
        const locator = (context as { locator?: { lineNumber?: number; columnNumber?: number } } | undefined)?.locator;
        at = { line: locator?.lineNumber, column: locator?.columnNumber };
        throw new Error(msg);
      },
    }).parseFromString(xml, "text/xml");
  } catch {
    throw new ImportFileError(`the file is not well-formed XML${whereInXml(at)}`);
  }
  const root = doc.documentElement;
  if (!root || root.localName !== "KeyContainer" || root.namespaceURI !== NS.pskc) {
    throw new ImportFileError("this XML file is not a PSKC (RFC 6030) KeyContainer");
  }

  const kek = await keyEncryptionKey(root, credentials);
  try {
    return readPackages(root, kek);
  } finally {
    kek?.key.fill(0);
  }
}

function readPackages(root: Element, kek: { key: Buffer; source: KeySource } | null): PskcFile {
  let mac: { algorithm: string; key: Buffer } | null = null;
  const macMethod = child(root, "MACMethod");
  if (macMethod && kek) {
    const algorithm = MACS[macMethod.getAttribute("Algorithm") ?? ""];
    if (!algorithm) throw new ImportFileError(`MAC method "${macMethod.getAttribute("Algorithm")}" is not supported`);
    const macKeyEl = child(macMethod, "MACKey");
    if (!macKeyEl) throw new ImportFileError("the MACMethod has no MACKey");
    try {
      mac = { algorithm, key: decrypt(macKeyEl, kek.key, kek.source) };
    } catch (err) {
      // A wrong password shows here first: its key cannot open the MAC key.
      const message = (err as Error).message;
      if (kek.source.kind === "password" && message.startsWith("cannot be decrypted")) throw wrongKey(kek.source);
      throw new ImportFileError(
        message.startsWith("cannot be decrypted") ? `the MAC key ${message}` : `the MAC key cannot be used: ${message}`,
      );
    }
  }

  let macsChecked = 0;
  let macsMatched = 0;
  const rows: ParsedRow[] = children(root, "KeyPackage").map((pkg): ParsedRow => {
    const line = (pkg as unknown as { lineNumber?: number }).lineNumber ?? 0;
    const device = child(pkg, "DeviceInfo");
    const key = child(pkg, "Key");
    const serial = text(child(device, "SerialNo")) ?? key?.getAttribute("Id") ?? undefined;
    const bad = (reason: string): ParsedRow => ({ line, ok: false, serialNumber: serial ?? null, reason });
    if (!key) return bad("the KeyPackage has no Key");
    const data = child(key, "Data");
    const secretEl = child(data, "Secret");
    // The secret is opened (and its MAC checked) before the algorithm, so that every MAC in the
    // file tells whether the password or pre-shared key is right, HOTP keys' too.
    let secret: Buffer;
    try {
      const plain = text(child(secretEl, "PlainValue"));
      const encrypted = child(secretEl, "EncryptedValue");
      if (plain) secret = Buffer.from(plain.replace(/\s+/g, ""), "base64");
      else if (encrypted) {
        if (!kek) throw new RowError("is encrypted but the file names no EncryptionKey");
        const given = text(child(secretEl, "ValueMAC"));
        if (!mac || !given) throw new RowError("is encrypted without a MAC (ValueMAC and MACMethod are required)");
        // Encrypt-then-MAC: the MAC over IV and ciphertext is checked before anything is decrypted.
        const expected = createHmac(mac.algorithm, mac.key).update(cipherBytes(encrypted)).digest();
        const givenBytes = Buffer.from(given.replace(/\s+/g, ""), "base64");
        macsChecked++;
        if (givenBytes.length !== expected.length || !timingSafeEqual(givenBytes, expected)) {
          throw new RowError(
            `the MAC does not match (wrong ${kek.source.kind === "psk" ? "pre-shared key" : "password"} or altered file)`,
          );
        }
        macsMatched++;
        secret = decrypt(encrypted, kek.key, kek.source);
      } else throw new RowError("is missing");
    } catch (err) {
      if (err instanceof RowError) return bad(`bad secret key: ${err.message}`);
      throw err;
    }
    const algorithmUri = key.getAttribute("Algorithm") ?? "";
    if (!TOTP_ALGORITHMS.has(algorithmUri)) {
      secret.fill(0);
      return bad(
        /hotp/i.test(algorithmUri)
          ? "HOTP keys are not supported (only time-based TOTP tokens)"
          : `key algorithm "${algorithmUri}" is not TOTP`,
      );
    }
    const params = child(key, "AlgorithmParameters");
    const checked = checkTokenInput(
      {
        serialNumber: serial,
        name: text(child(key, "FriendlyName")),
        secretKey: secret.toString("hex"),
        timeInterval: text(child(child(data, "TimeInterval"), "PlainValue")) ?? 30,
        digits: child(params, "ResponseFormat")?.getAttribute("Length") || undefined,
        algorithm: text(child(params, "Suite")),
        manufacturer: text(child(device, "Manufacturer")),
        model: text(child(device, "Model")),
      },
      "hex",
    );
    secret.fill(0);
    if (!checked.ok) return bad(describeInputErrors(checked.errors));
    const upn = text(child(key, "UserId")) ?? text(child(device, "UserId")) ?? null;
    return { line, ok: true, token: checked.token, upn };
  });
  mac?.key.fill(0);
  if (rows.length === 0) throw new ImportFileError("the PSKC file holds no KeyPackage");
  // One altered key is a bad row; when no MAC in the file matches, the key is wrong, not the file.
  if (kek && macsChecked > 0 && macsMatched === 0) throw wrongKey(kek.source);
  const how = !kek
    ? ""
    : kek.source.kind === "psk"
      ? ", keys encrypted with a pre-shared key"
      : ", keys encrypted with a key derived from a password (PBKDF2)";
  return { description: `PSKC (RFC 6030)${how}`, rows };
}
