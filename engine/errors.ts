// The kinds of refusal a service can throw. A service says what went wrong (a kind and a message
// a person can read); the web layer decides once, in engine/web/http/errors.tsx, which status and
// which page or JSON body that is. A route catches a domain error only to show it in place — a
// form again with the message in its field — never to pick a status.

/** What a domain error means to a caller; engine/web/http/errors.tsx maps each to one HTTP status. */
export type ErrorKind = "not_found" | "forbidden" | "conflict" | "validation" | "unavailable";

/** Base of every typed refusal of a service. `message` is shown to the user as it is: no secret in it. */
export abstract class DomainError extends Error {
  abstract readonly kind: ErrorKind;
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
 * Input the service refuses (HTTP 422). `fields` maps a field name to its message ("" for the form
 * as a whole); a form shows each message in that field's error slot.
 */
export class ValidationError extends DomainError {
  readonly kind = "validation" as const;
  constructor(
    message: string,
    readonly fields: Readonly<Record<string, string>> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A dependency (the database) cannot be reached; retrying later may succeed (HTTP 503 with Retry-After). */
export class UnavailableError extends DomainError {
  readonly kind = "unavailable" as const;
}
