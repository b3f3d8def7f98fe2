import { DOMParser, type Element } from "@xmldom/xmldom";
import { createDecipheriv, createHmac, timingSafeEqual } from "node:crypto";
import { ImportFileError, type ParsedRow } from "./csv-formats.js";
import { checkTokenInput, describeInputErrors } from "./token-input.js";

/**
 * PSKC (RFC 6030) token files as hardware vendors ship them: one KeyPackage
 * per token, keys in plain text (base64) or encrypted with a pre-shared key
 * (AES-CBC, IV in front of the ciphertext) and authenticated by an HMAC over
 * IV and ciphertext with a MAC key that is itself encrypted with the
 * pre-shared key (RFC 6030 section 6.1, Figure 6). PSKC files are small (a
 * few thousand keys), so the document is read whole.
 */

const NS = {
  pskc: "urn:ietf:params:xml:ns:keyprov:pskc",
  xenc: "http://www.w3.org/2001/04/xmlenc#",
  ds: "http://www.w3.org/2000/09/xmldsig#",
};

const CIPHERS: Record<string, { name: string; keyBytes: number }> = {
  "http://www.w3.org/2001/04/xmlenc#aes128-cbc": { name: "aes-128-cbc", keyBytes: 16 },
  "http://www.w3.org/2001/04/xmlenc#aes192-cbc": { name: "aes-192-cbc", keyBytes: 24 },
  "http://www.w3.org/2001/04/xmlenc#aes256-cbc": { name: "aes-256-cbc", keyBytes: 32 },
};

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
const text = (el: Element | undefined) => (el?.textContent ?? "").trim() || undefined;

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

function decrypt(encrypted: Element, psk: Buffer): { data: Buffer; ivAndCipher: Buffer } {
  const method = child(encrypted, "EncryptionMethod", NS.xenc)?.getAttribute("Algorithm") ?? "";
  const cipher = CIPHERS[method];
  if (!cipher) throw new RowError(`encryption method "${method || "none"}" is not supported (AES-CBC only)`);
  if (psk.length !== cipher.keyBytes) {
    throw new RowError(`the pre-shared key must be ${cipher.keyBytes} bytes for ${cipher.name}`);
  }
  const b64 = text(child(child(encrypted, "CipherData", NS.xenc), "CipherValue", NS.xenc));
  if (!b64) throw new RowError("the encrypted value has no CipherValue");
  const ivAndCipher = Buffer.from(b64.replace(/\s+/g, ""), "base64");
  if (ivAndCipher.length < 32 || ivAndCipher.length % 16 !== 0) throw new RowError("the encrypted value is malformed");
  try {
    const d = createDecipheriv(cipher.name, psk, ivAndCipher.subarray(0, 16));
    return { data: Buffer.concat([d.update(ivAndCipher.subarray(16)), d.final()]), ivAndCipher };
  } catch {
    throw new RowError("cannot be decrypted (wrong pre-shared key?)");
  }
}

export interface PskcFile {
  description: string;
  rows: ParsedRow[];
}

export function parsePskc(xml: string, preSharedKeyHex?: string): PskcFile {
  if (/<!DOCTYPE/i.test(xml)) throw new ImportFileError("PSKC files with a DOCTYPE are refused");
  let doc;
  try {
    doc = new DOMParser({
      onError: (level, msg) => {
        if (level !== "warning") throw new Error(msg);
      },
    }).parseFromString(xml, "text/xml");
  } catch (err) {
    throw new ImportFileError(`the XML cannot be read: ${(err as Error).message.split("\n")[0]}`);
  }
  const root = doc.documentElement;
  if (!root || root.localName !== "KeyContainer" || root.namespaceURI !== NS.pskc) {
    throw new ImportFileError("this XML file is not a PSKC (RFC 6030) KeyContainer");
  }

  let psk: Buffer | null = null;
  const encryptionKey = child(root, "EncryptionKey");
  if (encryptionKey) {
    if (child(encryptionKey, "DerivedKey")) {
      throw new ImportFileError(
        "PSKC files protected by a password (DerivedKey) are not supported; ask for a pre-shared-key file",
      );
    }
    const keyName = text(child(encryptionKey, "KeyName", NS.ds)) ?? "unnamed";
    if (!preSharedKeyHex?.trim()) {
      throw new ImportFileError(
        `the keys in this file are encrypted with the pre-shared key "${keyName}": enter that key (hex)`,
      );
    }
    psk = parsePreSharedKey(preSharedKeyHex);
    if (!psk) throw new ImportFileError("the pre-shared key must be 16, 24 or 32 bytes in hex");
  }

  let mac: { algorithm: string; key: Buffer } | null = null;
  const macMethod = child(root, "MACMethod");
  if (macMethod && psk) {
    const algorithm = MACS[macMethod.getAttribute("Algorithm") ?? ""];
    if (!algorithm) throw new ImportFileError(`MAC method "${macMethod.getAttribute("Algorithm")}" is not supported`);
    const macKeyEl = child(macMethod, "MACKey");
    if (!macKeyEl) throw new ImportFileError("the MACMethod has no MACKey");
    try {
      mac = { algorithm, key: decrypt(macKeyEl, psk).data };
    } catch (err) {
      throw new ImportFileError(`the MAC key ${(err as Error).message}`);
    }
  }

  const rows: ParsedRow[] = children(root, "KeyPackage").map((pkg): ParsedRow => {
    const line = (pkg as unknown as { lineNumber?: number }).lineNumber ?? 0;
    const device = child(pkg, "DeviceInfo");
    const key = child(pkg, "Key");
    const serial = text(child(device, "SerialNo")) ?? key?.getAttribute("Id") ?? undefined;
    const bad = (reason: string): ParsedRow => ({ line, ok: false, serialNumber: serial ?? null, reason });
    if (!key) return bad("the KeyPackage has no Key");
    const algorithmUri = key.getAttribute("Algorithm") ?? "";
    if (!TOTP_ALGORITHMS.has(algorithmUri)) {
      return bad(
        /hotp/i.test(algorithmUri)
          ? "HOTP keys are not supported (only time-based TOTP tokens)"
          : `key algorithm "${algorithmUri}" is not TOTP`,
      );
    }
    const data = child(key, "Data");
    const secretEl = child(data, "Secret");
    let secret: Buffer;
    try {
      const plain = text(child(secretEl, "PlainValue"));
      const encrypted = child(secretEl, "EncryptedValue");
      if (plain) secret = Buffer.from(plain.replace(/\s+/g, ""), "base64");
      else if (encrypted) {
        if (!psk) throw new RowError("is encrypted but the file names no EncryptionKey");
        const { data: value, ivAndCipher } = decrypt(encrypted, psk);
        const given = text(child(secretEl, "ValueMAC"));
        if (!mac || !given) throw new RowError("is encrypted without a MAC (ValueMAC and MACMethod are required)");
        const expected = createHmac(mac.algorithm, mac.key).update(ivAndCipher).digest();
        const givenBytes = Buffer.from(given.replace(/\s+/g, ""), "base64");
        if (givenBytes.length !== expected.length || !timingSafeEqual(givenBytes, expected)) {
          throw new RowError("the MAC does not match (wrong pre-shared key or altered file)");
        }
        secret = value;
      } else throw new RowError("is missing");
    } catch (err) {
      if (err instanceof RowError) return bad(`bad secret key: ${err.message}`);
      throw err;
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
  if (rows.length === 0) throw new ImportFileError("the PSKC file holds no KeyPackage");
  return { description: `PSKC (RFC 6030)${psk ? ", keys encrypted with a pre-shared key" : ""}`, rows };
}
