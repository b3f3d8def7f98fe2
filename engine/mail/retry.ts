/**
 * When a failed mail is tried again: the first retry within a minute, then growing delays up to an
 * hour; after the last one the mail is failed. A failure is permanent when the SMTP server answered
 * with a 5xx reply code (RFC 5321 §4.2.1), temporary otherwise (a 4xx reply, a refused or dropped
 * connection, a timeout).
 */

/** Seconds to wait before try n+1, after try n (1-based) failed: 30 s, 2 min, 5, 15, 30, 60, 60, 60 min. */
const DELAYS_SECONDS = [30, 120, 300, 900, 1800, 3600, 3600, 3600];

/** The number of tries before a mail that keeps failing for a temporary reason is failed. */
export const MAX_ATTEMPTS = DELAYS_SECONDS.length + 1;

/** The delay in seconds after the `attempts`-th try failed, or null when that was the last try. */
export function retryDelaySeconds(attempts: number): number | null {
  return DELAYS_SECONDS[attempts - 1] ?? null;
}

/**
 * Whether a send error (nodemailer's: `responseCode`, `response`, `code`) is permanent, and the
 * reason to show: the server's reply ("550 5.1.1 No such user") or the connection error. Never
 * holds a credential: nodemailer's messages name the host and port, not the URL's password.
 */
export function classifyFailure(err: unknown): { permanent: boolean; reason: string } {
  const e = (err ?? {}) as { responseCode?: unknown; response?: unknown; code?: unknown; message?: unknown };
  const code = typeof e.responseCode === "number" ? e.responseCode : null;
  const text =
    typeof e.response === "string" && e.response ? e.response : typeof e.message === "string" ? e.message : String(err);
  const reason = text.replace(/\s+/g, " ").slice(0, 300);
  return { permanent: code !== null && code >= 500 && code < 600, reason };
}
