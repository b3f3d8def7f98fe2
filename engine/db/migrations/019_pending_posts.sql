-- Issue 25: a form posted after the session ended is kept for a short while, so the user signs in
-- again and then finishes it (engine/auth/pending-posts.ts). Only the SHA-256 of the browser's
-- cookie token is stored; `binding_hash` is the SHA-256 of the CSRF token the form carried, which
-- was signed for the browser's CSRF cookie and the user who had the form: after sign-in the post is
-- offered back only if the new user's token for that cookie is the same (same browser, same user).
-- Single use (the row is deleted when read), 10 minutes, at most 64 KB of fields, no password kept.
CREATE TABLE pending_posts (
  token_hash bytea PRIMARY KEY,
  binding_hash bytea NOT NULL,
  path text NOT NULL,
  fields jsonb NOT NULL,
  dropped text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX pending_posts_expires ON pending_posts (expires_at);
