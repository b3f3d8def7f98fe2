import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { HOLDS_FACTOR } from "../db/factor-rows.js";
import type { MailSettings } from "./mail-settings.js";
import type { Enqueued } from "./mail-model.js";
import type { MailOutbox } from "./outbox.js";
import { DEFAULT_REMINDER_DAYS, dueReminders, lookaheadDays, type ReminderCandidate } from "./reminders.js";

/**
 * One run of the reminder scheduler: reads the pending users whose deadline is near or passed
 * (MFA on, not activated, account not disabled, the overdue mail not yet written for this
 * deadline), asks dueReminders which reminder each is due and writes those into the outbox, once
 * per user, deadline and step whatever number of instances run it at the same moment.
 */
export async function scheduleReminders(
  db: Db,
  clock: Clock,
  settings: MailSettings,
  outbox: MailOutbox,
): Promise<Enqueued> {
  const now = clock.now();
  const perSite = await settings.allReminderDays();
  const ahead = lookaheadDays([DEFAULT_REMINDER_DAYS, ...perSite.values()]);
  const { rows } = await db.query<{
    user_id: string;
    site_id: string;
    required_from: Date;
    enabled_at: Date;
    sent: string[];
  }>(
    `SELECT u.id AS user_id, u.site_id, s.required_from, s.enabled_at,
       coalesce((SELECT array_agg(o.reminder_step) FROM mail_outbox o
                 WHERE o.user_id = u.id AND o.kind = 'mfa_reminder' AND o.reminder_deadline = s.required_from), '{}') AS sent
     FROM mfa_settings s JOIN users u ON u.id = s.user_id
     WHERE s.enabled AND s.required_from <= $1::timestamptz + make_interval(secs => $2 * 86400) AND NOT u.disabled
       AND NOT ${HOLDS_FACTOR}
       AND NOT EXISTS (SELECT 1 FROM mail_outbox o WHERE o.user_id = u.id AND o.kind = 'mfa_reminder'
                       AND o.reminder_deadline = s.required_from AND o.reminder_step = 'overdue')`,
    [now, ahead],
  );
  const site = new Map(rows.map((r) => [r.user_id, r.site_id]));
  const candidates: ReminderCandidate[] = rows.map((r) => ({
    userId: r.user_id,
    deadline: r.required_from,
    since: r.enabled_at,
    sent: r.sent,
  }));
  const due = dueReminders(candidates, (c) => perSite.get(site.get(c.userId)!) ?? DEFAULT_REMINDER_DAYS, now);
  return outbox.enqueueReminders(due);
}
