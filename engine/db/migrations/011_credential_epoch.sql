-- The credential epoch (engine/auth/credential-gate.ts, issue 20 fault 1): every
-- credential change bumps users.credential_epoch in its transaction
-- (CredentialRevocation.revoke), and every new web session, device token and
-- device challenge is inserted only while the epoch its password (or the
-- half-finished sign-in it continues) was checked under is still current. Each
-- credential carries the epoch it was made under and is valid only while that
-- is the user's epoch, so a sign-in in flight while a change commits ends up
-- with nothing. Existing rows start at 0, the users' epoch, and stay valid.
ALTER TABLE users ADD COLUMN credential_epoch integer NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN credential_epoch integer NOT NULL DEFAULT 0;
ALTER TABLE device_tokens ADD COLUMN credential_epoch integer NOT NULL DEFAULT 0;
ALTER TABLE device_challenges ADD COLUMN credential_epoch integer NOT NULL DEFAULT 0;
