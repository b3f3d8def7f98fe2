-- E-mail (issue 22): a transactional outbox and each site's reminder days.

-- One mail. Its row is written in the transaction of the change that causes
-- it, so a rolled-back change sends nothing. A sender in every instance claims
-- due rows with FOR UPDATE SKIP LOCKED and marks them 'sending' with a lease
-- (next_attempt_at), so two instances never send one mail twice; a lease that
-- runs out (the instance died mid-send) makes the row claimable again.
-- details holds the facts the mail is written from (site and user names, the
-- deadline, the kind's own facts), never a secret; the body is not stored.
CREATE TABLE mail_outbox (
  id bigserial PRIMARY KEY,
  site_id uuid REFERENCES sites (id) ON DELETE CASCADE,
  user_id uuid REFERENCES users (id) ON DELETE CASCADE,
  kind text NOT NULL,
  to_address text,
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  state text NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'skipped')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  last_error text,
  -- Scheduled reminders: the deadline they are about and the step ('7', '3', '1', 'overdue').
  reminder_deadline timestamptz,
  reminder_step text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  sent_at timestamptz,
  CHECK (state = 'skipped' OR to_address IS NOT NULL)
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE state IN ('queued', 'sending');
CREATE INDEX mail_outbox_user ON mail_outbox (user_id, created_at DESC);
CREATE INDEX mail_outbox_site ON mail_outbox (site_id, id DESC);
-- At most one reminder per user, deadline and step, whatever number of instances schedule it.
CREATE UNIQUE INDEX mail_outbox_reminder_once ON mail_outbox (user_id, reminder_deadline, reminder_step)
  WHERE kind = 'mfa_reminder';

-- The days before an MFA deadline on which a pending user is reminded. No row: 7, 3 and 1.
CREATE TABLE mail_site_settings (
  site_id uuid PRIMARY KEY REFERENCES sites (id) ON DELETE CASCADE,
  reminder_days integer[] NOT NULL CHECK (cardinality(reminder_days) <= 5 AND 0 <= ALL (reminder_days)
    AND 90 >= ALL (reminder_days)),
  updated_at timestamptz NOT NULL,
  updated_by uuid REFERENCES users (id) ON DELETE SET NULL
);
