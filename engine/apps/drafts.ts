import { isoMinuteWithZone } from "../util/zoned-dates.js";
import { createHash } from "node:crypto";
import type { Clock } from "../clock.js";
import { ConflictError } from "../errors.js";
import type { Db } from "../db/db.js";
import { checkDefinition, DefinitionError } from "../schema/app-definition.js";
import type { AppDefinition } from "../schema/types.js";
import type { Actor } from "./record-store-contract.js";
import type { AppRegistry } from "./app-registry.js";

/** The designer's unpublished definition of one app on one site. */
export interface AppDraft {
  definition: AppDefinition;
  /** The published version the draft started from; Publish is refused if another version came first. */
  baseVersion: number;
  updatedAt: Date;
  updatedBy: { id: string | null; name: string };
}

/**
 * The version stamp of what a designer's page showed, posted back by every designer form
 * (`draftStamp`): `d-` and 16 hex digits of SHA-256 over the draft's change time and definition,
 * or `v-<published version>` when the app had no draft. A save, Publish or Discard whose stamp no
 * longer matches is refused (DraftConflict), so one designer never overwrites or publishes a
 * change of another's that they have not seen.
 */
export function draftStamp(draft: AppDraft | null, publishedVersion: number): string {
  if (!draft) return `v-${publishedVersion}`;
  const h = createHash("sha256").update(draft.updatedAt.toISOString()).update("\n");
  return `d-${h.update(JSON.stringify(draft.definition)).digest("hex").slice(0, 16)}`;
}

/**
 * What a DraftConflict says: who changed the draft `current` and when, to the minute in `zone` (the
 * site's, for a page; absent: UTC), or that it went.
 */
export function draftConflictMessage(current: AppDraft | null, zone?: string): string {
  return current
    ? `The draft changed since you opened this page: ${current.updatedBy.name} changed it on ${isoMinuteWithZone(current.updatedAt, zone)}. Nothing was changed; the page shows the draft as it is now, with what you sent. Check it, then send again.`
    : "The draft was published or discarded since you opened this page. Nothing was changed; the page shows the app as it is now, with what you sent. Check it, then send again.";
}

/**
 * The draft changed (or appeared, or went) since the designer's page was shown: HTTP 409.
 * `current` is the draft as it is now (null when there is none), for the message and the page;
 * a page says it in the site's zone with draftConflictMessage.
 */
export class DraftConflict extends ConflictError {
  constructor(readonly current: AppDraft | null) {
    super(draftConflictMessage(current));
  }
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
  async save(
    siteId: string,
    definition: AppDefinition,
    baseVersion: number,
    actor: Actor,
    /** The stamp (draftStamp) of the page the change was made on: DraftConflict when the draft is no longer that. */
    expected?: { stamp: string; publishedVersion: number },
  ): Promise<AppDraft> {
    const check = checkDefinition(definition);
    if (!check.ok) throw new DefinitionError(`draft of ${definition.id}`, check.problems);
    const now = this.clock.now();
    if (expected) {
      return this.db.transaction(async (tx) => {
        await this.expect(siteId, definition.id, expected, tx);
        const first = expected.stamp.startsWith("v-");
        const saved = await this.write(siteId, definition, baseVersion, actor, now, tx, first);
        // Another designer's first change landed between the check and this one.
        if (!saved) throw new DraftConflict(await this.get(siteId, definition.id, tx));
        return saved;
      });
    }
    return (await this.write(siteId, definition, baseVersion, actor, now, this.db, false))!;
  }

  /**
   * Throws DraftConflict unless the app's draft still has the stamp a page showed. Locks the
   * draft row for the rest of the transaction `tx` (with no draft, the save inserts only: two
   * first saves cannot both land).
   */
  private async expect(
    siteId: string,
    appId: string,
    expected: { stamp: string; publishedVersion: number },
    tx: Db,
  ): Promise<void> {
    await tx.query("SELECT 1 FROM app_drafts WHERE site_id = $1 AND app_id = $2 FOR UPDATE", [siteId, appId]);
    const now = await this.get(siteId, appId, tx);
    if (draftStamp(now, expected.publishedVersion) !== expected.stamp) throw new DraftConflict(now);
  }

  private async write(
    siteId: string,
    definition: AppDefinition,
    baseVersion: number,
    actor: Actor,
    now: Date,
    db: Db,
    insertOnly: boolean,
  ): Promise<AppDraft | null> {
    const onConflict = insertOnly
      ? "DO NOTHING"
      : `DO UPDATE SET definition = EXCLUDED.definition,
         base_version = EXCLUDED.base_version, updated_at = EXCLUDED.updated_at,
         updated_by = EXCLUDED.updated_by, updated_by_name = EXCLUDED.updated_by_name`;
    const { rows } = await db.query(
      `INSERT INTO app_drafts (site_id, app_id, definition, base_version, updated_at, updated_by, updated_by_name)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (site_id, app_id) ${onConflict} RETURNING app_id`,
      [siteId, definition.id, JSON.stringify(definition), baseVersion, now, actor.id, actor.name],
    );
    if (rows.length === 0) return null;
    return { definition, baseVersion, updatedAt: now, updatedBy: { id: actor.id, name: actor.name } };
  }

  /** Drops an app's draft; true when there was one. DraftConflict when `expected` no longer matches. */
  async discard(
    siteId: string,
    appId: string,
    db: Db = this.db,
    expected?: { stamp: string; publishedVersion: number },
  ): Promise<boolean> {
    if (expected)
      return this.db.transaction(async (tx) => {
        await this.expect(siteId, appId, expected, tx);
        return this.discard(siteId, appId, tx);
      });
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
   * after the draft started (the draft is kept), DraftConflict when `expected`
   * (the stamp of the page Publish was pressed on) is not the draft's any more.
   * `beforeSave` runs in the same transaction before the new version is written, with the
   * published definition (null for a new app), the draft's and the version being made: what it
   * changes (records whose options went, engine/apps/choice-remap.ts) commits with the version or
   * not at all, and what it throws refuses the publish.
   */
  async publish(
    siteId: string,
    appId: string,
    actor: Actor,
    expected?: { stamp: string; publishedVersion: number },
    beforeSave?: (tx: Db, published: AppDefinition | null, draft: AppDefinition, version: number) => Promise<void>,
  ): Promise<number | null> {
    return this.db.transaction(async (tx) => {
      if (expected) await this.expect(siteId, appId, expected, tx);
      const draft = await this.get(siteId, appId, tx);
      if (!draft) return null;
      // A new app (created in the designer, never published) is a draft on base 0 with no stored version.
      const stored = await this.registry.currentVersion(siteId, appId, tx);
      const base = stored === null && draft.baseVersion === 0 ? null : draft.baseVersion;
      if (beforeSave) {
        const published = stored === null ? null : await this.registry.definitionAt(siteId, appId, stored, tx);
        await beforeSave(tx, published, draft.definition, (stored ?? 0) + 1);
      }
      const saved = await this.registry.save(siteId, draft.definition, actor, base, null, tx);
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
