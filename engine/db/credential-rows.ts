import type { Db } from "./db.js";

/**
 * The tables that hold a user's credentials, each with the column of the credential's SHA-256 hash;
 * null for the kinds a user never acts with (recovery codes, access passes, remembered browsers),
 * which are all deleted and never kept.
 */
export type CredentialTable =
  | { table: "sessions"; hashColumn: "token_hash" }
  | { table: "device_tokens"; hashColumn: "token_hash" }
  | { table: "device_challenges"; hashColumn: "challenge_hash" }
  | { table: "mfa_recovery_codes"; hashColumn: null }
  | { table: "mfa_access_passes"; hashColumn: null }
  | { table: "remembered_browsers"; hashColumn: null };

/**
 * Deletes every credential row of `userId` in `t` except the one whose hash is `keep`, which takes
 * the user's current credential epoch; returns how many were deleted. A table without a hash column
 * keeps nothing. Table and column come from the CredentialTable union, never from input.
 */
export async function deleteCredentialsOfUser(db: Db, t: CredentialTable, userId: string, keep?: Buffer) {
  if (t.hashColumn === null) return (await db.query(`DELETE FROM ${t.table} WHERE user_id = $1`, [userId])).rowCount;
  const { rowCount } = await db.query(
    `DELETE FROM ${t.table} WHERE user_id = $1 AND ($2::bytea IS NULL OR ${t.hashColumn} <> $2::bytea)`,
    [userId, keep ?? null],
  );
  if (keep) await restamp(db, t, "user_id = $1", [userId, keep]);
  return rowCount;
}

/** The kept credential (`$2`) of the users `which` selects takes its user's current epoch. */
async function restamp(db: Db, t: CredentialTable & { hashColumn: string }, which: string, params: unknown[]) {
  await db.query(
    `UPDATE ${t.table} c SET credential_epoch = u.credential_epoch FROM users u
     WHERE u.id = c.user_id AND c.${which} AND c.${t.hashColumn} = $2::bytea`,
    params,
  );
}

/**
 * Deletes every credential row of `userIds` in `t` except `keep` (one user's one credential), in one
 * statement; returns how many were deleted. A table without a hash column keeps nothing.
 */
export async function deleteCredentialsOfUsers(
  db: Db,
  t: CredentialTable,
  userIds: readonly string[],
  keep?: { userId: string; credential: Buffer },
) {
  if (t.hashColumn === null) {
    return (await db.query(`DELETE FROM ${t.table} WHERE user_id = ANY($1::uuid[])`, [userIds])).rowCount;
  }
  const { rowCount } = await db.query(
    `DELETE FROM ${t.table} WHERE user_id = ANY($1::uuid[])
       AND ($2::uuid IS NULL OR user_id <> $2::uuid OR ${t.hashColumn} <> $3::bytea)`,
    [userIds, keep?.userId ?? null, keep?.credential ?? null],
  );
  if (keep) await restamp(db, t, "user_id = $1::uuid", [keep.userId, keep.credential]);
  return rowCount;
}
