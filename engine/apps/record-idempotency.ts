// Creates that a client may retry safely: the first create with an Idempotency-Key (per user, site
// and app) makes the record; a retry with the same key gets that record back instead of a second one.
import { createHash } from "node:crypto";
import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { ConflictError } from "../errors.js";
import type { AppRecordsStore } from "./app-records-store.js";
import type { CompiledApp } from "./compiled-app.js";
import { RecordNotFoundError, type StoreContext, type StoredRecord } from "./record-store-contract.js";

/** How long a key is remembered: a retry after this makes a new record. */
export const IDEMPOTENCY_KEY_HOURS = 24;

/** The key was used before for a create with other values (HTTP 409, code "idempotency_key_reused"). */
export class IdempotencyKeyReusedError extends ConflictError {
  constructor() {
    super("This Idempotency-Key was used for a create with other values. Use a new key for a new record.", {
      code: "idempotency_key_reused",
    });
  }
}

/** SHA-256 of the values as canonical JSON (key order does not count). */
function requestHash(values: Record<string, unknown>): Buffer {
  return createHash("sha256")
    .update(
      JSON.stringify(values, (_k, v: unknown) =>
        v && typeof v === "object" && !Array.isArray(v) ? sorted(v as Record<string, unknown>) : v,
      ),
    )
    .digest();
}
const sorted = (o: Record<string, unknown>) =>
  Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, o[k]]),
  );

/**
 * Creates one record of `app` unless this user already created one with `key` (within
 * IDEMPOTENCY_KEY_HOURS): then answers with that record as it is now and `replayed: true`.
 * Concurrent creates with one key make one record (the second waits on the key's row). Throws
 * IdempotencyKeyReusedError when the earlier create sent other values, RecordNotFoundError when its
 * record was deleted since, and the store's errors (RecordValidationError) for the create itself.
 */
export async function createOnce(
  db: Db,
  clock: Clock,
  store: AppRecordsStore,
  app: CompiledApp,
  ctx: StoreContext,
  key: string,
  values: Record<string, unknown>,
): Promise<{ record: StoredRecord; replayed: boolean }> {
  if (!ctx.actor.id) throw new Error("createOnce needs an actor with a user id");
  await store.ensureIndexed(app, ctx.siteId);
  const now = clock.now();
  const hash = requestHash(values);
  const keyOf = [ctx.actor.id, ctx.siteId, app.id, key];
  const outcome = await db.transaction(async (tx) => {
    await tx.query("DELETE FROM record_idempotency_keys WHERE user_id = $1 AND created_at < $2", [
      ctx.actor.id,
      new Date(now.getTime() - IDEMPOTENCY_KEY_HOURS * 3_600_000),
    ]);
    // Claim the key first: a concurrent create with it waits here until this transaction ends.
    const claimed = await tx.query(
      `INSERT INTO record_idempotency_keys (user_id, site_id, app_id, key, request_hash, record_id, created_at)
       VALUES ($1, $2, $3, $4, $5, gen_random_uuid(), $6) ON CONFLICT DO NOTHING RETURNING 1`,
      [...keyOf, hash, now],
    );
    if (claimed.rowCount === 0) {
      const { rows } = await tx.query<{ record_id: string; request_hash: Buffer | Uint8Array }>(
        `SELECT record_id, request_hash FROM record_idempotency_keys
         WHERE user_id = $1 AND site_id = $2 AND app_id = $3 AND key = $4`,
        keyOf,
      );
      const earlier = rows[0]!;
      if (!Buffer.from(earlier.request_hash).equals(hash)) {
        throw new IdempotencyKeyReusedError();
      }
      return { id: earlier.record_id, replayed: true as const };
    }
    const [record] = await store.insertIn(tx, app, ctx, [values]);
    await tx.query(
      "UPDATE record_idempotency_keys SET record_id = $5 WHERE user_id = $1 AND site_id = $2 AND app_id = $3 AND key = $4",
      [...keyOf, record!.id],
    );
    return { record: record!, replayed: false as const };
  });
  if (!outcome.replayed) return { record: outcome.record, replayed: false };
  const record = await store.get(app, ctx, outcome.id);
  if (!record) throw new RecordNotFoundError();
  return { record, replayed: true };
}
