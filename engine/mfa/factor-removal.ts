import { isUuid } from "../util/uuid.js";
import type { MfaActor } from "./mfa-model.js";
import { type MfaContext, scopedUser } from "./mfa-rows.js";

/** Which factor to remove: the TOTP enrollment (app or hardware token), or one passkey by id. */
export type FactorRef = { kind: "totp" } | { kind: "passkey"; id: string };

/** The answer to a removal: "last" while MFA is on and this is the only factor; "missing" when there is no such factor. */
export type FactorRemoval = { ok: true; removed: string } | { ok: false; reason: "last" | "missing" };

/**
 * Removing one of a user's own factors (/account): never the last one while MFA is on. The
 * check and the delete run in one transaction that first locks the user's settings row, so two
 * removals at once cannot both pass the count. A removal is a credential change: the user's
 * other sessions, device tokens and remembered browsers end (the acting session stays), audited
 * as mfa.factor_remove. A removed hardware token goes back to the pool.
 */
export class FactorRemover {
  constructor(private readonly ctx: MfaContext) {}

  /** Removes `factor` of `userId`; throws MfaAccessError for a user outside the actor's reach. */
  async remove(userId: string, factor: FactorRef, actor: MfaActor): Promise<FactorRemoval> {
    if (factor.kind === "passkey" && !isUuid(factor.id)) return { ok: false, reason: "missing" };
    const { db, audit, revocation } = this.ctx;
    return db.transaction(async (tx) => {
      const user = await scopedUser(userId, actor, tx);
      // Serialises removals (and activations that take the same lock) of this user.
      await tx.query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", [userId]);
      const { rows } = await tx.query<{
        enabled: boolean;
        totp: string | null;
        serial: string | null;
        passkeys: number;
      }>(
        `SELECT COALESCE((SELECT enabled FROM mfa_settings WHERE user_id = $1), false) AS enabled,
           (SELECT method FROM mfa_enrollments WHERE user_id = $1) AS totp,
           (SELECT token_serial FROM mfa_enrollments WHERE user_id = $1) AS serial,
           (SELECT count(*)::int FROM passkeys WHERE user_id = $1) AS passkeys`,
        [userId],
      );
      const f = rows[0]!;
      const total = (f.totp ? 1 : 0) + f.passkeys;
      let removed: string;
      if (factor.kind === "totp") {
        if (!f.totp) return { ok: false, reason: "missing" } as const;
        if (f.enabled && total <= 1) return { ok: false, reason: "last" } as const;
        await tx.query("DELETE FROM mfa_enrollments WHERE user_id = $1", [userId]);
        removed = f.totp === "hardware" ? `hardware token ${f.serial ?? ""}`.trim() : "authenticator app";
      } else {
        const { rows: named } = await tx.query<{ name: string }>(
          "SELECT name FROM passkeys WHERE id = $1 AND user_id = $2",
          [factor.id, userId],
        );
        if (!named[0]) return { ok: false, reason: "missing" } as const;
        if (f.enabled && total <= 1) return { ok: false, reason: "last" } as const;
        await tx.query("DELETE FROM passkeys WHERE id = $1 AND user_id = $2", [factor.id, userId]);
        removed = `passkey ${named[0].name}`;
      }
      await revocation.revoke(userId, "factor_removed", tx, actor);
      await audit.record(
        {
          siteId: user.site_id,
          actor,
          action: "mfa.factor_remove",
          target: { id: userId, name: user.username },
          details: { factor: removed },
        },
        tx,
      );
      return { ok: true, removed } as const;
    });
  }
}
