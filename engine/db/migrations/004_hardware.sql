-- Hardware TOTP tokens, registered on the Public Site and usable by users of any site.
-- A token is assigned exactly when an MFA enrollment references it (mfa_enrollments.token_id);
-- reserved_for_user_id is a pre-assignment from an import (`upn`): only that user may activate it.
CREATE TABLE hardware_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  serial_number text NOT NULL CHECK (serial_number ~ '^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,63}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  model text NOT NULL DEFAULT '' CHECK (length(model) <= 200),
  manufacturer text NOT NULL DEFAULT '' CHECK (length(manufacturer) <= 200),
  -- SecretBox-sealed key bytes, context 'hardware-token:<id>'. Never shown again.
  secret_sealed text NOT NULL,
  algorithm text NOT NULL DEFAULT 'SHA1' CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
  digits smallint NOT NULL DEFAULT 6 CHECK (digits IN (6, 8)),
  period_seconds smallint NOT NULL CHECK (period_seconds IN (30, 60)),
  disabled boolean NOT NULL DEFAULT false,
  reserved_for_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  import_id uuid,
  created_at timestamptz NOT NULL,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL
);
-- Serial numbers are unique regardless of case; the index also serves keyset paging.
CREATE UNIQUE INDEX hardware_tokens_serial_unique ON hardware_tokens (lower(serial_number));
CREATE INDEX hardware_tokens_reserved ON hardware_tokens (reserved_for_user_id) WHERE reserved_for_user_id IS NOT NULL;

-- An uploaded token file between its preview and its import (instances are stateless, so the
-- file waits here, sealed, because it holds secrets). Deleted on import; expires after an hour.
CREATE TABLE hardware_token_uploads (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  created_by uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  file_name text NOT NULL,
  content_sealed text NOT NULL
);

-- The assignment link (migration 003 created the column): a token cannot be deleted while assigned.
ALTER TABLE mfa_enrollments
  ADD CONSTRAINT mfa_enrollments_token_fk FOREIGN KEY (token_id) REFERENCES hardware_tokens (id);
