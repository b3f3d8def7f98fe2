/**
 * What happens after a correct password, as a pure function of the user's MFA
 * state and the time, so the web routes and the JSON device API make the same
 * decision. Delay 0 (or a deadline passed) makes setup compulsory; before the
 * deadline the user may put it off ("Remind me later").
 */

export type SignInDecision =
  | { status: "ok" }
  | { status: "mfa_required" }
  | { status: "mfa_setup_required"; optional: boolean; daysLeft: number; requiredFrom: Date };

/**
 * What sign-in needs to know of a user's MFA: whether it is enabled, the enforcement deadline, and
 * whether a method is activated.
 */
export interface SignInMfaState {
  enabled: boolean;
  requiredFrom: Date | null;
  /** Null while no method is activated. */
  activation: unknown;
}

/** A day of an enforcement delay: 24 hours, whatever the calendar or a time zone's daylight saving says. */
const DAY_MS = 86_400_000;

/**
 * When MFA setup stops being optional: `enabledAt` + `delayDays` × 24 hours
 * (UTC arithmetic on the instant, so a daylight-saving change in between moves
 * nothing). The one computation of the deadline: switching MFA on, changing
 * the delay and a reset all store what this returns.
 */
export function enforcementDeadline(enabledAt: Date, delayDays: number): Date {
  return new Date(enabledAt.getTime() + delayDays * DAY_MS);
}

/**
 * What follows a correct password at `now`: sign-in is complete (MFA off), a code is required
 * (activated), or setup is required; setup is optional before the enforcement deadline, with the
 * whole days left (rounded up, 0 once past).
 */
export function decideAfterPassword(state: SignInMfaState, now: Date): SignInDecision {
  if (!state.enabled) return { status: "ok" };
  if (state.activation) return { status: "mfa_required" };
  const requiredFrom = state.requiredFrom ?? now;
  const msLeft = requiredFrom.getTime() - now.getTime();
  return {
    status: "mfa_setup_required",
    optional: msLeft > 0,
    daysLeft: msLeft > 0 ? Math.ceil(msLeft / DAY_MS) : 0,
    requiredFrom,
  };
}

/**
 * "passkey" when a sign-in at `stage` "mfa" asks for a passkey and not a code: the user's factors
 * are passkeys only (`activation.method`, engine/mfa/status.ts), no authenticator app or hardware
 * token. The password step's audit entry says so (SignInAudit.successIn's `next`).
 */
export function passkeyNext(stage: string, activation: { method: string } | null | undefined): "passkey" | undefined {
  return stage === "mfa" && activation?.method === "passkey" ? "passkey" : undefined;
}

/** The session stage a decision leads to: only "full" reaches more than the MFA pages. */
export function stageFor(decision: SignInDecision): "full" | "mfa" | "mfa_setup" {
  if (decision.status === "ok") return "full";
  return decision.status === "mfa_required" ? "mfa" : "mfa_setup";
}
