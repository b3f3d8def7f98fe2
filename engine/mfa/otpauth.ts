import { randomBytes } from "node:crypto";
import { ScureBase32Plugin } from "otplib";
import type { TotpAlgorithm } from "./totp.js";

/** What an authenticator app needs to know: the Google Key URI format and its QR code. */

export const TOTP_ISSUER = "Formgate";
/** 160 bits, the RFC 4226 recommendation, from the operating system's CSPRNG. */
export const APP_SECRET_BYTES = 20;

const base32Plugin = new ScureBase32Plugin();

/**
 * A new random TOTP secret for an authenticator app: APP_SECRET_BYTES (20 bytes, 160 bits, as RFC
 * 4226 §4 recommends) from the system CSPRNG.
 */
export function newAppSecret(): Buffer {
  return randomBytes(APP_SECRET_BYTES);
}

/**
 * Bytes as Base32 without padding (RFC 4648 §6), as key URIs and manual entry in authenticator apps
 * expect.
 */
export function base32(bytes: Uint8Array): string {
  return base32Plugin.encode(bytes, { padding: false });
}

/** "GEZD GNBV …": easier to type from the screen. */
export function groupsOfFour(key: string): string {
  return key.match(/.{1,4}/g)?.join(" ") ?? "";
}

/**
 * What an `otpauth://totp/` key URI (Google Authenticator "Key Uri Format") carries: issuer,
 * account name, secret bytes and, when not the defaults (SHA-1, 6 digits, 30 s), algorithm, digits
 * and period.
 */
export interface KeyUri {
  issuer: string;
  accountName: string;
  secret: Uint8Array;
  algorithm?: TotpAlgorithm;
  digits?: 6 | 8;
  periodInSeconds?: number;
}

/** otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=…; non-default parameters only when they differ. */
export function otpauthUri(k: KeyUri): string {
  const label = `${encodeURIComponent(k.issuer)}:${encodeURIComponent(k.accountName)}`;
  let query = `secret=${base32(k.secret)}&issuer=${encodeURIComponent(k.issuer)}`;
  if (k.algorithm && k.algorithm !== "SHA1") query += `&algorithm=${k.algorithm}`;
  if (k.digits && k.digits !== 6) query += `&digits=${k.digits}`;
  if (k.periodInSeconds && k.periodInSeconds !== 30) query += `&period=${k.periodInSeconds}`;
  return `otpauth://totp/${label}?${query}`;
}

/** A PNG data URL the page embeds (the CSP allows img data:), so the secret never sits at a URL of its own. */
export async function qrPngDataUrl(uri: string): Promise<string> {
  // Imported on the first setup page, not at start.
  const { default: QRCode } = await import("qrcode");
  return QRCode.toDataURL(uri, { errorCorrectionLevel: "M", margin: 2, scale: 6, type: "image/png" });
}
