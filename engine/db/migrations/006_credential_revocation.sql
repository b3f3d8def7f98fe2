-- One revocation path (engine/auth/revocation.ts): every credential change ends
-- the user's web sessions, device tokens and device challenges in the
-- transaction that makes the change. Two partial mechanisms of migration 005
-- give way to it: the trigger that ended device tokens and challenges when a
-- user was disabled or lost device access (it missed passwords, web access and
-- web sessions), and the MFA state each token copied so that it died on use
-- once MFA changed (it missed everything but MFA). Device tokens and sessions
-- are still refused on use while their user is disabled or lacks the access.
DROP TRIGGER users_device_revoke ON users;
DROP FUNCTION device_revoke_for_user();
ALTER TABLE device_tokens DROP COLUMN mfa_enabled_at, DROP COLUMN mfa_disabled_at, DROP COLUMN mfa_activated_at;
