import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { foldSql } from "../db/fold.js";
import { type Sql, Statement, sql } from "../db/statement.js";
import { silentLogger, type Logger } from "../log.js";
import { credentialGate, type CredentialGate, runGated } from "./credential-gate.js";
import { verifyPassword } from "./passwords.js";
import {
  ACCOUNT_POLICY,
  ADDRESS_POLICY,
  accountKey,
  addressKey,
  type Attempt,
  type ClaimColumns,
  COMMIT_WITHOUT_FLUSH,
  heldUntil,
  Throttle,
} from "./throttle.js";
import { stripHash, type User, USER_COLUMNS_OF_U, type UserRow, userFromRow } from "./user-accounts.js";

/**
 * Result of checking a username and password: ok (with the user and whatever the caller computed,
 * X, and finished, F), invalid (no hint which part was wrong; `lockSeconds` when this attempt set
 * the account's lock), or throttled with the seconds to wait.
 */
export type PasswordCheck<X = undefined, F = undefined> =
  | { kind: "ok"; user: User; extra: X; finished: F }
  | { kind: "invalid"; lockSeconds?: number }
  | { kind: "throttled"; retryAfterSeconds: number };

/**
 * What a caller adds to the password step: `read`, columns joined to the
 * user's row in the step's first statement (the user's MFA state), and
 * `finish`, writes added to its second statement after a correct password (a
 * session, a device challenge or token), or none (the user may not sign in
 * here after all). Both are optional.
 */
export interface PasswordStepParts<X, F> {
  read?: { columns: Sql; joins: Sql; read(row: Record<string, unknown>): X };
  /**
   * `gate` is the credential gate (engine/auth/credential-gate.ts) every credential the finish
   * issues must be inserted through: the user's epoch read with the password hash still current.
   */
  finish?: (st: Statement, user: User, extra: X, gate: CredentialGate) => F;
}

type FirstRow = UserRow & {
  /** The claims as json_build_object returns them. */
  address: Record<string, unknown> | null;
  account: Record<string, unknown>;
} & Record<string, unknown>;

/**
 * The password step of every sign-in (web and device). An unknown user, a wrong
 * password and a disabled account give the same answer after the same work.
 * Two statements around Argon2: one counts the attempt per address and per
 * account and reads the user (and what the caller joins); after a correct
 * password one clears the counts and writes what the caller adds.
 */
export class PasswordSignIn {
  readonly #throttle: Throttle;

  constructor(
    private readonly db: Db,
    clock: Clock,
    /** Where an unreadable stored hash is reported (see verifyPassword). */
    private readonly log: Logger = silentLogger,
  ) {
    this.#throttle = new Throttle(db, clock);
  }

  /**
   * `lockKey` is the account lock this attempt counts against: by default the one shared by every
   * client; a known client's own (KnownClients.lockKey, a device cookie) keeps its own budget.
   */
  async check<X = undefined, F = undefined>(
    username: string,
    password: string,
    clientAddress: string | null,
    parts: PasswordStepParts<X, F> = {},
    lockKey: string = accountKey("password", username),
  ): Promise<PasswordCheck<X, F>> {
    const address = clientAddress ? addressKey(clientAddress) : null;
    const account = lockKey;
    const st = new Statement();
    // The address first: an address that is locked does not count against (or lock) the account.
    const addressKeySql = address ? st.param(address, "text") : null;
    const byAddress = addressKeySql ? this.#throttle.claimIn(st, addressKeySql, ADDRESS_POLICY) : null;
    const accountKeySql = st.param(account, "text");
    const byAccount = this.#throttle.claimIn(st, accountKeySql, ACCOUNT_POLICY, {
      when: byAddress ? sql`EXISTS (SELECT 1 FROM ${byAddress})` : undefined,
    });
    const claimColumns = (cte: Sql, key: Sql) =>
      sql`json_build_object('claimed_lock_count', ${cte}.lock_count, 'claimed_until', ${cte}.locked_until,
         'held_until', ${heldUntil(key)})`;
    const [row] = await st.run<FirstRow>(
      this.db,
      sql`SELECT ${byAddress ? claimColumns(byAddress, addressKeySql!) : sql`NULL`} AS address,
         ${claimColumns(byAccount, accountKeySql)} AS account,
         ${USER_COLUMNS_OF_U}
         , u.credential_epoch AS checked_epoch, ${COMMIT_WITHOUT_FLUSH} AS commit_without_flush
         ${parts.read ? sql`, ${parts.read.columns}` : sql``}
       FROM (SELECT 1) AS one
       ${byAddress ? sql`LEFT JOIN ${byAddress} ON true` : sql``}
       LEFT JOIN ${byAccount} ON true
       LEFT JOIN users u ON ${foldSql(sql`u.username`)} = ${foldSql(st.param(username, "text"))}
       ${parts.read?.joins ?? sql``}`,
    );
    const r = row!;
    let addressAttempt: Attempt | null = null;
    if (address) {
      addressAttempt = await this.#throttle.attemptFrom(address, claimed(r.address!));
      if (!addressAttempt.granted) return { kind: "throttled", retryAfterSeconds: addressAttempt.retryAfterSeconds };
    }
    const accountAttempt = await this.#throttle.attemptFrom(account, claimed(r.account));
    if (!accountAttempt.granted) {
      if (addressAttempt?.granted) await this.#throttle.refund(address!, addressAttempt);
      return { kind: "throttled", retryAfterSeconds: accountAttempt.retryAfterSeconds };
    }
    // Both attempts are counted already: concurrent wrong passwords cannot outrun the lock.
    const user = r.id ? userFromRow(r) : null;
    const ok = await verifyPassword(
      user?.passwordHash,
      password,
      user ? this.log.child({ userId: user.id }) : this.log,
    );
    // lockSeconds: this wrong attempt filled the account's count and set its lock (audited as a lock).
    if (!ok || !user || user.disabled) {
      // The claims were committed without a flush: durable before the failure is answered (one
      // write flushes both; the account's row, less contended than a shared address's).
      await this.#throttle.makeDurable(account);
      return accountAttempt.lockedNow
        ? { kind: "invalid", lockSeconds: accountAttempt.retryAfterSeconds }
        : { kind: "invalid" };
    }
    const signedIn = stripHash(user);
    const extra = parts.read ? parts.read.read(r) : (undefined as X);
    const done = new Statement();
    this.#throttle.succeedIn(done, account, accountAttempt);
    // Many people may sign in from one address: a success there is not a failure, but it does not clear the others.
    if (addressAttempt?.granted) this.#throttle.refundIn(done, address!, addressAttempt);
    // The epoch read with the hash must still be current when the credential is inserted: a
    // credential change that committed since (or is committing) leaves this sign-in with nothing.
    const gate = credentialGate.afterPassword(done, done.param(user.id, "uuid"), r.checked_epoch as number);
    const finished = parts.finish ? parts.finish(done, signedIn, extra, gate) : (undefined as F);
    const rows = await runGated<{ current: boolean }>(
      done,
      this.db,
      sql`SELECT EXISTS (SELECT 1 FROM ${gate}) AS current`,
    );
    if (!rows?.[0]?.current) {
      // The user was changed or deleted between the check and now: an ordinary failure.
      this.log.info("sign-in lost to a credential change", { userId: user.id });
      await this.#throttle.makeDurable(account);
      return { kind: "invalid" };
    }
    return { kind: "ok", user: signedIn, extra, finished };
  }
}

/** A claim's columns as json_build_object returns them (timestamps as text). */
function claimed(c: Record<string, unknown>): ClaimColumns {
  const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));
  return {
    claimed_lock_count: (c.claimed_lock_count as number | null) ?? null,
    claimed_until: date(c.claimed_until),
    held_until: date(c.held_until),
  };
}
