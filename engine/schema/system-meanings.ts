import type { SystemBinding } from "./types.js";

/**
 * What each system field (x-system) means to the engine, in the words of the seed's User accounts
 * app: its default label and what a value does. A designer may relabel a system field; where the
 * label differs from the default, forms show this meaning beside it, so a switch relabelled
 * "Enabled" still says that on stops sign-in.
 */
export const SYSTEM_MEANINGS: Record<SystemBinding, { label: string; meaning: string }> = {
  "user.username": { label: "Username", meaning: "the name the account signs in with" },
  "user.displayName": { label: "Display name", meaning: "the name shown instead of the username" },
  "user.email": { label: "Email", meaning: "the account's email address" },
  "user.password": { label: "Password", meaning: "the password the account signs in with" },
  "user.role": { label: "Role", meaning: "what the account may do: user, designer or administrator" },
  "user.webAccess": { label: "Web access", meaning: "on allows sign-in on the web" },
  "user.deviceAccess": { label: "Device access", meaning: "on allows sign-in on devices" },
  "user.disabled": { label: "Disabled", meaning: "on stops sign-in" },
  "mfa.enabled": { label: "Multi-factor authentication", meaning: "on requires a second factor at sign-in" },
  "mfa.enforcementDelayDays": {
    label: "Enforcement delay (days)",
    meaning: "days the user may put off setting up multi-factor authentication",
  },
  "mfa.status": { label: "MFA status", meaning: "how far multi-factor authentication is set up" },
};

/**
 * "(system: Disabled — on stops sign-in)": the note beside a system field whose label is not its
 * default one; null for an ordinary field or a field keeping its default label.
 */
export function systemNote(binding: SystemBinding | undefined, label: string | undefined): string | null {
  if (!binding) return null;
  const m = SYSTEM_MEANINGS[binding];
  if (!m || (label ?? "").trim() === m.label) return null;
  return `(system: ${m.label} — ${m.meaning})`;
}
