import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { DeviceError, sendDeviceError } from "../../device/errors.js";
import {
  DomainError,
  ForbiddenError,
  NotFoundError,
  UnavailableError,
  ValidationError,
  type ErrorKind,
} from "../../errors.js";
import type { Logger } from "../../log.js";
import { MessagePage } from "../../render/layout.js";
import type { AppEnv } from "./env.js";
import { sendPage } from "./page.js";
import { serviceUnavailable } from "./service-unavailable.js";

/** The HTTP status of each kind of domain error (engine/errors.ts): the one place it is decided. */
export const STATUS_OF_KIND: Readonly<Record<ErrorKind, ContentfulStatusCode>> = {
  not_found: 404,
  forbidden: 403,
  conflict: 409,
  validation: 422,
  unavailable: 503,
};

/** The heading of the message page for a refusal, by status (403 "Not allowed", 409 "Not possible", …). */
function titleOf(status: number): string {
  if (status === 401) return "Sign in";
  if (status === 403) return "Not allowed";
  if (status === 404) return "Not found";
  if (status === 409) return "Not possible";
  return "Request refused";
}

/**
 * A refusal in the device API's terms (schemas/device-api/error.schema.json), or null when that API
 * has no code for it (answered as 500 internal). Hono's own refusals keep their status where the
 * API names it (413, 401, 404) and are malformed requests (400) otherwise.
 */
function asDeviceError(err: Error): DeviceError | null {
  if (err instanceof HTTPException) {
    const message = err.message;
    if (err.status === 413) return new DeviceError(413, "body_too_large", message || "The body is too large.");
    if (err.status === 401) return new DeviceError(401, "invalid_token", message || "Sign in first.");
    if (err.status === 404) return new DeviceError(404, "not_found", message || "Not found.");
    return new DeviceError(400, "malformed_json", message || "The request is malformed.");
  }
  if (err instanceof ValidationError) {
    const fields = Object.keys(err.fields).length ? { ...err.fields } : undefined;
    return new DeviceError(422, "validation_failed", err.message, fields);
  }
  if (err instanceof NotFoundError) return new DeviceError(404, "not_found", err.message);
  if (err instanceof ForbiddenError) return new DeviceError(403, "device_access_denied", err.message);
  return null;
}

/** The status a caught error answers with: a domain error's kind, an HTTPException's own status, else 500. */
export function statusOf(err: unknown): ContentfulStatusCode {
  if (err instanceof DomainError) return STATUS_OF_KIND[err.kind];
  if (err instanceof HTTPException) return err.status as ContentfulStatusCode;
  return 500;
}

/**
 * Turns any error thrown below a route into the answer, for the whole application (every `onError`
 * calls this):
 *   - database unreachable (UnavailableError) → 503 with Retry-After, logged as one line;
 *   - DeviceError → the device API's `{error: {code, message, fields?}}` with its own status;
 *   - a DomainError or an HTTPException under 500 → its status (STATUS_OF_KIND) with the message:
 *     under `/api/device/` as a device error, under other `/api/` as `{error: {code: "http_<status>"}}`,
 *     elsewhere as a message page;
 *   - anything else → 500, logged with its stack; the answer names only the request id.
 * `api` says which JSON shape a path under /api/ gets: "device" for the device API.
 */
export function errorResponse<E extends AppEnv>(
  context: Context<E>,
  err: Error,
  fallbackLog: Logger,
  api: "device" | "generic" = "generic",
): Response | Promise<Response> {
  const c = context as unknown as Context<AppEnv>;
  if (err instanceof UnavailableError) return serviceUnavailable(c, err, fallbackLog);
  if (err instanceof DeviceError) return sendDeviceError(c, err);
  const status = statusOf(err);
  const json = c.req.path.startsWith("/api/");
  if (json && api === "device" && status < 500) {
    const refusal = asDeviceError(err);
    if (refusal) return sendDeviceError(c, refusal);
  } else if (status < 500) {
    if (json) return c.json({ error: { code: `http_${status}`, message: err.message } }, status);
    return sendPage(
      c,
      <MessagePage title={titleOf(status)} message={err.message} csrfToken={c.var.csrfToken ?? ""} />,
      status,
    );
  }
  (c.var.log ?? fallbackLog).error("unhandled error", { error: err.message, stack: err.stack });
  const requestId = c.var.requestId ?? "";
  if (json && api === "device") {
    return sendDeviceError(c, new DeviceError(500, "internal", `Internal error (request ${requestId}).`));
  }
  if (json) return c.json({ error: { code: "internal", message: `Internal error (request ${requestId}).` } }, 500);
  return sendPage(
    c,
    <MessagePage
      title="Something went wrong"
      message={`An internal error occurred. Quote request id ${requestId} when you report it.`}
      csrfToken={c.var.csrfToken ?? ""}
    />,
    500,
  );
}
