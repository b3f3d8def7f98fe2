-- The helpdesk path (issue 21): recovery codes, a temporary access pass, and the
-- grant that lets a session signed in with either set up a replacement factor.
-- Only keyed hashes are stored (HMAC-SHA-256 under a key derived from the server
-- key, engine/mfa/recovery-secrets.ts): a dump of these tables allows no offline guessing.

-- A user's current set of recovery codes (10, made after the first activation or
-- on /account); a new set deletes the old one. A code is spent by setting used_at
-- with a compare-and-set (used_at IS NULL), so it works once across instances.
CREATE TABLE mfa_recovery_codes (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash bytea NOT NULL,
  created_at timestamptz NOT NULL,
  used_at timestamptz,
  PRIMARY KEY (user_id, code_hash)
);

-- One live temporary access pass per user (the primary key: a new pass replaces the old).
CREATE TABLE mfa_access_passes (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  pass_hash bytea NOT NULL,
  one_time boolean NOT NULL,
  issued_at timestamptz NOT NULL,
  issued_by uuid REFERENCES users (id) ON DELETE SET NULL,
  issued_by_name text NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  CHECK (expires_at > issued_at)
);

-- A session signed in with a recovery code or a pass may set up a new factor that
-- replaces the current one; the grant dies with the session (rotation, sign-out, revocation).
CREATE TABLE mfa_setup_grants (
  token_hash bytea PRIMARY KEY REFERENCES sessions (token_hash) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('recovery_code', 'access_pass')),
  created_at timestamptz NOT NULL
);
CREATE INDEX mfa_setup_grants_user ON mfa_setup_grants (user_id);
