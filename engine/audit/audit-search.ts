import type { Db } from "../db/db.js";

/**
 * One audit entry as the audit page shows it: id (increasing), time, actor and target usernames,
 * action and details.
 */
export interface AuditRow {
  id: number;
  at: Date;
  actorName: string;
  action: string;
  targetName: string | null;
  details: Record<string, unknown>;
}

/**
 * Which audit entries of one site to list: by user and action, newest first, `limit` entries per
 * page after the keyset cursor `afterId`.
 */
export interface AuditFilter {
  siteId: string;
  /** Username of the target or the actor, any case. */
  user?: string;
  action?: string;
  /** Keyset paging: entries older than this id. */
  afterId?: number;
  limit?: number;
}

/** Reading the audit log for /configure/audit: always one site, newest first, keyset paging. */
export class AuditSearch {
  constructor(private readonly db: Db) {}

  async list(f: AuditFilter): Promise<{ rows: AuditRow[]; nextAfter: number | null }> {
    const limit = Math.min(Math.max(f.limit ?? 50, 1), 200);
    const { rows } = await this.db.query<{
      id: number | string;
      at: Date;
      actor_name: string;
      action: string;
      target_name: string | null;
      details: Record<string, unknown>;
    }>(
      `SELECT id, at, actor_name, action, target_name, details FROM audit_log
       WHERE site_id = $1
         AND ($2::text IS NULL OR lower(target_name) = lower($2) OR lower(actor_name) = lower($2))
         AND ($3::text IS NULL OR action = $3)
         AND ($4::bigint IS NULL OR id < $4)
       ORDER BY id DESC LIMIT $5`,
      [f.siteId, f.user || null, f.action || null, f.afterId ?? null, limit + 1],
    );
    const page = rows.slice(0, limit).map((r) => ({
      id: Number(r.id),
      at: new Date(r.at),
      actorName: r.actor_name,
      action: r.action,
      targetName: r.target_name,
      details: r.details ?? {},
    }));
    return { rows: page, nextAfter: rows.length > limit ? page.at(-1)!.id : null };
  }

  /** The actions recorded on a site, for the filter's choices. */
  async actions(siteId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ action: string }>(
      "SELECT DISTINCT action FROM audit_log WHERE site_id = $1 ORDER BY action",
      [siteId],
    );
    return rows.map((r) => r.action);
  }
}
