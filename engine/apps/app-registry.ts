import { openToOf } from "./open-to.js";
import { readdirSync, readFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import type { Clock } from "../clock.js";
import { PATHS, PROJECT_ROOT } from "../paths.js";
import type { Db } from "../db/db.js";
import { isPgError, PgError } from "../db/db.js";
import { checkDefinition, DefinitionError } from "../schema/app-definition.js";
import type { AppDefinition, AppOpenTo } from "../schema/types.js";
import { compileApp, type CompiledApp } from "./compiled-app.js";
import type { Actor, RecordStore, StoreResolver } from "./record-store-contract.js";
import { ConflictError } from "../errors.js";

/** Absolute path of the `forms/` folder holding the built-in app definitions (one JSON file each). */
export const FORMS_DIR = PATHS.forms;
/** The built-in User Account Management app; its records live at /configure/users. */
export const USER_ACCOUNTS_APP = "user-accounts";
/** Where an app's records are opened. */
export const appHref = (appId: string) => (appId === USER_ACCOUNTS_APP ? "/configure/users" : `/apps/${appId}`);

/**
 * Reads and checks every forms/*.app.json. Any invalid file (or two files with
 * one id) throws a DefinitionError naming the file and each JSON Pointer, so
 * the server refuses to start with a broken app.
 */
export function loadBuiltInDefinitions(dir = FORMS_DIR): Map<string, AppDefinition> {
  const out = new Map<string, AppDefinition>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".app.json"))
    .sort()) {
    const path = join(dir, file);
    const source = relative(PROJECT_ROOT, path) || path;
    let input: unknown;
    try {
      input = JSON.parse(readFileSync(path, "utf8"));
    } catch (err) {
      throw new DefinitionError(source, [{ pointer: "", message: `not valid JSON: ${(err as Error).message}` }]);
    }
    const check = checkDefinition(input);
    if (!check.ok) throw new DefinitionError(source, check.problems);
    const id = check.definition.id;
    if (id !== basename(file, ".app.json")) {
      throw new DefinitionError(source, [
        { pointer: "/id", message: `must match the file name ("${basename(file, ".app.json")}")` },
      ]);
    }
    if (out.has(id)) throw new DefinitionError(source, [{ pointer: "/id", message: `"${id}" is defined twice` }]);
    out.set(id, check.definition);
  }
  return out;
}

/**
 * One app as the app list shows it: id, title, current version and whether it is built in or
 * visible to administrators only.
 */
export interface AppSummary {
  id: string;
  title: string;
  description?: string;
  version: number;
  builtIn: boolean;
  /** Who may open it (engine/apps/open-to.ts). */
  openTo: AppOpenTo;
}

/**
 * One stored version of an app definition: when and by whom (user id) it was saved, and the version
 * it restored, if it was a restore.
 */
export interface AppVersionInfo {
  version: number;
  createdAt: Date | null;
  createdBy: string | null;
  restoredFrom: number | null;
}

/** Saving on top of a version that is no longer the newest. */
export class DefinitionVersionConflict extends ConflictError {
  constructor(readonly currentVersion: number) {
    super(`Someone saved version ${currentVersion} of this app meanwhile. Reload it and apply your change again.`);
  }
}

const CACHE_LIMIT = 500;
/**
 * How long an instance trusts the newest version number it read. A save on
 * this instance applies at once; other instances see it within this time.
 */
export const VERSION_TTL_MS = 2000;

/**
 * App definitions per site: the built-in files (version 0) and the designer's
 * saved versions in `app_definitions`. get() always serves the newest version,
 * so a save applies at once on every instance without a restart; compiled
 * apps are cached by site, id and version.
 */
export class AppRegistry {
  readonly #builtIns: Map<string, AppDefinition>;
  readonly #cache = new Map<string, CompiledApp>();
  readonly #resolvers: StoreResolver[] = [];
  readonly #versions = new Map<string, { version: number | null; readAt: number }>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    builtIns: Map<string, AppDefinition>,
    private readonly defaultStore: RecordStore,
  ) {
    this.#builtIns = new Map(builtIns);
  }

  /** Adds (or replaces) a built-in definition after checking it; for tests and embedders. */
  addBuiltIn(input: unknown): AppDefinition {
    const check = checkDefinition(input);
    if (!check.ok) throw new DefinitionError("built-in app", check.problems);
    this.#builtIns.set(check.definition.id, check.definition);
    this.#versions.clear();
    for (const key of this.#cache.keys()) if (key.endsWith(`:${check.definition.id}:0`)) this.#cache.delete(key);
    return check.definition;
  }

  builtIn(appId: string): AppDefinition | undefined {
    return this.#builtIns.get(appId);
  }

  /** Registers a store for the apps it claims (e.g. apps bound to user accounts). Earlier resolvers win. */
  addStoreResolver(resolver: StoreResolver): void {
    this.#resolvers.push(resolver);
  }

  storeFor(app: CompiledApp): RecordStore {
    for (const r of this.#resolvers) {
      const store = r(app);
      if (store) return store;
    }
    return this.defaultStore;
  }

  #compiled(siteId: string, appId: string, version: number, definition: () => AppDefinition): CompiledApp {
    const key = `${siteId}:${appId}:${version}`;
    let app = this.#cache.get(key);
    if (app) {
      // Least recently used goes first when the cache is full.
      this.#cache.delete(key);
      this.#cache.set(key, app);
      return app;
    }
    app = compileApp(definition(), version);
    this.#cache.set(key, app);
    if (this.#cache.size > CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value!);
    return app;
  }

  /** The newest version on a site (0: the built-in file), null when the site has no such app. */
  async currentVersion(siteId: string, appId: string, db: Db = this.db): Promise<number | null> {
    const key = `${siteId}:${appId}`;
    const known = this.#versions.get(key);
    // A monotonic timer, not the clock: this is cache freshness, not business time.
    if (db === this.db && known && performance.now() - known.readAt < VERSION_TTL_MS) return known.version;
    const { rows } = await db.query<{ version: number }>(
      "SELECT version FROM app_definitions WHERE site_id = $1 AND app_id = $2 ORDER BY version DESC LIMIT 1",
      [siteId, appId],
    );
    const version = rows[0] ? rows[0].version : this.#builtIns.has(appId) ? 0 : null;
    if (db === this.db) this.#versions.set(key, { version, readAt: performance.now() });
    return version;
  }

  /** The app as it is now on a site, or null when the site has no such app. */
  async get(siteId: string, appId: string): Promise<CompiledApp | null> {
    const version = await this.currentVersion(siteId, appId);
    if (version === null) return null;
    if (version === 0) return this.#compiled(siteId, appId, 0, () => this.#builtIns.get(appId)!);
    const definition = this.#cache.has(`${siteId}:${appId}:${version}`)
      ? null
      : await this.definitionAt(siteId, appId, version);
    return this.#compiled(siteId, appId, version, () => definition!);
  }

  /** The definition of one version (0 = built-in file); `db` a transaction to read it in. */
  async definitionAt(siteId: string, appId: string, version: number, db: Db = this.db): Promise<AppDefinition | null> {
    if (version === 0) return this.#builtIns.get(appId) ?? null;
    const { rows } = await db.query<{ definition: AppDefinition }>(
      "SELECT definition FROM app_definitions WHERE site_id = $1 AND app_id = $2 AND version = $3",
      [siteId, appId, version],
    );
    return rows[0]?.definition ?? null;
  }

  /** Every app of a site with its newest version, built-in apps first. */
  async list(siteId: string): Promise<AppSummary[]> {
    const { rows } = await this.db.query<{ app_id: string; version: number; definition: AppDefinition }>(
      `SELECT DISTINCT ON (app_id) app_id, version, definition FROM app_definitions
       WHERE site_id = $1 ORDER BY app_id, version DESC`,
      [siteId],
    );
    const saved = new Map(rows.map((r) => [r.app_id, r]));
    const summary = (def: AppDefinition, version: number, builtIn: boolean): AppSummary => {
      const s: AppSummary = {
        id: def.id,
        title: def.title,
        version,
        builtIn,
        openTo: openToOf(
          def,
          Object.values(def.record.properties).some((f) => f?.["x-system"]),
        ),
      };
      if (def.description) s.description = def.description;
      return s;
    };
    const out: AppSummary[] = [];
    for (const [id, def] of this.#builtIns) {
      const row = saved.get(id);
      out.push(row ? summary(row.definition, row.version, true) : summary(def, 0, true));
      saved.delete(id);
    }
    for (const row of saved.values()) out.push(summary(row.definition, row.version, false));
    return out.sort((a, b) => Number(b.builtIn) - Number(a.builtIn) || a.title.localeCompare(b.title));
  }

  async history(siteId: string, appId: string): Promise<AppVersionInfo[]> {
    const { rows } = await this.db.query<{
      version: number;
      created_at: Date;
      created_by_name: string;
      restored_from: number | null;
    }>(
      `SELECT version, created_at, created_by_name, restored_from FROM app_definitions
       WHERE site_id = $1 AND app_id = $2 ORDER BY version DESC`,
      [siteId, appId],
    );
    const out: AppVersionInfo[] = rows.map((r) => ({
      version: r.version,
      createdAt: new Date(r.created_at),
      createdBy: r.created_by_name,
      restoredFrom: r.restored_from,
    }));
    if (this.#builtIns.has(appId)) out.push({ version: 0, createdAt: null, createdBy: null, restoredFrom: null });
    return out;
  }

  /**
   * Removes an app the designer added (every version and its draft). Built-in
   * apps cannot be removed (their file would serve version 0 again); the
   * caller checks that no records are stored. Returns false when there was
   * nothing to remove.
   */
  async remove(siteId: string, appId: string): Promise<boolean> {
    if (this.#builtIns.has(appId)) return false;
    const removed = await this.db.transaction(async (tx) => {
      await tx.query("DELETE FROM app_drafts WHERE site_id = $1 AND app_id = $2", [siteId, appId]);
      const { rows } = await tx.query<{ version: number }>(
        "DELETE FROM app_definitions WHERE site_id = $1 AND app_id = $2 RETURNING version",
        [siteId, appId],
      );
      return rows.length > 0;
    });
    this.#versions.delete(`${siteId}:${appId}`);
    return removed;
  }

  /**
   * Saves a checked definition as the newest version on a site. `baseVersion`
   * is the version the designer started from; if another save came first the
   * save is refused (DefinitionVersionConflict) rather than lost.
   */
  async save(
    siteId: string,
    definition: AppDefinition,
    actor: Actor,
    baseVersion: number | null,
    restoredFrom: number | null = null,
    db: Db = this.db,
  ): Promise<CompiledApp> {
    const check = checkDefinition(definition);
    if (!check.ok) throw new DefinitionError(`app ${definition.id}`, check.problems);
    this.#versions.delete(`${siteId}:${definition.id}`); // compare with the database, not the cache
    const current = await this.currentVersion(siteId, definition.id, db);
    if (current !== baseVersion) throw new DefinitionVersionConflict(current ?? 0);
    const version = (current ?? 0) + 1;
    try {
      await db.query(
        `INSERT INTO app_definitions (site_id, app_id, version, definition, created_at, created_by, created_by_name, restored_from)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          siteId,
          definition.id,
          version,
          JSON.stringify(definition),
          this.clock.now(),
          actor.id,
          actor.name,
          restoredFrom,
        ],
      );
    } catch (err) {
      if (isPgError(err, PgError.uniqueViolation)) throw new DefinitionVersionConflict(version);
      throw err;
    }
    this.#versions.set(`${siteId}:${definition.id}`, { version, readAt: performance.now() });
    return this.#compiled(siteId, definition.id, version, () => definition);
  }
}
