import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";

export interface ThrottlePolicy {
  /** Consecutive failed attempts that trigger a lock (at least 2). */
  maxFailures: number;
  /** First lock length; each further lock doubles it. */
  baseLockSeconds: number;
  maxLockSeconds: number;
}

/** Passwords and codes per account: NIST SP 800-63B 5.2.2 — far fewer than 100 failures before a lock. */
export const ACCOUNT_POLICY: ThrottlePolicy = { maxFailures: 5, baseLockSeconds: 30, maxLockSeconds: 3600 };
/** Per client address: generous for shared NATs, still stops spraying many accounts. */
export const ADDRESS_POLICY: ThrottlePolicy = { maxFailures: 50, baseLockSeconds: 60, maxLockSeconds: 3600 };

/**
 * One attempt against a key. Counting it and checking the lock are one
 * statement, so however many requests arrive at once, at most maxFailures of
 * them are granted before a lock, and a burst raises the lock level once.
 */
export type Attempt =
  | {
      granted: true;
      /** This attempt was the one that filled the count: the key is locked from now on, unless it succeeds. */
      lockedNow: boolean;
      /** Length of the lock this attempt set (0 unless lockedNow). */
      retryAfterSeconds: number;
      /** The lock level when the attempt was counted; a success clears the counters only if no later lock came. */
      lockCount: number;
    }
  | { granted: false; retryAfterSeconds: number };

/**
 * Failure counters kept in PostgreSQL so every instance sees the same lock.
 *
 * An attempt is counted before it is checked (claim) and uncounted by a
 * success: a lock is never late, because the attempt that fills the count
 * sets the lock itself in the same statement (if that very attempt then
 * succeeds, the success lifts it). A check that throws stays counted.
 */
export class Throttle {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /**
   * Counts one attempt unless the key is locked, atomically (one INSERT … ON
   * CONFLICT DO UPDATE … WHERE not locked, which PostgreSQL runs on the latest
   * row under its row lock). Not granted: do not check anything, the key is locked.
   */
  async claim(key: string, policy: ThrottlePolicy): Promise<Attempt> {
    assertPolicy(policy);
    const now = this.clock.now();
    // Lock length for the level before this lock: base * 2^level seconds, at most maxLockSeconds
    // (the exponent is capped so power() cannot overflow). Seconds added to a timestamptz do not
    // depend on the session's time zone.
    const lockUntil = (level: string) =>
      `$2::timestamptz + make_interval(secs => least($4::float8 * power(2::float8, least(${level}, 30)), $5::float8))`;
    const { rows } = await this.db.query<{ lock_count: number; locked_until: Date | null }>(
      `INSERT INTO throttles AS t (key, failures, total_failures, lock_count, last_failure_at, locked_until)
       VALUES ($1, 1, 1, 0, $2, NULL)
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN t.failures + 1 >= $3 THEN 0 ELSE t.failures + 1 END,
         total_failures = t.total_failures + 1,
         last_failure_at = $2,
         lock_count = t.lock_count + CASE WHEN t.failures + 1 >= $3 THEN 1 ELSE 0 END,
         locked_until = CASE WHEN t.failures + 1 >= $3 THEN ${lockUntil("t.lock_count")} ELSE t.locked_until END
       WHERE t.locked_until IS NULL OR t.locked_until <= $2
       RETURNING lock_count, locked_until`,
      [key, now, policy.maxFailures, policy.baseLockSeconds, policy.maxLockSeconds],
    );
    const row = rows[0];
    if (!row) {
      const { rows: held } = await this.db.query<{ locked_until: Date | null }>(
        "SELECT locked_until FROM throttles WHERE key = $1",
        [key],
      );
      return { granted: false, retryAfterSeconds: Math.max(1, this.#secondsUntil(held[0]?.locked_until ?? null)) };
    }
    const retryAfterSeconds = this.#secondsUntil(row.locked_until);
    return { granted: true, lockedNow: retryAfterSeconds > 0, retryAfterSeconds, lockCount: row.lock_count };
  }

  /**
   * A success clears the counters, including the growth of lock times — unless
   * another attempt locked the key after this one was counted (a burst of
   * replays around one good code keeps its one lock).
   */
  async succeed(key: string, attempt: Attempt & { granted: true }): Promise<void> {
    await this.db.query("DELETE FROM throttles WHERE key = $1 AND lock_count = $2", [key, attempt.lockCount]);
  }

  /**
   * The attempt turned out not to be a failure (a correct password seen by the
   * per-address counter, a correct code that lost a race for other reasons):
   * it stops counting, unless a lock came since.
   */
  async refund(key: string, attempt: Attempt & { granted: true }): Promise<void> {
    await this.db.query(
      `UPDATE throttles SET failures = failures - 1, total_failures = total_failures - 1
       WHERE key = $1 AND lock_count = $2 AND failures > 0`,
      [key, attempt.lockCount],
    );
  }

  /** An administrator lifts a lock. */
  async unlock(key: string): Promise<boolean> {
    return (await this.db.query("DELETE FROM throttles WHERE key = $1", [key])).rowCount > 0;
  }

  #secondsUntil(until: Date | null): number {
    const ms = until ? new Date(until).getTime() - this.clock.now().getTime() : 0;
    return ms > 0 ? Math.ceil(ms / 1000) : 0;
  }
}

function assertPolicy(p: ThrottlePolicy): void {
  if (!Number.isInteger(p.maxFailures) || p.maxFailures < 2) throw new Error("maxFailures must be at least 2");
  if (!(p.baseLockSeconds > 0) || !(p.maxLockSeconds >= p.baseLockSeconds)) {
    throw new Error("lock seconds must be positive, base <= max");
  }
}

export const accountKey = (kind: "password" | "code", username: string) => `${kind}:account:${username.toLowerCase()}`;
export const addressKey = (address: string) => `password:address:${address}`;
