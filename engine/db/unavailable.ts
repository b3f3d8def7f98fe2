import { UnavailableError } from "../errors.js";

/**
 * The database cannot be reached (stopped, restarting, network gone, pool connection timeout). Thrown
 * by the Db layer in place of node-postgres's connection errors, so the HTTP layer answers
 * 503 with Retry-After instead of 500 and logs one line instead of a stack. Not a bug: it passes
 * when PostgreSQL is back, and the pool reconnects by itself.
 */
export class DatabaseUnavailableError extends UnavailableError {
  /** The driver's code (ECONNREFUSED, 57P01, …) or a short reason, for the log line. */
  readonly reason: string;

  constructor(cause: unknown) {
    const err = cause as { code?: unknown; message?: unknown };
    const message = typeof err?.message === "string" ? err.message : String(cause);
    super(`The database is unavailable: ${message}`, { cause });
    this.reason = typeof err?.code === "string" && err.code ? err.code : message.slice(0, 80);
  }
}

/** Socket errors of a connection that could not be made or was lost. */
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * PostgreSQL SQLSTATEs of an unreachable server: class 08 (connection exception), 57P01-57P03
 * (admin shutdown, crash shutdown, cannot connect now: starting up or shutting down), 53300 (too
 * many connections) and 57014 (query canceled: statement_timeout, a server too slow to answer in
 * time), PostgreSQL 15 Appendix A.
 */
const UNAVAILABLE_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[123]|53300|57014)$/;

/** node-postgres's own messages for a lost connection and for the pool's connectionTimeoutMillis. */
const DRIVER_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Connection closed$/,
  // query_timeout: the server did not answer at all (frozen, or the network drops everything).
  /^Query read timeout$/,
];

/** True when an error from node-postgres means the server is unreachable rather than the query wrong. */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return true;
  if (typeof err !== "object" || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === "string" && (SOCKET_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
  return typeof message === "string" && DRIVER_MESSAGES.some((re) => re.test(message));
}

/** The error as the Db layer throws it: a DatabaseUnavailableError for a connection error, else itself. */
export function classifyDbError(err: unknown): unknown {
  return isConnectionError(err) && !(err instanceof DatabaseUnavailableError) ? new DatabaseUnavailableError(err) : err;
}

/**
 * True for a write the disk refused: SQLSTATE 53100 (disk_full) or the system's "No space left on
 * device" (ENOSPC) in the message, from PostgreSQL or PGlite.
 */
export function isDiskFull(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  return (
    code === "53100" || code === "ENOSPC" || (typeof message === "string" && /no space left on device/i.test(message))
  );
}
