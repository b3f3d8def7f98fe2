import { InputField } from "../../render/form-field.js";
import { CsrfField, Layout } from "../../render/layout.js";

/** Pages of signing in without the device (/login/recovery) and of showing recovery codes once. */

/**
 * /login/recovery: the field `recoveryCode` for a recovery code (`XXXXX-XXXXX`) or a temporary
 * access pass, with what to do when the device is lost.
 */
export function RecoveryPage(props: { csrfToken: string; error?: string; fieldError?: string }) {
  return (
    <Layout title="Sign in without your device" csrfToken={props.csrfToken}>
      <article class="narrow">
        <h1>Sign in without your device</h1>
        <p>
          Lost your phone or hardware token? Enter one of the recovery codes you saved when you set up multi-factor
          authentication (MFA), or the temporary access pass your administrator gave you. Each recovery code works once.
        </p>
        {props.error ? (
          <p class="notice error" role="alert" id="recovery-error">
            {props.error}
          </p>
        ) : null}
        <form method="post" action="/login/recovery">
          <CsrfField token={props.csrfToken} />
          <InputField
            id="recoveryCode"
            name="recoveryCode"
            label="Recovery code or temporary access pass"
            help="For example 7K3QD-XM2PA. Capitals, spaces and hyphens do not matter."
            autocomplete="one-time-code"
            required
            error={props.fieldError}
            attrs={{ maxlength: 64, autocapitalize: "characters", spellcheck: "false", autofocus: true }}
          />
          <button type="submit">Sign in</button>
        </form>
        <p>
          No recovery code left? Ask your administrator for a temporary access pass.{" "}
          <a href="/login/mfa">Back to the code</a>
        </p>
      </article>
    </Layout>
  );
}

/** After a recovery-code sign-in: how many codes are left and the way to a new authenticator. */
export function RecoverySignedInPage(props: { csrfToken: string; codesLeft: number }) {
  const n = props.codesLeft;
  return (
    <Layout title="Signed in with a recovery code" csrfToken={props.csrfToken}>
      <article class="narrow">
        <h1>Signed in with a recovery code</h1>
        <p role="status" id="codes-left">
          {n === 0 ? "No recovery codes left." : `${n} recovery ${n === 1 ? "code" : "codes"} left.`}
          {n <= 3 ? " Make a new set on your account page soon." : ""}
        </p>
        <p>
          If your phone or token is lost, set up a new authenticator now: an app, a hardware token or a passkey. It
          replaces the lost app or token as soon as it is confirmed; a lost passkey you remove on your account page.
        </p>
        <p>
          <a href="/mfa/setup" role="button" id="setup-new">
            Set up a new authenticator
          </a>{" "}
          <a href="/" class="secondary">
            Continue without
          </a>
        </p>
      </article>
    </Layout>
  );
}

/**
 * The recovery codes of a new set, shown once: a list, a `.txt` download (a data: link, so nothing
 * is kept on the server) and the way on (`next`).
 */
export function RecoveryCodesPage(props: { csrfToken: string; codes: string[]; heading: string; next: string }) {
  const text = `Formgate recovery codes. Each code works once.\n\n${props.codes.join("\n")}\n`;
  return (
    <Layout title="Your recovery codes" csrfToken={props.csrfToken}>
      <article class="narrow">
        <h1>{props.heading}</h1>
        <p>
          Save these 10 recovery codes somewhere safe (a password manager, or printed). If you lose your phone, token or
          passkey, each one lets you sign in once. <strong>They are shown only now.</strong>
        </p>
        <ol id="recovery-codes" class="recovery-codes">
          {props.codes.map((code) => (
            <li>
              <code>{code}</code>
            </li>
          ))}
        </ol>
        <p>
          <a
            href={`data:text/plain;charset=utf-8,${encodeURIComponent(text)}`}
            download="formgate-recovery-codes.txt"
            id="download-codes"
            role="button"
            class="secondary"
          >
            Download as .txt
          </a>{" "}
          <a href={props.next} role="button" id="codes-saved">
            I have saved them
          </a>
        </p>
      </article>
    </Layout>
  );
}
