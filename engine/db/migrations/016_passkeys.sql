-- Passkeys (WebAuthn credentials) as a factor beside the TOTP enrollment, passwordless
-- sign-in, remembered browsers and the site policy for them (issue 23).

-- A user's passkeys: any number each. The public key is COSE (RFC 8152) as the authenticator
-- gave it; sign_count is the signature counter of WebAuthn §6.1.1, moved forward by a
-- compare-and-set at each use (a counter that does not grow, when it is used at all, is refused).
CREATE TABLE passkeys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- The credential id, base64url (WebAuthn §5.1 rawId), unique across all users.
  credential_id text NOT NULL UNIQUE CHECK (length(credential_id) BETWEEN 16 AND 1400),
  public_key bytea NOT NULL,
  sign_count bigint NOT NULL DEFAULT 0 CHECK (sign_count >= 0),
  transports text[] NOT NULL DEFAULT '{}',
  -- WebAuthn backup eligibility (BE) as device type and backup state (BS) at the last use.
  device_type text NOT NULL CHECK (device_type IN ('singleDevice', 'multiDevice')),
  backed_up boolean NOT NULL,
  aaguid text NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  created_at timestamptz NOT NULL,
  last_used_at timestamptz
);
CREATE INDEX passkeys_user ON passkeys (user_id, created_at);

-- WebAuthn challenges between the options a page or the device API handed out and the answer:
-- single use (deleted when answered), short-lived. user_id is NULL for a passwordless sign-in,
-- where the credential names the user.
CREATE TABLE webauthn_challenges (
  challenge text PRIMARY KEY CHECK (length(challenge) BETWEEN 16 AND 128),
  purpose text NOT NULL CHECK (purpose IN ('register', 'second_factor', 'passwordless', 'device')),
  user_id uuid REFERENCES users (id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL
);
CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges (expires_at);

-- Browsers where a user chose "Don't ask again": the cookie holds a random token, only its
-- SHA-256 is here. Every credential change of the user deletes them (CredentialRevocation).
CREATE TABLE remembered_browsers (
  token_hash bytea PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  browser text NOT NULL DEFAULT '' CHECK (length(browser) <= 120),
  created_at timestamptz NOT NULL,
  last_used_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX remembered_browsers_user ON remembered_browsers (user_id);

-- The site's factor policy: which methods setup offers, passwordless sign-in, remembered browsers.
ALTER TABLE mfa_site_policies
  ADD COLUMN allowed_methods text[] NOT NULL DEFAULT ARRAY['app', 'hardware', 'passkey']::text[]
    CHECK (allowed_methods <@ ARRAY['app', 'hardware', 'passkey']::text[] AND cardinality(allowed_methods) >= 1),
  ADD COLUMN passkey_sign_in boolean NOT NULL DEFAULT false,
  ADD COLUMN remember_browser_days integer NOT NULL DEFAULT 0 CHECK (remember_browser_days BETWEEN 0 AND 365);
