import type { SignInAudit } from "../audit/sign-in-audit.js";
import { type Logger, silentLogger } from "../log.js";
import { verifyPassword } from "./passwords.js";
import type { KnownClients } from "./known-clients.js";
import { ACCOUNT_POLICY, type Throttle } from "./throttle.js";
import type { UserAccounts, UserWithHash } from "./user-accounts.js";

/**
 * What PasswordConfirmation.confirm found: `ok` (the password is the user's; the account's count of
 * failures is cleared), `wrong` (it is not, or the user is gone; the failure is counted), or
 * `locked` (the account's password lock holds: the password was not checked, whether right or
 * wrong; `retryAfterSeconds`, whole seconds, until the lock lifts).
 */
export type Confirmation = { kind: "ok" } | { kind: "wrong" } | { kind: "locked"; retryAfterSeconds: number };

/**
 * The words for a locked account wherever its current password is asked, the sign-in form's: "Too
 * many failed attempts. Try again in N seconds." The same for a right and a wrong password.
 */
export const tooManyAttempts = (retryAfterSeconds: number): string =>
  `Too many failed attempts. Try again in ${retryAfterSeconds} seconds.`;

/**
 * The browser that answers: its device cookie (DEVICE_COOKIE, or undefined), which decides whose
 * password lock a check counts against (KnownClients.lockKey), and its client address (TRUST_PROXY
 * aware), which the audit entry of a wrong password or a lock records.
 */
export interface AskingBrowser {
  deviceCookie: string | undefined;
  address: string | null;
}

/**
 * A signed-in user's current password, asked again before what a session alone may not do (a new
 * password, removing a factor, new recovery codes, adding a passkey). Each check counts against the
 * password lock the sign-in form would use for this browser (KnownClients.lockKey, ACCOUNT_POLICY,
 * NIST SP 800-63B 5.2.2): the browser's own when its device cookie names this user, else the one
 * shared by clients the account does not know. So a stolen session guesses no faster than the
 * sign-in form allows, guesses here and there add up, and someone guessing from elsewhere cannot
 * lock the owner's own browser out of these changes. The
 * attempt is counted before Argon2 runs (Throttle.claim, a synchronous commit): concurrent guesses
 * cannot outrun the lock, and a locked account is refused without the password being checked. A
 * right password clears the count, as a sign-in does (Throttle.succeed). A wrong one is audited as
 * the sign-in form's is (`sign_in.password`, outcome failure at most once per burst, or locked with
 * the lock's length when it set the lock; surface web).
 */
export class PasswordConfirmation {
  constructor(
    private readonly users: UserAccounts,
    private readonly throttle: Throttle,
    private readonly knownClients: KnownClients,
    private readonly signInAudit: Pick<SignInAudit, "failure">,
    /** Where an unreadable stored hash (see verifyPassword) and a lock set here are reported. */
    private readonly log: Logger = silentLogger,
  ) {}

  /**
   * Checks `password` (as typed; callers ask for an empty one before calling) against the user's
   * (`who`: an id, read here, or the account a caller has read already), counted against the lock
   * of `browser` (AskingBrowser). Returns a Confirmation; throws only what the database throws (the
   * attempt then stays counted).
   */
  async confirm(who: string | UserWithHash, password: string, browser: AskingBrowser): Promise<Confirmation> {
    const user = typeof who === "string" ? await this.users.byId(who) : who;
    if (!user) return { kind: "wrong" };
    const userId = user.id;
    const { key } = this.knownClients.lockKey(user.username, browser.deviceCookie);
    const attempt = await this.throttle.claim(key, ACCOUNT_POLICY);
    if (!attempt.granted) return { kind: "locked", retryAfterSeconds: attempt.retryAfterSeconds };
    const log = this.log.child({ userId });
    if (!(await verifyPassword(user.passwordHash, password, log))) {
      if (attempt.lockedNow) log.info("current password locked", { lockSeconds: attempt.retryAfterSeconds });
      const lockSeconds = attempt.lockedNow ? attempt.retryAfterSeconds : undefined;
      await this.signInAudit.failure(
        { id: userId },
        "password",
        { surface: "web", address: browser.address },
        lockSeconds,
        true,
      );
      return { kind: "wrong" };
    }
    await this.throttle.succeed(key, attempt);
    return { kind: "ok" };
  }
}
