/** A user's MFA state as administrators see it, and the status message under the switch. */
import { dayIn, DEFAULT_TIME_ZONE, minuteIn } from "../util/zoned-dates.js";

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
  /** The time zone of the user's site (IANA name), in which messages show dates; absent: UTC. */
  timeZone?: string;
  state: MfaStateName;
  message: string;
  /** The status badges at the time asked, dates in the site's zone (see mfaBadges). */
  badges: MfaBadge[];
}

/**
 * The stored MFA facts of a user, before the state and the message are derived for a given time
 * (see withMessage).
 */
export type MfaFacts = Omit<MfaStatus, "state" | "message" | "badges">;

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
 * Whether a grace period ran out for these facts at `now`: on, not activated, the deadline passed
 * and it was later than the switch-on. With enforcement delay 0 (deadline = switch-on) there was no
 * grace to miss: the user is pending, due at the next sign-in (which cannot finish without setup).
 * The same rule as PAST_GRACE in engine/mfa/mfa-states.ts (filters and counts) and the reminder mails.
 */
export function isOverdue(f: MfaFacts, now: Date): boolean {
  if (!f.enabled || f.activation || !f.requiredFrom) return false;
  const due = f.requiredFrom.getTime();
  return due <= now.getTime() && due > (f.enabledAt?.getTime() ?? -Infinity);
}

/** The badge states, one name and one colour each (docs/ui.md "Status badges"); locked is shown beside the others. */
export type MfaBadgeKind = "off" | "pending" | "overdue" | "active" | "locked";

/** One status badge: its kind (the CSS class) and its words. */
export interface MfaBadge {
  kind: MfaBadgeKind;
  text: string;
  /** The text with the day alone where `text` has a time and zone ("Pending — due 10 December 2026"): lists show it, the full text on hover. */
  short?: string;
}

/**
 * The words of each badge kind without a date or method, as filters and exports name them.
 * `?mfa=activated` is the Active badge, `?mfa=off` Off, and so on (engine/mfa/mfa-states.ts).
 */
export const BADGE_NAMES: Record<MfaBadgeKind, string> = {
  off: "Off",
  pending: "Pending",
  overdue: "Overdue",
  active: "Active",
  locked: "Locked",
};

/**
 * The badges of these facts at `now`, dates in `zone`: one of "Off", "Pending — due 9 December 2026,
 * 17:32 (Europe/Berlin)" (or "Pending — due at next sign-in" with delay 0), "Overdue — due 2 December
 * 2026, 08:00 (UTC)", "Active — authenticator app, passkey"; then "Locked" while a code lock holds.
 */
export function mfaBadges(f: MfaFacts, now: Date, zone = f.timeZone ?? DEFAULT_TIME_ZONE): MfaBadge[] {
  const out: MfaBadge[] = [];
  if (f.activation) out.push({ kind: "active", text: `Active — ${methodNames(f.activation)}` });
  else if (!f.enabled) out.push({ kind: "off", text: "Off" });
  else if (isOverdue(f, now))
    out.push({
      kind: "overdue",
      text: `Overdue — due ${minuteIn(f.requiredFrom!, zone)}`,
      short: `Overdue — due ${dayIn(f.requiredFrom!, zone)}`,
    });
  else if (!f.requiredFrom || f.requiredFrom.getTime() <= now.getTime())
    out.push({ kind: "pending", text: "Pending — due at next sign-in" });
  else
    out.push({
      kind: "pending",
      text: `Pending — due ${minuteIn(f.requiredFrom, zone)}`,
      short: `Pending — due ${dayIn(f.requiredFrom, zone)}`,
    });
  if (f.lockedUntil && f.lockedUntil.getTime() > now.getTime()) out.push({ kind: "locked", text: "Locked" });
  return out;
}

/** The methods of an activation in a few words: "passkey, authenticator app", "hardware token". */
export function methodNames(a: MfaActivation): string {
  const parts: string[] = [];
  if (a.passkeys.length) parts.push(a.passkeys.length === 1 ? "passkey" : `${a.passkeys.length} passkeys`);
  if (a.method === "app") parts.push("authenticator app");
  if (a.method === "hardware") parts.push("hardware token");
  return parts.join(", ");
}

/**
 * The wording of DESIGN.md "MFA semantics", dates in the site's zone (`zone`, default the facts'
 * timeZone, else UTC), deadlines and locks to the minute: "Activated on 30 November 2026 with an
 * authenticator app", "On — not activated, required from 2 December 2026, 08:00 (UTC)", "Off —
 * turned off on 30 November 2026 by root". Machine-readable outputs (CSV exports) use the facts.
 */
export function statusMessage(f: MfaFacts, now: Date, zone = f.timeZone ?? DEFAULT_TIME_ZONE): string {
  const longDate = (d: Date) => dayIn(d, zone);
  let text: string;
  switch (stateOf(f, now)) {
    case "off":
      text = f.disabledAt ? `Off — turned off on ${longDate(f.disabledAt)} by ${f.disabledBy ?? "unknown"}` : "Off";
      break;
    case "pending":
      text = `On — not activated, required from ${minuteIn(f.requiredFrom!, zone)}`;
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
    text += ` · locked after failed codes until ${minuteIn(f.lockedUntil, zone)}`;
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
  let badges: MfaBadge[] | undefined;
  return {
    ...f,
    state: stateOf(f, now),
    get message() {
      return (message ??= statusMessage(f, now));
    },
    get badges() {
      return (badges ??= mfaBadges(f, now));
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

/** "2 December 2026": a day in `zone` (default UTC) for messages people read (engine/util/zoned-dates.ts). */
export const longDate = (d: Date, zone: string = DEFAULT_TIME_ZONE) => dayIn(d, zone);

/** A user's MFA in a few words for the message after a save ("MFA on: required from 2 December 2026"). */
export function mfaSummary(s: MfaStatus): string {
  switch (s.state) {
    case "off":
      return "MFA off";
    case "pending":
      return `MFA on: required from ${minuteIn(s.requiredFrom!, s.timeZone ?? DEFAULT_TIME_ZONE)}`;
    case "required":
      return "MFA on: required at the next sign-in";
    case "active":
      return `MFA activated with ${factorList(s.activation!)}`;
  }
}
