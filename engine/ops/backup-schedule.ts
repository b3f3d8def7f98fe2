import type { Clock } from "../clock.js";
import type { Logger } from "../log.js";
import type { Services } from "../services.js";
import { BackupNotWrittenError } from "./backup-file.js";
import type { Backups } from "./backups.js";

/** BACKUP_SCHEDULE parsed: at the start of every hour, or once a day at hour:minute UTC. */
export type BackupScheduleSpec = { kind: "hourly" } | { kind: "daily"; hour: number; minute: number };

/** What BACKUP_SCHEDULE accepts (the configuration schema has the same pattern). */
const SCHEDULE = /^(?:hourly|daily@([01][0-9]|2[0-3]):([0-5][0-9]))$/;

/** Parses BACKUP_SCHEDULE (`hourly`, `daily@HH:MM` in UTC); null for anything else. */
export function parseBackupSchedule(text: string): BackupScheduleSpec | null {
  const m = SCHEDULE.exec(text);
  if (!m) return null;
  return m[1] === undefined ? { kind: "hourly" } : { kind: "daily", hour: Number(m[1]), minute: Number(m[2]) };
}

const HOUR_MS = 3_600_000;

/** How many scheduled backups are kept when BACKUP_KEEP is unset. */
export const DEFAULT_BACKUP_KEEP = 7;

/** The first time strictly after `after` at which `spec` runs: the next full hour, or the next HH:MM UTC. */
export function nextBackupAt(spec: BackupScheduleSpec, after: Date): Date {
  const t = after.getTime();
  if (spec.kind === "hourly") return new Date(Math.floor(t / HOUR_MS) * HOUR_MS + HOUR_MS);
  const d = new Date(t);
  const today = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), spec.hour, spec.minute);
  return new Date(today > t ? today : today + 24 * HOUR_MS);
}

/** What one scheduled run did. */
export interface ScheduledRun {
  /** The backup's file name, or null when it failed. */
  made: string | null;
  /** The schedule's own older backups deleted to keep BACKUP_KEEP. */
  deleted: string[];
  error?: string;
}

/**
 * BACKUP_SCHEDULE and BACKUP_KEEP acting in the running server: `tick()` makes a backup when the
 * clock has reached the next run time, then deletes the schedule's own backups beyond `keep` (never
 * another file, see Backups.pruneScheduled). A run the server was down for is not caught up; a
 * failed run is logged and the schedule goes on with the next time. `start()` ticks every 30 s of
 * real time; tests call tick() after moving a ManualClock.
 */
export class BackupSchedule {
  #next: Date;
  #running: Promise<ScheduledRun | null> | null = null;

  constructor(
    private readonly backups: Backups,
    private readonly clock: Clock,
    private readonly spec: BackupScheduleSpec,
    private readonly keep: number,
    private readonly log: Logger,
  ) {
    this.#next = nextBackupAt(spec, clock.now());
  }

  /** When the next backup is due. */
  get next(): Date {
    return this.#next;
  }

  /** Runs a backup if one is due (and none is running); null when nothing was due. Never throws. */
  tick(): Promise<ScheduledRun | null> {
    if (this.#running) return this.#running;
    const now = this.clock.now();
    if (now < this.#next) return Promise.resolve(null);
    this.#next = nextBackupAt(this.spec, now);
    this.#running = this.#run().finally(() => (this.#running = null));
    return this.#running;
  }

  async #run(): Promise<ScheduledRun> {
    let made: string | null = null;
    try {
      made = (await this.backups.create("schedule")).name;
      const deleted = await this.backups.pruneScheduled(this.keep);
      this.log.info("scheduled backup made", { file: made, deleted, next: this.#next.toISOString() });
      return { made, deleted };
    } catch (err) {
      const error = (err as Error).message;
      const fields = { file: made, error, next: this.#next.toISOString() };
      // Not a bug: the disk or the folder refused the file, which is removed. A warning the
      // operator acts on (Configure > Backups shows it too); anything else is an error.
      if (err instanceof BackupNotWrittenError) this.log.warn("scheduled backup failed", fields);
      else this.log.error("scheduled backup failed", fields);
      return { made, deleted: [], error };
    }
  }

  /**
   * Ticks every `everyMs` (30 s) until the returned function is called; that function resolves once
   * a backup in progress has finished, so the database is not closed under it.
   */
  start(everyMs = 30_000): () => Promise<void> {
    const timer = setInterval(() => void this.tick(), everyMs);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await this.#running;
    };
  }
}

/**
 * At server start: removes the unfinished files a killed backup left in DATA_DIR/backups, and runs
 * BACKUP_SCHEDULE (keeping BACKUP_KEEP, 7 when unset) when it is set, ticking every `everyMs`.
 * Returns the schedule (null without one) and the function that stops it, which resolves once a
 * backup in progress has finished.
 */
export function startBackupSchedule(
  s: Pick<Services, "backups" | "clock" | "config">,
  log: Logger,
  everyMs = 30_000,
): { schedule: BackupSchedule | null; stop: () => Promise<void> } {
  const none = { schedule: null, stop: async () => {} };
  if (!s.backups.available) return none;
  const stale = s.backups.removeStalePartials();
  if (stale.length) log.warn("unfinished backups removed (a backup was interrupted)", { files: stale });
  const spec = s.config.BACKUP_SCHEDULE ? parseBackupSchedule(s.config.BACKUP_SCHEDULE) : null;
  if (!spec) return none;
  const keep = s.config.BACKUP_KEEP ?? DEFAULT_BACKUP_KEEP;
  const schedule = new BackupSchedule(s.backups, s.clock, spec, keep, log.child({ component: "backups" }));
  log.info("backup schedule", { schedule: s.config.BACKUP_SCHEDULE, keep, next: schedule.next.toISOString() });
  return { schedule, stop: schedule.start(everyMs) };
}
