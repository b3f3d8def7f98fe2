import { createCipheriv, createHmac } from "node:crypto";
import { encodeBase32 } from "../../engine/mfa/hardware/secret-key.js";

/** A distinct 20-byte key per number, so tests can compute codes. */
export const keyFor = (n: number) => Buffer.from(`formgate-token-${String(n).padStart(5, "0")}`);
export const base32For = (n: number) => encodeBase32(keyFor(n));
export const hexFor = (n: number) => keyFor(n).toString("hex");

/** privacyIDEA's OATH CSV as token vendors ship it: no header, hex seeds, ", " between cells; PI-3 and PI-5 are HOTP. */
export const PRIVACYIDEA_FILE = [
  `PI-1, ${hexFor(41)}, totp, 8`,
  `PI-2, ${hexFor(42)}, TOTP, 6, 60`,
  `PI-3, ${hexFor(43)}, hotp, 6, 0`,
  ",,,,",
  `PI-4, ${Buffer.alloc(32, 44).toString("hex")}, totp, 6, 30`,
  `PI-5, ${hexFor(45)}, HOTP, 8`,
  "",
].join("\n");

export async function* chunksOf(text: string, size = 64): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** RFC 6030 Figure 6 pre-shared key and MAC key. */
export const RFC6030_PSK = "12345678901234567890123456789012";
const MAC_KEY = Buffer.from("1122334455667788990011223344556677889900", "hex");

function encrypt(value: Buffer, psk: Buffer, iv: Buffer): Buffer {
  const c = createCipheriv("aes-128-cbc", psk, iv);
  return Buffer.concat([iv, c.update(value), c.final()]);
}

export interface PskcKey {
  serial: string;
  secret: Buffer;
  algorithm?: string;
  interval?: number;
  digits?: number;
  suite?: string;
  model?: string;
  userId?: string;
  /** Spoil the MAC of this key. */
  badMac?: boolean;
}

/** A PSKC document; with `psk` the keys are encrypted and MACed as in RFC 6030 Figure 6. */
export function pskcDocument(keys: PskcKey[], psk?: string): string {
  const pskBytes = psk ? Buffer.from(psk, "hex") : null;
  const head = pskBytes
    ? `  <EncryptionKey><ds:KeyName>Pre-shared-key</ds:KeyName></EncryptionKey>
  <MACMethod Algorithm="http://www.w3.org/2000/09/xmldsig#hmac-sha1">
    <MACKey>
      <xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
      <xenc:CipherData><xenc:CipherValue>${encrypt(MAC_KEY, pskBytes, Buffer.alloc(16, 1)).toString("base64")}</xenc:CipherValue></xenc:CipherData>
    </MACKey>
  </MACMethod>
`
    : "";
  const packages = keys.map((k, i) => {
    let secret: string;
    if (pskBytes) {
      const ct = encrypt(k.secret, pskBytes, Buffer.alloc(16, i + 2));
      const mac = createHmac("sha1", MAC_KEY).update(ct).digest();
      if (k.badMac) mac[0]! ^= 1;
      secret = `<EncryptedValue>
            <xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
            <xenc:CipherData><xenc:CipherValue>${ct.toString("base64")}</xenc:CipherValue></xenc:CipherData>
          </EncryptedValue>
          <ValueMAC>${mac.toString("base64")}</ValueMAC>`;
    } else secret = `<PlainValue>${k.secret.toString("base64")}</PlainValue>`;
    return `  <KeyPackage>
    <DeviceInfo>
      <Manufacturer>Token Works</Manufacturer>
      <SerialNo>${k.serial}</SerialNo>${k.model ? `\n      <Model>${k.model}</Model>` : ""}
    </DeviceInfo>
    <Key Id="${k.serial}" Algorithm="${k.algorithm ?? "urn:ietf:params:xml:ns:keyprov:pskc:totp"}">
      <AlgorithmParameters>${k.suite ? `<Suite>${k.suite}</Suite>` : ""}
        <ResponseFormat Length="${k.digits ?? 6}" Encoding="DECIMAL"/>
      </AlgorithmParameters>
      <Data>
        <Secret>
          ${secret}
        </Secret>
        <TimeInterval><PlainValue>${k.interval ?? 30}</PlainValue></TimeInterval>
      </Data>${k.userId ? `\n      <UserId>${k.userId}</UserId>` : ""}
    </Key>
  </KeyPackage>
`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:xenc="http://www.w3.org/2001/04/xmlenc#">
${head}${packages.join("")}</KeyContainer>
`;
}
