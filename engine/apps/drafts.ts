import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { checkDefinition, DefinitionError } from "../schema/app-definition.js";
import type { AppDefinition } from "../schema/types.js";
import type { Actor } from "./record-store-contract.js";
import type { AppRegistry } from "./registry.js";

/** The designer's unpublished definition of one app on one site. */
export interface AppDraft {
  definition: AppDefinition;
  /** The published version the draft started from; Publish is refused if another version came first. */
  baseVersion: number;
  updatedAt: Date;
  updatedBy: { id: string | null; name: string };
}

/**
 * Designer drafts (table app_drafts): one per app and site, shared by every
 * designer, so a reload or a second tab loses nothing and a second designer
 * sees whose changes are pending. A draft is saved only after it passed the
 * definition check; the live app is untouched until publish(), which saves
 * the draft as the app's next version and drops it in one transaction.
 */
export class AppDrafts {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly registry: AppRegistry,
  ) {}

  /** The draft of an app, or null when it has none. */
  async get(siteId: string, appId: string, db: Db = this.db): Promise<AppDraft | null> {
    const { rows } = await db.query<{
      definition: AppDefinition;
      base_version: number;
      updated_at: Date;
      updated_by: string | null;
      updated_by_name: string;
    }>(
      `SELECT definition, base_version, updated_at, updated_by, updated_by_name FROM app_drafts
       WHERE site_id = $1 AND app_id = $2`,
      [siteId, appId],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      definition: r.definition,
      baseVersion: r.base_version,
      updatedAt: new Date(r.updated_at),
      updatedBy: { id: r.updated_by, name: r.updated_by_name },
    };
  }

  /**
   * Saves a definition as the app's draft (replacing any earlier one, whoever
   * wrote it). Throws DefinitionError when it fails the definition check: a
   * draft is always a definition that could be published.
   */
  async save(siteId: string, definition: AppDefinition, baseVersion: number, actor: Actor): Promise<AppDraft> {
    const check = checkDefinition(definition);
    if (!check.ok) throw new DefinitionError(`draft of ${definition.id}`, check.problems);
    const now = this.clock.now();
    await this.db.query(
      `INSERT INTO app_drafts (site_id, app_id, definition, base_version, updated_at, updated_by, updated_by_name)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (site_id, app_id) DO UPDATE SET definition = EXCLUDED.definition,
         base_version = EXCLUDED.base_version, updated_at = EXCLUDED.updated_at,
         updated_by = EXCLUDED.updated_by, updated_by_name = EXCLUDED.updated_by_name`,
      [siteId, definition.id, JSON.stringify(definition), baseVersion, now, actor.id, actor.name],
    );
    return { definition, baseVersion, updatedAt: now, updatedBy: { id: actor.id, name: actor.name } };
  }

  /** Drops an app's draft; true when there was one. */
  async discard(siteId: string, appId: string, db: Db = this.db): Promise<boolean> {
    const { rows } = await db.query<{ app_id: string }>(
      "DELETE FROM app_drafts WHERE site_id = $1 AND app_id = $2 RETURNING app_id",
      [siteId, appId],
    );
    return rows.length > 0;
  }

  /**
   * Saves the draft as the app's next version and drops it, in one
   * transaction. Returns the new version number, or null when there is no
   * draft. Throws DefinitionVersionConflict when another version was saved
   * after the draft started (the draft is kept).
   */
  async publish(siteId: string, appId: string, actor: Actor): Promise<number | null> {
    return this.db.transaction(async (tx) => {
      const draft = await this.get(siteId, appId, tx);
      if (!draft) return null;
      const saved = await this.registry.save(siteId, draft.definition, actor, draft.baseVersion, null, tx);
      await this.discard(siteId, appId, tx);
      return saved.version;
    });
  }

  /** Which apps of a site have a draft, with who changed it last and when. */
  async summaries(siteId: string): Promise<Map<string, { updatedAt: Date; updatedBy: string }>> {
    const { rows } = await this.db.query<{ app_id: string; updated_at: Date; updated_by_name: string }>(
      "SELECT app_id, updated_at, updated_by_name FROM app_drafts WHERE site_id = $1",
      [siteId],
    );
    return new Map(rows.map((r) => [r.app_id, { updatedAt: new Date(r.updated_at), updatedBy: r.updated_by_name }]));
  }
}
