import { describeError, errorPointer, validatorFor } from "../../schema/ajv.js";
import { parseSecretKey, type SecretEncoding } from "./secret-encoding.js";

/**
 * One token as the register form or an import row describes it, checked against
 * schemas/hardware-token.schema.json and with its key decoded. Shared by both
 * paths so a row is refused for exactly the reasons the form would refuse it.
 */

export type HardwareAlgorithm = "SHA1" | "SHA256" | "SHA512";

/**
 * A checked token ready to store: text fields trimmed, the secret decoded to bytes (with the
 * encoding it came in), algorithm, 6 or 8 digits and a 30 or 60 second step (RFC 6238).
 */
export interface TokenCandidate {
  serialNumber: string;
  name: string;
  model: string;
  manufacturer: string;
  secret: Buffer;
  encoding: SecretEncoding;
  algorithm: HardwareAlgorithm;
  digits: 6 | 8;
  periodInSeconds: 30 | 60;
}

/** The raw values, as strings from a form or a file, or numbers from PSKC. */
export interface TokenInputValues {
  name?: string;
  serialNumber?: string;
  timeInterval?: string | number;
  model?: string;
  manufacturer?: string;
  secretKey?: string;
  digits?: string | number;
  algorithm?: string;
}

/** The label of each token input field, as forms and error messages name it. */
export const FIELD_LABELS: Record<keyof TokenInputValues, string> = {
  name: "Name",
  serialNumber: "Serial number",
  timeInterval: "Time interval",
  model: "Model",
  manufacturer: "Manufacturer",
  secretKey: "Secret key",
  digits: "Digits",
  algorithm: "Algorithm",
};

const FIELD_MESSAGES: Partial<Record<keyof TokenInputValues, string>> = {
  serialNumber: "must be 1 to 64 letters, digits or . _ : / # - (starting with a letter or digit)",
  timeInterval: "must be 30 or 60 seconds",
  digits: "must be 6 or 8",
  algorithm: "must be SHA1, SHA256 or SHA512",
};

/** The result of checking token input: the token ready to store, or one message per invalid field. */
export type TokenCheck =
  { ok: true; token: TokenCandidate } | { ok: false; errors: Partial<Record<keyof TokenInputValues, string>> };

const validate = validatorFor<Record<string, unknown>>("hardware-token.schema.json");

const toNumber = (v: string | number | undefined) =>
  typeof v === "string" && /^\s*\d{1,6}\s*$/.test(v) ? Number(v) : v;

function normaliseAlgorithm(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*(?:hmac[-_ ]?)?sha[-_ ]?(1|256|512)\s*$/i.exec(v);
  return m ? `SHA${m[1]}` : v.trim();
}

/** Blank optional values mean "the default"; blank required ones are reported missing. */
export function checkTokenInput(values: TokenInputValues, expect: SecretEncoding | "auto" = "auto"): TokenCheck {
  const input: Record<string, unknown> = {};
  const put = (k: keyof TokenInputValues, v: unknown) => {
    if (v === undefined || (typeof v === "string" && v.trim() === "")) return;
    input[k] = typeof v === "string" && k !== "secretKey" ? v.trim() : v;
  };
  put("name", values.name?.trim() ? values.name : values.serialNumber);
  put("serialNumber", values.serialNumber);
  put("timeInterval", toNumber(values.timeInterval));
  put("model", values.model);
  put("manufacturer", values.manufacturer);
  put("secretKey", values.secretKey);
  put("digits", toNumber(values.digits));
  put("algorithm", normaliseAlgorithm(values.algorithm));

  const errors: Partial<Record<keyof TokenInputValues, string>> = {};
  if (!validate(input)) {
    for (const e of validate.errors ?? []) {
      const field = errorPointer(e).split("/")[1] as keyof TokenInputValues;
      if (!field || errors[field]) continue;
      const custom = e.keyword !== "required" ? FIELD_MESSAGES[field] : undefined;
      const got =
        custom && (field === "timeInterval" || field === "digits" || field === "algorithm")
          ? ` (got ${String(input[field]).slice(0, 20)})`
          : "";
      errors[field] = (custom ?? describeError(e)) + got;
    }
    // A blank name is the serial number: without a serial, "serial number is required" says it all.
    if (!values.name?.trim() && errors.name && !values.serialNumber?.trim()) delete errors.name;
  }
  let secret: ReturnType<typeof parseSecretKey> | null = null;
  if (!errors.secretKey && typeof input.secretKey === "string") {
    secret = parseSecretKey(input.secretKey, expect);
    if (!secret.ok) errors.secretKey = secret.reason;
    // All zeros (or one byte over and over) is a placeholder or a test value, never a token's key.
    else if (secret.bytes.every((byte, _, all) => byte === all[0])) {
      const byte = secret.bytes[0]!.toString(16).padStart(2, "0");
      errors.secretKey = `the key is one byte repeated (0x${byte} throughout), which is no real token's key: copy the key from the manufacturer's file`;
      secret.bytes.fill(0);
    }
  }
  if (Object.keys(errors).length || !secret?.ok) return { ok: false, errors };
  return {
    ok: true,
    token: {
      serialNumber: input.serialNumber as string,
      name: input.name as string,
      model: (input.model as string | undefined) ?? "",
      manufacturer: (input.manufacturer as string | undefined) ?? "",
      secret: secret.bytes,
      encoding: secret.encoding,
      algorithm: (input.algorithm as HardwareAlgorithm | undefined) ?? "SHA1",
      digits: ((input.digits as number | undefined) ?? 6) as 6 | 8,
      periodInSeconds: input.timeInterval as 30 | 60,
    },
  };
}

/** "Secret key must be ..." for a form; the row reason for an import. */
export function describeInputErrors(errors: Partial<Record<keyof TokenInputValues, string>>): string {
  return Object.entries(errors)
    .map(([k, msg]) =>
      k === "secretKey" && msg !== "is required"
        ? `bad secret key: ${msg}`
        : `${FIELD_LABELS[k as keyof TokenInputValues].toLowerCase()} ${msg}`,
    )
    .join("; ");
}
