import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { DeviceApiError as ErrorBody } from "../schema/types.js";

/**
 * A machine-readable error code of the device API (schemas/device-api), e.g. "invalid_token" or
 * "too_many_attempts".
 */
export type DeviceErrorCode = ErrorBody["error"]["code"];

/**
 * Every refusal of the device API, answered as `{error: {code, message, fields?}}`.
 * Thrown anywhere below the device routes; their onError turns it into JSON.
 */
export class DeviceError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: DeviceErrorCode,
    message: string,
    readonly fields?: Record<string, string>,
    /** Seconds for Retry-After (429). */
    readonly retryAfterSeconds?: number,
    /** More members of the error object beside code and message (a 409 conflict's `changed` and `current`). */
    readonly extra?: { changed?: string[]; current?: ErrorBody["error"]["current"] },
  ) {
    super(message);
  }
}

/**
 * The JSON error body of the device API: `{ error: { code, message, fields? } }`, fields holding
 * one message per invalid input field.
 */
export function errorBody(code: DeviceErrorCode, message: string, fields?: Record<string, string>): ErrorBody {
  return { error: fields ? { code, message, fields } : { code, message } };
}

/**
 * Sends a DeviceError as its JSON body and status, with `Retry-After` (seconds, at least 1) when it
 * has one, `WWW-Authenticate: Bearer` for a bad token (RFC 6750 §3) and `Cache-Control: no-store`.
 */
export function sendDeviceError(c: Context, err: DeviceError): Response {
  if (err.retryAfterSeconds !== undefined) c.header("Retry-After", String(Math.max(1, err.retryAfterSeconds)));
  if (err.code === "invalid_token") c.header("WWW-Authenticate", `Bearer realm="formgate", error="invalid_token"`);
  c.header("Cache-Control", "no-store");
  const body = errorBody(err.code, err.message, err.fields);
  if (err.extra) Object.assign(body.error, err.extra);
  return c.json(body, err.status);
}

/** A 429 "too_many_attempts" DeviceError that tells the client to retry after `retryAfterSeconds`. */
export const tooManyAttempts = (retryAfterSeconds: number) =>
  new DeviceError(
    429,
    "too_many_attempts",
    `Too many failed attempts. Try again in ${retryAfterSeconds} seconds.`,
    undefined,
    retryAfterSeconds,
  );
