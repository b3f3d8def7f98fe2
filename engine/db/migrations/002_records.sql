-- Trigram indexes make list searches fast (`search LIKE '%word%'`).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Designer versions of app definitions, per site. Version 0 is the built-in
-- file in forms/ and is not stored; restoring an old version saves it again
-- as the newest, so history only grows. json, not jsonb: field order is the
-- form's order, and jsonb would reorder the keys.
CREATE TABLE app_definitions (
  site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  app_id text NOT NULL CHECK (app_id ~ '^[a-z][a-z0-9-]{0,62}$'),
  version integer NOT NULL CHECK (version > 0),
  definition json NOT NULL,
  created_at timestamptz NOT NULL,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_by_name text NOT NULL,
  restored_from integer,
  PRIMARY KEY (site_id, app_id, version)
);

-- Records of ordinary apps. `search` holds the lowercased searchable fields.
CREATE TABLE records (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  app_id text NOT NULL,
  data jsonb NOT NULL,
  search text NOT NULL DEFAULT '',
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  updated_by uuid REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX records_site_app ON records (site_id, app_id);
CREATE INDEX records_search ON records USING gin (search gin_trgm_ops);

-- Every version of every record, deletions included.
CREATE TABLE record_revisions (
  record_id uuid NOT NULL,
  version integer NOT NULL,
  site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  app_id text NOT NULL,
  operation text NOT NULL CHECK (operation IN ('create', 'update', 'delete')),
  data jsonb NOT NULL,
  at timestamptz NOT NULL,
  actor_id uuid REFERENCES users (id) ON DELETE SET NULL,
  actor_name text NOT NULL,
  PRIMARY KEY (record_id, version)
);

-- One sort key per record and listed column, so a list sorts on any column
-- through one static index and pages by keyset (key, record_id), whatever
-- the app's fields are. Strings are lowercased and cut to 200 characters.
CREATE TABLE record_sort_keys (
  record_id uuid NOT NULL REFERENCES records (id) ON DELETE CASCADE,
  site_id uuid NOT NULL,
  app_id text NOT NULL,
  field text NOT NULL,
  key jsonb NOT NULL,
  PRIMARY KEY (record_id, field)
);
CREATE INDEX record_sort_keys_order ON record_sort_keys (site_id, app_id, field, key, record_id);

-- Which columns have sort keys and which fields feed `search`, per site and
-- app; when a definition changes them, the records store rebuilds both.
CREATE TABLE record_index_specs (
  site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  app_id text NOT NULL,
  sort_fields text[] NOT NULL,
  search_fields text[] NOT NULL,
  PRIMARY KEY (site_id, app_id)
);
