import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { HOLDS_FACTOR } from "../db/factor-rows.js";
import { isUuid } from "../util/uuid.js";
import {
  type Enqueued,
  type MailKind,
  type MailState,
  NO_ADDRESS,
  type NoticeDetails,
  type NoticeKind,
  type Notices,
  type OutboxEntry,
} from "./mail-model.js";

/** A notice whose user's administrators get a mail of their own too (at most one per user per lock). */
const ADMIN_COPY: Partial<Record<NoticeKind, MailKind>> = { mfa_locked: "admin_user_locked" };

/**
 * The facts every mail to a user carries, read in the enqueueing statement itself from `users u`,
 * `sites st` and the user's MFA settings `s` (NULL when MFA is off); `reservedToken` is the serial
 * number of a hardware token reserved for the user and not yet assigned (NULL without one).
 */
const USER_FACTS = `jsonb_build_object('siteName', st.name, 'username', u.username, 'displayName', u.display_name,
  'deadline', s.required_from, 'delayDays', s.enforcement_delay_days, 'timeZone', st.time_zone,
  'reservedToken', (SELECT t.serial_number FROM hardware_tokens t WHERE t.reserved_for_user_id = u.id AND NOT t.disabled
    AND NOT EXISTS (SELECT 1 FROM mfa_enrollments e WHERE e.token_id = t.id) ORDER BY t.serial_number LIMIT 1))`;

/**
 * FROM and WHERE of the users a reminder by hand reaches: MFA on (`s`), not set up, not disabled;
 * callers add their own conditions with AND.
 */
const REMINDABLE = `FROM users u JOIN sites st ON st.id = u.site_id JOIN mfa_settings s ON s.user_id = u.id AND s.enabled
  WHERE NOT u.disabled AND NOT ${HOLDS_FACTOR}`;

/**
 * The one INSERT of every enqueue: `recipients` is a query with the columns site_id, user_id, kind,
 * email (NULL: skipped, counted), details, reminder_deadline and reminder_step. `$now` is the
 * parameter number of the enqueue time.
 */
function insertFrom(recipients: string, now: number, noAddress: number, onConflict = ""): string {
  return `INSERT INTO mail_outbox (site_id, user_id, kind, to_address, details, state, next_attempt_at, last_error,
      reminder_deadline, reminder_step, created_at, updated_at)
    SELECT r.site_id, r.user_id, r.kind, r.email, r.details, CASE WHEN r.email IS NULL THEN 'skipped' ELSE 'queued' END,
      $${now}, CASE WHEN r.email IS NULL THEN $${noAddress}::text END, r.reminder_deadline, r.reminder_step, $${now}, $${now}
    FROM (${recipients}) r ${onConflict}`;
}

/**
 * The transactional outbox: every mail is a row written in the transaction of the change that
 * causes it, with one statement (so a rolled-back change sends nothing and a request gains at most
 * one statement). MailDelivery sends the rows; the console reads them here.
 */
export class MailOutbox implements Notices {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /**
   * THE way to send a security notice (or the "MFA switched on" mail): enqueues a mail of `kind`
   * to each user of `userIds` inside the caller's transaction `tx`, in one statement. The user's
   * site name, username, display name and MFA deadline are read by that statement; `details` adds
   * the kind's own facts (never a secret: no code, pass, key or password). A user without an
   * e-mail address gets a row marked skipped ("no e-mail address"), so it is counted. For
   * `mfa_locked` each administrator of the user's site gets an `admin_user_locked` mail in the
   * same statement; one without an address a skipped row, like a user (docs/admin-guide.md). Unknown ids are left out. Returns the counts.
   */
  async notify(
    tx: Db,
    userIds: string | readonly string[],
    kind: NoticeKind,
    details: NoticeDetails = {},
  ): Promise<Enqueued> {
    const ids = (typeof userIds === "string" ? [userIds] : userIds).filter(isUuid);
    if (!ids.length) return { queued: 0, skipped: 0 };
    const adminKind = ADMIN_COPY[kind] ?? null;
    const recipients = `
      SELECT u.site_id, u.id AS user_id, $2::text AS kind, NULLIF(btrim(u.email), '') AS email,
        ${USER_FACTS} || $3::jsonb AS details, NULL::timestamptz AS reminder_deadline, NULL::text AS reminder_step
      FROM users u JOIN sites st ON st.id = u.site_id LEFT JOIN mfa_settings s ON s.user_id = u.id AND s.enabled
      WHERE u.id = ANY($1::uuid[])
      UNION ALL
      SELECT a.site_id, a.id, $4::text, NULLIF(btrim(a.email), ''),
        jsonb_build_object('siteName', st.name, 'username', a.username, 'displayName', a.display_name,
          'lockedUser', u.username) || $3::jsonb, NULL, NULL
      FROM users u JOIN sites st ON st.id = u.site_id
        JOIN users a ON a.site_id = u.site_id AND a.role = 'admin' AND NOT a.disabled AND a.id <> u.id
      WHERE $4::text IS NOT NULL AND u.id = ANY($1::uuid[])`;
    const { rows } = await tx.query<{ state: MailState }>(`${insertFrom(recipients, 5, 6)} RETURNING state`, [
      ids,
      kind,
      JSON.stringify(details),
      adminKind,
      this.clock.now(),
      NO_ADDRESS,
    ]);
    return count(rows);
  }

  /**
   * Scheduled reminders (see dueReminders), one statement: each is written only while the user's
   * MFA is still on with that deadline and not activated, and at most once per user, deadline and
   * step (a unique index: two instances scheduling at once write one row).
   */
  async enqueueReminders(reminders: readonly { userId: string; deadline: Date; step: string }[]): Promise<Enqueued> {
    if (!reminders.length) return { queued: 0, skipped: 0 };
    const recipients = `
      SELECT u.site_id, u.id AS user_id, 'mfa_reminder' AS kind, NULLIF(btrim(u.email), '') AS email,
        ${USER_FACTS} || jsonb_build_object('step', r.step) AS details, s.required_from AS reminder_deadline,
        r.step AS reminder_step
      FROM unnest($1::uuid[], $2::timestamptz[], $3::text[]) AS r(user_id, deadline, step)
        JOIN users u ON u.id = r.user_id JOIN sites st ON st.id = u.site_id
        -- The deadline as stored (microseconds), matched to the one read (a Date: milliseconds).
        JOIN mfa_settings s ON s.user_id = u.id AND s.enabled AND s.required_from >= r.deadline
          AND s.required_from < r.deadline + interval '1 millisecond'
      WHERE NOT u.disabled AND NOT ${HOLDS_FACTOR}`;
    const { rows } = await this.db.query<{ state: MailState }>(
      `${insertFrom(recipients, 4, 5, "ON CONFLICT (user_id, reminder_deadline, reminder_step) WHERE kind = 'mfa_reminder' DO NOTHING")} RETURNING state`,
      [
        reminders.map((r) => r.userId),
        reminders.map((r) => r.deadline),
        reminders.map((r) => r.step),
        this.clock.now(),
        NO_ADDRESS,
      ],
    );
    return count(rows);
  }

  /**
   * "Send reminder now": a reminder to each user of `userIds` whose MFA is on and not activated
   * (others are left out), in one statement, in `db` (a transaction or the pool). Returns the counts.
   */
  async remindNow(userIds: readonly string[], db: Db = this.db): Promise<Enqueued> {
    const ids = userIds.filter(isUuid);
    if (!ids.length) return { queued: 0, skipped: 0 };
    return this.#remind("u.id = ANY($3::uuid[])", ids, db);
  }

  /**
   * "Remind everyone pending": a reminder to every user of the site (null: of every site: a
   * rollout on every site) whose MFA is on and not activated and who is not disabled, or to those
   * of them who belong to a rollout (`rolloutId`: mfa_settings.rollout_id), in one statement.
   * Returns the counts; pendingCount says beforehand how many it reaches.
   */
  async remindPending(siteId: string | null, rolloutId: string | null = null, db: Db = this.db): Promise<Enqueued> {
    if (rolloutId !== null && !isUuid(rolloutId)) return { queued: 0, skipped: 0 };
    return this.#remind(
      `($3::uuid IS NULL OR u.site_id = $3) AND ($4::uuid IS NULL OR s.rollout_id = $4::uuid)`,
      siteId,
      db,
      rolloutId,
    );
  }

  /**
   * How many users "Remind everyone pending" of the site `siteId` reaches (those it queues a mail
   * for and those it skips for want of an address): the same rows as remindPending, for the button's count.
   */
  async pendingCount(siteId: string, db: Db = this.db): Promise<number> {
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n ${REMINDABLE} AND u.site_id = $1`, [
      siteId,
    ]);
    return rows[0]!.n;
  }

  async #remind(where: string, scope: unknown, db: Db, rolloutId?: string | null): Promise<Enqueued> {
    const recipients = `
      SELECT u.site_id, u.id AS user_id, 'mfa_reminder_now' AS kind, NULLIF(btrim(u.email), '') AS email,
        ${USER_FACTS} || jsonb_build_object('step', CASE WHEN s.required_from <= $1 THEN 'overdue' END) AS details,
        NULL::timestamptz AS reminder_deadline, NULL::text AS reminder_step
      ${REMINDABLE} AND ${where}`;
    const params: unknown[] = [this.clock.now(), NO_ADDRESS, scope];
    if (rolloutId !== undefined) params.push(rolloutId);
    const { rows } = await db.query<{ state: MailState }>(`${insertFrom(recipients, 1, 2)} RETURNING state`, params);
    return count(rows);
  }

  /** "Send a test mail": one mail to `address`, on `siteId` (its name in the subject). */
  async enqueueTest(siteId: string, address: string): Promise<void> {
    const now = this.clock.now();
    await this.db.query(
      `INSERT INTO mail_outbox (site_id, kind, to_address, details, state, next_attempt_at, created_at, updated_at)
       SELECT id, 'test', $2, jsonb_build_object('siteName', name), 'queued', $3, $3, $3 FROM sites WHERE id = $1`,
      [siteId, address, now],
    );
  }

  /** When the user's last reminder (scheduled or by hand) was sent, or null. */
  async lastReminderSent(userId: string): Promise<Date | null> {
    if (!isUuid(userId)) return null;
    const { rows } = await this.db.query<{ at: Date | null }>(
      `SELECT max(sent_at) AS at FROM mail_outbox
       WHERE user_id = $1 AND kind IN ('mfa_reminder', 'mfa_reminder_now') AND state = 'sent'`,
      [userId],
    );
    return rows[0]?.at ?? null;
  }

  /**
   * The newest mails of a site (null: every site), at most `limit`, optionally of one state and
   * one kind, for Configure > Notifications; with the count per state.
   */
  async list(
    siteId: string | null,
    filter: { state?: MailState; kind?: MailKind; limit?: number } = {},
  ): Promise<{ entries: OutboxEntry[]; counts: Record<MailState, number> }> {
    const { rows } = await this.db.query<{
      id: string;
      kind: MailKind;
      state: MailState;
      to_address: string | null;
      user_id: string | null;
      username: string | null;
      attempts: number;
      last_error: string | null;
      created_at: Date;
      sent_at: Date | null;
      next_attempt_at: Date;
    }>(
      `SELECT o.id::text, o.kind, o.state, o.to_address, o.user_id, u.username, o.attempts, o.last_error, o.created_at,
         o.sent_at, o.next_attempt_at
       FROM mail_outbox o LEFT JOIN users u ON u.id = o.user_id
       WHERE ($1::uuid IS NULL OR o.site_id = $1) AND ($2::text IS NULL OR o.state = $2) AND ($3::text IS NULL OR o.kind = $3)
       ORDER BY o.id DESC LIMIT $4`,
      [siteId, filter.state ?? null, filter.kind ?? null, filter.limit ?? 100],
    );
    const counted = await this.db.query<{ state: MailState; n: number }>(
      `SELECT state, count(*)::int AS n FROM mail_outbox WHERE ($1::uuid IS NULL OR site_id = $1) GROUP BY state`,
      [siteId],
    );
    const counts: Record<MailState, number> = { queued: 0, sending: 0, sent: 0, failed: 0, skipped: 0 };
    for (const r of counted.rows) counts[r.state] = r.n;
    return {
      entries: rows.map((r) => ({
        id: r.id,
        kind: r.kind,
        state: r.state,
        toAddress: r.to_address,
        userId: r.user_id,
        username: r.username,
        attempts: r.attempts,
        lastError: r.last_error,
        createdAt: r.created_at,
        sentAt: r.sent_at,
        nextAttemptAt: r.next_attempt_at,
      })),
      counts,
    };
  }
}

function count(rows: readonly { state: MailState }[]): Enqueued {
  const skipped = rows.filter((r) => r.state === "skipped").length;
  return { queued: rows.length - skipped, skipped };
}
