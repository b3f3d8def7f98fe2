import type { Db } from "../db/db.js";

/**
 * The kinds of mail Formgate sends and the facts each is written from. A mail's facts are stored
 * in its outbox row (mail_outbox.details) and never hold a secret: no code, pass, key or password.
 */

/** Security notices to the user whose account changed (see MailOutbox.notify). */
export const NOTICE_KINDS = [
  "mfa_enabled",
  "mfa_deadline_moved",
  "mfa_activated",
  "mfa_reset",
  "mfa_disabled",
  "password_changed",
  "mfa_locked",
  "recovery_code_used",
  "recovery_codes_new",
  "access_pass_issued",
  "passkey_added",
] as const;

/** A security notice (or the "MFA switched on" mail) that MailOutbox.notify enqueues. */
export type NoticeKind = (typeof NOTICE_KINDS)[number];

/** Every kind of mail: the notices, reminders (scheduled or sent by hand), the administrators' lock notice, a test mail. */
export type MailKind = NoticeKind | "mfa_reminder" | "mfa_reminder_now" | "admin_user_locked" | "test";

/** Where a mail stands: waiting, being sent (claimed by an instance), sent, failed for good, or skipped (no address). */
export type MailState = "queued" | "sending" | "sent" | "failed" | "skipped";

/** The facts a mail is written from, as stored in its outbox row. Dates are ISO 8601 strings (RFC 3339). */
export interface MailFacts {
  siteName?: string;
  username?: string;
  displayName?: string;
  /** The user's MFA deadline (enforcement), when MFA is on. */
  deadline?: string | null;
  /** The site's time zone (IANA name) the mail shows dates in; absent (mails queued before): UTC. */
  timeZone?: string;
  /** The serial number of a hardware token reserved for the user (not yet assigned), or null. */
  reservedToken?: string | null;
  /** The user's enforcement delay in whole days (0: MFA is required at once). */
  delayDays?: number;
  /** mfa_reminder: the step, "7" (days before) … or "overdue". */
  step?: string;
  /** admin_user_locked: the locked user's name. */
  lockedUser?: string;
  /** mfa_locked, admin_user_locked: the lock's length in seconds. */
  lockSeconds?: number;
  /** mfa_activated: "app", "hardware" or "passkey". */
  method?: string;
  /** The site policy's allowed methods ("passkey", "app", "hardware"), added when the mail is sent (MailDelivery). */
  allowedMethods?: string[];
  /** When the mail is written (ISO 8601), added when it is sent: a deadline not after it has passed. */
  writtenAt?: string;
  /** Whether the site's policy allows passwordless sign-in with a passkey, added when the mail is sent. */
  passkeySignIn?: boolean;
  [more: string]: unknown;
}

/** A mail ready for the wire: subject, plain text and HTML. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** One outbox row as the console lists it (no body: that is written only when sent). */
export interface OutboxEntry {
  id: string;
  kind: MailKind;
  state: MailState;
  toAddress: string | null;
  userId: string | null;
  username: string | null;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
  nextAttemptAt: Date;
}

/** The reason shown for a queued mail while SMTP_URL is unset. */
export const NOT_CONFIGURED = "not sent: e-mail is not configured";
/** The reason of a mail skipped because its user has no address. */
export const NO_ADDRESS = "no e-mail address";

/** How many mails an enqueue wrote: queued for sending and skipped (the user has no address). */
export interface Enqueued {
  queued: number;
  skipped: number;
}

/** Facts a caller adds to a notice (never a secret). */
export type NoticeDetails = Record<string, string | number | boolean | null>;

/**
 * The one function other services call to send a security notice: MailOutbox.notify, which
 * enqueues inside the caller's transaction `tx` with one statement. See there.
 */
export interface Notices {
  notify(tx: Db, userIds: string | readonly string[], kind: NoticeKind, details?: NoticeDetails): Promise<Enqueued>;
}

/** Notices that go nowhere: for a service built without e-mail (a test of something else). */
export const NO_NOTICES: Notices = { notify: () => Promise.resolve({ queued: 0, skipped: 0 }) };
