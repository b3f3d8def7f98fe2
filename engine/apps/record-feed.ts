// The change feed of an app's records (offline sync): a number per change, tombstones of deletions,
// and the sync cursor. The SQL that numbers changes runs inside the store's writing transactions
// (app-records-store.ts); reading the feed is `readChanges`.
import type { Db } from "../db/db.js";
import { GoneError, ValidationError } from "../errors.js";

/** How long a deletion is remembered for syncing devices: a cursor older than this answers 410. */
export const TOMBSTONE_DAYS = 30;
const DAY_MS = 86_400_000;
/** Tombstones are purged a day after they stop being served, so a purge never races a valid cursor. */
const PURGE_AFTER_MS = (TOMBSTONE_DAYS + 1) * DAY_MS;

/**
 * Takes the next `count` change numbers of an app's feed and returns the last of them (the
 * numbers are last - count + 1 … last). Locks the feed row until the transaction ends: call it
 * first in a writing transaction (before any record row is locked, so writers never deadlock),
 * and the numbers of one app commit in the order they were handed out.
 */
export async function nextChangeSeq(tx: Db, siteId: string, appId: string, count: number): Promise<number> {
  const { rows } = await tx.query<{ last_seq: number | string }>(
    `INSERT INTO record_feeds AS f (site_id, app_id, last_seq) VALUES ($1, $2, $3)
     ON CONFLICT (site_id, app_id) DO UPDATE SET last_seq = f.last_seq + EXCLUDED.last_seq
     RETURNING last_seq`,
    [siteId, appId, count],
  );
  return Number(rows[0]!.last_seq);
}

/** Remembers a deletion (change number `seq`) for syncing devices. */
export async function writeTombstone(
  tx: Db,
  siteId: string,
  appId: string,
  recordId: string,
  seq: number,
  at: Date,
): Promise<void> {
  await tx.query(
    `INSERT INTO record_tombstones (record_id, site_id, app_id, change_seq, deleted_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (record_id) DO UPDATE SET change_seq = EXCLUDED.change_seq, deleted_at = EXCLUDED.deleted_at`,
    [recordId, siteId, appId, seq, at],
  );
}

/**
 * Where a device's sync stands: every change numbered up to `seq` has reached it, and every
 * deletion it still needs to hear of happened at or after `since` (seconds since the Unix epoch).
 * `seq` 0 is a full load, which needs no deletion from before it started.
 */
export interface SyncCursor {
  seq: number;
  since: number;
}

/** A cursor that is malformed, or not one this app's feed handed out (HTTP 400 on the device API). */
export class SyncCursorError extends ValidationError {
  constructor(message: string) {
    super(message, { changedSince: message });
  }
}

/** A cursor older than the kept tombstones (TOMBSTONE_DAYS): the device must load everything again (HTTP 410). */
export class SyncCursorExpiredError extends GoneError {
  constructor() {
    super(`This sync cursor is older than ${TOMBSTONE_DAYS} days. Load every record again with changedSince=0.`, {
      code: "cursor_expired",
    });
  }
}

/** The cursor as it travels: "SEQ.SINCE" in decimal digits, or "0" to start from the beginning. */
export const encodeSyncCursor = (c: SyncCursor) => `${c.seq}.${c.since}`;

/**
 * Reads a cursor from `changedSince`: "0", or "SEQ.SINCE" as encodeSyncCursor writes it with a
 * `since` not in the future of `now`. Anything else throws SyncCursorError.
 */
export function decodeSyncCursor(raw: string, now: Date): SyncCursor | 0 {
  if (raw === "0") return 0;
  const m = /^(\d{1,15})\.(\d{1,12})$/.exec(raw);
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (!m || Number(m[2]) > nowSeconds + 60) {
    throw new SyncCursorError("changedSince must be 0 or a cursor a previous sync of this app returned");
  }
  return { seq: Number(m[1]), since: Number(m[2]) };
}

/** One change of a feed page: a record's newest version (its row), or a deletion (row null). */
export interface FeedChange<Row> {
  id: string;
  seq: number;
  row: Row | null;
}

/** A page of the feed: the changes in order, and the cursor to ask with next. */
export interface FeedPage<Row> {
  changes: FeedChange<Row>[];
  cursor: SyncCursor;
}

/**
 * The first `limit` changes of an app's feed after `from` (0: every record there is, and no
 * deletion: a full load needs none), in change order, read in one statement (one snapshot, so no change between two reads is missed). `columns`
 * are the record columns to return (aliased from `records r`). Throws SyncCursorExpiredError for a
 * cursor whose deletions may have been purged, SyncCursorError for a number the feed never handed out.
 */
export async function readChanges<Row>(
  db: Db,
  siteId: string,
  appId: string,
  from: SyncCursor | 0,
  limit: number,
  now: Date,
  columns: string,
): Promise<FeedPage<Row>> {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (from !== 0 && from.since * 1000 < now.getTime() - TOMBSTONE_DAYS * DAY_MS) throw new SyncCursorExpiredError();
  const after = from === 0 ? 0 : from.seq;
  const { rows } = await db.query<Row & { change_id: string; seq: number | string; deleted: boolean; last: unknown }>(
    `WITH feed AS (SELECT coalesce((SELECT last_seq FROM record_feeds WHERE site_id = $1 AND app_id = $2), 0) AS last),
     changes AS (
       (SELECT r.id AS change_id, r.change_seq AS seq, false AS deleted FROM records r
        WHERE r.site_id = $1 AND r.app_id = $2 AND r.change_seq > $3 ORDER BY r.change_seq LIMIT $4)
       UNION ALL
       (SELECT t.record_id, t.change_seq, true FROM record_tombstones t
        WHERE $5 AND t.site_id = $1 AND t.app_id = $2 AND t.change_seq > $3 ORDER BY t.change_seq LIMIT $4)
       ORDER BY seq LIMIT $4)
     SELECT c.change_id, c.seq, c.deleted, feed.last, ${columns}
     FROM feed LEFT JOIN changes c ON true LEFT JOIN records r ON r.id = c.change_id AND NOT c.deleted
     ORDER BY c.seq`,
    [siteId, appId, after, limit, from !== 0],
  );
  const last = Number(rows[0]?.last ?? 0);
  if (after > last) throw new SyncCursorError("changedSince is not a cursor of this app's records");
  const changes: FeedChange<Row>[] = rows
    .filter((r) => r.change_id !== null)
    .map((r) => ({ id: r.change_id, seq: Number(r.seq), row: r.deleted ? null : r }));
  const end = changes.length < limit;
  const cursor: SyncCursor = {
    seq: changes.length ? changes[changes.length - 1]!.seq : after,
    // At the end of the feed the device holds the state as of now; mid-way, it still needs the
    // deletions since the cursor it came with (a full load: since it started).
    since: end || from === 0 ? nowSeconds : from.since,
  };
  return { changes, cursor };
}

/** Drops the tombstones no cursor can still need (older than TOMBSTONE_DAYS and a day); returns how many. */
export async function purgeTombstones(db: Db, now: Date): Promise<number> {
  const { rowCount } = await db.query("DELETE FROM record_tombstones WHERE deleted_at < $1", [
    new Date(now.getTime() - PURGE_AFTER_MS),
  ]);
  return rowCount;
}
