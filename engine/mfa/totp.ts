import { timingSafeEqual } from "node:crypto";
import { generateSync } from "otplib";

/**
 * TOTP (RFC 6238) over HOTP (RFC 4226) as small pure functions, after oslo's
 * otp package: units in names, bad configuration throws, bad input returns
 * null, codes compared in constant time. otplib computes the HOTP value.
 */

export type TotpAlgorithm = "SHA1" | "SHA256" | "SHA512";
/** The HMAC hash functions a TOTP key may use (RFC 6238 §1.2: SHA-1, SHA-256, SHA-512). */
export const TOTP_ALGORITHMS: readonly TotpAlgorithm[] = ["SHA1", "SHA256", "SHA512"];

/**
 * A TOTP key (RFC 6238 §4): the shared secret bytes, the HMAC algorithm, 6 or 8 digits and the time
 * step X in seconds (T0 is the Unix epoch).
 */
export interface TotpParams {
  secret: Uint8Array;
  algorithm: TotpAlgorithm;
  digits: 6 | 8;
  periodInSeconds: number;
}

/**
 * Which TOTP steps a code may match (RFC 6238 §5.2 allows a window for clock drift): `window` steps
 * either side of the current step moved by `centreOffset`.
 */
export interface MatchOptions {
  /** Steps accepted either side of the centre (1 = ±1 step). */
  window: number;
  /** Where the window is centred, in steps from the current one: a token's remembered drift. */
  centreOffset?: number;
}

/** Longest input taken for a code, separators included; anything longer is not a code. */
export const MAX_CODE_INPUT_LENGTH = 32;

/**
 * The one reading of a code as people type it, on every surface (web sign-in
 * and setup pages, the device API, find-token-by-code): white space and
 * hyphen-minus anywhere are ignored ("123 456", "1234-5678"), and what is left
 * must be 6 or 8 ASCII digits (RFC 4226 §5.3 Digit sizes). Returns the digits,
 * or null for anything else (wrong length, other characters, not a string).
 * schemas/device-api/*-request.schema.json say the same in their `code` pattern.
 */
export function normaliseCode(input: unknown): string | null {
  if (typeof input !== "string" || input.length > MAX_CODE_INPUT_LENGTH) return null;
  const digits = input.replace(/[\s-]/g, "");
  return /^(?:[0-9]{6}|[0-9]{8})$/.test(digits) ? digits : null;
}

/** Largest window a caller may ask for: wider windows make guessing easier. */
export const MAX_WINDOW_STEPS = 20;
/**
 * Shortest key, in bytes, that TOTP and hardware-token registration accept: RFC 4226 R6 asks for
 * at least 128 bits (160 recommended). The one definition of the minimum key size.
 */
export const MIN_SECRET_BYTES = 16;
/** Longest key, in bytes, that TOTP and hardware-token registration accept (512 bits). */
export const MAX_SECRET_BYTES = 64;

/**
 * Thrown when TOTP parameters are unusable: a secret that is not bytes or not MIN_SECRET_BYTES to
 * MAX_SECRET_BYTES long, an algorithm other than SHA1, SHA256 or SHA512, digits other than 6 or 8,
 * or a period that is not 1 to 3600 whole seconds.
 */
export class TotpConfigError extends Error {}

/** Throws TotpConfigError when the parameters cannot describe a TOTP enrollment. */
export function assertTotpParams(params: TotpParams): void {
  if (!(params.secret instanceof Uint8Array)) throw new TotpConfigError("secret must be bytes");
  if (params.secret.length < MIN_SECRET_BYTES || params.secret.length > MAX_SECRET_BYTES) {
    throw new TotpConfigError(`secret must be ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes`);
  }
  if (!TOTP_ALGORITHMS.includes(params.algorithm))
    throw new TotpConfigError("algorithm must be SHA1, SHA256 or SHA512");
  if (params.digits !== 6 && params.digits !== 8) throw new TotpConfigError("digits must be 6 or 8");
  assertPeriod(params.periodInSeconds);
}

function assertPeriod(periodInSeconds: number): void {
  if (!Number.isInteger(periodInSeconds) || periodInSeconds < 1 || periodInSeconds > 3600) {
    throw new TotpConfigError("period must be a whole number of seconds from 1 to 3600");
  }
}

/** The RFC 6238 time step (T0 = 0) that contains `time`. */
export function totpStep(time: Date, periodInSeconds: number): number {
  assertPeriod(periodInSeconds);
  const ms = time.getTime();
  if (!Number.isFinite(ms) || ms < 0) throw new TotpConfigError("time must be a valid date after 1970");
  return Math.floor(ms / 1000 / periodInSeconds);
}

/** The RFC 4226 value for a counter; the building block of TOTP. */
export function generateHotp(secret: Uint8Array, counter: number, algorithm: TotpAlgorithm, digits: 6 | 8): string {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new TotpConfigError("counter must be a whole number >= 0");
  return generateSync({
    strategy: "hotp",
    secret,
    counter,
    algorithm: algorithm.toLowerCase() as "sha1" | "sha256" | "sha512",
    digits,
  });
}

/** The code for one absolute time step. */
export function generateTotp(params: TotpParams, step: number): string {
  assertTotpParams(params);
  return generateHotp(params.secret, step, params.algorithm, params.digits);
}

/**
 * The absolute step in [centre - window, centre + window] whose code equals
 * `code`, where centre = current step + centreOffset; null when none does or
 * the code is malformed. Every step in the window is computed and compared,
 * so the time taken does not say which step (if any) matched.
 */
export function matchTotpStep(params: TotpParams, code: string, time: Date, options: MatchOptions): number | null {
  assertTotpParams(params);
  const { window } = options;
  const centreOffset = options.centreOffset ?? 0;
  if (!Number.isInteger(window) || window < 0 || window > MAX_WINDOW_STEPS) {
    throw new TotpConfigError(`window must be a whole number from 0 to ${MAX_WINDOW_STEPS}`);
  }
  if (!Number.isSafeInteger(centreOffset)) throw new TotpConfigError("centreOffset must be a whole number");
  const centre = totpStep(time, params.periodInSeconds) + centreOffset;
  if (typeof code !== "string" || code.length !== params.digits || !/^[0-9]+$/.test(code)) return null;
  const given = Buffer.from(code, "ascii");
  let matched: number | null = null;
  for (let step = centre - window; step <= centre + window; step++) {
    if (step < 0) continue;
    const expected = Buffer.from(generateHotp(params.secret, step, params.algorithm, params.digits), "ascii");
    // The first match wins (oldest step); later ones cannot differ in practice.
    if (timingSafeEqual(expected, given) && matched === null) matched = step;
  }
  return matched;
}
