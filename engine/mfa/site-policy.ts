/**
 * The MFA policy of a site for accounts to come: accounts created in one of
 * the required roles, or whose role changes into one, start with MFA on and the
 * policy's enforcement delay, exactly as if the slider had been switched on.
 */
import type { AuditLog } from "../audit/audit-log.js";
import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { type Sql, sql } from "../db/statement.js";
import { MAX_ENFORCEMENT_DELAY_DAYS, type MfaActor } from "./mfa-model.js";
import { ROLES, RolloutInputError, type RolloutRole } from "./mfa-rollouts.js";
import type { FactorMethod } from "./status.js";

/** A site's policy; no required roles means none applies. */
export interface SiteMfaPolicy {
  requiredRoles: RolloutRole[];
  /** Grace period in days (0–3650) a new or moved account gets. */
  defaultEnforcementDelayDays: number;
  updatedAt: Date | null;
  updatedBy: string | null;
  /** The methods /mfa/setup offers (at least one). */
  allowedMethods: FactorMethod[];
  /** "Sign in with a passkey" on /login (discoverable credential, user verification): both factors at once. */
  passkeySignIn: boolean;
  /** Days a browser may skip the code after "Don't ask again" (0: the checkbox is not offered). */
  rememberBrowserDays: number;
}

/**
 * Whether an activated user holds at least one factor of a method in `allowed` (a site policy's
 * allowedMethods): their TOTP enrollment's method (app or hardware token) or a passkey. A user who
 * holds none (the policy changed after they set up) must set up an allowed one at their next sign-in.
 */
export function holdsAllowedFactor(
  activation: { method: FactorMethod; passkeys: readonly string[] },
  allowed: readonly FactorMethod[],
): boolean {
  const held: FactorMethod[] = activation.passkeys.length ? ["passkey"] : [];
  if (activation.method !== "passkey") held.push(activation.method);
  return held.some((m) => allowed.includes(m));
}

/**
 * holdsAllowedFactor's negation as an SQL condition on the user `userId` (an SQL expression): their
 * site has a policy, and neither their TOTP enrollment's method nor (when they hold one) "passkey"
 * is among its allowedMethods. A site without a policy allows every method.
 */
export function lacksAllowedFactorSql(userId: Sql): Sql {
  return sql`EXISTS (SELECT 1 FROM users lu JOIN mfa_site_policies lp ON lp.site_id = lu.site_id
    WHERE lu.id = ${userId}
      AND (EXISTS (SELECT 1 FROM mfa_enrollments le WHERE le.user_id = lu.id)
        OR EXISTS (SELECT 1 FROM passkeys lk WHERE lk.user_id = lu.id))
      AND NOT EXISTS (SELECT 1 FROM mfa_enrollments le WHERE le.user_id = lu.id AND le.method = ANY (lp.allowed_methods))
      AND NOT ('passkey' = ANY (lp.allowed_methods) AND EXISTS (SELECT 1 FROM passkeys lk WHERE lk.user_id = lu.id)))`;
}

/** Every factor method, in the order setup lists them. */
export const FACTOR_METHODS: readonly FactorMethod[] = ["passkey", "app", "hardware"];

/** A site with no policy saved: nothing required, 14 days offered as the default. */
export const NO_POLICY: SiteMfaPolicy = {
  requiredRoles: [],
  defaultEnforcementDelayDays: 14,
  updatedAt: null,
  updatedBy: null,
  allowedMethods: ["passkey", "app", "hardware"],
  passkeySignIn: false,
  rememberBrowserDays: 0,
};

/** Reads and saves per-site MFA policies (table mfa_site_policies, migration 007). */
export class SiteMfaPolicies {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
  ) {}

  /** The site's policy, or NO_POLICY. */
  async get(siteId: string, db: Db = this.db): Promise<SiteMfaPolicy> {
    const { rows } = await db.query<{
      required_roles: RolloutRole[];
      default_enforcement_delay_days: number;
      updated_at: Date;
      updated_by_name: string;
      allowed_methods: FactorMethod[];
      passkey_sign_in: boolean;
      remember_browser_days: number;
    }>(
      `SELECT required_roles, default_enforcement_delay_days, updated_at, updated_by_name, allowed_methods,
         passkey_sign_in, remember_browser_days
       FROM mfa_site_policies WHERE site_id = $1`,
      [siteId],
    );
    const r = rows[0];
    if (!r) return NO_POLICY;
    return {
      requiredRoles: r.required_roles,
      defaultEnforcementDelayDays: r.default_enforcement_delay_days,
      updatedAt: r.updated_at,
      updatedBy: r.updated_by_name,
      allowedMethods: FACTOR_METHODS.filter((m) => r.allowed_methods.includes(m)),
      passkeySignIn: r.passkey_sign_in,
      rememberBrowserDays: r.remember_browser_days,
    };
  }

  /** Whether any site allows passwordless passkey sign-in (then /login offers it). */
  async anyPasskeySignIn(): Promise<boolean> {
    const { rows } = await this.db.query<{ any: boolean }>(
      "SELECT EXISTS (SELECT 1 FROM mfa_site_policies WHERE passkey_sign_in) AS any",
    );
    return rows[0]!.any;
  }

  /** The delay an account in `role` starts with under the site's policy, or null if the role is not required. */
  async delayFor(siteId: string, role: string, db: Db = this.db): Promise<number | null> {
    const p = await this.get(siteId, db);
    return (p.requiredRoles as string[]).includes(role) ? p.defaultEnforcementDelayDays : null;
  }

  /**
   * Saves the policy (audited as `mfa.policy`). Throws RolloutInputError
   * (field requiredRoles or defaultEnforcementDelayDays) for bad input. Existing
   * accounts are not touched: a rollout does that.
   */
  async set(
    siteId: string,
    input: {
      requiredRoles: string[];
      defaultEnforcementDelayDays: number;
      /** Left out: the site's current value stays (the CLI sets only the two above). */
      allowedMethods?: string[];
      passkeySignIn?: boolean;
      rememberBrowserDays?: number;
    },
    actor: MfaActor,
  ): Promise<SiteMfaPolicy> {
    const current = await this.get(siteId);
    const methods = [...new Set(input.allowedMethods ?? current.allowedMethods)];
    const badMethod = methods.find((m) => !(FACTOR_METHODS as readonly string[]).includes(m));
    if (badMethod !== undefined) {
      throw new RolloutInputError("allowedMethods", `Method "${badMethod}" is not passkey, app or hardware.`);
    }
    if (!methods.length) throw new RolloutInputError("allowedMethods", "Allow at least one method.");
    const remember = input.rememberBrowserDays ?? current.rememberBrowserDays;
    if (!Number.isInteger(remember) || remember < 0 || remember > 365) {
      throw new RolloutInputError("rememberBrowserDays", "Remember browsers for a whole number of days from 0 to 365.");
    }
    const passkeySignIn = input.passkeySignIn ?? current.passkeySignIn;
    const allowed = FACTOR_METHODS.filter((m) => methods.includes(m));
    const roles = [...new Set(input.requiredRoles)];
    const bad = roles.find((r) => !(ROLES as readonly string[]).includes(r));
    if (bad !== undefined)
      throw new RolloutInputError("requiredRoles", `Role "${bad}" is not admin, designer or user.`);
    const d = input.defaultEnforcementDelayDays;
    if (!Number.isInteger(d) || d < 0 || d > MAX_ENFORCEMENT_DELAY_DAYS) {
      throw new RolloutInputError(
        "defaultEnforcementDelayDays",
        `Default enforcement delay must be a whole number of days from 0 to ${MAX_ENFORCEMENT_DELAY_DAYS}.`,
      );
    }
    const ordered = ROLES.filter((r) => roles.includes(r));
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO mfa_site_policies (site_id, required_roles, default_enforcement_delay_days, updated_at, updated_by,
           updated_by_name, allowed_methods, passkey_sign_in, remember_browser_days)
         VALUES ($1, $2::text[], $3, $4, $5, $6, $7::text[], $8, $9)
         ON CONFLICT (site_id) DO UPDATE SET required_roles = EXCLUDED.required_roles,
           default_enforcement_delay_days = EXCLUDED.default_enforcement_delay_days, updated_at = EXCLUDED.updated_at,
           updated_by = EXCLUDED.updated_by, updated_by_name = EXCLUDED.updated_by_name,
           allowed_methods = EXCLUDED.allowed_methods, passkey_sign_in = EXCLUDED.passkey_sign_in,
           remember_browser_days = EXCLUDED.remember_browser_days`,
        [siteId, ordered, d, this.clock.now(), actor.id, actor.name, allowed, passkeySignIn, remember],
      );
      await this.audit.record(
        {
          siteId,
          actor,
          action: "mfa.policy",
          details: {
            requiredRoles: ordered,
            defaultEnforcementDelayDays: d,
            allowedMethods: allowed,
            passkeySignIn,
            rememberBrowserDays: remember,
          },
        },
        tx,
      );
    });
    return this.get(siteId);
  }
}
