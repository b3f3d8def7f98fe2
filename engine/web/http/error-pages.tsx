import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { DomainError, RateLimitedError, UnavailableError, type ErrorKind } from "../../errors.js";
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
  unauthenticated: 401,
  rate_limited: 429,
  gone: 410,
};

/** Headings of the message page for the domain error codes that have their own (by `code`). */
const TITLE_OF_CODE: Readonly<Record<string, string>> = {
  setup_link_invalid: "Link not valid",
  mfa_setup_changed: "Setup not possible",
  import_preview_expired: "Preview expired",
};

/**
 * The heading of the message page for a refusal: its code's own heading, else by status (403 "Not
 * allowed", 409 "Not possible", …).
 */
function titleOf(status: number, err: Error): string {
  const own = err instanceof DomainError && err.code !== undefined ? TITLE_OF_CODE[err.code] : undefined;
  if (own) return own;
  if (status === 401) return "Sign in";
  if (status === 403) return "Not allowed";
  if (status === 404) return "Not found";
  if (status === 409) return "Not possible";
  return "Request refused";
}

/** The status a caught error answers with: a domain error's kind, an HTTPException's own status, else 500. */
export function statusOf(err: unknown): ContentfulStatusCode {
  if (err instanceof DomainError) return STATUS_OF_KIND[err.kind];
  if (err instanceof HTTPException) return err.status;
  return 500;
}

/**
 * Turns any error thrown below a route into the answer, for the whole application (every `onError`
 * calls this):
 *   - database unreachable (UnavailableError) → 503 with Retry-After, logged as one line;
 *   - a DomainError or an HTTPException under 500 → its status (STATUS_OF_KIND) with the message:
 *     under `/api/` as `{error: {code: "http_<status>"}}`, elsewhere as a message page; a
 *     RateLimitedError adds Retry-After;
 *   - anything else → 500, logged with its stack; the answer names only the request id.
 * The device API answers its refusals in its own format first (engine/web/device/device-errors.ts) and
 * hands the rest (503, 500) to this function.
 */
export function errorResponse<E extends AppEnv>(
  context: Context<E>,
  err: Error,
  fallbackLog: Logger,
): Response | Promise<Response> {
  const c = context as unknown as Context<AppEnv>;
  if (err instanceof UnavailableError) return serviceUnavailable(c, err, fallbackLog);
  const status = statusOf(err);
  const json = c.req.path.startsWith("/api/");
  if (status < 500) {
    if (err instanceof RateLimitedError) c.header("Retry-After", String(Math.max(1, err.retryAfterSeconds)));
    if (json) return c.json({ error: { code: `http_${status}`, message: err.message } }, status);
    return sendPage(
      c,
      <MessagePage title={titleOf(status, err)} message={err.message} csrfToken={c.var.csrfToken ?? ""} />,
      status,
    );
  }
  (c.var.log ?? fallbackLog).error("unhandled error", { error: err.message, stack: err.stack });
  const requestId = c.var.requestId ?? "";
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
