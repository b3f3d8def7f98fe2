// One-time submission tokens of new-record forms (issue 20, fault 11): a form posted twice creates
// one record. The token is claimed inside the transaction that creates the record, so a second
// post waits for the first to commit (or roll back) and then finds the token taken.
import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { ConflictError } from "../errors.js";

/** What a submission token looks like: the 43 URL-safe characters of newToken(). */
export const SUBMISSION_TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** Claims older than this are deleted by the next claim: a form left open longer may post again. */
const KEEP_DAYS = 7;

/**
 * The form with this submission token was posted before and created `recordId` (null when that
 * record was not noted, which a committed claim always is). A conflict: 409 where not handled.
 */
export class DuplicateSubmissionError extends ConflictError {
  constructor(readonly recordId: string | null) {
    super("This form was sent already; nothing new was added.");
  }
}

/**
 * Claims `token` for a record about to be created by `tx` on a site and app. Throws
 * DuplicateSubmissionError naming the record of the earlier post when the token is taken (after
 * waiting for a transaction that holds it in flight). Call noteSubmission with the new id before
 * the transaction commits. `at` is the claim's time when the caller must find it again (the access
 * pass it issued at that instant); the clock's now otherwise.
 */
export async function claimSubmission(
  tx: Db,
  clock: Clock,
  where: { siteId: string; appId: string },
  token: string,
  at?: Date,
): Promise<void> {
  const now = at ?? clock.now();
  await tx.query("DELETE FROM form_submissions WHERE created_at < $1", [
    new Date(now.getTime() - KEEP_DAYS * 86_400_000),
  ]);
  const { rows } = await tx.query(
    `INSERT INTO form_submissions (token, site_id, app_id, created_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (token) DO NOTHING RETURNING token`,
    [token, where.siteId, where.appId, now],
  );
  if (rows.length) return;
  const earlier = await tx.query<{ record_id: string | null }>(
    "SELECT record_id FROM form_submissions WHERE token = $1 AND site_id = $2 AND app_id = $3",
    [token, where.siteId, where.appId],
  );
  throw new DuplicateSubmissionError(earlier.rows[0]?.record_id ?? null);
}

/** Notes the record a claimed token created (same transaction as claimSubmission). */
export async function noteSubmission(tx: Db, token: string, recordId: string): Promise<void> {
  await tx.query("UPDATE form_submissions SET record_id = $2 WHERE token = $1", [token, recordId]);
}
