import type { Db } from "../db/db.js";
import { foldSql } from "../db/fold.js";
import { sql } from "../db/statement.js";

/** One audit entry as read back: `at` is when it was written, `details` what its caller recorded (never a secret). */
export interface AuditRow {
  id: number;
  at: Date;
  /** The acting user's id while that account exists (null for the system, the CLI or a deleted user). */
  actorId: string | null;
  actorName: string;
  /** The target's id while that account exists (the foreign key is set null when it is deleted). */
  targetId: string | null;
  action: string;
  targetName: string | null;
  details: Record<string, unknown>;
}

/** What /configure/audit and its CSV export ask for; every field but siteId is optional. */
export interface AuditFilter {
  siteId: string;
  /** Username of the target or the actor as it was when the entry was written, any case. */
  user?: string;
  /** Which side `user` must be: who acted (actor), whom it touched (target); either when unset. */
  role?: "actor" | "target";
  /** Sign-in entries (and others that record one) of this surface only: details.surface. */
  surface?: "web" | "device";
  action?: string;
  /** Entries written at or after this instant. */
  from?: Date;
  /** Entries written before this instant (the route passes the day after the last day asked for). */
  before?: Date;
  /** Keyset paging: entries older than this id. */
  afterId?: number;
  limit?: number;
}

/** Reading the audit log for /configure/audit: always one site, newest first, keyset paging. */
export class AuditSearch {
  constructor(private readonly db: Db) {}

  /**
   * One page of a site's entries matching the filter, newest first: at most `limit` (1–200, default
   * 50) rows and the id to pass as `afterId` for the next page (null on the last).
   */
  async list(f: AuditFilter): Promise<{ rows: AuditRow[]; nextAfter: number | null }> {
    const limit = Math.min(Math.max(f.limit ?? 50, 1), 200);
    const { rows } = await this.db.query<{
      id: number | string;
      at: Date;
      actor_id: string | null;
      target_user_id: string | null;
      actor_name: string;
      action: string;
      target_name: string | null;
      details: Record<string, unknown>;
    }>(
      `SELECT id, at, actor_id, target_user_id, actor_name, action, target_name, details FROM audit_log
       WHERE site_id = $1
         AND ($2::text IS NULL
           OR ($8::text IS DISTINCT FROM 'actor' AND ${foldSql(sql`target_name`)} = ${foldSql(sql`$2`)})
           OR ($8::text IS DISTINCT FROM 'target' AND ${foldSql(sql`actor_name`)} = ${foldSql(sql`$2`)}))
         AND ($9::text IS NULL OR details->>'surface' = $9)
         AND ($3::text IS NULL OR action = $3)
         AND ($4::bigint IS NULL OR id < $4)
         AND ($5::timestamptz IS NULL OR at >= $5)
         AND ($6::timestamptz IS NULL OR at < $6)
       ORDER BY id DESC LIMIT $7`,
      [
        f.siteId,
        f.user || null,
        f.action || null,
        f.afterId ?? null,
        f.from ?? null,
        f.before ?? null,
        limit + 1,
        f.role ?? null,
        f.surface ?? null,
      ],
    );
    const page = rows.slice(0, limit).map((r) => ({
      id: Number(r.id),
      at: new Date(r.at),
      actorId: r.actor_id,
      targetId: r.target_user_id,
      actorName: r.actor_name,
      action: r.action,
      targetName: r.target_name,
      details: r.details ?? {},
    }));
    return { rows: page, nextAfter: rows.length > limit ? page.at(-1)!.id : null };
  }

  /**
   * Every entry matching the filter, newest first, a page of 200 at a time (for the CSV export):
   * at most `max` rows, so an export stays bounded.
   */
  async *all(f: Omit<AuditFilter, "afterId" | "limit">, max = 100_000): AsyncGenerator<AuditRow> {
    let afterId: number | undefined;
    let n = 0;
    for (;;) {
      const { rows, nextAfter } = await this.list({ ...f, afterId, limit: 200 });
      for (const r of rows) {
        if (n++ >= max) return;
        yield r;
      }
      if (nextAfter === null) return;
      afterId = nextAfter;
    }
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
