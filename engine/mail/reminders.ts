/**
 * The reminder scheduler, a pure function of (deadlines, reminder days, what was sent, now): which
 * reminder each pending user is due. No clock, no database: reminder-run.ts reads the inputs and
 * writes what this returns.
 */

/** A day before a deadline: 24 hours, as enforcementDeadline counts them. */
const DAY_MS = 86_400_000;

/** The site's reminder days when it set none: 7, 3 and 1 days before the deadline. */
export const DEFAULT_REMINDER_DAYS: readonly number[] = [7, 3, 1];

/** A user whose MFA is on and not activated, with the reminders already written for this deadline. */
export interface ReminderCandidate {
  userId: string;
  /** The user's MFA deadline now in force. */
  deadline: Date;
  /** When MFA was switched on (the "MFA switched on" mail went then): reminder times before it are not sent. */
  since: Date;
  /** Steps already written for this deadline: "7", "3", "1" (days before) or "overdue". */
  sent: readonly string[];
}

/** One reminder to write: the user, the deadline it is about, the step. */
export interface DueReminder {
  userId: string;
  deadline: Date;
  step: string;
}

/**
 * The reminders due at `now`. For each candidate: once the deadline has passed, the overdue mail
 * (once per deadline; not when the deadline was the moment MFA was switched on, delay 0). Before it,
 * the latest reminder day whose time (deadline − days × 24 h) has come and is after `since`,
 * unless that step or a later one was sent for this deadline: a server that was down for days sends
 * one reminder, not three. Day 0 is the deadline itself, which the overdue mail covers. A moved
 * deadline has nothing sent yet, so it starts over.
 */
export function dueReminders(
  candidates: readonly ReminderCandidate[],
  reminderDays: readonly number[] | ((c: ReminderCandidate) => readonly number[]),
  now: Date,
): DueReminder[] {
  const out: DueReminder[] = [];
  const t = now.getTime();
  for (const c of candidates) {
    const deadline = c.deadline.getTime();
    const since = c.since.getTime();
    if (t >= deadline) {
      if (deadline > since && !c.sent.includes("overdue"))
        out.push({ userId: c.userId, deadline: c.deadline, step: "overdue" });
      continue;
    }
    const days = (typeof reminderDays === "function" ? reminderDays(c) : reminderDays).filter((d) => d > 0);
    let latest: number | null = null;
    for (const d of days) {
      const at = deadline - d * DAY_MS;
      if (at <= t && at > since && (latest === null || d < latest)) latest = d;
    }
    if (latest === null) continue;
    const sentDays = c.sent.filter((s) => /^\d+$/.test(s)).map(Number);
    if (sentDays.some((s) => s <= latest)) continue;
    out.push({ userId: c.userId, deadline: c.deadline, step: String(latest) });
  }
  return out;
}

/** How far ahead of a deadline candidates are read: the largest reminder day of any site. */
export function lookaheadDays(daysPerSite: Iterable<readonly number[]>): number {
  let max = 0;
  for (const days of daysPerSite) for (const d of days) max = Math.max(max, d);
  return max;
}
