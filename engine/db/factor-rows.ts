/**
 * "MFA activated" in SQL, the one definition every query uses (the users list's `?mfa=activated`,
 * the counts and progress, the reminders, the rollouts): DESIGN.md — MFA is activated when the
 * first factor is confirmed, so a user is activated while they hold a factor, a TOTP enrollment
 * (authenticator app or hardware token) or a passkey. It lives here, beside credential-rows.ts,
 * because both engine/mfa and engine/mail read it and engine/mfa already imports engine/mail.
 * `MfaStatus.activation` (engine/mfa/status.ts) is the same rule read row by row.
 */

/** SQL over `users u`: the user holds a factor, so their MFA is activated. Needs no join. */
export const HOLDS_FACTOR = `(EXISTS (SELECT 1 FROM mfa_enrollments fe WHERE fe.user_id = u.id)
  OR EXISTS (SELECT 1 FROM passkeys fp WHERE fp.user_id = u.id))`;

/**
 * SQL over `users u`: when the user's MFA was activated, as far as the factors they hold tell — the
 * earliest of their TOTP enrollment's activation and their first passkey (LEAST skips a NULL);
 * NULL exactly when HOLDS_FACTOR is false. engine/mfa/mfa-rows.ts's activationOf is the same rule.
 */
export const FIRST_FACTOR_AT = `LEAST((SELECT fe.activated_at FROM mfa_enrollments fe WHERE fe.user_id = u.id),
  (SELECT min(fp.created_at) FROM passkeys fp WHERE fp.user_id = u.id))`;
