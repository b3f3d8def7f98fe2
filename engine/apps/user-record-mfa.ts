import type { Db } from "../db/db.js";
import { MfaAccessError, MfaInputError } from "../mfa/mfa-model.js";
import type { MfaService } from "../mfa/mfa-service.js";
import type { MfaStatus } from "../mfa/status.js";
import type { SiteMfaPolicies } from "../mfa/site-policy.js";
import type { CompiledApp } from "./compiled-app.js";
import {
  RecordInputError,
  RecordNotFoundError,
  type ExportColumns,
  type StoreContext,
} from "./record-store-contract.js";
import { fieldOf } from "./user-rows.js";
import { plainText } from "../util/plain-text.js";

/**
 * The MFA side of a user-accounts app's records (its mfa.* fields): the slider and delay saved
 * through the MFA service in the store's transaction, the site's MFA policy for new accounts and
 * role changes, the MFA status shown with each record, and the MFA columns of the users CSV export.
 * Used by UserRecordsStore; errors come back as the record errors of a field.
 */
export class UserRecordMfa {
  constructor(
    private readonly mfa: MfaService,
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
    const delay = await this.policies.delayFor(ctx.siteId, plainText(role));
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
  async applyPolicy(
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
      if ((await this.policies.delayFor(ctx.siteId, plainText(startRole), tx)) !== null) return;
    }
    const status = await this.mfa.statusOf(userId, tx);
    if (status.enabled) return;
    await this.mfa.settings.applySettings(
      userId,
      { enabled: true, enforcementDelayDays: delay },
      { id: ctx.actor.id, name: ctx.actor.name, siteId: ctx.siteId, credential: ctx.actor.credential },
      tx,
    );
  }

  /**
   * The users CSV export's MFA columns: state (the badge names Off, Pending, Overdue, Active),
   * required-from and activation instants (ISO 8601 in UTC with its `Z` offset, e.g.
   * `2026-12-09T20:30:00.000Z`: machine-readable whatever the site's zone), method and token serial.
   */
  exportColumns(app: CompiledApp): ExportColumns | null {
    if (!app.bindings.has("mfa.enabled")) return null;
    const iso = (d: Date | null | undefined) => (d ? d.toISOString() : "");

    return {
      labels: ["MFA state", "MFA required from", "MFA activated on", "MFA method", "Token serial"],
      cells: async (rows) => {
        const statuses = await this.mfa.statusesOf(rows.map((r) => r.id));
        return rows.map((r) => {
          const st = statuses.get(r.id);
          if (!st) return ["", "", "", "", ""];
          return [
            // The badge's name (Off, Pending, Overdue, Active), as every page names the state.
            st.badges[0]!.text.split(" — ")[0]!,
            st.enabled && !st.activation ? iso(st.requiredFrom) : "",
            iso(st.activation?.at),
            st.activation?.method ?? "",
            st.activation?.tokenSerial ?? "",
          ];
        });
      },
    };
  }

  /** The MFA status of each user of `ids` (read in `db`), when the app shows any MFA field; else none. */
  async statuses(app: CompiledApp, ids: string[], db: Db): Promise<Map<string, MfaStatus>> {
    const usesMfa = [...app.bindings.keys()].some((b) => b.startsWith("mfa."));
    return usesMfa ? this.mfa.statusesOf(ids, db) : new Map();
  }

  /**
   * Saves the MFA slider and delay of the user `userId` when this save decides either (`fields`),
   * in `tx`. Throws RecordInputError on the field the MFA service refused, RecordNotFoundError when
   * the actor may not change this user's MFA.
   */
  async applySettings(
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
      await this.mfa.settings.applySettings(
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
}
