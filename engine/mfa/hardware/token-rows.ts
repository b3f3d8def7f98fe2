// A hardware token as the registry reads it (engine/mfa/hardware/token-registry.ts): the shape,
// the one SELECT every read uses, and the mapping of its rows.
import type { HardwareAlgorithm } from "./token-input.js";

/**
 * Where a token stands: free in the pool, reserved for one user, assigned to a user (since when),
 * or disabled.
 */
export type TokenState =
  | { kind: "available" }
  | { kind: "reserved"; userId: string; username: string; siteId: string }
  | { kind: "assigned"; userId: string; username: string; siteId: string; siteName: string; since: Date }
  | { kind: "disabled" };

/**
 * A registered hardware TOTP token (RFC 6238) without its secret: serial number, label, model,
 * algorithm, 6 or 8 digits, a 30 or 60 second step, and whether it is free, reserved, assigned or
 * disabled.
 */
export interface HardwareToken {
  id: string;
  serialNumber: string;
  name: string;
  model: string;
  manufacturer: string;
  algorithm: HardwareAlgorithm;
  digits: 6 | 8;
  periodInSeconds: 30 | 60;
  disabled: boolean;
  reservedForUserId: string | null;
  createdAt: Date;
  state: TokenState;
}

/** One row of TOKEN_SELECT, as the database returns it. */
export interface TokenRow {
  id: string;
  serial_number: string;
  name: string;
  model: string;
  manufacturer: string;
  algorithm: HardwareAlgorithm;
  digits: number;
  period_seconds: number;
  disabled: boolean;
  reserved_for_user_id: string | null;
  reserved_username: string | null;
  reserved_site_id: string | null;
  created_at: Date;
  assigned_user_id: string | null;
  assigned_username: string | null;
  assigned_site: string | null;
  assigned_site_id: string | null;
  assigned_at: Date | null;
}

/** Every column a HardwareToken is made of, with who it is reserved for and assigned to. */
export const TOKEN_SELECT = `SELECT t.id, t.serial_number, t.name, t.model, t.manufacturer, t.algorithm, t.digits, t.period_seconds,
    t.disabled, t.reserved_for_user_id, r.username AS reserved_username, r.site_id AS reserved_site_id, t.created_at,
    e.user_id AS assigned_user_id, au.username AS assigned_username, s.name AS assigned_site, s.id AS assigned_site_id,
    e.activated_at AS assigned_at
  FROM hardware_tokens t
  LEFT JOIN users r ON r.id = t.reserved_for_user_id
  LEFT JOIN mfa_enrollments e ON e.token_id = t.id
  LEFT JOIN users au ON au.id = e.user_id
  LEFT JOIN sites s ON s.id = au.site_id`;

/** The token of one row of TOKEN_SELECT. */
export function toToken(r: TokenRow): HardwareToken {
  const state: TokenState = r.assigned_user_id
    ? {
        kind: "assigned",
        userId: r.assigned_user_id,
        username: r.assigned_username ?? "",
        siteId: r.assigned_site_id ?? "",
        siteName: r.assigned_site ?? "",
        since: r.assigned_at!,
      }
    : r.disabled
      ? { kind: "disabled" }
      : r.reserved_username
        ? {
            kind: "reserved",
            userId: r.reserved_for_user_id!,
            username: r.reserved_username,
            siteId: r.reserved_site_id ?? "",
          }
        : { kind: "available" };
  return {
    id: r.id,
    serialNumber: r.serial_number,
    name: r.name,
    model: r.model,
    manufacturer: r.manufacturer,
    algorithm: r.algorithm,
    digits: r.digits as 6 | 8,
    periodInSeconds: r.period_seconds as 30 | 60,
    disabled: r.disabled,
    reservedForUserId: r.reserved_for_user_id,
    createdAt: r.created_at,
    state,
  };
}
