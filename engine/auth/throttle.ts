import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { foldKey } from "../db/fold.js";
import { type Sql, Statement, sql } from "../db/statement.js";

/**
 * When sign-in attempts are locked out: after `maxFailures` failures in a row, for
 * `baseLockSeconds` doubling per further lock up to `maxLockSeconds`.
 */
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
    const st = new Statement();
    const k = st.param(key, "text");
    const claimed = this.claimIn(st, k, policy);
    const [row] = await st.run<ClaimColumns>(
      this.db,
      sql`SELECT c.lock_count AS claimed_lock_count, c.locked_until AS claimed_until, ${heldUntil(k)} AS held_until
       FROM (SELECT 1) AS one LEFT JOIN ${claimed} c ON true`,
    );
    return this.attemptFrom(key, row!);
  }

  /**
   * claim as a part of a larger statement: adds a CTE (its name is returned)
   * that has a row (lock_count, locked_until) for each attempt counted. `key`
   * is an SQL expression (a placeholder, or a column of `from`); with `from`
   * (a CTE) one attempt is counted per row of it that satisfies `when`, with
   * `when` alone (another CTE's EXISTS) at most one. Read the outcome with
   * attemptFrom, selecting heldUntil(key) beside it.
   */
  claimIn(st: Statement, key: Sql, policy: ThrottlePolicy, opts: { from?: Sql; when?: Sql } = {}): Sql {
    assertPolicy(policy);
    const now = st.param(this.clock.now(), "timestamptz");
    const max = st.param(policy.maxFailures, "int");
    // Lock length for the level before this lock: base * 2^level seconds, at most maxLockSeconds
    // (the exponent is capped so power() cannot overflow). Seconds added to a timestamptz do not
    // depend on the session's time zone.
    const lockUntil = sql`${now} + make_interval(secs => least(${st.param(policy.baseLockSeconds, "float8")}
      * power(2::float8, least(t.lock_count, 30)), ${st.param(policy.maxLockSeconds, "float8")}))`;
    return st.with(
      "claim",
      sql`INSERT INTO throttles AS t (key, failures, total_failures, lock_count, last_failure_at, locked_until)
       SELECT ${key}, 1, 1, 0, ${now}, NULL::timestamptz ${opts.from ? sql`FROM ${opts.from}` : sql``}
       ${opts.when ? sql`WHERE ${opts.when}` : sql``}
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN t.failures + 1 >= ${max} THEN 0 ELSE t.failures + 1 END,
         total_failures = t.total_failures + 1,
         last_failure_at = ${now},
         lock_count = t.lock_count + CASE WHEN t.failures + 1 >= ${max} THEN 1 ELSE 0 END,
         locked_until = CASE WHEN t.failures + 1 >= ${max} THEN ${lockUntil} ELSE t.locked_until END
       WHERE t.locked_until IS NULL OR t.locked_until <= ${now}
       RETURNING lock_count, locked_until`,
    );
  }

  /**
   * The attempt a claimIn part counted (or refused). Refused, the lock's end
   * comes from the statement's snapshot; when that snapshot predates the lock
   * (a concurrent attempt set it), one more read finds it.
   */
  async attemptFrom(key: string, row: ClaimColumns): Promise<Attempt> {
    if (row.claimed_lock_count === null || row.claimed_lock_count === undefined) {
      let until = row.held_until;
      if (this.#secondsUntil(until) === 0) {
        const { rows } = await this.db.query<{ locked_until: Date | null }>(
          "SELECT locked_until FROM throttles WHERE key = $1",
          [key],
        );
        until = rows[0]?.locked_until ?? null;
      }
      return { granted: false, retryAfterSeconds: Math.max(1, this.#secondsUntil(until)) };
    }
    const retryAfterSeconds = this.#secondsUntil(row.claimed_until);
    return { granted: true, lockedNow: retryAfterSeconds > 0, retryAfterSeconds, lockCount: row.claimed_lock_count };
  }

  /**
   * A success clears the counters, including the growth of lock times — unless
   * another attempt locked the key after this one was counted (a burst of
   * replays around one good code keeps its one lock).
   */
  async succeed(key: string, attempt: Attempt & { granted: true }): Promise<void> {
    const st = new Statement();
    this.succeedIn(st, key, attempt);
    await st.run(this.db, sql`SELECT 1`);
  }

  /** succeed as a part of a larger statement; with `gate` (a CTE) only when it has a row. */
  succeedIn(st: Statement, key: string, attempt: Attempt & { granted: true }, gate?: Sql): void {
    st.with(
      "succeed",
      sql`DELETE FROM throttles WHERE key = ${st.param(key, "text")} AND lock_count = ${st.param(attempt.lockCount, "int")}
       ${gate ? sql`AND EXISTS (SELECT 1 FROM ${gate})` : sql``}`,
    );
  }

  /**
   * The attempt turned out not to be a failure (a correct password seen by the
   * per-address counter, a correct code that lost a race for other reasons):
   * it stops counting, unless a lock came since.
   */
  async refund(key: string, attempt: Attempt & { granted: true }): Promise<void> {
    const st = new Statement();
    this.refundIn(st, key, attempt);
    await st.run(this.db, sql`SELECT 1`);
  }

  /** refund as a part of a larger statement. */
  refundIn(st: Statement, key: string, attempt: Attempt & { granted: true }): void {
    st.with(
      "refund",
      sql`UPDATE throttles SET failures = failures - 1, total_failures = total_failures - 1
       WHERE key = ${st.param(key, "text")} AND lock_count = ${st.param(attempt.lockCount, "int")} AND failures > 0`,
    );
  }

  /**
   * Makes a counted failure durable before it is answered, when its claim was committed without a
   * flush (COMMIT_WITHOUT_FLUSH): a synchronous commit of a write flushes the WAL up to itself, which
   * includes every commit before it — the claim's, whichever rows it wrote. So one row is written,
   * `key`'s, the one the claim counted (a new version with the same values); a row that is gone was
   * deleted by a synchronous commit after the claim (a success, an administrator's unlock), whose
   * flush covered it. One row, never two: a claim takes the address's row and then the account's,
   * and a write taking both in the table's order waited for such a claim while holding what it
   * wanted (a deadlock, 40P01: a 500).
   */
  async makeDurable(key: string): Promise<void> {
    await this.db.query("UPDATE throttles SET failures = failures WHERE key = $1", [key]);
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

/**
 * A column for the final query of a statement that claims attempts (claimIn) on the sign-in hot
 * path: the statement's own transaction commits without waiting for its WAL flush
 * (`synchronous_commit = off` for that transaction only: set_config's `is_local`; PostgreSQL
 * manual, "Asynchronous Commit"). The claim is visible to every concurrent attempt at once, so the
 * lockout is as strict; only its durability is deferred, and every answer the claim can lead to
 * waits for a flush that covers it: a success's finishing statement commits synchronously, and WAL
 * is flushed in order, so the claim's commit record goes with it; a failure is answered after
 * Throttle.makeDurable. Saves one WAL flush (about 0.15 ms of backend CPU and the fsync wait) per
 * password step and per TOTP step (engine/mfa/code-verification.ts: its lock setter is made durable
 * before its code is checked, which keeps a burst's claims in order). Only for a
 * statement on a top-level connection, never inside a transaction handle (it would make the whole
 * transaction's commit asynchronous).
 */
export const COMMIT_WITHOUT_FLUSH = sql`set_config('synchronous_commit', 'off', true)`;

/** The columns attemptFrom reads: the claimIn CTE's row (null when refused) and the lock as the statement saw it. */
export interface ClaimColumns {
  claimed_lock_count: number | null;
  claimed_until: Date | null;
  held_until: Date | null;
}

/** The lock's end for a key (an SQL expression), as a scalar subquery to select beside a claimIn part. */
export const heldUntil = (key: Sql): Sql => sql`(SELECT locked_until FROM throttles WHERE key = ${key})`;

function assertPolicy(p: ThrottlePolicy): void {
  if (!Number.isInteger(p.maxFailures) || p.maxFailures < 2) throw new Error("maxFailures must be at least 2");
  if (!(p.baseLockSeconds > 0) || !(p.maxLockSeconds >= p.baseLockSeconds)) {
    throw new Error("lock seconds must be positive, base <= max");
  }
}

/**
 * Throttle key of one account for password or code attempts; the username is lower-cased so case
 * variants share one counter.
 */
export const accountKey = (kind: "password" | "code", username: string) => `${kind}:account:${foldKey(username)}`;
/** Throttle key of one client address (IP) for password attempts, whatever the username. */
export const addressKey = (address: string) => `password:address:${address}`;
