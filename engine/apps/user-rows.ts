import type { RevocationReason } from "../auth/revocation.js";
import type { Clock } from "../clock.js";
import { mfaStateRank } from "../mfa/mfa-states.js";
import type { MfaStatus } from "../mfa/status.js";
import type { SystemBinding } from "../schema/types.js";
import type { CompiledApp } from "./compiled-app.js";
import { type StoredRecord, storedRecord } from "./record-store-contract.js";

// How the fields of a user-accounts app map onto a `users` row: which column, the password hash,
// the MFA service or users.data each field is, and the SQL expressions that sort and search by them.
// Used by UserRecordsStore (user-records-store.ts); nothing here reads or writes the database.

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

/** A users row as the store selects it (USER_RECORD_COLUMNS, plus the editor's name and a sort key where asked). */
export interface UserRecordRow {
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

/** The users columns a record is read from, over `users u`. */
export const USER_RECORD_COLUMNS = `u.id, u.site_id, u.username, u.display_name, u.email, u.role, u.web_access, u.device_access,
  u.disabled, u.data, u.version, u.created_at, u.updated_at, u.created_by, u.updated_by`;

/** A field's place in a users row: a column, the MFA service, the password hash, or users.data. */
export type Place =
  | { kind: "column"; column: string }
  | { kind: "password" }
  | { kind: "mfa"; binding: "mfa.enabled" | "mfa.enforcementDelayDays" | "mfa.status" }
  | { kind: "data" };

/** Where the field named `field` of `app` lives in a users row (a field without binding: users.data). */
export function placeOf(app: CompiledApp, field: string): Place {
  const binding = app.fields.find((f) => f.name === field)?.system;
  if (!binding) return { kind: "data" };
  if (binding === "user.password") return { kind: "password" };
  if (binding.startsWith("mfa.")) return { kind: "mfa", binding: binding as "mfa.enabled" };
  return { kind: "column", column: COLUMN_OF[binding]! };
}

/** The name of the field of `app` bound to `binding`, or undefined when the app has none. */
export const fieldOf = (app: CompiledApp, binding: SystemBinding) => app.bindings.get(binding)?.name;

/** Whether setting a users column from `before` to `after` is a credential change, and which. */
export function revocationFor(column: string, before: unknown, after: unknown): RevocationReason | null {
  if (column === "disabled" && after === true && before !== true) return "user_disabled";
  if (column === "web_access" && after !== true && before === true) return "web_access_removed";
  if (column === "device_access" && after !== true && before === true) return "device_access_removed";
  return null;
}

/**
 * The sort key of a field as a jsonb expression over users u and mfa_settings m
 * (strings case-folded). A designer's field is read from users.data by a parameter; values the
 * expression needs are pushed onto `params` (the MFA state's rank reads `clock`'s now).
 */
export function userSortKey(app: CompiledApp, field: string, params: unknown[], clock: Clock): string {
  const place = placeOf(app, field);
  if (place.kind === "column") {
    const col = `u.${place.column}`;
    return ["username", "display_name", "email"].includes(place.column)
      ? `to_jsonb(lower(coalesce(${col}, '')))`
      : `to_jsonb(${col})`;
  }
  if (place.kind === "mfa" && place.binding === "mfa.status") {
    params.push(clock.now());
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

/** The lowercased searchable fields of a user, as one text expression (designer fields by parameters pushed onto `params`). */
export function userSearchText(app: CompiledApp, params: unknown[]): string {
  const parts = app.list.searchable.map((f) => {
    const place = placeOf(app, f);
    if (place.kind === "column") return `u.${place.column}`;
    params.push(f);
    return `u.data->>$${params.length}::text`;
  });
  return `lower(concat_ws(' ', ${parts.length ? parts.join(", ") : "u.username"}))`;
}

/** A users row as the record of `app`: its columns, its MFA status (when the app shows MFA) and users.data; never the password. */
export function userRecord(app: CompiledApp, r: UserRecordRow, status: MfaStatus | undefined): StoredRecord {
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
  const record = storedRecord(r, values);
  const statusField = app.bindings.get("mfa.status")?.name;
  if (statusField && status) record.badges = { [statusField]: status.badges };
  return record;
}

/** The designer's own fields of `values`: everything without a binding, as users.data holds them. */
export function designerData(app: CompiledApp, values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of app.fields) if (!f.system && values[f.name] !== undefined) out[f.name] = values[f.name];
  return out;
}
