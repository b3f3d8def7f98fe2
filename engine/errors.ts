// The kinds of refusal a service can throw. A service says what went wrong (a kind, a machine code
// and a message a person can read); the web layer decides once which status and which page or JSON
// body that is: engine/web/http/error-pages.tsx for pages and /api/, engine/web/device/device-errors.ts for the
// device API. A route catches a domain error only to show it in place — a form again with the
// message in its field — never to pick a status.

/** What a domain error means to a caller; engine/web/http/error-pages.tsx maps each to one HTTP status. */
export type ErrorKind =
  "not_found" | "forbidden" | "conflict" | "validation" | "unavailable" | "unauthenticated" | "rate_limited" | "gone";

/**
 * What a domain error may carry beside its message: `code`, a machine-readable reason in
 * snake_case (e.g. "wrong_step", "invalid_code"; the device API sends it as `error.code` when its
 * schema names it), and `details`, more facts a client may be shown (JSON values, no secret: a
 * conflict's current version, say).
 */
export interface DomainErrorOptions extends ErrorOptions {
  code?: string;
  details?: Readonly<Record<string, unknown>>;
}

/** Base of every typed refusal of a service. `message` is shown to the user as it is: no secret in it. */
export abstract class DomainError extends Error {
  abstract readonly kind: ErrorKind;
  /** The machine-readable reason, or undefined for the kind's plain meaning. */
  readonly code: string | undefined;
  /** More facts for a client (see DomainErrorOptions); undefined when none. */
  readonly details: Readonly<Record<string, unknown>> | undefined;
  constructor(message: string, options?: DomainErrorOptions) {
    super(message, options);
    this.code = options?.code;
    this.details = options?.details;
  }
}

/** The thing asked for does not exist (any more), or is not visible to the caller (HTTP 404). */
export class NotFoundError extends DomainError {
  readonly kind = "not_found" as const;
}

/** The caller may not do this (HTTP 403). */
export class ForbiddenError extends DomainError {
  readonly kind = "forbidden" as const;
}

/** The request is valid but the stored state does not allow it now: a newer version, a token in use (HTTP 409). */
export class ConflictError extends DomainError {
  readonly kind = "conflict" as const;
}

/**
 * Input the service refuses (HTTP 422). `fields` maps a field name (or a JSON Pointer, RFC 6901) to
 * its message ("" for the form as a whole); a form shows each message in that field's error slot.
 */
export class ValidationError extends DomainError {
  readonly kind = "validation" as const;
  constructor(
    message: string,
    readonly fields: Readonly<Record<string, string>> = {},
    options?: DomainErrorOptions,
  ) {
    super(message, options);
  }
}

/** A dependency (the database) cannot be reached; retrying later may succeed (HTTP 503 with Retry-After). */
export class UnavailableError extends DomainError {
  readonly kind = "unavailable" as const;
}

/**
 * The caller did not prove who they are: a wrong password or code, a sign-in step that expired, a
 * token that is no longer valid (HTTP 401).
 */
export class UnauthenticatedError extends DomainError {
  readonly kind = "unauthenticated" as const;
}

/** Too many failed attempts: refused until `retryAfterSeconds` (whole seconds) have passed (HTTP 429 with Retry-After). */
export class RateLimitedError extends DomainError {
  readonly kind = "rate_limited" as const;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: DomainErrorOptions,
  ) {
    super(message, options);
  }
}

/** The thing asked for existed but is gone for good (an expired sync cursor): start again (HTTP 410). */
export class GoneError extends DomainError {
  readonly kind = "gone" as const;
}
