/** GET /configure/mfa/policy: the roles new accounts start with MFA on in, and their delay. */
import { ErrorSummary } from "../../../render/error-summary.js";
import { describedBy, ErrorSlot, InputField } from "../../../render/form-field.js";
import { CsrfField, Layout } from "../../../render/layout.js";
import type { SiteMfaPolicy } from "../../../mfa/site-policy.js";
import { listWords, plural } from "../../../util/plural.js";
import { day, MfaNav, PolicyText, ROLE_LABELS, rolesInWords, type MfaFrame } from "./mfa-frame.js";

const METHOD_LABELS: [string, string][] = [
  ["passkey", "Passkey"],
  ["app", "Authenticator app"],
  ["hardware", "Hardware token"],
];

/** GET /configure/mfa/policy (and a refused POST, 422, with the values as sent). */
export function PolicyPage(props: {
  frame: MfaFrame;
  policy: SiteMfaPolicy;
  values?: {
    requiredRoles: string[];
    defaultEnforcementDelayDays: string;
    allowedMethods: string[];
    passkeySignIn: boolean;
    rememberBrowserDays: string;
  };
  errors: Record<string, string>;
}) {
  const { frame, policy, errors } = props;
  const roles = props.values?.requiredRoles ?? policy.requiredRoles;
  const delay = props.values?.defaultEnforcementDelayDays ?? String(policy.defaultEnforcementDelayDays);
  const methods: string[] = props.values?.allowedMethods ?? policy.allowedMethods;
  const passkeySignIn = props.values?.passkeySignIn ?? policy.passkeySignIn;
  const remember = props.values?.rememberBrowserDays ?? String(policy.rememberBrowserDays);
  return (
    <Layout title="MFA policy" csrfToken={frame.csrfToken} user={frame.user} siteName={frame.siteName}>
      <h1>MFA policy for new accounts</h1>
      <MfaNav current="policy" />
      <ErrorSummary
        errors={errors}
        labels={{
          requiredRoles: "Roles",
          defaultEnforcementDelayDays: "Default enforcement delay",
          allowedMethods: "Methods",
          rememberBrowserDays: "Remember browsers",
        }}
        fallback="field-requiredRoles"
      />
      <p>
        Accounts created on {frame.siteName} in these roles, and accounts whose role changes into one of them, start
        with MFA on and this delay, as if the slider had been switched on. The Add User form shows the slider on; an
        administrator may still change it. Existing accounts are not changed:{" "}
        <a href="/configure/mfa/rollout">roll out</a> for them.
      </p>
      <p>
        In force: <PolicyText policy={policy} />
        {policy.updatedAt ? ` (saved ${day(policy.updatedAt, frame)} by ${policy.updatedBy ?? "unknown"})` : ""}.
      </p>
      <form method="post" action="/configure/mfa/policy">
        <CsrfField token={frame.csrfToken} />
        <fieldset id="field-requiredRoles" {...describedBy("requiredRoles", { error: errors.requiredRoles })}>
          <legend>Roles that require MFA</legend>
          {Object.entries(ROLE_LABELS).map(([value, label]) => (
            <label>
              <input type="checkbox" name="requiredRoles" value={value} checked={roles.includes(value as "user")} />{" "}
              {label}
            </label>
          ))}
          <ErrorSlot sid="requiredRoles" message={errors.requiredRoles} />
        </fieldset>
        <InputField
          id="field-defaultEnforcementDelayDays"
          slot="defaultEnforcementDelayDays"
          label="Default enforcement delay (days)"
          name="defaultEnforcementDelayDays"
          type="number"
          required
          value={delay}
          error={errors.defaultEnforcementDelayDays}
          attrs={{ min: 0, max: 3650 }}
        />
        <input type="hidden" name="factorsShown" value="1" />
        <fieldset id="field-allowedMethods" {...describedBy("allowedMethods", { error: errors.allowedMethods })}>
          <legend>Methods users may set up</legend>
          {METHOD_LABELS.map(([value, label]) => (
            <label>
              <input type="checkbox" name="allowedMethods" value={value} checked={methods.includes(value)} /> {label}
            </label>
          ))}
          <ErrorSlot sid="allowedMethods" message={errors.allowedMethods} />
        </fieldset>
        <fieldset>
          <legend>Passwordless sign-in</legend>
          <label>
            <input type="checkbox" name="passkeySignIn" value="on" role="switch" checked={passkeySignIn} /> Offer “Sign
            in with a passkey” on the sign-in page (a passkey with fingerprint, face or PIN counts as both factors)
          </label>
        </fieldset>
        <InputField
          id="field-rememberBrowserDays"
          slot="rememberBrowserDays"
          label="Remember browsers (days, 0 = off)"
          name="rememberBrowserDays"
          type="number"
          required
          value={remember}
          help="After a code, users may tick “Don’t ask again on this browser” for this many days."
          error={errors.rememberBrowserDays}
          attrs={{ min: 0, max: 365 }}
        />
        <button type="submit">Save policy</button>
      </form>
    </Layout>
  );
}

const METHODS_IN_WORDS: Record<string, string> = {
  passkey: "passkeys",
  app: "authenticator apps",
  hardware: "hardware tokens",
};

/**
 * The message after a policy save, saying what was saved (only what changed from `before`): the
 * new accounts' rule (roles, delay) and the site-wide settings that apply to every account now
 * (allowed methods, passwordless sign-in, remembered browsers). "nothing changed" for the same policy.
 */
export function policySavedMessage(before: SiteMfaPolicy, after: SiteMfaPolicy): string {
  const said: string[] = [];
  if (
    before.requiredRoles.join() !== after.requiredRoles.join() ||
    before.defaultEnforcementDelayDays !== after.defaultEnforcementDelayDays
  ) {
    said.push(
      after.requiredRoles.length
        ? `new accounts with ${rolesInWords(after.requiredRoles)} start with MFA on and ${plural(after.defaultEnforcementDelayDays, "day")} to set it up`
        : `new accounts start with MFA off (delay ${plural(after.defaultEnforcementDelayDays, "day")})`,
    );
  }
  if (before.allowedMethods.join() !== after.allowedMethods.join()) {
    said.push(
      `every account on this site may use ${listWords(after.allowedMethods.map((m) => METHODS_IN_WORDS[m] ?? m))}`,
    );
  }
  if (before.passkeySignIn !== after.passkeySignIn) {
    said.push(`sign-in with a passkey alone is ${after.passkeySignIn ? "on" : "off"}`);
  }
  if (before.rememberBrowserDays !== after.rememberBrowserDays) {
    said.push(
      after.rememberBrowserDays
        ? `browsers are remembered for ${plural(after.rememberBrowserDays, "day")} after a code`
        : "browsers are no longer remembered",
    );
  }
  return said.length ? `MFA policy saved: ${said.join("; ")}.` : "MFA policy saved: nothing changed.";
}
