import { createCipheriv, createHmac } from "node:crypto";
import { encodeBase32 } from "../../engine/mfa/hardware/secret-encoding.js";

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
  `PI-4, ${Buffer.from("formgate-token-00044-32-byte-key").toString("hex")}, totp, 6, 30`,
  `PI-5, ${hexFor(45)}, HOTP, 8`,
  "",
].join("\n");

// eslint-disable-next-line @typescript-eslint/require-await -- in-memory text served as the stream an upload is
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

/**
 * RFC 6030 section 6.2, Figure 7: an HOTP key encrypted (AES-128-CBC) with a key derived by
 * PBKDF2 (HMAC-SHA1, salt Ej7/PEpyEpw=, 1,000 iterations, 16 bytes) from the password "qwerty",
 * MACed with HMAC-SHA1 under the MAC key; the plaintext key is "12345678901234567890".
 */
export const RFC6030_FIGURE_7 = `<?xml version="1.0" encoding="UTF-8"?>
<pskc:KeyContainer
  xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc"
  xmlns:xenc11="http://www.w3.org/2009/xmlenc11#"
  xmlns:pkcs5=
  "http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#"
  xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Version="1.0">
    <pskc:EncryptionKey>
        <xenc11:DerivedKey>
            <xenc11:KeyDerivationMethod
              Algorithm=
 "http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2">
                <pkcs5:PBKDF2-params>
                    <Salt>
                        <Specified>Ej7/PEpyEpw=</Specified>
                    </Salt>
                    <IterationCount>1000</IterationCount>
                    <KeyLength>16</KeyLength>
                    <PRF/>
                </pkcs5:PBKDF2-params>
            </xenc11:KeyDerivationMethod>
            <xenc:ReferenceList>
                <xenc:DataReference URI="#ED"/>
            </xenc:ReferenceList>
            <xenc11:MasterKeyName>My Password 1</xenc11:MasterKeyName>
        </xenc11:DerivedKey>
    </pskc:EncryptionKey>
    <pskc:MACMethod
        Algorithm="http://www.w3.org/2000/09/xmldsig#hmac-sha1">
        <pskc:MACKey>
            <xenc:EncryptionMethod
            Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
            <xenc:CipherData>
                <xenc:CipherValue>
2GTTnLwM3I4e5IO5FkufoOEiOhNj91fhKRQBtBJYluUDsPOLTfUvoU2dStyOwYZx
                </xenc:CipherValue>
            </xenc:CipherData>
        </pskc:MACKey>
    </pskc:MACMethod>
    <pskc:KeyPackage>
        <pskc:DeviceInfo>
            <pskc:Manufacturer>TokenVendorAcme</pskc:Manufacturer>
            <pskc:SerialNo>987654321</pskc:SerialNo>
        </pskc:DeviceInfo>
        <pskc:CryptoModuleInfo>
            <pskc:Id>CM_ID_001</pskc:Id>
        </pskc:CryptoModuleInfo>
        <pskc:Key Algorithm=
        "urn:ietf:params:xml:ns:keyprov:pskc:hotp" Id="123456">
            <pskc:Issuer>Example-Issuer</pskc:Issuer>
            <pskc:AlgorithmParameters>
                <pskc:ResponseFormat Length="8" Encoding="DECIMAL"/>
            </pskc:AlgorithmParameters>
            <pskc:Data>
                <pskc:Secret>
                <pskc:EncryptedValue Id="ED">
                    <xenc:EncryptionMethod
                        Algorithm=
"http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
                        <xenc:CipherData>
                            <xenc:CipherValue>
      oTvo+S22nsmS2Z/RtcoF8Hfh+jzMe0RkiafpoDpnoZTjPYZu6V+A4aEn032yCr4f
                        </xenc:CipherValue>
                    </xenc:CipherData>
                    </pskc:EncryptedValue>
                    <pskc:ValueMAC>LP6xMvjtypbfT9PdkJhBZ+D6O4w=
                    </pskc:ValueMAC>
                </pskc:Secret>
            </pskc:Data>
        </pskc:Key>
    </pskc:KeyPackage>
</pskc:KeyContainer>
`;
export const RFC6030_FIGURE_7_PASSWORD = "qwerty";
/** Figure 7 with its key declared TOTP: the MAC covers only the encrypted value, so it still holds. */
export const RFC6030_FIGURE_7_TOTP = RFC6030_FIGURE_7.replace(
  '"urn:ietf:params:xml:ns:keyprov:pskc:hotp"',
  '"urn:ietf:params:xml:ns:keyprov:pskc:totp"',
);

/** Figure 7's package as published (HOTP, serial 987654321) and again as TOTP with serial 987654322. */
export const RFC6030_FIGURE_7_HOTP_AND_TOTP = (() => {
  const start = RFC6030_FIGURE_7.indexOf("    <pskc:KeyPackage>");
  const end = RFC6030_FIGURE_7.indexOf("</pskc:KeyContainer>");
  const totp = RFC6030_FIGURE_7_TOTP.slice(start, end).replace("987654321", "987654322");
  return `${RFC6030_FIGURE_7.slice(0, end)}${totp}</pskc:KeyContainer>\n`;
})();
