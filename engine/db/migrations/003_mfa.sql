-- What an administrator decided about a user's MFA (the mfa.* system fields).
-- required_from = enabled_at + enforcement_delay_days, kept so sign-in reads one column.
-- The history of these changes is in audit_log (mfa.enable, mfa.disable, ...).
CREATE TABLE mfa_settings (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  enabled boolean NOT NULL DEFAULT false,
  enforcement_delay_days integer NOT NULL DEFAULT 0 CHECK (enforcement_delay_days BETWEEN 0 AND 3650),
  enabled_at timestamptz,
  enabled_by uuid REFERENCES users (id) ON DELETE SET NULL,
  enabled_by_name text,
  required_from timestamptz,
  disabled_at timestamptz,
  disabled_by uuid REFERENCES users (id) ON DELETE SET NULL,
  disabled_by_name text,
  updated_at timestamptz NOT NULL,
  CHECK (NOT enabled OR (enabled_at IS NOT NULL AND required_from IS NOT NULL))
);

-- One activated second factor per user. The secret is sealed by SecretBox with
-- the user id as context. A hardware token is assigned exactly when an
-- enrollment references it (token_id): deleting the enrollment returns it to
-- the pool, and the unique index stops two users activating one token. The
-- foreign key to the token registry is added by the migration that creates it.
CREATE TABLE mfa_enrollments (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  method text NOT NULL CHECK (method IN ('app', 'hardware')),
  secret_sealed text NOT NULL,
  algorithm text NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
  digits smallint NOT NULL CHECK (digits IN (6, 8)),
  period_seconds integer NOT NULL CHECK (period_seconds BETWEEN 1 AND 3600),
  -- Steps the authenticator's clock is ahead (+) or behind (-); the window is centred there.
  drift_steps integer NOT NULL DEFAULT 0,
  -- Each time step is accepted once: sign-in moves this forward with a compare-and-set.
  last_used_step bigint,
  token_id uuid UNIQUE,
  -- Shown in the status message ("hardware token SERIAL"); never secret.
  token_serial text,
  activated_at timestamptz NOT NULL,
  CHECK ((method = 'hardware') = (token_id IS NOT NULL))
);

-- The secret an authenticator-app setup page showed, until the user confirms it
-- with a code. Each visit replaces it.
CREATE TABLE mfa_pending_secrets (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  secret_sealed text NOT NULL,
  created_at timestamptz NOT NULL
);

CREATE INDEX audit_log_site_action ON audit_log (site_id, action, id DESC);
