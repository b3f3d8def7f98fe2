import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";

export interface AuditEntry {
  siteId: string | null;
  actor: { id: string | null; name: string };
  action: string;
  target?: { id: string; name: string };
  details?: Record<string, unknown>;
}

/** Append-only record of security-relevant changes. Callers never pass secrets in details. */
export class AuditLog {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async record(e: AuditEntry, db: Db = this.db): Promise<void> {
    await db.query(
      `INSERT INTO audit_log (at, site_id, actor_id, actor_name, action, target_user_id, target_name, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`,
      [
        this.clock.now(),
        e.siteId,
        e.actor.id,
        e.actor.name,
        e.action,
        e.target?.id ?? null,
        e.target?.name ?? null,
        JSON.stringify(e.details ?? {}),
      ],
    );
  }
}
