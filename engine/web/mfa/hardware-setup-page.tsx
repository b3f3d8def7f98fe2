import { FormField } from "../../render/form-field.js";
import { CsrfField, Layout } from "../../render/layout.js";
import { CodeField } from "./mfa-pages.js";

/**
 * /mfa/setup/hardware: type the serial number printed on the token (filled in when a token is
 * reserved for the user) and confirm it with the code it shows. The pool of free tokens is never
 * listed: a user only ever sees the serial they typed or the one reserved for them.
 */
export function HardwareSetupPage(props: {
  csrfToken: string;
  /** Whether any token could be activated by this user (else the page says to ask an administrator). */
  available: boolean;
  /** The serial number to show in the field: the one typed, or the token reserved for the user. */
  serialNumber?: string;
  /** The token reserved for this user, if any (the page says so). */
  reserved?: string;
  error?: string;
  errors?: { serialNumber?: string; code?: string };
}) {
  const e = props.errors ?? {};
  return (
    <Layout title="Set up a hardware token" csrfToken={props.csrfToken}>
      <article class="narrow">
        <h1>Set up a hardware token</h1>
        {props.error ? (
          <p class="notice error" role="alert" id="mfa-error">
            {props.error}
          </p>
        ) : null}
        {!props.available ? (
          <p id="no-tokens">
            No hardware token is available to you. Ask an administrator to register one, or{" "}
            <a href="/mfa/setup">choose another method</a>.
          </p>
        ) : (
          <form method="post" action="/mfa/setup/hardware">
            <CsrfField token={props.csrfToken} />
            {props.reserved ? (
              <p id="reserved-token">
                Token <code>{props.reserved}</code> is reserved for you: its serial number is filled in below.
              </p>
            ) : null}
            <FormField
              id="serialNumber"
              label="Serial number (printed on the back of the token)"
              required
              error={e.serialNumber}
              control={(a) => (
                <input
                  {...a}
                  type="text"
                  name="serialNumber"
                  value={props.serialNumber ?? ""}
                  required
                  maxlength={64}
                  autocomplete="off"
                  autocapitalize="characters"
                  spellcheck={false}
                />
              )}
            />
            <CodeField label="Code shown on the token now" error={e.code} />
            <button type="submit">Activate token</button>
          </form>
        )}
        <p>
          <a href="/mfa/setup">Back to the choice of method</a>
        </p>
      </article>
    </Layout>
  );
}
