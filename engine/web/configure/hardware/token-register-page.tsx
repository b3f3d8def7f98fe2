import { FormField, InputField } from "../../../render/form-field.js";
import { CsrfField, Layout } from "../../../render/layout.js";
import { FIELD_LABELS, type TokenInputValues } from "../../../mfa/hardware/token-input.js";
import { BASE, SubNav, type HardwarePageCommon } from "./token-list-pages.js";
import { ErrorSummary } from "../../../render/error-summary.js";

// Configure > MFA Hardware > Register token: the form for one token (a successful register
// redirects to the token list with a one-time message).

/**
 * A field of the register form's error slot: a predicate reads on from the label ("Serial number
 * must be …", "Name is required."); any other message follows it after a colon ("Secret key: hex
 * key has an odd number of digits.").
 */
function tokenError(e: Record<string, string>, name: keyof TokenInputValues, label: string): string | undefined {
  const message = e[name];
  if (!message) return undefined;
  return /^(is|must|has) /.test(message) ? `${label} ${message}.` : `${label}: ${message}.`;
}

/** The error summary's lines, each naming its field as the field's own slot does. */
function summaryOf(e: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(e).map(([name, message]) => {
      const label = name in FIELD_LABELS ? FIELD_LABELS[name as keyof TokenInputValues] : undefined;
      return [name, label ? tokenError(e, name as keyof TokenInputValues, label)! : message];
    }),
  );
}

/** The options of a select of the register form, the value (or the default) selected. */
function Choices(props: { values: string[]; selected: string; text?: (v: string) => string }) {
  return (
    <>
      {props.values.map((v) => (
        <option value={v} selected={props.selected === v}>
          {props.text ? props.text(v) : v}
        </option>
      ))}
    </>
  );
}

/**
 * The form registering one hardware token (serial, name, model, secret key in Base32 or hex,
 * digits, algorithm, time step), with an error beside each field; the secret is never echoed back.
 */
export function RegisterPage(
  props: HardwarePageCommon & {
    values?: TokenInputValues;
    errors?: Record<string, string>;
    /** "Register and assign to USER": the username typed or picked (?assignTo=), the field's message. */
    assignTo?: string;
  },
) {
  const v = props.values ?? {};
  const e = props.errors ?? {};
  return (
    <Layout title="Register token" csrfToken={props.csrfToken} user={props.user} siteName={props.siteName}>
      <h1>Register token</h1>
      <SubNav />
      <form method="post" action={`${BASE}/register`}>
        <ErrorSummary errors={summaryOf(e)} fallback="name" targetOf={(n) => n} />
        <CsrfField token={props.csrfToken} />
        <InputField
          id="name"
          name="name"
          label="Name"
          help="A label for administrators, shown in the token list and when a token is found by its code; the serial number if empty."
          error={tokenError(e, "name", "Name")}
          value={v.name ?? ""}
          attrs={{ maxlength: 200 }}
        />
        <InputField
          id="serialNumber"
          name="serialNumber"
          label="Serial number"
          required
          error={tokenError(e, "serialNumber", "Serial number")}
          value={v.serialNumber ?? ""}
          attrs={{ maxlength: 64 }}
        />
        <FormField
          id="timeInterval"
          label="Time interval"
          error={tokenError(e, "timeInterval", "Time interval")}
          control={(a) => (
            <select {...a} name="timeInterval">
              <Choices values={["30", "60"]} selected={String(v.timeInterval ?? "30")} text={(s) => `${s} seconds`} />
            </select>
          )}
        />
        <InputField
          id="model"
          name="model"
          label="Model"
          error={tokenError(e, "model", "Model")}
          value={v.model ?? ""}
          attrs={{ maxlength: 200 }}
        />
        <InputField
          id="secretKey"
          name="secretKey"
          type="password"
          label="Secret key"
          required
          autocomplete="off"
          help="Base32 or hex, as the manufacturer supplied it. It is stored encrypted and never shown again."
          error={tokenError(e, "secretKey", "Secret key")}
          attrs={{ maxlength: 256 }}
        />
        <FormField
          id="digits"
          label="Digits"
          error={tokenError(e, "digits", "Digits")}
          control={(a) => (
            <select {...a} name="digits">
              <Choices values={["6", "8"]} selected={String(v.digits ?? "6")} />
            </select>
          )}
        />
        <FormField
          id="algorithm"
          label="Algorithm"
          error={tokenError(e, "algorithm", "Algorithm")}
          control={(a) => (
            <select {...a} name="algorithm">
              <Choices values={["SHA1", "SHA256", "SHA512"]} selected={v.algorithm ?? "SHA1"} />
            </select>
          )}
        />
        <InputField
          id="assignTo"
          name="assignTo"
          label="Assign to user (optional)"
          help="A username: the token is reserved for them, and their setup asks only for the code it shows."
          error={e.assignTo}
          value={props.assignTo ?? ""}
          attrs={{ maxlength: 64, autocomplete: "off" }}
        />
        <button type="submit">{props.assignTo ? `Register and assign to ${props.assignTo}` : "Register token"}</button>
      </form>
    </Layout>
  );
}
