import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { ValidationError } from "../errors.js";
import { DEFAULT_REMINDER_DAYS } from "./reminders.js";

/** The most reminder days a site may set. */
export const MAX_REMINDER_DAYS = 5;
/** The largest reminder day: 90 days before the deadline. */
export const MAX_REMINDER_DAY = 90;

/**
 * Reads `reminderDays` as typed in the form ("7, 3, 1"): whole days 0–90, at most five, separated by
 * commas or spaces; empty means none. Returns them sorted from the largest, without repeats; throws
 * ValidationError on the field `reminderDays` with a plain message otherwise.
 */
export function parseReminderDays(raw: string): number[] {
  const parts = raw.split(/[\s,;]+/).filter(Boolean);
  const bad = parts.find((p) => !/^\d{1,3}$/.test(p) || Number(p) > MAX_REMINDER_DAY);
  if (bad !== undefined) {
    const message = `"${bad.slice(0, 20)}" is not a whole number of days from 0 to ${MAX_REMINDER_DAY}.`;
    throw new ValidationError(message, { reminderDays: message });
  }
  const days = [...new Set(parts.map(Number))].sort((a, b) => b - a);
  if (days.length > MAX_REMINDER_DAYS) {
    const message = `At most ${MAX_REMINDER_DAYS} reminder days, not ${days.length}.`;
    throw new ValidationError(message, { reminderDays: message });
  }
  return days;
}

/** Each site's reminder days (Configure > Notifications); a site that set none uses 7, 3 and 1. */
export class MailSettings {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** The site's reminder days, largest first. */
  async reminderDays(siteId: string): Promise<number[]> {
    const { rows } = await this.db.query<{ reminder_days: number[] }>(
      "SELECT reminder_days FROM mail_site_settings WHERE site_id = $1",
      [siteId],
    );
    return rows[0] ? rows[0].reminder_days : [...DEFAULT_REMINDER_DAYS];
  }

  /** Every site's reminder days that differ from the default, by site id. */
  async allReminderDays(): Promise<Map<string, number[]>> {
    const { rows } = await this.db.query<{ site_id: string; reminder_days: number[] }>(
      "SELECT site_id, reminder_days FROM mail_site_settings",
    );
    return new Map(rows.map((r) => [r.site_id, r.reminder_days]));
  }

  /** Stores the site's reminder days (already checked by parseReminderDays), with an audit entry by the caller. */
  async setReminderDays(
    siteId: string,
    days: readonly number[],
    actorId: string | null,
    db: Db = this.db,
  ): Promise<void> {
    await db.query(
      `INSERT INTO mail_site_settings (site_id, reminder_days, updated_at, updated_by) VALUES ($1, $2::int[], $3, $4)
       ON CONFLICT (site_id) DO UPDATE SET reminder_days = EXCLUDED.reminder_days, updated_at = EXCLUDED.updated_at,
         updated_by = EXCLUDED.updated_by`,
      [siteId, days, this.clock.now(), actorId],
    );
  }
}
