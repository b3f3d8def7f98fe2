-- A deletion's audit entry names the deleted user (target_name) like every other entry, so the
-- audit filter (?user=NAME) and the CSV's user column find it after the user is gone. Entries
-- written before this recorded the name only in details.username.
UPDATE audit_log SET target_name = details->>'username'
  WHERE action = 'user.delete' AND target_name IS NULL AND details->>'username' IS NOT NULL;
