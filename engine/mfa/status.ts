/** A user's MFA state as administrators see it, and the status message under the switch. */

/** The method of a TOTP enrollment (one per user): an authenticator app or a hardware token. */
export type MfaMethod = "app" | "hardware";
/** Any factor's method: a TOTP enrollment's, or a passkey (WebAuthn credential; any number per user). */
export type FactorMethod = MfaMethod | "passkey";
/**
 * A user's MFA state at one instant: off, pending (enabled, before the enforcement deadline, not
 * activated), required (deadline passed, not activated) or active.
 */
export type MfaStateName = "off" | "pending" | "required" | "active";

/**
 * How a user's MFA is activated: the TOTP method (authenticator app or hardware token), or
 * "passkey" when passkeys are the only factors; when the first factor was confirmed; the hardware
 * token's id and serial number (null otherwise); the names of the user's passkeys, oldest first.
 */
export interface MfaActivation {
  method: FactorMethod;
  at: Date;
  tokenId: string | null;
  tokenSerial: string | null;
  passkeys: string[];
}

/**
 * A user's MFA status as pages and the CLI show it: whether an administrator enabled it (by whom,
 * when, with which enforcement delay in days and so which deadline), whether it was disabled, the
 * activation, and the state and message at the time asked.
 */
export interface MfaStatus {
  userId: string;
  enabled: boolean;
  enforcementDelayDays: number;
  enabledAt: Date | null;
  enabledBy: string | null;
  /** enabledAt + delay: setup cannot be put off after this. */
  requiredFrom: Date | null;
  disabledAt: Date | null;
  disabledBy: string | null;
  activation: MfaActivation | null;
  /** Set while failed codes keep the account locked (shown to administrators only). */
  lockedUntil: Date | null;
  /** The user's recovery codes: left (unused) of total in the set; null or absent without a set. Never a code. */
  recoveryCodes?: { left: number; total: number } | null;
  state: MfaStateName;
  message: string;
}

/**
 * The stored MFA facts of a user, before the state and the message are derived for a given time
 * (see withMessage).
 */
export type MfaFacts = Omit<MfaStatus, "state" | "message">;

/** "2 December 2026, 08:00 UTC": a lock's end in words, to the minute. */
const minute = (d: Date) => `${longDate(d)}, ${d.toISOString().slice(11, 16)} UTC`;

/**
 * The MFA state of these facts at `now`: off when not enabled, active when activated, pending
 * before the enforcement deadline and required from it on.
 */
export function stateOf(f: MfaFacts, now: Date): MfaStateName {
  if (!f.enabled) return "off";
  if (f.activation) return "active";
  return f.requiredFrom && f.requiredFrom.getTime() > now.getTime() ? "pending" : "required";
}

/**
 * The wording of DESIGN.md "MFA semantics", dates in words (UTC): "Activated on 30 November 2026
 * with an authenticator app", "On — not activated, required from 2 December 2026", "Off — turned
 * off on 30 November 2026 by root". Machine-readable outputs (CSV exports) use the facts, not this.
 */
export function statusMessage(f: MfaFacts, now: Date): string {
  let text: string;
  switch (stateOf(f, now)) {
    case "off":
      text = f.disabledAt ? `Off — turned off on ${longDate(f.disabledAt)} by ${f.disabledBy ?? "unknown"}` : "Off";
      break;
    case "pending":
      text = `On — not activated, required from ${longDate(f.requiredFrom!)}`;
      break;
    case "required":
      text = "On — required at next sign-in";
      break;
    case "active": {
      const a = f.activation!;
      text = `Activated on ${longDate(a.at)} with ${factorList(a)}`;
      if (f.recoveryCodes) text += ` · Recovery codes: ${f.recoveryCodes.left} of ${f.recoveryCodes.total} left`;
      break;
    }
  }
  if (f.lockedUntil && f.lockedUntil.getTime() > now.getTime()) {
    text += ` · locked after failed codes until ${minute(f.lockedUntil)}`;
  }
  return text;
}

/**
 * The full status of these facts at `now`: the facts plus their state and a one-line message for
 * people (an enumerable getter, worded on first read and then kept, so spreading or serialising
 * the status sees a plain string).
 */
export function withMessage(f: MfaFacts, now: Date): MfaStatus {
  // The message is worded when first read: a sign-in decides on the facts and state and never shows it.
  let message: string | undefined;
  return {
    ...f,
    state: stateOf(f, now),
    get message() {
      return (message ??= statusMessage(f, now));
    },
  };
}

/**
 * Every factor of an activation in words, passkeys first: "a passkey (YubiKey 5), an authenticator
 * app", "hardware token 1234", "2 passkeys (Laptop, Phone)".
 */
export function factorList(a: MfaActivation): string {
  const parts: string[] = [];
  if (a.passkeys.length === 1) parts.push(`a passkey (${a.passkeys[0]})`);
  else if (a.passkeys.length > 1) parts.push(`${a.passkeys.length} passkeys (${a.passkeys.join(", ")})`);
  if (a.method === "app") parts.push("an authenticator app");
  if (a.method === "hardware") parts.push(`hardware token ${a.tokenSerial ?? ""}`.trim());
  return parts.join(", ");
}

// One formatter for every call: toLocaleDateString with options builds a new one each time.
const LONG_DATE = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
/** "2 December 2026": dates in messages people read (UTC, like the status message). */
export const longDate = (d: Date) => LONG_DATE.format(d);

/** A user's MFA in a few words for the message after a save ("MFA on: required from 2 December 2026"). */
export function mfaSummary(s: MfaStatus): string {
  switch (s.state) {
    case "off":
      return "MFA off";
    case "pending":
      return `MFA on: required from ${longDate(s.requiredFrom!)}`;
    case "required":
      return "MFA on: required at the next sign-in";
    case "active":
      return `MFA activated with ${factorList(s.activation!)}`;
  }
}
