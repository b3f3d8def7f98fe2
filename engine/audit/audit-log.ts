import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { type Sql, type Statement, sql } from "../db/statement.js";

/**
 * Every action the engine writes to the audit log. An entry's action must be one of these (the
 * type below), and the audit page words each (engine/audit/audit-words.ts; test/configure/audit-words.test.ts
 * checks that none reads as its raw name), so a new action cannot appear on /configure/audit raw.
 */
export const AUDIT_ACTIONS = [
  "sign_in.password",
  "sign_in.code",
  "sign_in.passkey",
  "mfa.enable",
  "mfa.disable",
  "mfa.reset",
  "mfa.activate",
  "mfa.delay_change",
  "mfa.deadline_move",
  "mfa.lock",
  "mfa.unlock",
  "mfa.postpone",
  "mfa.recovery_codes",
  "mfa.recovery_code_used",
  "mfa.access_pass",
  "mfa.access_pass_used",
  "mfa.rollout",
  "mfa.policy",
  "mfa.factor_remove",
  "mfa.passkey_add",
  "mfa.passkey_counter",
  "hardware_token.register",
  "hardware_token.import",
  "hardware_token.disable",
  "hardware_token.enable",
  "hardware_token.delete",
  "hardware_token.assign",
  "hardware_token.unassign",
  "hardware_token.release",
  "user.create",
  "user.update",
  "user.delete",
  "user.sign_out_others",
  "user.password_change",
  "user.password_reset",
  "mail.sent",
  "mail.failed",
  "mail.remind",
  "mail.settings",
  "site.time_zone",
  "site.create",
  "audit.purge",
  "backup.create",
  "backup.download",
  "app.create",
  "app.duplicate",
  "app.delete",
  "app.publish",
  "app.discard",
  "app.update",
  "app.restore",
  "app.option.keep",
  "app.option.map",
] as const;

/** An audit action's name (AUDIT_ACTIONS). */
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * One audit event to record: the site (null for an engine-wide event), who did it (id null for the
 * CLI or the system), the action name, the account it touched and details as JSON (never a secret).
 */
export interface AuditEntry {
  siteId: string | null;
  actor: { id: string | null; name: string };
  action: AuditAction;
  target?: { id: string; name: string };
  details?: Record<string, unknown>;
}

/** Append-only record of security-relevant changes. Callers never pass secrets in details. */
export class AuditLog {
  #observer: (e: AuditEntry) => void = () => {};

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** Calls `observer` after each entry `record` wrote (the metrics count locks from them). */
  onRecord(observer: (e: AuditEntry) => void): void {
    this.#observer = observer;
  }

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
    this.#observer(e);
  }

  /**
   * Adds the entry `e` to statement `st` as a CTE, written only when CTE `gate` of that statement
   * returns a row: an audit entry of a change that may turn out to change nothing (an unlock of a
   * user who is not locked) is decided in the change's own statement, so it cannot tell of a
   * change another request made. Returns the CTE's name (a row when the entry was written).
   */
  recordIn(st: Statement, e: AuditEntry, gate: Sql): Sql {
    return st.with(
      "audited",
      sql`INSERT INTO audit_log (at, site_id, actor_id, actor_name, action, target_user_id, target_name, details)
       SELECT ${st.param(this.clock.now(), "timestamptz")}, ${st.param(e.siteId, "uuid")}, ${st.param(e.actor.id, "uuid")},
         ${st.param(e.actor.name, "text")}, ${st.param(e.action, "text")}, ${st.param(e.target?.id ?? null, "uuid")},
         ${st.param(e.target?.name ?? null, "text")}, ${st.param(JSON.stringify(e.details ?? {}), "jsonb")}
       WHERE EXISTS (SELECT 1 FROM ${gate})
       RETURNING id`,
    );
  }

  /**
   * One entry per user of `userIds` in one statement (a bulk MFA rollout):
   * the same `action` and `details` each, targeted at the user, on the user's
   * own site. Unknown ids get no entry. Returns how many entries were written.
   */
  /** An entry for what a user did to their own account: they are both actor and target. */
  recordOwn(
    user: { id: string; username: string; siteId: string },
    action: AuditAction,
    details?: Record<string, unknown>,
  ) {
    const self = { id: user.id, name: user.username };
    return this.record({ siteId: user.siteId, actor: self, action, target: self, details });
  }

  async recordForUsers(
    e: Omit<AuditEntry, "siteId" | "target">,
    userIds: readonly string[],
    db: Db = this.db,
  ): Promise<number> {
    if (!userIds.length) return 0;
    const { rowCount } = await db.query(
      `INSERT INTO audit_log (at, site_id, actor_id, actor_name, action, target_user_id, target_name, details)
       SELECT $1, u.site_id, $2, $3, $4, u.id, u.username, $5::jsonb FROM users u WHERE u.id = ANY($6::uuid[])
       ORDER BY u.id`,
      [this.clock.now(), e.actor.id, e.actor.name, e.action, JSON.stringify(e.details ?? {}), userIds],
    );
    return rowCount;
  }

  /**
   * One entry per target in one statement, like recordForUsers, for a caller that has read the
   * targets already (a rollout batch): each entry on the target's own site, with the target's
   * username as read. Nothing is looked up; returns how many entries were written.
   */
  async recordForTargets(
    e: Omit<AuditEntry, "siteId" | "target">,
    targets: readonly { id: string; name: string; siteId: string }[],
    db: Db = this.db,
  ): Promise<number> {
    if (!targets.length) return 0;
    const { rowCount } = await db.query(
      `INSERT INTO audit_log (at, site_id, actor_id, actor_name, action, target_user_id, target_name, details)
       SELECT $1, t.site_id, $2, $3, $4, t.id, t.name, $5::jsonb
       FROM unnest($6::uuid[], $7::text[], $8::uuid[]) AS t(id, name, site_id)`,
      [
        this.clock.now(),
        e.actor.id,
        e.actor.name,
        e.action,
        JSON.stringify(e.details ?? {}),
        targets.map((t) => t.id),
        targets.map((t) => t.name),
        targets.map((t) => t.siteId),
      ],
    );
    return rowCount;
  }
}
