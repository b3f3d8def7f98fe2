import type { Db } from "../db/db.js";
import type { MfaMethod } from "./status.js";

/**
 * The one rule for what a replacement factor replaces, shared by every way of confirming one
 * (an authenticator app, a hardware token, a passkey) in a session that may replace
 * (signed in with a recovery code or a temporary access pass, or held at setup because the site's
 * policy no longer allows the factor used): "the lost factor" is the user's code factor, the TOTP
 * enrollment — an authenticator app or a hardware token; a user holds at most one
 * (mfa_enrollments is keyed by user), so "app and token" cannot both be held. Passkeys the user
 * held stay: each names its device on /account, where a lost one is removed by name, while the
 * code factor has no device name to tell the lost one from another. This is what the app path
 * always did; passkeys now follow it.
 */

/**
 * Removes the code factor of `userId` in `tx` (the transaction that confirms the new factor, so
 * the old one goes only together with the new one's confirmation; a hardware token goes back to
 * the pool, its assignment being the enrollment row). Returns the removed method for the audit
 * entry (`replaced`), or undefined when the user held none.
 */
export async function removeReplacedFactor(tx: Db, userId: string): Promise<MfaMethod | undefined> {
  const { rows } = await tx.query<{ method: MfaMethod }>(
    "DELETE FROM mfa_enrollments WHERE user_id = $1 RETURNING method",
    [userId],
  );
  return rows[0]?.method;
}
