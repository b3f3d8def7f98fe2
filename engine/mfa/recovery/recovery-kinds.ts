import type { RevocationReason } from "../../auth/revocation.js";

/**
 * The changes that end a user's recovery codes and temporary access pass (CredentialKind.endsFor):
 * MFA switched on, off or reset, the user disabled or deleted, and a password changed by someone
 * else (an administrator). A user's own password change, an activation (a replacement factor) and
 * a change of web or device access leave them.
 */
export function endsRecoveryCredentials(reasons: readonly RevocationReason[], bySelf: boolean): boolean {
  return reasons.some(
    (r) =>
      r === "mfa_enabled" ||
      r === "mfa_disabled" ||
      r === "mfa_reset" ||
      r === "user_disabled" ||
      r === "user_deleted" ||
      (r === "password_changed" && !bySelf),
  );
}
