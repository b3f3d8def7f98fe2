import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import type { Logger } from "../log.js";
import { type DeliveryRun, MailDelivery, type MailTransport } from "./delivery.js";
import { MailSettings } from "./mail-settings.js";
import type { Enqueued } from "./mail-model.js";
import { MailOutbox } from "./outbox.js";
import { scheduleReminders } from "./reminder-run.js";

/** What one run of the mail loop did: reminders written, mails sent, retried and failed. */
export interface MailRun extends DeliveryRun {
  reminders: Enqueued;
}

/**
 * E-mail as one service: the outbox (`outbox.notify` is how any service sends a notice), each
 * site's reminder days, the reminder scheduler and the sender. `runOnce` is one turn of the loop
 * every instance runs (engine/main.ts); tests call it with their own clock instead of waiting.
 */
export class MailService {
  readonly outbox: MailOutbox;
  readonly settings: MailSettings;
  readonly delivery: MailDelivery;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly log: Logger,
    transport: MailTransport | null,
    options: { from: string; publicUrl: string; batchSize?: number },
  ) {
    this.outbox = new MailOutbox(db, clock);
    this.settings = new MailSettings(db, clock);
    this.delivery = new MailDelivery(db, clock, log, transport, options);
  }

  /** Whether SMTP_URL is set (without it mails are queued and not sent). */
  get configured(): boolean {
    return this.delivery.configured;
  }

  /** Writes the reminders due now, then sends every mail due. Throws when the database fails. */
  async runOnce(): Promise<MailRun> {
    const reminders = await scheduleReminders(this.db, this.clock, this.settings, this.outbox);
    const run = await this.delivery.deliverDue();
    return { ...run, reminders };
  }

  /**
   * Runs the loop every `everyMs` (and once now) until the returned stop is called; a run that
   * fails (the database down) is logged as one line and tried again at the next turn.
   */
  start(everyMs = 30_000): () => void {
    let running = false;
    let stopped = false;
    const turn = async () => {
      if (running || stopped) return;
      running = true;
      try {
        const run = await this.runOnce();
        if (run.sent || run.failed || run.reminders.queued) this.log.info("mail run", { ...run });
      } catch (err) {
        this.log.error("mail run failed", { error: (err as Error).message });
      } finally {
        running = false;
      }
    };
    void turn();
    const timer = setInterval(() => void turn(), everyMs);
    timer.unref();
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }
}
