import { CsrfField, Layout } from "../../render/layout.js";
import type { HardwareToken } from "../../mfa/hardware/registry.js";

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
            <label>
              Your token (the serial number is printed on its back)
              <select
                name="serialNumber"
                required
                aria-invalid={e.serialNumber ? "true" : undefined}
                aria-describedby="error-serialNumber"
              >
                <option value="">Choose your token…</option>
                {props.tokens.map((t) => (
                  <option value={t.serialNumber} selected={props.selected === t.serialNumber}>
                    {t.name === t.serialNumber ? t.serialNumber : `${t.name} (${t.serialNumber})`}
                    {t.model ? ` — ${t.model}` : ""}
                  </option>
                ))}
              </select>
              <small class="field-error" id="error-serialNumber">
                {e.serialNumber ?? ""}
              </small>
            </label>
            <label>
              Code shown on the token now
              <input
                name="code"
                inputmode="numeric"
                autocomplete="one-time-code"
                pattern="[0-9 \-]{6,12}"
                maxlength={12}
                required
                aria-invalid={e.code ? "true" : undefined}
                aria-describedby="error-code"
              />
              <small class="field-error" id="error-code">
                {e.code ?? ""}
              </small>
            </label>
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
