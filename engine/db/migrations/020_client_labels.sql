-- Issue 25: /account shows each signed-in browser and device token with a short description of the
-- client ("Firefox on Linux", an app's own User-Agent cut to 80 characters), not the raw header.
-- Written with the once-a-minute last-seen update (and on the first request of a new session or
-- token), so no request pays a write of its own for it.
ALTER TABLE sessions ADD COLUMN client_label text;
ALTER TABLE device_tokens ADD COLUMN client_label text;
