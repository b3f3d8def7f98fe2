import { NO_NOTICES, type Notices } from "../mail/mail-model.js";
import type { AuditLog } from "../audit/audit-log.js";
import { ConflictError } from "../errors.js";
import type { CredentialRevocation, RevocationReason } from "../auth/revocation.js";
import { hashPassword, passwordProblem } from "../auth/passwords.js";
import { USERNAME_PATTERN } from "../auth/user-accounts.js";
import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { isPgError, PgError } from "../db/db.js";
import type { MfaService } from "../mfa/mfa-service.js";
import type { SiteMfaPolicies } from "../mfa/site-policy.js";
import type { SystemBinding } from "../schema/types.js";
import type { CompiledApp } from "./compiled-app.js";
import {
  type CreateOptions,
  RecordConflictError,
  RecordInputError,
  type ExportColumns,
  RecordNotFoundError,
  type ListPage,
  type ListQuery,
  type RecordChange,
  type RecordStore,
  type StoreContext,
  type StoredRecord,
} from "./record-store-contract.js";
import { claimSubmission, noteSubmission } from "../db/submissions.js";
import { assertValidRecord } from "./record-rules.js";
import {
  designerData,
  fieldOf,
  placeOf,
  revocationFor,
  USER_RECORD_COLUMNS,
  userRecord,
  type UserRecordRow,
} from "./user-rows.js";
import { UserRecordMfa } from "./user-record-mfa.js";
import { listUserPage } from "./user-list-page.js";
import { plainText } from "../util/plain-text.js";

/**
 * The store of apps whose records are user accounts (any user.* or mfa.*
 * binding, like forms/user-accounts.app.json): system fields are columns of
 * `users`, the MFA fields go through the MFA service in the same transaction
 * as the user row, and every other field a designer adds lives in users.data.
 * Site-scoped like every store; a user row is one record.
 */
export class UserRecordsStore implements RecordStore {
  readonly #mfa: UserRecordMfa;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    mfa: MfaService,
    private readonly revocation: CredentialRevocation,
    private readonly audit: AuditLog,
    policies: SiteMfaPolicies,
    /** The "password changed" notice when an administrator sets a user's password. */
    private readonly notices: Notices = NO_NOTICES,
  ) {
    this.#mfa = new UserRecordMfa(mfa, policies);
  }

  /** See UserRecordMfa.newRecordValues: the Add User form under the site's MFA policy. */
  newRecordValues(
    app: CompiledApp,
    ctx: StoreContext,
    defaults: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    return this.#mfa.newRecordValues(app, ctx, defaults);
  }

  /** See UserRecordMfa.exportColumns: the users CSV export's MFA columns. */
  exportColumns(app: CompiledApp): ExportColumns | null {
    return this.#mfa.exportColumns(app);
  }

  sortable(app: CompiledApp): string[] {
    // The status message sorts by MFA state (off, pending, overdue, activated); passwords never sort.
    return app.list.columns.filter((c) => !c.writeOnly).map((c) => c.name);
  }

  async list(app: CompiledApp, ctx: StoreContext, query: ListQuery): Promise<ListPage> {
    return listUserPage(this.db, this.clock, this.#mfa, this.sortable(app), app, ctx, query);
  }

  async get(app: CompiledApp, ctx: StoreContext, id: string): Promise<StoredRecord | null> {
    return this.#get(this.db, app, ctx, id);
  }

  async #get(db: Db, app: CompiledApp, ctx: StoreContext, id: string, lock = false): Promise<StoredRecord | null> {
    const { rows } = await db.query<UserRecordRow>(
      `SELECT ${USER_RECORD_COLUMNS}, e.username AS updated_by_name FROM users u LEFT JOIN users e ON e.id = u.updated_by
       WHERE u.id = $1 AND u.site_id = $2${lock ? " FOR UPDATE OF u" : ""}`,
      [id, ctx.siteId],
    );
    const row = rows[0];
    if (!row) return null;
    const statuses = await this.#mfa.statuses(app, [row.id], db);
    return userRecord(app, row, statuses.get(row.id));
  }

  /** Checks what the schema cannot (the username pattern the database enforces, the password policy) and hashes. */
  async #prepare(app: CompiledApp, ctx: StoreContext, values: Record<string, unknown>, fields: string[]) {
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
      const text = (b: SystemBinding) => {
        const f = fieldOf(app, b);
        const v = f === undefined ? undefined : values[f];
        return typeof v === "string" ? v : null;
      };
      const site = await this.db.query<{ name: string }>("SELECT name FROM sites WHERE id = $1", [ctx.siteId]);
      const problem = passwordProblem(password, {
        username: text("user.username"),
        displayName: text("user.displayName"),
        siteName: site.rows[0]?.name,
      });
      if (problem) throw new RecordInputError(passwordField, `Password ${problem}.`);
      // Argon2 takes a while: hash before the transaction starts, not inside it.
      hash = await hashPassword(password);
    }
    return { hash };
  }

  #uniqueError(app: CompiledApp, err: unknown): never {
    if (isPgError(err, PgError.uniqueViolation)) {
      throw new RecordInputError(fieldOf(app, "user.username") ?? "", "Username is already taken.");
    }
    throw err;
  }

  async create(
    app: CompiledApp,
    ctx: StoreContext,
    values: Record<string, unknown>,
    options: CreateOptions = {},
  ): Promise<StoredRecord> {
    // Save validates (whoever saves: route, device API, CLI, rollout, import): the app's rules first.
    assertValidRecord(app, "create", values);
    const fields = app.fields.filter((f) => !f.readOnly).map((f) => f.name);
    const { hash } = await this.#prepare(app, ctx, values, fields);
    const col = (b: SystemBinding) => {
      const f = fieldOf(app, b);
      return f === undefined ? undefined : values[f];
    };
    const now = this.clock.now();
    const id = await this.db.transaction(async (tx) => {
      const submission = options.submission;
      if (submission) await claimSubmission(tx, this.clock, { siteId: ctx.siteId, appId: app.id }, submission);
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
            JSON.stringify(designerData(app, values)),
            now,
            ctx.actor.id,
          ],
        );
        row = rows[0]!;
      } catch (err) {
        this.#uniqueError(app, err);
      }
      if (submission) await noteSubmission(tx, submission, row.id);
      await this.#mfa.applySettings(app, ctx, row.id, values, fields, tx);
      await this.#mfa.applyPolicy(app, ctx, row.id, plainText(col("user.role") ?? "user"), undefined, tx);
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
    const { hash } = await this.#prepare(app, ctx, values, fields);
    await this.db.transaction(async (tx) => {
      const current = await this.#get(tx, app, ctx, id, true);
      if (!current) throw new RecordNotFoundError();
      if (current.version !== change.expectedVersion) throw new RecordConflictError(current);
      // Save validates: the app's rules, a choice the account already held kept (kept-values.ts).
      assertValidRecord(app, "edit", values, current.values);
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
      params.push(dataFields, JSON.stringify(designerData(app, values)));
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
      if (revocations.includes("password_changed")) await this.notices.notify(tx, id, "password_changed");
      await this.#mfa.applySettings(app, ctx, id, values, fields, tx);
      const roleField = fieldOf(app, "user.role");
      if (roleField && fields.includes(roleField)) {
        await this.#mfa.applyPolicy(app, ctx, id, String(values[roleField]), String(current.values[roleField]), tx);
      }
      // A save that changed no user field writes no user.update: the mfa.* entries of
      // applySettings say what an MFA-only save did, and an unchanged save did nothing to log.
      if (changed.length === 0 && Object.keys(changes).length === 0) return;
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
      // The entry is written while the user still exists, naming them: the deletion sets its
      // target_user_id to NULL and keeps target_name, so ?user=NAME and the CSV still find it.
      const { rows } = await tx.query<{ username: string }>(
        "SELECT username FROM users WHERE id = $1 AND site_id = $2",
        [id, ctx.siteId],
      );
      const username = rows[0]?.username ?? null;
      await this.audit.record(
        {
          siteId: ctx.siteId,
          actor: ctx.actor,
          action: "user.delete",
          ...(username ? { target: { id, name: username } } : {}),
          details: { username },
        },
        tx,
      );
      await tx.query("DELETE FROM users WHERE id = $1 AND site_id = $2", [id, ctx.siteId]);
    });
  }

  async count(_app: CompiledApp, siteId: string): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE site_id = $1", [
      siteId,
    ]);
    return rows[0]!.n;
  }
}
