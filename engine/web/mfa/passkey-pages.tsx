/** Passkey pages and forms: setup at /mfa/setup/passkey and the "Use a passkey" form of the sign-in steps. */
import { InputField } from "../../render/form-field.js";
import { CsrfField, Layout } from "../../render/layout.js";

/** The browser library (from node_modules, through /assets) and public/passkey.js; deferred, no inline script. */
export function PasskeyScripts() {
  return (
    <>
      <script src="/assets/simplewebauthn-browser.js" defer></script>
      <script src="/public/passkey.js" defer></script>
    </>
  );
}

/** What a page says without JavaScript: a passkey needs it, and where the other methods are. */
function NeedsScript({ others }: { others: { href: string; text: string } }) {
  return (
    <noscript>
      <p class="notice" id="passkey-needs-js">
        A passkey needs JavaScript, which is off in this browser. <a href={others.href}>{others.text}</a>.
      </p>
    </noscript>
  );
}

/**
 * A form that signs in with a passkey: WebAuthn request options (JSON) for public/passkey.js, the
 * hidden `response` it fills, and the button it shows. Posts to `action`.
 */
export function PasskeySignInForm(props: {
  csrfToken: string;
  action: string;
  options: unknown;
  label: string;
  id: string;
  others: { href: string; text: string };
  /** Extra fields posted with the answer (the rememberBrowser checkbox). */
  children?: unknown;
}) {
  return (
    <form
      method="post"
      action={props.action}
      data-passkey="authenticate"
      data-options={JSON.stringify(props.options)}
      id={props.id}
    >
      <CsrfField token={props.csrfToken} />
      <input type="hidden" name="response" value="" />
      {props.children}
      <button type="button" data-passkey-start hidden class="secondary">
        {props.label}
      </button>
      <p class="passkey-error" data-passkey-error role="status"></p>
      <NeedsScript others={props.others} />
    </form>
  );
}

/**
 * How a signed-in user adding a further passkey proves it is still them: the current password, or
 * that or a current code when they hold an authenticator app or token; false when they need not
 * (setting up their first factor, or a session a recovery code or pass granted).
 */
export type Reauth = false | "password" | "password-or-code";

/** /mfa/setup/passkey: a name for the passkey and the button that creates it (WebAuthn registration). */
export function PasskeySetupPage(props: {
  csrfToken: string;
  options: unknown;
  name?: string;
  error?: string;
  fieldError?: string;
  /** Where "other methods" leads: the setup choice while setting up, the account page when adding one. */
  back: { href: string; text: string };
  /** A signed-in user adding a further passkey: the current password (or a code, for a user who holds one) goes with it. */
  reauth?: Reauth;
  reauthError?: string;
}) {
  return (
    <Layout title="Set up a passkey" csrfToken={props.csrfToken}>
      <article class="narrow">
        <h1>Set up a passkey</h1>
        {props.error ? (
          <p class="notice error" role="alert" id="mfa-error">
            {props.error}
          </p>
        ) : null}
        <p>
          A passkey is kept by this device (or your phone, or a security key such as a YubiKey) and unlocked with your
          fingerprint, face, PIN or a touch. It only works on this site, so a fake sign-in page cannot use it.
        </p>
        <form
          method="post"
          action="/mfa/setup/passkey"
          data-passkey="register"
          data-options={JSON.stringify(props.options)}
        >
          <CsrfField token={props.csrfToken} />
          <input type="hidden" name="response" value="" />
          <InputField
            id="name"
            name="name"
            label="Name for this passkey"
            help="So you can tell your passkeys apart, for example “Work laptop” or “YubiKey 5”."
            required
            value={props.name ?? ""}
            error={props.fieldError}
            attrs={{ maxlength: 64 }}
          />
          {props.reauth ? (
            <fieldset id="reauth">
              <legend>Confirm it is you</legend>
              <InputField
                id="currentPassword"
                name="currentPassword"
                type="password"
                label="Your current password"
                help={
                  props.reauth === "password-or-code"
                    ? "Or leave it empty and enter a code from your authenticator below."
                    : undefined
                }
                autocomplete="current-password"
                error={props.reauthError}
              />
              {props.reauth === "password-or-code" ? (
                <InputField
                  id="code"
                  name="code"
                  label="Or a code from your authenticator"
                  autocomplete="one-time-code"
                  attrs={{ inputmode: "numeric", maxlength: 32 }}
                />
              ) : null}
            </fieldset>
          ) : null}
          <button type="button" data-passkey-start hidden id="create-passkey">
            Create the passkey
          </button>
          <p class="passkey-error" data-passkey-error role="status"></p>
          <NeedsScript others={props.back} />
        </form>
        <p>
          <a href={props.back.href}>{props.back.text}</a>
        </p>
      </article>
      <PasskeyScripts />
    </Layout>
  );
}
