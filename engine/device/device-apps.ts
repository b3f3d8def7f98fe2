// The device API's apps and records: the same registry, stores, rules (openTo, who changes records,
// validation in the store, conflicts) as the web pages, answered as the device API's JSON.
import type { AppRecordsStore } from "../apps/app-records-store.js";
import type { CompiledApp } from "../apps/compiled-app.js";
import { conflictFields } from "../apps/conflict.js";
import { mayChangeRecords, mayOpen, notOpenMessage } from "../apps/open-to.js";
import { createOnce } from "../apps/record-idempotency.js";
import { decodeSyncCursor, encodeSyncCursor } from "../apps/record-feed.js";
import { recordProblems, RecordValidationError } from "../apps/record-rules.js";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../errors.js";
import {
  RecordConflictError,
  type Cursor,
  type RecordStore,
  type SortSpec,
  type StoreContext,
  type StoredRecord,
} from "../apps/record-store-contract.js";
import type { AppRegistry } from "../apps/app-registry.js";
import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import type { FieldNode } from "../schema/field-nodes.js";
import { decidedFields, isObject, withoutHiddenFields } from "../schema/hidden-fields.js";
import { APP_ID, pointerOf } from "../schema/identifiers.js";
import type { MfaService } from "../mfa/mfa-service.js";
import type { FieldErrors } from "../schema/record-validation.js";
import type {
  DeviceAppDefinition,
  DeviceAppList,
  DeviceRecord,
  DeviceRecordChanges,
  DeviceRecordPage,
} from "../schema/types.js";
import type { DeviceTokenInfo } from "./device-tokens.js";

/** Largest page of a record list or of the change feed. */
export const MAX_PAGE = 200;

/** One app opened for a device request: the app, its store, the store context and the user's rights. */
export interface OpenedApp {
  app: CompiledApp;
  store: RecordStore;
  ctx: StoreContext;
  writable: boolean;
  /** Whether its records can be synced (`changedSince`): those the records store keeps, with their change feed. */
  syncable: boolean;
}

/** What a list asks for, read and checked by the routes. */
export interface DeviceListQuery {
  q: string;
  sort: SortSpec;
  after?: Cursor;
  limit: number;
}

/** The services the device API's apps need. */
export interface DeviceAppsDeps {
  db: Db;
  clock: Clock;
  apps: AppRegistry;
  records: AppRecordsStore;
  mfa: MfaService;
}

/** "/data/checklist/0/item" for the dot path "checklist.0.item" of a field message ("" is the whole record). */
export function dataPointer(path: string): string {
  if (!path) return "/data";
  return `/data${pointerOf(path.split("."))}`;
}

/**
 * A 422 for a record: the rules' messages by dot path (field names, which hold no `.`, `~` or `/`)
 * and the device API's own problems already by JSON Pointer (`byPointer`, which win).
 */
const invalid = (fields: FieldErrors, byPointer: Map<string, string> = new Map()) =>
  new ValidationError(
    "Some fields are missing or invalid.",
    Object.fromEntries([
      ...Object.entries(fields)
        .map(([k, v]) => [dataPointer(k), v] as const)
        .filter(([k]) => !byPointer.has(k)),
      ...byPointer,
    ]),
  );

/** A stored record as the device API sends it. */
export function deviceRecord(r: StoredRecord): DeviceRecord {
  return { id: r.id, version: r.version, data: r.values, updatedAt: r.updatedAt.toISOString() };
}

/**
 * Apps and records for device users. Every call opens the app the web's way (the user's site,
 * openTo and role; administrators change records) and refuses a token got without a code while its
 * user's MFA is on. Refusals are DomainErrors with the device API's codes (a 409 conflict
 * carries `changed` and `current` as details).
 */
export class DeviceApps {
  constructor(private readonly d: DeviceAppsDeps) {}

  /**
   * A bearer token of a user whose MFA is on but not set up was got without a code ("later", or
   * issued before MFA was switched on — such tokens are revoked then): it reads no app or record.
   * A token of a user whose MFA is activated was got with a code, since an activation ends every
   * other token (engine/auth/revocation.ts).
   */
  async #requireCodeIfMfaOn(info: DeviceTokenInfo): Promise<void> {
    const status = await this.d.mfa.statusOf(info.user.id);
    if (status.enabled && !status.activation) {
      throw new ForbiddenError(
        "MFA is on for this account and not set up yet: sign in again and set it up before opening apps.",
        { code: "mfa_setup_required" },
      );
    }
  }

  /** The apps this user may open on their site, each with its id, title and published version. */
  async list(info: DeviceTokenInfo): Promise<DeviceAppList> {
    await this.#requireCodeIfMfaOn(info);
    const all = await this.d.apps.list(info.user.siteId);
    return {
      apps: all
        .filter((a) => mayOpen(a.openTo, info.user.role))
        .map((a) => ({ id: a.id, title: a.title, version: a.version })),
    };
  }

  /** Opens an app for a request: 404 not on the user's site, 403 not open to their role or MFA not set up. */
  async open(info: DeviceTokenInfo, appId: string): Promise<OpenedApp> {
    await this.#requireCodeIfMfaOn(info);
    const app = APP_ID.test(appId) ? await this.d.apps.get(info.user.siteId, appId) : null;
    if (!app) throw new NotFoundError("There is no such app on your site.");
    if (!mayOpen(app.openTo, info.user.role))
      throw new ForbiddenError(notOpenMessage(app.openTo), { code: "forbidden" });
    const store = this.d.apps.storeFor(app);
    return {
      app,
      store,
      syncable: store === this.d.records,
      ctx: {
        siteId: info.user.siteId,
        actor: { id: info.user.id, name: info.user.username, credential: info.tokenHash, surface: "device" },
      },
      // Records of user accounts stay with the console and /account.
      writable: mayChangeRecords(info.user.role) && !app.usersApp,
    };
  }

  /** The published definition: record schema (x- keywords kept), form layout, list view, version. */
  definition(o: OpenedApp): DeviceAppDefinition {
    const { app } = o;
    const sort = app.list.sort;
    const out: DeviceAppDefinition = {
      id: app.id,
      title: app.title,
      version: app.version,
      schema: { $schema: "https://json-schema.org/draft/2020-12/schema", ...app.definition.record },
      form: { ...(app.definition.form ?? {}) },
      list: {
        columns: app.list.columns.map((c) => c.name),
        sort: `${sort.direction === "desc" ? "-" : ""}${sort.field}`,
        sortable: o.store.sortable?.(app) ?? app.list.columns.map((c) => c.name),
        searchable: app.list.searchable,
        pageSize: app.list.pageSize,
      },
      writable: o.writable,
    };
    if (app.description) out.description = app.description;
    return out;
  }

  /** One page of the list, as the web lists it (search, sort, keyset cursor). */
  async page(o: OpenedApp, query: DeviceListQuery, encode: (c: Cursor) => string): Promise<DeviceRecordPage> {
    const page = await o.store.list(o.app, o.ctx, {
      q: query.q,
      sort: query.sort,
      limit: query.limit,
      ...(query.after ? { after: query.after } : {}),
    });
    return { records: page.rows.map(deviceRecord), next: page.next ? encode(page.next) : null };
  }

  /** The changes since a sync cursor (`changedSince`): 422 for a bad cursor, 410 for one older than the tombstones. */
  async changes(o: OpenedApp, changedSince: string, limit: number): Promise<DeviceRecordChanges> {
    if (!o.syncable) {
      throw new ValidationError("This app's records cannot be synced.", {
        changedSince: "is not available for this app",
      });
    }
    // A cursor older than the tombstones is a SyncCursorExpiredError (410, code "cursor_expired").
    const page = await this.d.records.changes(o.app, o.ctx, decodeSyncCursor(changedSince, this.d.clock.now()), limit);
    return {
      records: page.changes.flatMap((c) => (c.row ? [deviceRecord(c.row)] : [])),
      deleted: page.changes.flatMap((c) => (c.row ? [] : [c.id])),
      cursor: encodeSyncCursor(page.cursor),
    };
  }

  /** One record; 404 when there is none on the user's site. */
  async get(o: OpenedApp, id: string): Promise<StoredRecord> {
    const record = await o.store.get(o.app, o.ctx, id);
    if (!record) throw new NotFoundError("There is no such record.");
    return record;
  }

  #requireWritable(o: OpenedApp): void {
    if (o.app.usersApp) {
      throw new ForbiddenError("User accounts are changed in the console and on /account only.", { code: "forbidden" });
    }
    if (!o.writable) throw new ForbiddenError("Only administrators can change records.", { code: "forbidden" });
  }

  /**
   * Problems of posted `data` beside the schema's, by JSON Pointer: names that are no field (at any
   * level: groups and the rows of repeatable groups) or fields only the engine fills; and the data
   * without those names, for the rules to check the rest. Keys are compared as own names, so a
   * `__proto__` key is an unknown field like any other. Follows the field tree, so its depth is the
   * schema's.
   */
  #shapeProblems(app: CompiledApp, data: Record<string, unknown>) {
    const problems = new Map<string, string>();
    const walk = (nodes: readonly FieldNode[], value: Record<string, unknown>, at: string[], top: boolean) => {
      // Only field names (FIELD_NAME: never __proto__) are set on it.
      const known: Record<string, unknown> = {};
      for (const [name, v] of Object.entries(value)) {
        const field = nodes.find((f) => f.name === name);
        const pointer = pointerOf(["data", ...at, name]);
        if (!field) problems.set(pointer, "is not a field of this app");
        else if (top && field.readOnly) problems.set(pointer, "is read-only");
        else if (field.children && field.widget === "fieldset" && isObject(v)) {
          known[name] = walk(field.children, v, [...at, name], false);
        } else if (field.children && field.widget === "rows" && Array.isArray(v)) {
          const rows = v.map((row: unknown, i) =>
            isObject(row) ? walk(field.children!, row, [...at, name, String(i)], false) : row,
          );
          known[name] = rows;
        } else known[name] = v;
      }
      return known;
    };
    const known = walk(app.fields, data, [], true);
    return { problems, known };
  }

  /**
   * Creates a record (201) after the web's validation; with `idempotencyKey` a retry answers with
   * the first create's record (`replayed`).
   */
  async create(
    o: OpenedApp,
    data: Record<string, unknown>,
    idempotencyKey: string | null,
  ): Promise<{ record: StoredRecord; replayed: boolean }> {
    this.#requireWritable(o);
    const shape = this.#shapeProblems(o.app, data);
    // A field x-visibleWhen hides is not stored, as on the web.
    const values = withoutHiddenFields(o.app.fields, shape.known);
    if (shape.problems.size) throw invalid(recordProblems(o.app, "create", values), shape.problems);
    try {
      if (idempotencyKey && o.store === this.d.records) {
        return await createOnce(this.d.db, this.d.clock, this.d.records, o.app, o.ctx, idempotencyKey, values);
      }
      return { record: await o.store.create(o.app, o.ctx, values), replayed: false };
    } catch (err) {
      if (err instanceof RecordValidationError) throw invalid(err.fields);
      throw err;
    }
  }

  /**
   * Changes a record based on `version`: `data` is merged into the saved fields (null clears one),
   * the result validated as the web validates an edit; a stale version is a 409 `conflict` naming
   * the fields the other save changed, with the record as saved now.
   */
  async update(o: OpenedApp, id: string, version: number, data: Record<string, unknown>): Promise<StoredRecord> {
    this.#requireWritable(o);
    const shape = this.#shapeProblems(o.app, data);
    const current = await this.get(o, id);
    this.#requireKnownVersion(current, version);
    const merged: Record<string, unknown> = { ...current.values };
    for (const [k, v] of Object.entries(shape.known)) {
      if (v === null) delete merged[k];
      else merged[k] = v;
    }
    // After the merge, the web's rule for hidden fields: a field the change hides is dropped.
    const values = withoutHiddenFields(o.app.fields, merged);
    // A value the record already held stays valid though its option was removed (kept-values.ts).
    const problems = recordProblems(o.app, "edit", values, current.values);
    if (Object.keys(problems).length || shape.problems.size) throw invalid(problems, shape.problems);
    // Every field but the read-only ones and the passwords not sent (those keep their stored value),
    // less one hidden before and after the change (it keeps its stored value, as on the web).
    const sent = o.app.fields.filter((f) => !f.readOnly && (!f.writeOnly || f.name in data)).map((f) => f.name);
    const fields = decidedFields(o.app.fields, sent, values, current.values);
    try {
      return await o.store.update(o.app, o.ctx, id, { expectedVersion: version, values, fields });
    } catch (err) {
      if (err instanceof RecordValidationError) throw invalid(err.fields);
      if (!(err instanceof RecordConflictError)) throw err;
      const saved = err.current;
      const before = o.store.revision ? await o.store.revision(o.app, o.ctx, id, version) : null;
      throw new ConflictError(
        `The record was changed by someone else (now version ${saved.version}). Merge your change into it and send it with that version.`,
        {
          code: "conflict",
          details: {
            changed: conflictFields(o.app.fields, before, saved.values, values).map((f) => f.name),
            current: deviceRecord(saved),
          },
        },
      );
    }
  }

  /**
   * Deletes a record: at `version` when given (a newer one is a 409 conflict naming the fields
   * changed since, as a change's conflict does; a version never saved is a 422), else whatever
   * version is saved (a save in between is retried over, a few times).
   */
  async delete(o: OpenedApp, id: string, version: number | null): Promise<void> {
    this.#requireWritable(o);
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(o, id);
      if (version !== null) this.#requireKnownVersion(current, version, "version");
      try {
        return await o.store.delete(o.app, o.ctx, id, version ?? current.version);
      } catch (err) {
        if (!(err instanceof RecordConflictError) || version !== null || attempt >= 5) {
          return await this.#deleteRefused(o, id, version, err);
        }
      }
    }
  }

  /**
   * A client's version ahead of the record's was never saved: a client error naming it (422), not
   * a conflict. `field` names it: the body's `/version` for a change, the query's `version` for a
   * delete.
   */
  #requireKnownVersion(current: StoredRecord, version: number, field = "/version"): void {
    if (version <= current.version) return;
    throw new ValidationError(`The record has no version ${version}: it is at version ${current.version}.`, {
      [field]: `must be a version the record had (it is at version ${current.version})`,
    });
  }

  /**
   * The 409 of a delete at a stale version: `changed` names the fields changed since that version
   * (from its kept revision, as a change's conflict does; empty when the store keeps none).
   */
  async #deleteRefused(o: OpenedApp, id: string, version: number | null, err: unknown): Promise<never> {
    if (!(err instanceof RecordConflictError)) throw err;
    const saved = err.current;
    const before = version !== null && o.store.revision ? await o.store.revision(o.app, o.ctx, id, version) : null;
    const changed = before ? conflictFields(o.app.fields, before, saved.values, saved.values).map((f) => f.name) : [];
    throw new ConflictError(
      `The record was changed (now version ${saved.version}) after that version, so it was not deleted.`,
      { code: "conflict", details: { changed, current: deviceRecord(saved) } },
    );
  }
}
