import { LOW_RECOVERY_CODES, type RecoveryCodeCount } from "../../mfa/recovery/recovery-codes.js";
import { InputField } from "../../render/form-field.js";
import { CsrfField } from "../../render/layout.js";

/**
 * The recovery codes part of /account (users whose MFA is activated): how many are left, a warning
 * at LOW_RECOVERY_CODES or fewer, and "Make new recovery codes" after the current password.
 */
export function RecoveryCodesSection(p: { csrfToken: string; count: RecoveryCodeCount; error?: string }) {
  const { left, total } = p.count;
  return (
    <section aria-labelledby="account-recovery">
      <h2 id="account-recovery">Recovery codes</h2>
      <p id="recovery-count">
        {total === 0
          ? "You have no recovery codes. Make a set, in case you lose your phone, token or passkey."
          : `${left} of ${total} recovery codes left. Each one signs you in once without your phone, token or passkey.`}
      </p>
      {total > 0 && left <= LOW_RECOVERY_CODES ? (
        <p class="notice warning" id="recovery-low" role="note">
          {left === 0 ? "No recovery codes left" : "Only a few recovery codes left"}: make a new set now.
        </p>
      ) : null}
      <form method="post" action="/account/recovery-codes">
        <CsrfField token={p.csrfToken} />
        <InputField
          id="recoveryCurrentPassword"
          name="currentPassword"
          type="password"
          label="Current password"
          autocomplete="current-password"
          required
          help="A new set replaces the old one: the old codes stop working."
          error={p.error}
        />
        <button type="submit" class="secondary" id="new-recovery-codes">
          Make new recovery codes
        </button>
      </form>
    </section>
  );
}
