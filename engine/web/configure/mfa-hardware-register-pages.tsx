import { CsrfField, Layout } from "../../render/layout.js";
import type { HardwareToken } from "../../mfa/hardware/registry.js";
import type { TokenInputValues } from "../../mfa/hardware/token-input.js";
import { BASE, SubNav, type HardwarePageCommon } from "./mfa-hardware-pages.js";

// Configure > MFA Hardware > Register token: the form for one token, and the page confirming it.

function Field(props: {
  name: keyof TokenInputValues;
  label: string;
  errors: Record<string, string>;
  help?: string;
  children: unknown;
}) {
  const error = props.errors[props.name];
  return (
    <label>
      {props.label}
      {props.children}
      {props.help ? <small>{props.help}</small> : null}
      <small class="field-error" id={`error-${props.name}`}>
        {error ? `${props.label} ${error}.` : ""}
      </small>
    </label>
  );
}

/**
 * The form registering one hardware token (serial, name, model, secret key in Base32 or hex,
 * digits, algorithm, time step), with an error beside each field; the secret is never echoed back.
 */
export function RegisterPage(
  props: HardwarePageCommon & { values?: TokenInputValues; errors?: Record<string, string> },
) {
  const v = props.values ?? {};
  const e = props.errors ?? {};
  const invalid = (k: string) => (e[k] ? "true" : undefined);
  return (
    <Layout title="Register token" csrfToken={props.csrfToken} user={props.user} siteName={props.siteName}>
      <h1>Register token</h1>
      <SubNav />
      <form method="post" action={`${BASE}/register`}>
        <CsrfField token={props.csrfToken} />
        <Field
          name="name"
          label="Name"
          errors={e}
          help="Shown to the user when they pick a token; the serial number if empty."
        >
          <input name="name" maxlength={200} value={v.name ?? ""} aria-invalid={invalid("name")} />
        </Field>
        <Field name="serialNumber" label="Serial number" errors={e}>
          <input
            name="serialNumber"
            required
            maxlength={64}
            value={v.serialNumber ?? ""}
            aria-invalid={invalid("serialNumber")}
          />
        </Field>
        <Field name="timeInterval" label="Time interval" errors={e}>
          <select name="timeInterval" aria-invalid={invalid("timeInterval")}>
            {["30", "60"].map((s) => (
              <option value={s} selected={String(v.timeInterval ?? "30") === s}>
                {s} seconds
              </option>
            ))}
          </select>
        </Field>
        <Field name="model" label="Model" errors={e}>
          <input name="model" maxlength={200} value={v.model ?? ""} aria-invalid={invalid("model")} />
        </Field>
        <Field
          name="secretKey"
          label="Secret key"
          errors={e}
          help="Base32 or hex, as the manufacturer supplied it. It is stored encrypted and never shown again."
        >
          <input
            name="secretKey"
            type="password"
            required
            autocomplete="off"
            maxlength={256}
            aria-invalid={invalid("secretKey")}
          />
        </Field>
        <Field name="digits" label="Digits" errors={e}>
          <select name="digits" aria-invalid={invalid("digits")}>
            {["6", "8"].map((d) => (
              <option value={d} selected={String(v.digits ?? "6") === d}>
                {d}
              </option>
            ))}
          </select>
        </Field>
        <Field name="algorithm" label="Algorithm" errors={e}>
          <select name="algorithm" aria-invalid={invalid("algorithm")}>
            {["SHA1", "SHA256", "SHA512"].map((a) => (
              <option value={a} selected={(v.algorithm ?? "SHA1") === a}>
                {a}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit">Register token</button>
      </form>
    </Layout>
  );
}

/**
 * Confirms a registered token, saying how its secret key was read (Base32 or hex, byte count)
 * without showing it.
 */
export function RegisteredPage(
  props: HardwarePageCommon & { token: HardwareToken; encoding: "base32" | "hex"; keyBytes: number },
) {
  return (
    <Layout title="Token registered" csrfToken={props.csrfToken} user={props.user} siteName={props.siteName}>
      <h1>Token registered</h1>
      <p role="status">
        Token <code>{props.token.serialNumber}</code> ({props.token.name}) is registered and available. The secret key
        was read as <strong id="detected-encoding">{props.encoding === "hex" ? "hex" : "Base32"}</strong> (
        {props.keyBytes} bytes); it is stored encrypted and will not be shown again.
      </p>
      <p>
        <a href={`${BASE}/register`}>Register another token</a> · <a href={BASE}>Back to the tokens</a>
      </p>
    </Layout>
  );
}
