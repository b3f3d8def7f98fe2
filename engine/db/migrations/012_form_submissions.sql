-- One-time tokens of new-record forms: the first post of a form claims its token in the
-- transaction that creates the record and notes the record; a second post of the same form
-- (double click, Back and submit again) finds the token taken and answers with that record.
CREATE TABLE form_submissions (
  token text PRIMARY KEY,
  site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  app_id text NOT NULL,
  record_id uuid,
  created_at timestamptz NOT NULL
);
CREATE INDEX form_submissions_created ON form_submissions (created_at);
