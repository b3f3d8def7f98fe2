import { InputField } from "../../render/form-field.js";
import type { Child } from "hono/jsx";
import { CsrfField, Layout, type PageUser } from "../../render/layout.js";
import { ErrorSummary } from "../../render/error-summary.js";

/** The account's MFA in plain words, and whether the user can set it up now. */
export interface AccountMfa {
  text: string;
  /** Show "Set up now" (MFA is on and not activated). */
  canSetUp: boolean;
}

/** /account: who you are, your MFA in words, and changing your own password. */
export function AccountPage(p: {
  csrfToken: string;
  user: PageUser;
  siteName: string;
  mfa: AccountMfa;
  /** The recovery codes section (account-recovery.tsx), for a user whose MFA is activated. */
  recovery?: Child;
  errors?: Record<string, string>;
  /** A refusal to show at the top (a factor that cannot be removed). */
  error?: string;
  /** The factors and signed-in sections (account-factors.tsx). */
  factors?: Child;
  signedIn?: Child;
}) {
  const e = p.errors ?? {};
  return (
    <Layout title="Your account" csrfToken={p.csrfToken} user={p.user} siteName={p.siteName}>
      <h1>Your account</h1>
      {p.error ? (
        <p class="notice error" role="alert" id="account-error">
          {p.error}
        </p>
      ) : null}
      <dl class="account-facts">
        <dt>Name</dt>
        <dd>{p.user.displayName || "—"}</dd>
        <dt>Username</dt>
        <dd>{p.user.username}</dd>
      </dl>
      <section aria-labelledby="account-mfa">
        <h2 id="account-mfa">Multi-factor authentication (MFA)</h2>
        <p>{p.mfa.text}</p>
        {p.mfa.canSetUp ? (
          <p>
            <a href="/mfa/setup" role="button">
              Set up now
            </a>
          </p>
        ) : null}
      </section>
      {p.factors}
      {p.recovery ?? null}
      <section aria-labelledby="account-password">
        <h2 id="account-password">Change your password</h2>
        <p>Changing it signs you out everywhere else: other browsers and every device.</p>
        <form method="post" action="/account">
          <ErrorSummary errors={e} fallback="currentPassword" targetOf={(n) => n} />
          <CsrfField token={p.csrfToken} />
          <InputField
            id="currentPassword"
            name="currentPassword"
            type="password"
            label="Current password"
            autocomplete="current-password"
            required
            error={e.currentPassword}
          />
          <InputField
            id="newPassword"
            name="newPassword"
            type="password"
            label="New password"
            autocomplete="new-password"
            required
            help="At least 12 characters."
            error={e.newPassword}
            attrs={{ minlength: 12 }}
          />
          <button type="submit">Change password</button>
        </form>
      </section>
      {p.signedIn}
    </Layout>
  );
}
