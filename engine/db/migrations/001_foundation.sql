-- Sites separate tenants. Exactly one is the Public Site.
CREATE TABLE sites (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  is_public boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX sites_one_public ON sites (is_public) WHERE is_public;
INSERT INTO sites (slug, name, is_public) VALUES ('public', 'Public Site', true);

-- Usernames are unique across sites, so /login needs no site field.
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  site_id uuid NOT NULL REFERENCES sites (id),
  username text NOT NULL CHECK (username ~ '^[A-Za-z0-9._@-]{1,64}$'),
  display_name text NOT NULL DEFAULT '',
  email text,
  password_hash text,
  role text NOT NULL DEFAULT 'user' CHECK (role IN ('admin', 'designer', 'user')),
  web_access boolean NOT NULL DEFAULT true,
  device_access boolean NOT NULL DEFAULT false,
  disabled boolean NOT NULL DEFAULT false,
  data jsonb NOT NULL DEFAULT '{}'::jsonb,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  updated_by uuid REFERENCES users (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX users_username_unique ON users (lower(username));
CREATE INDEX users_site ON users (site_id, lower(username));

-- Only the SHA-256 of a session token is stored. stage 'full' is a signed-in
-- session; other stages are half-signed-in (MFA still to do).
CREATE TABLE sessions (
  token_hash bytea PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  active_site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  stage text NOT NULL DEFAULT 'full',
  created_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  idle_expires_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  client_address text
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed-attempt counters for passwords (and later codes), keyed by account or address.
CREATE TABLE throttles (
  key text PRIMARY KEY,
  failures integer NOT NULL DEFAULT 0,
  total_failures integer NOT NULL DEFAULT 0,
  lock_count integer NOT NULL DEFAULT 0,
  last_failure_at timestamptz,
  locked_until timestamptz
);

-- One-time link that lets the first administrator choose a password.
CREATE TABLE setup_tokens (
  token_hash bytea PRIMARY KEY,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);

CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  site_id uuid REFERENCES sites (id) ON DELETE SET NULL,
  actor_id uuid REFERENCES users (id) ON DELETE SET NULL,
  actor_name text NOT NULL,
  action text NOT NULL,
  target_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  target_name text,
  details jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_site_at ON audit_log (site_id, at DESC);
CREATE INDEX audit_log_target ON audit_log (target_user_id, at DESC);
