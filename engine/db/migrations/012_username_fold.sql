-- Usernames are unique regardless of case, folded the same way whatever the database's locale:
-- lower() under COLLATE "C" maps A-Z only (on an ICU tr-TR database plain lower() maps I to ı,
-- so "Ilker" and "ilker" were two users). engine/db/fold.ts writes the same expression.
DROP INDEX users_username_unique;
CREATE UNIQUE INDEX users_username_unique ON users (lower(username COLLATE "C"));
DROP INDEX users_site;
CREATE INDEX users_site ON users (site_id, lower(username COLLATE "C"));
