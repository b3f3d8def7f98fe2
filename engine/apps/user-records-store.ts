import { MFA_STATE_JOINS, mfaStateCondition, mfaStateRank } from "../mfa/mfa-states.js";
import type { AuditLog } from "../audit/audit-log.js";
import { ConflictError } from "../errors.js";
import type { CredentialRevocation, RevocationReason } from "../auth/revocation.js";
import { hashPassword, passwordProblem } from "../auth/passwords.js";
import { USERNAME_PATTERN } from "../auth/user-accounts.js";
import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { isPgError, PgError } from "../db/db.js";
import { MfaAccessError, MfaInputError } from "../mfa/mfa-model.js";
import type { MfaService } from "../mfa/mfa-service.js";
import type { MfaStatus } from "../mfa/status.js";
import type { SiteMfaPolicies } from "../mfa/site-policy.js";
import type { SystemBinding } from "../schema/types.js";
import type { CompiledApp } from "./compiled-app.js";
import {
  RecordConflictError,
  RecordInputError,
  type ExportColumns,
  RecordNotFoundError,
  type Cursor,
  type ListPage,
  type ListQuery,
  type RecordChange,
  type RecordStore,
  type StoreContext,
  type StoredRecord,
  storedRecord,
} from "./record-store-contract.js";
import { searchPatterns } from "../db/like.js";

/** user.* bindings and the users column each one is. */
const COLUMN_OF: Partial<Record<SystemBinding, string>> = {
  "user.username": "username",
  "user.displayName": "display_name",
  "user.email": "email",
  "user.role": "role",
  "user.webAccess": "web_access",
  "user.deviceAccess": "device_access",
  "user.disabled": "disabled",
};

interface UserRow {
  id: string;
  site_id: string;
  username: string;
  display_name: string;
  email: string | null;
  role: string;
  web_access: boolean;
  device_access: boolean;
  disabled: boolean;
  data: Record<string, unknown>;
  version: number;
  created_at: Date;
  updated_at: Date;
  created_by: string | null;
  updated_by: string | null;
  updated_by_name?: string | null;
  sort_key?: unknown;
}

const COLUMNS = `u.id, u.site_id, u.username, u.display_name, u.email, u.role, u.web_access, u.device_access,
  u.disabled, u.data, u.version, u.created_at, u.updated_at, u.created_by, u.updated_by`;

/** A field's place in a users row: a column, the MFA service, the password hash, or users.data. */
type Place =
  | { kind: "column"; column: string }
  | { kind: "password" }
  | { kind: "mfa"; binding: "mfa.enabled" | "mfa.enforcementDelayDays" | "mfa.status" }
  | { kind: "data" };

function placeOf(app: CompiledApp, field: string): Place {
  const binding = app.fields.find((f) => f.name === field)?.system;
  if (!binding) return { kind: "data" };
  if (binding === "user.password") return { kind: "password" };
  if (binding.startsWith("mfa.")) return { kind: "mfa", binding: binding as "mfa.enabled" };
  return { kind: "column", column: COLUMN_OF[binding]! };
}

const fieldOf = (app: CompiledApp, binding: SystemBinding) => app.bindings.get(binding)?.name;

/** Whether setting a users column from `before` to `after` is a credential change, and which. */
function revocationFor(column: string, before: unknown, after: unknown): RevocationReason | null {
  if (column === "disabled" && after === true && before !== true) return "user_disabled";
  if (column === "web_access" && after !== true && before === true) return "web_access_removed";
  if (column === "device_access" && after !== true && before === true) return "device_access_removed";
  return null;
}

/**
 * The store of apps whose records are user accounts (any user.* or mfa.*
 * binding, like forms/user-accounts.app.json): system fields are columns of
 * `users`, the MFA fields go through the MFA service in the same transaction
 * as the user row, and every other field a designer adds lives in users.data.
 * Site-scoped like every store; a user row is one record.
 */
export class UserRecordsStore implements RecordStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly mfa: MfaService,
    private readonly revocation: CredentialRevocation,
    private readonly audit: AuditLog,
    private readonly policies: SiteMfaPolicies,
  ) {}

  /**
   * The Add User form under the site's MFA policy: when the role a new account starts
   * with is a required one, the slider starts on with the policy's delay (the
   * administrator may still change both).
   */
  async newRecordValues(
    app: CompiledApp,
    ctx: StoreContext,
    defaults: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const enabledField = fieldOf(app, "mfa.enabled");
    const delayField = fieldOf(app, "mfa.enforcementDelayDays");
    const roleField = fieldOf(app, "user.role");
    if (!enabledField) return defaults;
    const role = (roleField ? defaults[roleField] : undefined) ?? "user";
    const delay = await this.policies.delayFor(ctx.siteId, String(role));
    if (delay === null) return defaults;
    return { ...defaults, [enabledField]: true, ...(delayField ? { [delayField]: delay } : {}) };
  }

  /**
   * The site's MFA policy for an account that is new or whose role changed
   * (`roleBefore`, undefined for a new account): switches MFA on with the
   * policy's delay when the role is a required one and MFA is off. On a new
   * account whose form already showed the slider on for its starting role (see
   * newRecordValues), the administrator's choice stands.
   */
  async #applyPolicy(
    app: CompiledApp,
    ctx: StoreContext,
    userId: string,
    role: string,
    roleBefore: string | undefined,
    tx: Db,
  ): Promise<void> {
    if (!app.bindings.has("mfa.enabled") || role === roleBefore) return;
    const delay = await this.policies.delayFor(ctx.siteId, role, tx);
    if (delay === null) return;
    if (roleBefore === undefined) {
      const roleField = app.bindings.get("user.role");
      const startRole = roleField?.schema.default ?? "user";
      // The form showed the slider on for this role: switched off means the administrator said so.
      if ((await this.policies.delayFor(ctx.siteId, String(startRole), tx)) !== null) return;
    }
    const status = await this.mfa.statusOf(userId, tx);
    if (status.enabled) return;
    await this.mfa.applySettings(
      userId,
      { enabled: true, enforcementDelayDays: delay },
      { id: ctx.actor.id, name: ctx.actor.name, siteId: ctx.siteId, credential: ctx.actor.credential },
      tx,
    );
  }

  /**
   * The users CSV export's MFA columns: state (off, pending, overdue, activated),
   * required-from date, activation date (UTC days), method and hardware token serial.
   */
  exportColumns(app: CompiledApp): ExportColumns | null {
    if (!app.bindings.has("mfa.enabled")) return null;
    const day = (d: Date | null | undefined) => (d ? d.toISOString().slice(0, 10) : "");
    const STATE = { off: "off", pending: "pending", required: "overdue", active: "activated" } as const;
    return {
      labels: ["MFA state", "MFA required from", "MFA activated on", "MFA method", "Token serial"],
      cells: async (rows) => {
        const statuses = await this.mfa.statusesOf(rows.map((r) => r.id));
        return rows.map((r) => {
          const st = statuses.get(r.id);
          if (!st) return ["", "", "", "", ""];
          return [
            STATE[st.state],
            st.enabled && !st.activation ? day(st.requiredFrom) : "",
            day(st.activation?.at),
            st.activation?.method ?? "",
            st.activation?.tokenSerial ?? "",
          ];
        });
      },
    };
  }

  sortable(app: CompiledApp): string[] {
    // The status message sorts by MFA state (off, pending, overdue, activated); passwords never sort.
    return app.list.columns.filter((c) => !c.writeOnly).map((c) => c.name);
  }

  /**
   * The sort key of a field as a jsonb expression over users u and mfa_settings m
   * (strings case-folded). A designer's field is read from users.data by a parameter.
   */
  #sortKey(app: CompiledApp, field: string, params: unknown[]): string {
    const place = placeOf(app, field);
    if (place.kind === "column") {
      const col = `u.${place.column}`;
      return ["username", "display_name", "email"].includes(place.column)
        ? `to_jsonb(lower(coalesce(${col}, '')))`
        : `to_jsonb(${col})`;
    }
    if (place.kind === "mfa" && place.binding === "mfa.status") {
      params.push(this.clock.now());
      return `to_jsonb((${mfaStateRank(`$${params.length}`)})::text)`;
    }
    if (place.kind === "mfa") {
      return place.binding === "mfa.enabled"
        ? "to_jsonb(coalesce(m.enabled, false))"
        : "to_jsonb(coalesce(m.enforcement_delay_days, 0))";
    }
    params.push(field);
    const key = `u.data->$${params.length}::text`;
    // The records store's keys (engine/apps/app-records-store.ts), so one cursor check fits both.
    return `CASE jsonb_typeof(${key}) WHEN 'string' THEN to_jsonb(left(lower(${key} #>> '{}'), 200))
      WHEN 'array' THEN to_jsonb(left((${key})::text, 200)) WHEN 'object' THEN 'null'::jsonb
      ELSE coalesce(${key}, 'null'::jsonb) END`;
  }

  /** The lowercased searchable fields of a user, as one text expression. */
  #searchText(app: CompiledApp, params: unknown[]): string {
    const parts = app.list.searchable.map((f) => {
      const place = placeOf(app, f);
      if (place.kind === "column") return `u.${place.column}`;
      params.push(f);
      return `u.data->>$${params.length}::text`;
    });
    return `lower(concat_ws(' ', ${parts.length ? parts.join(", ") : "u.username"}))`;
  }

  async #statuses(app: CompiledApp, ids: string[], db: Db): Promise<Map<string, MfaStatus>> {
    const usesMfa = [...app.bindings.keys()].some((b) => b.startsWith("mfa."));
    return usesMfa ? this.mfa.statusesOf(ids, db) : new Map();
  }

  #toRecord(app: CompiledApp, r: UserRow, status: MfaStatus | undefined): StoredRecord {
    const values: Record<string, unknown> = {};
    for (const f of app.fields) {
      const place = placeOf(app, f.name);
      let v: unknown;
      if (place.kind === "column") v = (r as unknown as Record<string, unknown>)[place.column];
      else if (place.kind === "mfa" && status) {
        v =
          place.binding === "mfa.enabled"
            ? status.enabled
            : place.binding === "mfa.enforcementDelayDays"
              ? status.enforcementDelayDays
              : status.message;
      } else if (place.kind === "data") v = r.data[f.name];
      // Passwords are never read back; an email that is not set is left out.
      if (v !== undefined && v !== null && place.kind !== "password") values[f.name] = v;
    }
    return storedRecord(r, values);
  }

  async list(app: CompiledApp, ctx: StoreContext, query: ListQuery): Promise<ListPage> {
    const sortable = this.sortable(app);
    const field = sortable.includes(query.sort.field) ? query.sort.field : sortable[0];
    if (!field) return { rows: [], next: null, prev: null };
    const backwards = query.before !== undefined && query.after === undefined;
    const cursor = query.after ?? query.before;
    const ascending = (query.sort.direction === "asc") !== backwards;
    const params: unknown[] = [ctx.siteId];
    const where = ["u.site_id = $1"];
    const key = this.#sortKey(app, field, params);
    if (cursor) {
      params.push(JSON.stringify(cursor.key), cursor.id);
      where.push(`(${key}, u.id) ${ascending ? ">" : "<"} ($${params.length - 1}::jsonb, $${params.length}::uuid)`);
    }
    if (query.mfa) {
      params.push(this.clock.now());
      where.push(mfaStateCondition(query.mfa, `$${params.length}`));
    }
    const patterns = searchPatterns(query.q);
    const text = patterns.length ? this.#searchText(app, params) : "";
    for (const pattern of patterns) {
      params.push(pattern);
      where.push(`${text} LIKE $${params.length}`);
    }
    params.push(query.limit + 1);
    const dir = ascending ? "ASC" : "DESC";
    const { rows } = await this.db.query<UserRow>(
      `SELECT ${COLUMNS}, ${key} AS sort_key FROM users u LEFT JOIN mfa_settings m ON m.user_id = u.id
       ${MFA_STATE_JOINS}
       WHERE ${where.join(" AND ")} ORDER BY ${key} ${dir}, u.id ${dir} LIMIT $${params.length}`,
      params,
    );
    const more = rows.length > query.limit;
    const page = rows.slice(0, query.limit);
    if (backwards) page.reverse();
    const statuses = await this.#statuses(
      app,
      page.map((r) => r.id),
      this.db,
    );
    const cursorOf = (r: UserRow | undefined): Cursor | null => (r ? { key: r.sort_key, id: r.id } : null);
    const first = cursorOf(page[0]);
    const last = cursorOf(page[page.length - 1]);
    return {
      rows: page.map((r) => this.#toRecord(app, r, statuses.get(r.id))),
      next: backwards ? (cursor ? last : null) : more ? last : null,
      prev: backwards ? (more ? first : null) : cursor ? first : null,
    };
  }

  async get(app: CompiledApp, ctx: StoreContext, id: string): Promise<StoredRecord | null> {
    return this.#get(this.db, app, ctx, id);
  }

  async #get(db: Db, app: CompiledApp, ctx: StoreContext, id: string, lock = false): Promise<StoredRecord | null> {
    const { rows } = await db.query<UserRow>(
      `SELECT ${COLUMNS}, e.username AS updated_by_name FROM users u LEFT JOIN users e ON e.id = u.updated_by
       WHERE u.id = $1 AND u.site_id = $2${lock ? " FOR UPDATE OF u" : ""}`,
      [id, ctx.siteId],
    );
    const row = rows[0];
    if (!row) return null;
    const statuses = await this.#statuses(app, [row.id], db);
    return this.#toRecord(app, row, statuses.get(row.id));
  }

  /** Checks what the schema cannot (the username pattern the database enforces, the password policy) and hashes. */
  async #prepare(app: CompiledApp, values: Record<string, unknown>, fields: string[]) {
    const usernameField = fieldOf(app, "user.username");
    const username = usernameField ? values[usernameField] : undefined;
    if (
      usernameField &&
      fields.includes(usernameField) &&
      (typeof username !== "string" || !USERNAME_PATTERN.test(username))
    ) {
      throw new RecordInputError(usernameField, "Username must be 1 to 64 letters, digits or . _ @ -.");
    }
    const passwordField = fieldOf(app, "user.password");
    const password = passwordField ? values[passwordField] : undefined;
    let hash: string | undefined;
    if (passwordField && typeof password === "string" && fields.includes(passwordField)) {
      const problem = passwordProblem(password);
      if (problem) throw new RecordInputError(passwordField, `Password ${problem}.`);
      // Argon2 takes a while: hash before the transaction starts, not inside it.
      hash = await hashPassword(password);
    }
    return { hash };
  }

  /** The designer's own fields: everything without a binding. */
  #dataOf(app: CompiledApp, values: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of app.fields) if (!f.system && values[f.name] !== undefined) out[f.name] = values[f.name];
    return out;
  }

  async #applyMfa(
    app: CompiledApp,
    ctx: StoreContext,
    userId: string,
    values: Record<string, unknown>,
    fields: string[],
    tx: Db,
  ): Promise<void> {
    const enabledField = fieldOf(app, "mfa.enabled");
    const delayField = fieldOf(app, "mfa.enforcementDelayDays");
    const decides = (f: string | undefined) => f !== undefined && fields.includes(f);
    if (!decides(enabledField) && !decides(delayField)) return;
    const now = await this.mfa.statusOf(userId, tx);
    const enabled = decides(enabledField) ? values[enabledField!] === true : now.enabled;
    // The delay field is hidden while the slider is off; then the stored delay stands.
    const delayValue = delayField ? values[delayField] : undefined;
    const delay = typeof delayValue === "number" ? delayValue : now.enforcementDelayDays;
    try {
      await this.mfa.applySettings(
        userId,
        { enabled, enforcementDelayDays: delay },
        { id: ctx.actor.id, name: ctx.actor.name, siteId: ctx.siteId, credential: ctx.actor.credential },
        tx,
      );
    } catch (err) {
      if (err instanceof MfaInputError) {
        const field = err.field === "enabled" ? enabledField : delayField;
        throw new RecordInputError(
          field ?? "",
          `${err.field === "enabled" ? "Multi-factor authentication" : "Enforcement delay"} ${err.message}.`,
        );
      }
      if (err instanceof MfaAccessError) throw new RecordNotFoundError();
      throw err;
    }
  }

  #uniqueError(app: CompiledApp, err: unknown): never {
    if (isPgError(err, PgError.uniqueViolation)) {
      throw new RecordInputError(fieldOf(app, "user.username") ?? "", "Username is already taken.");
    }
    throw err;
  }

  async create(app: CompiledApp, ctx: StoreContext, values: Record<string, unknown>): Promise<StoredRecord> {
    const fields = app.fields.filter((f) => !f.readOnly).map((f) => f.name);
    const { hash } = await this.#prepare(app, values, fields);
    const col = (b: SystemBinding) => {
      const f = fieldOf(app, b);
      return f === undefined ? undefined : values[f];
    };
    const now = this.clock.now();
    const id = await this.db.transaction(async (tx) => {
      let row: { id: string; username: string };
      try {
        const { rows } = await tx.query<{ id: string; username: string }>(
          `INSERT INTO users (site_id, username, display_name, email, password_hash, role, web_access, device_access,
             disabled, data, created_at, updated_at, created_by, updated_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $12) RETURNING id, username`,
          [
            ctx.siteId,
            col("user.username"),
            col("user.displayName") ?? "",
            col("user.email") ?? null,
            hash ?? null,
            col("user.role") ?? "user",
            col("user.webAccess") ?? true,
            col("user.deviceAccess") ?? false,
            col("user.disabled") ?? false,
            JSON.stringify(this.#dataOf(app, values)),
            now,
            ctx.actor.id,
          ],
        );
        row = rows[0]!;
      } catch (err) {
        this.#uniqueError(app, err);
      }
      await this.#applyMfa(app, ctx, row.id, values, fields, tx);
      await this.#applyPolicy(app, ctx, row.id, String(col("user.role") ?? "user"), undefined, tx);
      await this.audit.record(
        {
          siteId: ctx.siteId,
          actor: ctx.actor,
          action: "user.create",
          target: { id: row.id, name: row.username },
          details: { role: col("user.role") ?? "user" },
        },
        tx,
      );
      return row.id;
    });
    return (await this.get(app, ctx, id))!;
  }

  async update(app: CompiledApp, ctx: StoreContext, id: string, change: RecordChange): Promise<StoredRecord> {
    const { values, fields } = change;
    const { hash } = await this.#prepare(app, values, fields);
    await this.db.transaction(async (tx) => {
      const current = await this.#get(tx, app, ctx, id, true);
      if (!current) throw new RecordNotFoundError();
      if (current.version !== change.expectedVersion) throw new RecordConflictError(current);
      const self = ctx.actor.id === id;
      const sets: string[] = [];
      const params: unknown[] = [id, ctx.siteId];
      const changed: string[] = [];
      // For the audit log: each changed field's before and after; a secret only says "changed".
      const changes: Record<string, { before: unknown; after: unknown } | "changed"> = {};
      const dataFields: string[] = [];
      // Credential changes in this save: each ends the user's sessions and device tokens.
      const revocations: RevocationReason[] = [];
      for (const field of fields) {
        const place = placeOf(app, field);
        const v = values[field];
        if (place.kind === "column") {
          const revokedBy = revocationFor(place.column, current.values[field], v);
          if (revokedBy) revocations.push(revokedBy);
          if (self && place.column === "role" && v !== "admin") {
            throw new RecordInputError(field, "You cannot take away your own administrator role.");
          }
          if (self && place.column === "disabled" && v === true) {
            throw new RecordInputError(field, "You cannot disable your own account.");
          }
          if (self && place.column === "web_access" && v !== true) {
            throw new RecordInputError(field, "You cannot take away your own web access.");
          }
          params.push(v ?? (place.column === "display_name" ? "" : place.column === "email" ? null : false));
          sets.push(`${place.column} = $${params.length}`);
          if (current.values[field] !== v) {
            changed.push(field);
            changes[field] = { before: current.values[field] ?? null, after: v ?? null };
          }
        } else if (place.kind === "password") {
          if (hash) {
            params.push(hash);
            sets.push(`password_hash = $${params.length}`);
            changed.push(field);
            changes[field] = "changed";
            revocations.push("password_changed");
          }
        } else if (place.kind === "data") {
          dataFields.push(field);
          if (JSON.stringify(current.values[field] ?? null) !== JSON.stringify(v ?? null)) {
            const secret = app.fields.find((f) => f.name === field)?.writeOnly;
            changes[field] = secret ? "changed" : { before: current.values[field] ?? null, after: v ?? null };
          }
        }
      }
      // Keys of users.data this form does not decide (a field the designer removed) are kept.
      params.push(dataFields, JSON.stringify(this.#dataOf(app, values)));
      sets.push(`data = (data - $${params.length - 1}::text[]) || $${params.length}::jsonb`);
      params.push(this.clock.now(), ctx.actor.id);
      sets.push(`updated_at = $${params.length - 1}`, `updated_by = $${params.length}`, "version = version + 1");
      try {
        await tx.query(`UPDATE users SET ${sets.join(", ")} WHERE id = $1 AND site_id = $2`, params);
      } catch (err) {
        this.#uniqueError(app, err);
      }
      // An administrator changing their own account keeps the session they save it with.
      if (revocations.length) await this.revocation.revoke(id, revocations, tx, ctx.actor);
      await this.#applyMfa(app, ctx, id, values, fields, tx);
      const roleField = fieldOf(app, "user.role");
      if (roleField && fields.includes(roleField)) {
        await this.#applyPolicy(app, ctx, id, String(values[roleField]), String(current.values[roleField]), tx);
      }
      const usernameField = fieldOf(app, "user.username") ?? "";
      const name = values[usernameField] ?? current.values[usernameField];
      await this.audit.record(
        {
          siteId: ctx.siteId,
          actor: ctx.actor,
          action: "user.update",
          target: { id, name: typeof name === "string" ? name : id },
          details: { fields: changed, changes },
        },
        tx,
      );
    });
    return (await this.get(app, ctx, id))!;
  }

  async delete(app: CompiledApp, ctx: StoreContext, id: string, expectedVersion: number): Promise<void> {
    // Not a bad value but the state of this record (it is the actor's own account): a conflict, 409.
    if (ctx.actor.id === id) throw new ConflictError("You cannot delete your own account.");
    await this.db.transaction(async (tx) => {
      const current = await this.#get(tx, app, ctx, id, true);
      if (!current) throw new RecordNotFoundError();
      if (current.version !== expectedVersion) throw new RecordConflictError(current);
      // The rows would go with the user (ON DELETE CASCADE); a kind of credential kept elsewhere would not.
      await this.revocation.revoke(id, "user_deleted", tx, ctx.actor);
      const { rows } = await tx.query<{ username: string }>(
        "DELETE FROM users WHERE id = $1 AND site_id = $2 RETURNING username",
        [id, ctx.siteId],
      );
      await this.audit.record(
        {
          siteId: ctx.siteId,
          actor: ctx.actor,
          action: "user.delete",
          details: { username: rows[0]?.username ?? null },
        },
        tx,
      );
    });
  }

  async count(_app: CompiledApp, siteId: string): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE site_id = $1", [
      siteId,
    ]);
    return rows[0]!.n;
  }
}
