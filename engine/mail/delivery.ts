import type { AuditAction } from "../audit/audit-log.js";
import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import type { Logger } from "../log.js";
import type { MailFacts, MailKind, RenderedMail } from "./mail-model.js";
import { classifyFailure, retryDelaySeconds } from "./retry.js";
import { renderMail } from "./templates.js";

/** What sends one mail: nodemailer's SMTP transport in the server (see smtpTransport), anything alike in a test. */
export interface MailTransport {
  /** Resolves when the server accepted the mail; rejects with nodemailer's error (responseCode, code) otherwise. */
  send(to: string, mail: RenderedMail): Promise<void>;
  close(): void;
}

/** A claimed row of the outbox, as the sender reads it. */
interface Claimed {
  id: string;
  kind: MailKind;
  to_address: string;
  details: MailFacts;
  attempts: number;
}

/** What one delivery run did. */
export interface DeliveryRun {
  sent: number;
  retried: number;
  failed: number;
}

/** How long a claimed row stays with its instance before another may claim it (the instance died mid-send). */
const LEASE_SECONDS = 300;

/**
 * The sender: claims due rows of the outbox (FOR UPDATE SKIP LOCKED, then 'sending' with a lease,
 * so any number of instances never send one mail twice), writes each mail from its facts and the
 * site's MFA policy as it is when sent (the methods a mail names), sends
 * it, and records the outcome with an audit entry for its user (mail.sent / mail.failed, the kind
 * and the reason, never the body). A temporary failure is retried later with a growing delay
 * (retry.ts); a permanent one or the last try marks the mail failed with the reason.
 */
export class MailDelivery {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly transport: MailTransport | null,
    private readonly options: { from: string; publicUrl: string; batchSize?: number },
  ) {}

  /** Whether SMTP_URL is set: without it mails stay queued. */
  get configured(): boolean {
    return this.transport !== null;
  }

  /**
   * Sends every mail due now, batch after batch until none is left (or `maxBatches`). Returns the
   * counts. Does nothing when e-mail is not configured. Throws only when the database fails.
   */
  async deliverDue(maxBatches = Infinity): Promise<DeliveryRun> {
    const total: DeliveryRun = { sent: 0, retried: 0, failed: 0 };
    if (!this.transport) return total;
    for (let i = 0; i < maxBatches; i++) {
      const claimed = await this.#claim();
      if (!claimed.length) break;
      const run = await this.#sendAll(claimed);
      total.sent += run.sent;
      total.retried += run.retried;
      total.failed += run.failed;
    }
    return total;
  }

  async #claim(): Promise<Claimed[]> {
    const now = this.clock.now();
    const { rows } = await this.db.query<Claimed>(
      `UPDATE mail_outbox o SET state = 'sending', attempts = o.attempts + 1, updated_at = $1,
         next_attempt_at = $1::timestamptz + make_interval(secs => $3)
       WHERE o.id IN (SELECT id FROM mail_outbox WHERE state IN ('queued', 'sending') AND next_attempt_at <= $1
                      ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING o.id::text, o.kind, o.to_address, o.attempts,
         -- The site's allowed methods and passwordless sign-in as they are now: the mails name them.
         -- When it is written: a deadline not after it is worded as passed.
         o.details || coalesce((SELECT jsonb_build_object('allowedMethods', to_jsonb(p.allowed_methods),
             'passkeySignIn', p.passkey_sign_in) FROM mfa_site_policies p WHERE p.site_id = o.site_id), '{}')
           || jsonb_build_object('writtenAt', $1::timestamptz) AS details`,
      [now, this.options.batchSize ?? 50, LEASE_SECONDS],
    );
    return rows;
  }

  async #sendAll(claimed: readonly Claimed[]): Promise<DeliveryRun> {
    const sent: string[] = [];
    const retry: { id: string; error: string; delay: number }[] = [];
    const failed: { id: string; error: string }[] = [];
    await Promise.all(
      claimed.map(async (row) => {
        try {
          await this.transport!.send(row.to_address, renderMail(row.kind, row.details, this.options.publicUrl));
          sent.push(row.id);
        } catch (err) {
          const { permanent, reason } = classifyFailure(err);
          const delay = retryDelaySeconds(row.attempts);
          if (permanent || delay === null) failed.push({ id: row.id, error: reason });
          else retry.push({ id: row.id, error: reason, delay });
        }
      }),
    );
    const now = this.clock.now();
    if (sent.length) {
      await this.#finish(
        `UPDATE mail_outbox SET state = 'sent', sent_at = $2, updated_at = $2, last_error = NULL
         WHERE id = ANY($1::bigint[]) AND state = 'sending'
         RETURNING id, site_id, user_id, kind, attempts, NULL::text AS reason`,
        [sent, now],
        "mail.sent",
      );
    }
    if (failed.length) {
      await this.#finish(
        `UPDATE mail_outbox o SET state = 'failed', updated_at = $3, last_error = f.error
         FROM unnest($1::bigint[], $2::text[]) AS f(id, error) WHERE o.id = f.id AND o.state = 'sending'
         RETURNING o.id, o.site_id, o.user_id, o.kind, o.attempts, f.error AS reason`,
        [failed.map((f) => f.id), failed.map((f) => f.error), now],
        "mail.failed",
      );
    }
    if (retry.length) {
      await this.db.query(
        `UPDATE mail_outbox o SET state = 'queued', updated_at = $4, last_error = f.error,
           next_attempt_at = $4::timestamptz + make_interval(secs => f.delay)
         FROM unnest($1::bigint[], $2::text[], $3::int[]) AS f(id, error, delay) WHERE o.id = f.id AND o.state = 'sending'`,
        [retry.map((r) => r.id), retry.map((r) => r.error), retry.map((r) => r.delay), now],
      );
      this.log.warn("mail delivery will be retried", { mails: retry.length, reason: retry[0]!.error });
    }
    return { sent: sent.length, retried: retry.length, failed: failed.length };
  }

  /** Marks rows and writes one audit entry per mail with a user, in one statement. */
  async #finish(update: string, params: unknown[], action: AuditAction): Promise<void> {
    const n = params.length + 1;
    await this.db.query(
      `WITH done AS (${update})
       INSERT INTO audit_log (at, site_id, actor_id, actor_name, action, target_user_id, target_name, details)
       SELECT $${n}, d.site_id, NULL, 'system', $${n + 1}, d.user_id, u.username,
         jsonb_strip_nulls(jsonb_build_object('mail', d.id, 'kind', d.kind, 'attempts', d.attempts, 'reason', d.reason))
       FROM done d LEFT JOIN users u ON u.id = d.user_id`,
      [...params, this.clock.now(), action],
    );
  }
}
