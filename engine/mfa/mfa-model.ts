import type { SignInContext } from "../audit/sign-in-audit.js";
import type { Sql } from "../db/statement.js";
import { NotFoundError, ValidationError } from "../errors.js";
import type { Attempt } from "../auth/throttle.js";
import type { MfaMethod } from "./status.js";
import type { TotpAlgorithm } from "./totp.js";

/** Who makes a change. siteId is the site they work on; null (CLI, system) is not site-scoped. */
export interface MfaActor {
  id: string | null;
  name: string;
  siteId: string | null;
  /**
   * The token hash of the session or device challenge the actor acts with: a
   * user changing their own MFA keeps it, every other credential ends.
   */
  credential?: Buffer;
}

/**
 * How tolerant code checks are. A step is one TOTP time step (RFC 6238 §4,
 * X = the enrollment's period, 30 s for an authenticator app); a window of n
 * steps accepts the codes of n steps either side of the centre.
 */
export interface MfaPolicy {
  /** Steps accepted either side of the remembered drift at sign-in (1 = ±30 s). */
  windowSteps: number;
  /** A hardware token may have drifted on the shelf: a wider window when it is first activated. */
  hardwareActivationWindowSteps: number;
  /** An authenticator-app setup page stays valid this long. */
  pendingSecretSeconds: number;
}

/**
 * ±1 step at sign-in, ±10 steps when a hardware token is activated, 30 minutes for a setup page's
 * key: six times the 5 minutes of a half-signed-in session, so a user whose sign-in ran out while
 * they scanned the key can sign in again and finish with the same key.
 */
export const DEFAULT_MFA_POLICY: MfaPolicy = {
  windowSteps: 1,
  hardwareActivationWindowSteps: 10,
  pendingSecretSeconds: 1800,
};

/**
 * What an activation enrolls: the shared secret (raw key bytes, RFC 4226 §4 K)
 * and the TOTP parameters of RFC 6238 §4 (HMAC algorithm, digits, period X in
 * seconds). Checked by assertTotpParams; the secret is sealed before it is stored.
 */
export interface EnrollmentInput {
  method: MfaMethod;
  secret: Uint8Array;
  algorithm: TotpAlgorithm;
  digits: 6 | 8;
  periodInSeconds: number;
  /** Hardware tokens: the registry id (assignment) and the serial shown in the status message. */
  tokenId?: string;
  tokenSerial?: string;
}

/** The administrator's two MFA fields of a user: the slider and the enforcement delay in whole days. */
export interface MfaSettingsInput {
  enabled: boolean;
  enforcementDelayDays: number;
}

/** What the first statement of a code check found (CodeVerification.startCodeCheck). */
export type CodeCheckOutcome =
  | { kind: "ineligible" }
  | { kind: "done"; result: Exclude<CodeCheck, { ok: true }> }
  | {
      kind: "matched";
      userId: string;
      step: number;
      drift: number;
      attempt: Attempt & { granted: true };
      /** The sign-in's surface and address, for a lock's audit entry. */
      where?: SignInContext;
    };

/**
 * The answer to a code: the accepted TOTP step (RFC 6238 §4 T) or a refusal with
 * the seconds until the lock ends. Wrong and locked give the same answer to the
 * user; the reason is for logs and the admin.
 */
export type CodeCheck =
  { ok: true; step: number } | { ok: false; reason: "invalid" | "locked" | "not_enrolled"; retryAfterSeconds: number };

/**
 * How an activation may go: `replace` lets an activated user's factor be replaced (see
 * EnrollmentActivation.activate); `where` is the setup step's surface and client address, for the
 * audit entry of a lock its wrong code sets.
 */
export interface ActivationOptions {
  replace?: boolean;
  where?: SignInContext;
}

/** The answer to an activation; retryAfterSeconds is non-zero only for "locked". */
export type ActivationResult =
  | { ok: true }
  | {
      ok: false;
      reason: "invalid" | "locked" | "not_enabled" | "already_active" | "token_taken" | "expired";
      retryAfterSeconds: number;
    };

/** A bad value for one of the administrator's MFA fields: a ValidationError (400) with that field's message. */
export class MfaInputError extends ValidationError {
  constructor(
    readonly field: "enabled" | "enforcementDelayDays",
    message: string,
  ) {
    super(message, { [field]: message });
  }
}

/** The user does not exist, or belongs to a site the actor is not working on. */
export class MfaAccessError extends NotFoundError {}

/** The longest enforcement delay an administrator may set, in days (ten years). */
export const MAX_ENFORCEMENT_DELAY_DAYS = 3650;

/** Failed codes are counted per account id, so renaming a user does not reset them. */
export const codeThrottleKey = (userId: string) => `code:user:${userId}`;

/**
 * Columns and joins another service adds to a read of the users table (alias
 * `u`, with no row when the user is unknown), and how to read the result: the
 * password step reads the user's MFA state in its one statement this way.
 */
export interface JoinedRead<X> {
  columns: Sql;
  joins: Sql;
  read(row: Record<string, unknown>): X;
}
