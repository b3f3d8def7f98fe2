import type { MfaState } from "../mfa/mfa-states.js";
import { isUuid } from "../util/uuid.js";
import type { CompiledApp } from "./compiled-app.js";
import type { FieldNode } from "../schema/field-nodes.js";
import { parseClientJson } from "../util/json-depth.js";
import { isStorableText, UNSTORABLE_TEXT_MESSAGE } from "../util/storable-text.js";
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";

/** Who is acting, for created_by/updated_by and the audit log. */
export interface Actor {
  id: string | null;
  name: string;
  /** Token hash of the session acting: kept when the actor changes their own credentials. */
  credential?: Buffer;
  /** Where the change comes from, kept with each revision: the web pages (the default) or the device API. */
  surface?: "web" | "device";
}

/** Every store call is scoped to one site: nothing of another site is ever read or written. */
export interface StoreContext {
  siteId: string;
  actor: Actor;
}

/**
 * One record as a store gives it back: id (UUID), version (starts at 1, +1 per save), values, and
 * who created and last changed it and when.
 */
export interface StoredRecord {
  id: string;
  version: number;
  /** Top-level fields by name, read-only ones included (filled by the store); never a writeOnly value. */
  values: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
  createdBy: string | null;
  updatedBy: string | null;
  /** Username of the last editor, when the store knows it (shown on a conflict). */
  updatedByName?: string | null;
  /**
   * Status badges by field name, for fields the store computes (the users store's MFA status): a
   * list shows these instead of the field's text, a CSV export their words.
   */
  badges?: Record<string, { kind: string; text: string }[]>;
}

/** The bookkeeping columns every store reads alongside its values. */
export interface StoredRowMeta {
  id: string;
  version: number;
  created_at: Date | string;
  updated_at: Date | string;
  created_by: string | null;
  updated_by: string | null;
  updated_by_name?: string | null;
}

/**
 * Builds a StoredRecord from the metadata columns of a row (snake_case, timestamps as Date or
 * string) and its already-decoded values.
 */
export function storedRecord(r: StoredRowMeta, values: Record<string, unknown>): StoredRecord {
  const rec: StoredRecord = {
    id: r.id,
    version: r.version,
    values,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    createdBy: r.created_by,
    updatedBy: r.updated_by,
  };
  if (r.updated_by_name !== undefined) rec.updatedByName = r.updated_by_name;
  return rec;
}

/** Sort order of a list: a top-level field name of the app and its direction. */
export interface SortSpec {
  field: string;
  direction: "asc" | "desc";
}

/** A keyset position: the sort key of a row and its id (ties broken by id). */
export interface Cursor {
  key: unknown;
  id: string;
}

/** What to list: search words, order, the page (keyset cursor, never an OFFSET) and its size in rows. */
export interface ListQuery {
  /** Search words; a row matches when every word occurs in one of its searchable fields. */
  q?: string;
  sort: SortSpec;
  /** The page after this row, or the page before that one (keyset paging, no OFFSET). */
  after?: Cursor;
  before?: Cursor;
  /** The last page (the last `limit` rows in this order), when neither cursor is given. */
  last?: boolean;
  limit: number;
  /** Also count: how many rows match (search and filter) and where this page starts among them. */
  count?: boolean;
  /** Only users in this MFA state (engine/mfa/mfa-states.ts); stores of other records ignore it. */
  mfa?: MfaState;
}

/**
 * One page of a record list: at most `limit` rows in the requested order, with keyset cursors to
 * its neighbours.
 */
export interface ListPage {
  rows: StoredRecord[];
  /** Cursors for the next and previous pages, null at either end. */
  next: Cursor | null;
  prev: Cursor | null;
  /** With ListQuery.count: how many rows match the search and filter, on every page. */
  total?: number;
  /** With ListQuery.count: how many matching rows come before this page's first row, in this order. */
  offset?: number;
}

/**
 * A submitted edit of one record: the values of the fields the form decides and the version it was
 * based on (optimistic locking).
 */
export interface RecordChange {
  /** The version the user edited; a newer stored version is a conflict. */
  expectedVersion: number;
  values: Record<string, unknown>;
  /** The top-level fields this change decides (see ParsedForm.fields); every other stored key is kept. */
  fields: string[];
}

/** How a record is created: `submission` is the one-time token of the form that posted it. */
export interface CreateOptions {
  submission?: string;
}

/**
 * Where one app's records live. The default is the `records` table (JSONB);
 * an app whose fields are bound to user accounts is served by a store over
 * `users`. Routes and rendering only ever see this interface.
 */
export interface RecordStore {
  list(app: CompiledApp, ctx: StoreContext, query: ListQuery): Promise<ListPage>;
  get(app: CompiledApp, ctx: StoreContext, id: string): Promise<StoredRecord | null>;
  /**
   * Save validates: every store checks `values` against the app's rules (record-rules.ts) before it
   * writes, whoever calls (route, device API, CLI, rollout, import), and throws
   * RecordValidationError (a ValidationError, one message per field path) when they break them.
   * Throws DuplicateSubmissionError (submissions.ts) when `options.submission` was used before.
   */
  create(
    app: CompiledApp,
    ctx: StoreContext,
    values: Record<string, unknown>,
    options?: CreateOptions,
  ): Promise<StoredRecord>;
  /**
   * Validates as create does (a choice the record already held stays valid, kept-values.ts); throws
   * RecordConflictError when the stored version is newer, RecordNotFoundError when gone.
   */
  update(app: CompiledApp, ctx: StoreContext, id: string, change: RecordChange): Promise<StoredRecord>;
  delete(app: CompiledApp, ctx: StoreContext, id: string, expectedVersion: number): Promise<void>;
  /** How many records the app has on a site (the designer refuses breaking changes when there are any). */
  count(app: CompiledApp, siteId: string): Promise<number>;
  /** The values a record had at an older version, when the store keeps revisions (for "what changed"). */
  revision?(app: CompiledApp, ctx: StoreContext, id: string, version: number): Promise<Record<string, unknown> | null>;
  /** Columns a list can be sorted on (every listed column unless the store says otherwise). */
  sortable?(app: CompiledApp): string[];
  /**
   * The values a new-record form starts with, given the schema defaults: a store may
   * preset fields from site settings (the users store switches MFA on under the site's policy).
   */
  /** Columns the CSV export adds after the listed ones (the users store: MFA state and dates). */
  exportColumns?(app: CompiledApp, ctx: StoreContext): ExportColumns | null;
  newRecordValues?(
    app: CompiledApp,
    ctx: StoreContext,
    defaults: Record<string, unknown>,
  ): Promise<Record<string, unknown>>;
}

/** Extra CSV columns: their headers, and the cells of a page of rows (one array per row, in order). */
export interface ExportColumns {
  labels: string[];
  cells(rows: StoredRecord[]): Promise<string[][]>;
}

/** Decides which store serves an app; the first resolver that answers wins, the records store is the default. */
export type StoreResolver = (app: CompiledApp) => RecordStore | null;

/** Someone saved the record since the caller read it; `current` is the saved version. */
export class RecordConflictError extends ConflictError {
  constructor(readonly current: StoredRecord) {
    super("The record was changed by someone else.");
  }
}

/** The record does not exist, or not on the caller's site. */
export class RecordNotFoundError extends NotFoundError {
  constructor() {
    super("The record does not exist (any more).");
  }
}

/** A value the store refuses for a field (e.g. a username that is taken): shown in that field's slot. */
export class RecordInputError extends ValidationError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message, { [field]: message });
  }
}

/** A record id as the routes and cursors carry it: a UUID in lower case (isUuid), as PostgreSQL prints it. */
export const isRecordId = (s: string) => isUuid(s) && s === s.toLowerCase();

/** Cursors travel in URLs (?after=, ?before=) as base64url JSON: `[sortKey, id]`. */
export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.key, c.id])).toString("base64url");
}

/**
 * A cursor that is not one a list of this column could have made; the message says why. A
 * ValidationError (code "invalid_cursor") naming the field `after`; the routes that read a cursor
 * catch it to word it for their page or query parameter.
 */
export class CursorError extends ValidationError {
  constructor(message: string) {
    super(message, { after: message }, { code: "invalid_cursor" });
  }
}

const DATE_KEY = /^\d{4}-\d{2}-\d{2}([t ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * What a sort key of the column may be, by the field's schema: every store keys a text column by its
 * case-folded text (dates and times too, so "t" and "z" come lower-cased), a list of choices by its
 * JSON text, a number column by the number, a switch by the boolean, and a missing value by null.
 */
function keyProblem(key: unknown, field: FieldNode): string | null {
  if (key === null) return null;
  const type = field.schema.type;
  if (type === "string" || type === "array") {
    if (typeof key !== "string") return `"${field.label}" is text, the cursor's value is not`;
    if (!isStorableText(key)) return `the cursor's value ${UNSTORABLE_TEXT_MESSAGE}`;
    const format = field.schema.format;
    if ((format === "date" || format === "date-time") && !DATE_KEY.test(key)) {
      return `"${field.label}" is a date, the cursor's value is not`;
    }
    return null;
  }
  if (type === "integer" || type === "number") {
    return typeof key === "number" && Number.isFinite(key)
      ? null
      : `"${field.label}" is a number, the cursor's value is not`;
  }
  if (type === "boolean")
    return typeof key === "boolean" ? null : `"${field.label}" is yes/no, the cursor's value is not`;
  return `"${field.label}" cannot be sorted on`;
}

/**
 * Reads a cursor for a list sorted on `field`: base64url JSON `[key, id]` whose key has the column's
 * type (see keyProblem) and whose id is a record id (a UUID). Anything else throws CursorError, so a
 * crafted cursor never reaches SQL. The one place cursors are checked, for every store.
 */
export function decodeCursor(raw: string, field: FieldNode): Cursor {
  if (raw.length > 2000 || !/^[A-Za-z0-9_-]+$/.test(raw)) throw new CursorError("it is not a page link of this list");
  let v: unknown;
  try {
    // A cursor is `[key, id]`: anything nested deeper is no cursor.
    v = parseClientJson(new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(raw, "base64url")), 2);
  } catch {
    throw new CursorError("it is not a page link of this list");
  }
  if (!Array.isArray(v) || v.length !== 2 || typeof v[1] !== "string" || !isRecordId(v[1])) {
    throw new CursorError("it is not a page link of this list");
  }
  const problem = keyProblem(v[0], field);
  if (problem) throw new CursorError(problem);
  return { key: v[0], id: v[1] };
}
