import type { Logger } from "../log.js";
import type { Services } from "../services.js";

const DAY_MS = 86_400_000;

/** What one purge did: how many entries it deleted, per site (null: engine-wide entries), and the cut-off. */
export interface AuditPurge {
  deleted: number;
  before: Date;
}

/**
 * Deletes the audit entries older than AUDIT_RETENTION_DAYS (from the services' clock) in one
 * transaction and records the purge itself on each site that lost entries (`audit.purge`: how many,
 * up to when). Null when AUDIT_RETENTION_DAYS is unset: everything is kept.
 */
export async function purgeOldAudit(
  s: Pick<Services, "db" | "clock" | "config" | "audit">,
): Promise<AuditPurge | null> {
  const days = s.config.AUDIT_RETENTION_DAYS;
  if (!days) return null;
  const before = new Date(s.clock.now().getTime() - days * DAY_MS);
  return s.db.transaction(async (tx) => {
    const { rows } = await tx.query<{ site_id: string | null; n: number }>(
      `WITH gone AS (DELETE FROM audit_log WHERE at < $1 RETURNING site_id)
       SELECT site_id, count(*)::int AS n FROM gone GROUP BY site_id ORDER BY site_id NULLS LAST`,
      [before],
    );
    for (const r of rows) {
      await s.audit.record(
        {
          siteId: r.site_id,
          actor: { id: null, name: "system" },
          action: "audit.purge",
          details: { deleted: r.n, before: before.toISOString(), retentionDays: days },
        },
        tx,
      );
    }
    return { deleted: rows.reduce((sum, r) => sum + r.n, 0), before };
  });
}

/**
 * Runs purgeOldAudit at start and then once a day (a timer of this process; every instance may run
 * it, a second run finds nothing). Never throws: a failure is logged and retried the next day.
 * Returns the function that stops the timer.
 */
export function startAuditRetention(s: Services, log: Logger): () => void {
  if (!s.config.AUDIT_RETENTION_DAYS) return () => {};
  const run = () =>
    void purgeOldAudit(s)
      .then(
        (r) => r?.deleted && log.info("audit entries purged", { deleted: r.deleted, before: r.before.toISOString() }),
      )
      .catch((err: Error) => log.error("audit purge failed", { error: err.message }));
  run();
  const timer = setInterval(run, DAY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
