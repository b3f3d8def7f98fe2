-- Offline sync of app records over the device API (issue 27).
--
-- Every write to an app's records takes the next number of that app's change
-- feed (`record_feeds.last_seq`, per site and app). The feed row is updated
-- first in each writing transaction and stays locked until it commits, so the
-- numbers of one app commit in the order they were handed out: a reader that
-- sees change N also sees every change before N, and a sync cursor ("every
-- change up to N") never skips a transaction still in flight.
CREATE TABLE record_feeds (
  site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  app_id text NOT NULL,
  last_seq bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (site_id, app_id)
);

-- The change number of a record's newest version. Records made before this
-- migration are numbered in the order they were last changed.
ALTER TABLE records ADD COLUMN change_seq bigint;
UPDATE records r SET change_seq = n.seq
FROM (SELECT id, row_number() OVER (PARTITION BY site_id, app_id ORDER BY updated_at, id) AS seq FROM records) n
WHERE n.id = r.id;
INSERT INTO record_feeds (site_id, app_id, last_seq)
SELECT site_id, app_id, max(change_seq) FROM records GROUP BY site_id, app_id;
ALTER TABLE records ALTER COLUMN change_seq SET NOT NULL;
CREATE INDEX records_changes ON records (site_id, app_id, change_seq);

-- Deleted records, by the change number of their deletion, kept for a while
-- (engine/apps/record-feed.ts, TOMBSTONE_DAYS) so a syncing device learns of them.
CREATE TABLE record_tombstones (
  record_id uuid PRIMARY KEY,
  site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  app_id text NOT NULL,
  change_seq bigint NOT NULL,
  deleted_at timestamptz NOT NULL
);
CREATE INDEX record_tombstones_changes ON record_tombstones (site_id, app_id, change_seq);
CREATE INDEX record_tombstones_age ON record_tombstones (deleted_at);

-- A create sent with an Idempotency-Key: a retry with the same key (same user,
-- app and site) answers with the record the first one made. Kept for a day.
CREATE TABLE record_idempotency_keys (
  site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  app_id text NOT NULL,
  key text NOT NULL,
  request_hash bytea NOT NULL,
  record_id uuid NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (user_id, site_id, app_id, key)
);
CREATE INDEX record_idempotency_keys_age ON record_idempotency_keys (created_at);

-- Where a change of a record came from: the web pages or the device API.
ALTER TABLE record_revisions ADD COLUMN surface text NOT NULL DEFAULT 'web' CHECK (surface IN ('web', 'device'));
