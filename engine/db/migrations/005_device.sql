-- Bearer tokens of the JSON device API. Like sessions, only the SHA-256 of a
-- token is stored. A token dies at expires_at and at sign-out (row deleted).
-- Every request also checks it against the user as they are now: refused while
-- the user is disabled or has lost device access, and for good once the MFA
-- state it was issued under has changed. The token keeps a copy of that state
-- (mfa_settings.enabled_at and disabled_at, mfa_enrollments.activated_at,
-- copied in SQL so they compare exactly): turning MFA on, off or resetting it,
-- or an enrollment deleted or replaced by any code path, makes them differ. A
-- token obtained without a code thus never outlives an administrator's decision
-- to require one. Checking on use, rather than deleting rows from every code
-- path that changes MFA, cannot be forgotten by a new path.
CREATE TABLE device_tokens (
  token_hash bytea PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  mfa_enabled_at timestamptz,
  mfa_disabled_at timestamptz,
  mfa_activated_at timestamptz,
  last_used_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  client_address text
);
CREATE INDEX device_tokens_user ON device_tokens (user_id);
CREATE INDEX device_tokens_expires ON device_tokens (expires_at);

-- Short-lived, single-use challenges that carry a device sign-in from the
-- password step to the MFA step. 'mfa': a code is due; 'mfa_setup': setup is
-- offered or required (the secret an app setup hands out waits in
-- mfa_pending_secrets, as on the web). A wrong code counts in failures; a
-- challenge dies when used, at expires_at or after a few failures.
CREATE TABLE device_challenges (
  challenge_hash bytea PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('mfa', 'mfa_setup')),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  failures integer NOT NULL DEFAULT 0,
  client_address text
);
CREATE INDEX device_challenges_user ON device_challenges (user_id);
CREATE INDEX device_challenges_expires ON device_challenges (expires_at);

-- Disabling a user or taking away device access revokes their device tokens
-- and challenges for good, whichever code path makes the change (the app
-- forms, the CLI, SQL by hand): re-enabling the user does not revive them.
CREATE FUNCTION device_revoke_for_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM device_tokens WHERE user_id = NEW.id;
  DELETE FROM device_challenges WHERE user_id = NEW.id;
  RETURN NEW;
END;
$$;
CREATE TRIGGER users_device_revoke AFTER UPDATE OF disabled, device_access ON users
  FOR EACH ROW WHEN ((NEW.disabled AND NOT OLD.disabled) OR (OLD.device_access AND NOT NEW.device_access))
  EXECUTE FUNCTION device_revoke_for_user();
