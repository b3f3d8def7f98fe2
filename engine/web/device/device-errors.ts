import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { DomainError, RateLimitedError, ValidationError, type ErrorKind } from "../../errors.js";
import type { Logger } from "../../log.js";
import type { DeviceApiError as ErrorBody } from "../../schema/types.js";
import type { AppEnv } from "../http/env.js";
import { errorResponse, STATUS_OF_KIND } from "../http/error-pages.js";
import { unstorableQueryParameter } from "../http/query.js";
import { UNSTORABLE_TEXT_MESSAGE } from "../../util/storable-text.js";

// The device API's JSON error format (schemas/device-api/error.schema.json), in one place: which
// status and `error.code` each refusal gets, and the body `{error: {code, message, fields?}}`. The
// domain throws DomainErrors (engine/errors.ts) whose machine `code` is the API's code when its
// schema names one; the HTTP layer of the API (media type, JSON syntax, body size, method) refuses
// with `deviceRefusal`.

/**
 * A machine-readable error code of the device API (schemas/device-api), e.g. "invalid_token" or
 * "too_many_attempts".
 */
export type DeviceErrorCode = ErrorBody["error"]["code"];

/** Every code the device API's schema names (the compiler checks this list against the schema's type). */
const DEVICE_CODES: Readonly<Record<DeviceErrorCode, true>> = {
  malformed_json: true,
  unsupported_media_type: true,
  body_too_large: true,
  validation_failed: true,
  invalid_credentials: true,
  device_access_denied: true,
  invalid_token: true,
  challenge_invalid: true,
  wrong_step: true,
  invalid_code: true,
  invalid_passkey: true,
  no_passkey: true,
  setup_required: true,
  hardware_token_unavailable: true,
  too_many_attempts: true,
  forbidden: true,
  mfa_setup_required: true,
  conflict: true,
  cursor_expired: true,
  idempotency_key_reused: true,
  not_found: true,
  method_not_allowed: true,
  internal: true,
  service_unavailable: true,
};

/** The code a domain error gets when it carries none the API names, by kind. */
const CODE_OF_KIND: Readonly<Record<ErrorKind, DeviceErrorCode>> = {
  not_found: "not_found",
  forbidden: "device_access_denied",
  conflict: "conflict",
  validation: "validation_failed",
  unavailable: "service_unavailable",
  unauthenticated: "invalid_token",
  rate_limited: "too_many_attempts",
  gone: "cursor_expired",
};

/** True when `code` is one of the device API's error codes. */
export function isDeviceErrorCode(code: string | undefined): code is DeviceErrorCode {
  return code !== undefined && Object.hasOwn(DEVICE_CODES, code);
}

/** One refusal as the device API sends it: status, code, message and the optional members. */
export interface DeviceRefusal {
  status: ContentfulStatusCode;
  code: DeviceErrorCode;
  message: string;
  /** One message per invalid input field (a name, a dot path or a JSON Pointer). */
  fields?: Record<string, string>;
  /** Seconds for Retry-After (429). */
  retryAfterSeconds?: number;
  /** More members of the error object beside code and message (a 409 conflict's `changed` and `current`). */
  extra?: { changed?: string[]; current?: ErrorBody["error"]["current"] };
}

/**
 * The JSON error body of the device API: `{ error: { code, message, fields? } }`, fields holding
 * one message per invalid input field.
 */
export function errorBody(code: DeviceErrorCode, message: string, fields?: Record<string, string>): ErrorBody {
  return { error: fields ? { code, message, fields } : { code, message } };
}

/**
 * A refusal in the device API's terms, or null when the API has no code for the error (a bug,
 * answered as 500 internal). A DomainError keeps its kind's status (STATUS_OF_KIND) and its code when
 * the API names it, else its kind's code; a ValidationError's fields and a conflict's details
 * (`changed`, `current`) go along. A query parameter holding text that cannot be stored is a 422
 * naming it. Hono's own refusals keep their status where the API names it
 * (413, 401, 404) and are malformed requests (400) otherwise.
 */
export function deviceRefusalOf(err: Error): DeviceRefusal | null {
  if (err instanceof DomainError) {
    const refusal: DeviceRefusal = {
      status: STATUS_OF_KIND[err.kind],
      code: isDeviceErrorCode(err.code) ? err.code : CODE_OF_KIND[err.kind],
      message: err.message,
    };
    if (err instanceof ValidationError && Object.keys(err.fields).length) refusal.fields = { ...err.fields };
    if (err instanceof RateLimitedError) refusal.retryAfterSeconds = err.retryAfterSeconds;
    if (err.details) refusal.extra = err.details;
    return refusal;
  }
  const parameter = unstorableQueryParameter(err);
  if (parameter !== undefined) {
    // A bad query parameter is named like the others the API refuses (422, by its name); no JSON is involved.
    const fields = { [parameter ?? "query"]: UNSTORABLE_TEXT_MESSAGE };
    return { status: 422, code: "validation_failed", message: err.message, fields };
  }
  if (err instanceof HTTPException) {
    const message = err.message;
    if (err.status === 413)
      return { status: 413, code: "body_too_large", message: message || "The body is too large." };
    if (err.status === 401) return { status: 401, code: "invalid_token", message: message || "Sign in first." };
    if (err.status === 404) return { status: 404, code: "not_found", message: message || "Not found." };
    return { status: 400, code: "malformed_json", message: message || "The request is malformed." };
  }
  return null;
}

/**
 * Sends a refusal as its JSON body and status, with `Retry-After` (seconds, at least 1) when it
 * has one, `WWW-Authenticate: Bearer` for a bad token (RFC 6750 §3) and `Cache-Control: no-store`.
 */
export function sendDeviceRefusal(c: Context, r: DeviceRefusal): Response {
  if (r.retryAfterSeconds !== undefined) c.header("Retry-After", String(Math.max(1, r.retryAfterSeconds)));
  if (r.code === "invalid_token") c.header("WWW-Authenticate", `Bearer realm="formgate", error="invalid_token"`);
  c.header("Cache-Control", "no-store");
  const body = errorBody(r.code, r.message, r.fields);
  if (r.extra) Object.assign(body.error, r.extra);
  return c.json(body, r.status);
}

/**
 * A refusal of the API's HTTP layer (a body that is not JSON, too large, a method a path does not
 * answer), thrown as Hono's HTTPException carrying its ready answer; errorResponse sends that
 * answer as it is. `headers` go along (`Allow` for a 405).
 */
export function deviceRefusal(
  c: Context,
  status: 400 | 405 | 413,
  code: DeviceErrorCode,
  message: string,
  headers: Record<string, string> = {},
): HTTPException {
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
  return new HTTPException(status, { message, res: sendDeviceRefusal(c, { status, code, message }) });
}

/**
 * The device API's onError: a refusal (deviceRefusalOf) as its JSON body; an unreachable database
 * and a bug as errorResponse answers them under /api/ (503 `service_unavailable`, 500 `internal`
 * naming the request id), never cached.
 */
export function deviceErrorResponse<E extends AppEnv>(
  context: Context<E>,
  err: Error,
  fallbackLog: Logger,
): Response | Promise<Response> {
  const c = context as unknown as Context<AppEnv>;
  c.header("Cache-Control", "no-store");
  if (err instanceof HTTPException && err.res) return err.getResponse();
  const refusal = err instanceof DomainError && err.kind === "unavailable" ? null : deviceRefusalOf(err);
  if (refusal && refusal.status < 500) return sendDeviceRefusal(c, refusal);
  return errorResponse(c, err, fallbackLog);
}
