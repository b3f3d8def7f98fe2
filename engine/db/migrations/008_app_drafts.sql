-- The designer's draft of an app: one per app and site, shared by every
-- designer (a second designer sees whose it is and when it changed). Every
-- change in the designer is saved here at once; the live app changes only on
-- Publish, which saves the draft as a new app_definitions version and drops
-- it. json, not jsonb: field order is the form's order.
CREATE TABLE app_drafts (
  site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  app_id text NOT NULL CHECK (app_id ~ '^[a-z][a-z0-9-]{0,62}$'),
  definition json NOT NULL,
  base_version integer NOT NULL CHECK (base_version >= 0),
  updated_at timestamptz NOT NULL,
  updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
  updated_by_name text NOT NULL,
  PRIMARY KEY (site_id, app_id)
);
