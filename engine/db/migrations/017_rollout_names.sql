-- Issue 22: a rollout has a name, and its own progress. A user belongs to the rollout that last
-- switched MFA on for them or moved their deadline (mfa_settings.rollout_id); an administrator's
-- own change to that user's MFA (slider, delay, reset) takes them out of it, since their deadline
-- is then no longer the rollout's.
ALTER TABLE mfa_rollouts ADD COLUMN name text NOT NULL DEFAULT '';
ALTER TABLE mfa_settings ADD COLUMN rollout_id uuid REFERENCES mfa_rollouts (id) ON DELETE SET NULL;
CREATE INDEX mfa_settings_rollout ON mfa_settings (rollout_id) WHERE rollout_id IS NOT NULL;
