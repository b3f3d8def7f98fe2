import { isPgError, type Db } from "../db/db.js";
import { type Sql, sql, type Statement } from "../db/statement.js";

declare const gateBrand: unique symbol;

/**
 * The name of a CTE of a Statement with one row (`user_id`, `credential_epoch`) when a new
 * credential may be issued to that user now, and none otherwise. Only this module makes one, and
 * every insert of a credential (Sessions.createIn, DeviceTokens.issueIn, DeviceChallenges.issueIn,
 * and any later kind: recovery codes, passes, passkeys) takes one and copies its epoch into the new
 * row, so no way of signing in can skip the check.
 */
export type CredentialGate = Sql & { readonly [gateBrand]: true };

/**
 * The one gate of every sign-in (issue 20, fault 1). `users.credential_epoch` is bumped by every
 * credential change in its transaction (CredentialRevocation.revoke, before it deletes anything), and
 * a credential is valid only while the epoch it carries is its user's. The gate reads the user's row
 * FOR SHARE: a change in flight (its transaction holds the row) makes the insert wait for its commit
 * and then see the new epoch, so a sign-in whose password was checked before the change issues
 * nothing; a user deleted meanwhile has no row, so the sign-in is an ordinary failure rather than a
 * foreign-key violation.
 */
export const credentialGate = {
  /**
   * After a password check: the user `userId` (an SQL expression) still has the epoch `epoch`
   * that was read with the password hash, and is not disabled.
   */
  afterPassword(st: Statement, userId: Sql, epoch: number): CredentialGate {
    return st.with(
      "gate",
      sql`SELECT id AS user_id, credential_epoch FROM users
       WHERE id = ${userId} AND credential_epoch = ${st.param(epoch, "int")} AND NOT disabled FOR SHARE`,
    ) as CredentialGate;
  },

  /**
   * Continuing a half-finished sign-in: `from` is a CTE whose rows carry the `user_id` and
   * `credential_epoch` of the credential it used up (a half-signed-in session, a device challenge);
   * its epoch must still be the user's.
   */
  continuing(st: Statement, from: Sql): CredentialGate {
    return st.with(
      "gate",
      sql`SELECT u.id AS user_id, u.credential_epoch FROM ${from} f
       JOIN users u ON u.id = f.user_id AND u.credential_epoch = f.credential_epoch
       WHERE NOT u.disabled FOR SHARE OF u`,
    ) as CredentialGate;
  },

  /**
   * Issuing without a sign-in step (an administrator's console, tests): the user's epoch as it is
   * now.
   */
  current(st: Statement, userId: Sql): CredentialGate {
    return st.with(
      "gate",
      sql`SELECT id AS user_id, credential_epoch FROM users WHERE id = ${userId} FOR SHARE`,
    ) as CredentialGate;
  },
};

/** The SQL condition, on `credential` (a credential row) and `user` (its users row), of a valid credential. */
export function epochIsCurrent(credential: Sql, user: Sql): Sql {
  return sql`${credential}.credential_epoch = ${user}.credential_epoch`;
}

/**
 * Runs a statement that issues credentials through a gate, for its final rows. A statement that
 * raced a credential change on PostgreSQL can lose in two more ways than an empty gate: a deadlock
 * with the change's transaction (40P01, PostgreSQL aborts one side) or the user's row deleted under
 * the insert (23503). Both mean the same as an empty gate — the change won — so they return null
 * (the caller answers as for a refused sign-in) instead of a 500.
 */
export async function runGated<T>(st: Statement, db: Db, select: Sql): Promise<T[] | null> {
  try {
    return await st.run<T>(db, select);
  } catch (err) {
    if (isPgError(err, "40P01") || isPgError(err, "23503")) return null;
    throw err;
  }
}
