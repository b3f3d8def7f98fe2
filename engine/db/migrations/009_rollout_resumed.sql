-- An interrupted rollout (finished_at NULL: the process stopped between two
-- batches) is finished by running the same selection again. That later run
-- marks it here when it finishes, so the progress page stops listing it as
-- unfinished; the interrupted row keeps its counts of what it did itself.
ALTER TABLE mfa_rollouts ADD COLUMN resumed_by uuid REFERENCES mfa_rollouts (id) ON DELETE SET NULL;
CREATE INDEX mfa_rollouts_unfinished ON mfa_rollouts (started_at) WHERE finished_at IS NULL AND resumed_by IS NULL;
