import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { silentLogger, type Logger } from "../log.js";
import { verifyPassword } from "./passwords.js";
import { ACCOUNT_POLICY, ADDRESS_POLICY, accountKey, addressKey, Throttle } from "./throttle.js";
import { stripHash, type User, Users } from "./users.js";

export type PasswordCheck =
  { kind: "ok"; user: User } | { kind: "invalid" } | { kind: "throttled"; retryAfterSeconds: number };

/**
 * The password step of every sign-in (web and device). An unknown user, a wrong
 * password and a disabled account give the same answer after the same work.
 */
export class PasswordSignIn {
  readonly #users: Users;
  readonly #throttle: Throttle;

  constructor(
    db: Db,
    clock: Clock,
    /** Where an unreadable stored hash is reported (see verifyPassword). */
    private readonly log: Logger = silentLogger,
  ) {
    this.#users = new Users(db, clock);
    this.#throttle = new Throttle(db, clock);
  }

  async check(username: string, password: string, clientAddress: string | null): Promise<PasswordCheck> {
    // The address first: an address that is locked does not count against (or lock) the account.
    const address = clientAddress ? addressKey(clientAddress) : null;
    const byAddress = address ? await this.#throttle.claim(address, ADDRESS_POLICY) : null;
    if (byAddress && !byAddress.granted) return { kind: "throttled", retryAfterSeconds: byAddress.retryAfterSeconds };
    const account = accountKey("password", username);
    const byAccount = await this.#throttle.claim(account, ACCOUNT_POLICY);
    if (!byAccount.granted) {
      if (byAddress) await this.#throttle.refund(address!, byAddress);
      return { kind: "throttled", retryAfterSeconds: byAccount.retryAfterSeconds };
    }
    // Both attempts are counted already: concurrent wrong passwords cannot outrun the lock.
    const user = await this.#users.byUsername(username);
    const ok = await verifyPassword(
      user?.passwordHash,
      password,
      user ? this.log.child({ userId: user.id }) : this.log,
    );
    if (!ok || !user || user.disabled) return { kind: "invalid" };
    await this.#throttle.succeed(account, byAccount);
    // Many people may sign in from one address: a success there is not a failure, but it does not clear the others.
    if (byAddress) await this.#throttle.refund(address!, byAddress);
    return { kind: "ok", user: stripHash(user) };
  }
}
