import type { Clock } from "../../engine/clock.js";
import { decodeBase32 } from "../../engine/mfa/hardware/secret-encoding.js";
import { generateTotp, totpStep, type TotpParams } from "../../engine/mfa/totp.js";

/** What an authenticator app uses: SHA-1, 6 digits, 30 seconds. */
export const appParams = (secret: Uint8Array): TotpParams => ({
  secret,
  algorithm: "SHA1",
  digits: 6,
  periodInSeconds: 30,
});

/** The code the authenticator shows at the clock's time, `offsetSteps` steps from now. */
export function codeAt(clock: Clock, params: TotpParams, offsetSteps = 0): string {
  return generateTotp(params, totpStep(clock.now(), params.periodInSeconds) + offsetSteps);
}

/** The secret behind a Base32 key as a setup page or the device API shows it (groups of four). */
export function keyBytes(shownKey: string): Buffer {
  const bytes = decodeBase32(shownKey.replace(/\s+/g, ""));
  if (!bytes) throw new Error(`not a Base32 key: ${shownKey}`);
  return bytes;
}
