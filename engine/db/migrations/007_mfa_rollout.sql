-- MFA at scale (Configure > MFA): a policy per site for accounts created or
-- moved into a role later, and one row per rollout that switched MFA on for
-- many users at once.

-- Accounts created in one of required_roles, or whose role changes into one,
-- start with MFA on and default_enforcement_delay_days of grace. No row: no policy.
CREATE TABLE mfa_site_policies (
  site_id uuid PRIMARY KEY REFERENCES sites (id) ON DELETE CASCADE,
  required_roles text[] NOT NULL DEFAULT '{}'
    CHECK (required_roles <@ ARRAY['admin', 'designer', 'user']::text[]),
  default_enforcement_delay_days integer NOT NULL DEFAULT 14
    CHECK (default_enforcement_delay_days BETWEEN 0 AND 3650),
  updated_at timestamptz NOT NULL,
  updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
  updated_by_name text NOT NULL
);

-- One rollout (a Confirm on /configure/mfa/rollout or `formgate mfa enable`).
-- site_id NULL: every site (a Public Site administrator or the CLI). The counts
-- grow batch by batch in the batch's transaction, so after a crash they say
-- how far it got; finished_at stays NULL then, and running the same selection
-- again makes a new row that finishes the rest. The progress chart starts at
-- the first rollout of a site.
CREATE TABLE mfa_rollouts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  site_id uuid REFERENCES sites (id) ON DELETE CASCADE,
  selection jsonb NOT NULL,
  enforcement_delay_days integer NOT NULL CHECK (enforcement_delay_days BETWEEN 0 AND 3650),
  move_deadlines boolean NOT NULL,
  required_from timestamptz NOT NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  enabled_count integer NOT NULL DEFAULT 0,
  moved_count integer NOT NULL DEFAULT 0,
  skipped_count integer NOT NULL DEFAULT 0,
  actor_id uuid REFERENCES users (id) ON DELETE SET NULL,
  actor_name text NOT NULL
);
CREATE INDEX mfa_rollouts_started ON mfa_rollouts (started_at);

-- Activations per day for the progress chart.
CREATE INDEX mfa_enrollments_activated ON mfa_enrollments (activated_at);
