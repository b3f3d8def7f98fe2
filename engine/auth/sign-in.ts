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
    const keys = [accountKey("password", username), ...(clientAddress ? [addressKey(clientAddress)] : [])];
    for (const key of keys) {
      const state = await this.#throttle.check(key);
      if (state.locked) return { kind: "throttled", retryAfterSeconds: state.retryAfterSeconds };
    }
    const user = await this.#users.byUsername(username);
    const ok = await verifyPassword(
      user?.passwordHash,
      password,
      user ? this.log.child({ userId: user.id }) : this.log,
    );
    if (!ok || !user || user.disabled) {
      await this.#throttle.fail(keys[0]!, ACCOUNT_POLICY);
      if (keys[1]) await this.#throttle.fail(keys[1], ADDRESS_POLICY);
      return { kind: "invalid" };
    }
    await this.#throttle.succeed(keys[0]!);
    return { kind: "ok", user: stripHash(user) };
  }
}
