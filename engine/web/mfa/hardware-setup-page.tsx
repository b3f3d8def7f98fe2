import { FormField } from "../../render/form-field.js";
import { CsrfField, Layout } from "../../render/layout.js";
import { CodeField } from "./mfa-pages.js";
import type { HardwareToken } from "../../mfa/hardware/token-registry.js";

/** /mfa/setup/hardware: pick a pre-registered token and confirm it with the code it shows. */
export function HardwareSetupPage(props: {
  csrfToken: string;
  tokens: HardwareToken[];
  selected?: string;
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
        {props.tokens.length === 0 ? (
          <p id="no-tokens">
            No hardware token is available to you. Ask an administrator to register one, or{" "}
            <a href="/mfa/setup">choose another method</a>.
          </p>
        ) : (
          <form method="post" action="/mfa/setup/hardware">
            <CsrfField token={props.csrfToken} />
            <FormField
              id="serialNumber"
              label="Your token (the serial number is printed on its back)"
              required
              error={e.serialNumber}
              control={(a) => (
                <select {...a} name="serialNumber" required>
                  <option value="">Choose your token…</option>
                  {props.tokens.map((t) => (
                    <option value={t.serialNumber} selected={props.selected === t.serialNumber}>
                      {t.name === t.serialNumber ? t.serialNumber : `${t.name} (${t.serialNumber})`}
                      {t.model ? ` — ${t.model}` : ""}
                    </option>
                  ))}
                </select>
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
