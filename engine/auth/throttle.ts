import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";

export interface ThrottlePolicy {
  /** Consecutive failures that trigger a lock. */
  maxFailures: number;
  /** First lock length; each further lock doubles it. */
  baseLockSeconds: number;
  maxLockSeconds: number;
}

/** Passwords and codes per account: NIST SP 800-63B 5.2.2 — far fewer than 100 failures before a lock. */
export const ACCOUNT_POLICY: ThrottlePolicy = { maxFailures: 5, baseLockSeconds: 30, maxLockSeconds: 3600 };
/** Per client address: generous for shared NATs, still stops spraying many accounts. */
export const ADDRESS_POLICY: ThrottlePolicy = { maxFailures: 50, baseLockSeconds: 60, maxLockSeconds: 3600 };

export interface ThrottleState {
  locked: boolean;
  retryAfterSeconds: number;
  failures: number;
}

/** Failure counters kept in PostgreSQL so every instance sees the same lock. */
export class Throttle {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async check(key: string): Promise<ThrottleState> {
    const { rows } = await this.db.query<{ failures: number; locked_until: Date | null }>(
      "SELECT failures, locked_until FROM throttles WHERE key = $1",
      [key],
    );
    return this.#state(rows[0]);
  }

  /** Counts one failure atomically; returns the state after it (locked when this failure tripped the lock). */
  async fail(key: string, policy: ThrottlePolicy): Promise<ThrottleState & { lockedNow: boolean }> {
    const now = this.clock.now();
    const { rows } = await this.db.query<{ failures: number; lock_count: number; locked_until: Date | null }>(
      `INSERT INTO throttles AS t (key, failures, total_failures, last_failure_at)
       VALUES ($1, 1, 1, $2)
       ON CONFLICT (key) DO UPDATE SET failures = t.failures + 1, total_failures = t.total_failures + 1,
         last_failure_at = $2
       RETURNING failures, lock_count, locked_until`,
      [key, now],
    );
    const row = rows[0]!;
    if (row.failures < policy.maxFailures) return { ...this.#state(row), lockedNow: false };
    const seconds = Math.min(policy.baseLockSeconds * 2 ** row.lock_count, policy.maxLockSeconds);
    const until = new Date(now.getTime() + seconds * 1000);
    await this.db.query(
      "UPDATE throttles SET failures = 0, lock_count = lock_count + 1, locked_until = $2 WHERE key = $1",
      [key, until],
    );
    return { locked: true, retryAfterSeconds: seconds, failures: row.failures, lockedNow: true };
  }

  /** A success clears the counters, including the growth of lock times. */
  async succeed(key: string): Promise<void> {
    await this.db.query("DELETE FROM throttles WHERE key = $1", [key]);
  }

  /** An administrator lifts a lock. */
  async unlock(key: string): Promise<boolean> {
    return (await this.db.query("DELETE FROM throttles WHERE key = $1", [key])).rowCount > 0;
  }

  #state(row: { failures: number; locked_until: Date | null } | undefined): ThrottleState {
    const now = this.clock.now().getTime();
    const until = row?.locked_until ? new Date(row.locked_until).getTime() : 0;
    return {
      locked: until > now,
      retryAfterSeconds: until > now ? Math.ceil((until - now) / 1000) : 0,
      failures: row?.failures ?? 0,
    };
  }
}

export const accountKey = (kind: "password" | "code", username: string) => `${kind}:account:${username.toLowerCase()}`;
export const addressKey = (address: string) => `password:address:${address}`;
