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

export interface SignInMfaState {
  enabled: boolean;
  requiredFrom: Date | null;
  activation: unknown | null;
}

const DAY_MS = 86_400_000;

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

/** The session stage a decision leads to: only "full" reaches more than the MFA pages. */
export function stageFor(decision: SignInDecision): "full" | "mfa" | "mfa_setup" {
  if (decision.status === "ok") return "full";
  return decision.status === "mfa_required" ? "mfa" : "mfa_setup";
}
