-- Issue 25: each site has a time zone (an IANA name such as Europe/Berlin, validated by the engine
-- with Intl before it is stored); dates shown to people are in it. CSV exports stay ISO 8601.
ALTER TABLE sites ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC';
