import type { AuditLog } from "../../audit/audit-log.js";
import type { ActivationOptions, ActivationResult, MfaActor } from "../mfa-model.js";
import type { MfaService } from "../mfa-service.js";
import type { HardwareTokens } from "./token-registry.js";

/**
 * The result of activating a hardware token for a user: the MFA activation result. A serial number
 * that is not in that user's pool is "invalid" (or "locked"), as a wrong code is.
 */
export type HardwareActivationResult = ActivationResult;

/**
 * Binds a registered token to a user: only when the token is in the pool for
 * that user (the serial number typed, compared regardless of case) and the code it shows verifies (the MFA service checks the code,
 * throttles failures and creates the enrollment with its own sealed copy of
 * the key; its unique index on token_id stops two users taking one token).
 * Used by /mfa/setup/hardware and the device API.
 */
export class HardwareActivation {
  constructor(
    private readonly registry: HardwareTokens,
    private readonly mfa: MfaService,
    private readonly audit: AuditLog,
  ) {}

  async activateHardware(
    userId: string,
    serialNumber: string,
    code: string,
    actor: MfaActor,
    opts?: ActivationOptions,
  ): Promise<HardwareActivationResult> {
    const token = await this.registry.bySerial(serialNumber.trim());
    const usable =
      token &&
      token.state.kind !== "assigned" &&
      !token.disabled &&
      (token.reservedForUserId === null || token.reservedForUserId === userId);
    // Unknown, taken or someone else's: the answer of a wrong code, and an attempt spent (no enumeration).
    if (!usable) return this.mfa.activation.refuseUnknownToken(userId, opts);
    const params = await this.registry.params(token);
    try {
      const result = await this.mfa.activation.activate(
        userId,
        { method: "hardware", ...params, tokenId: token.id, tokenSerial: token.serialNumber },
        code,
        actor,
        opts,
      );
      if (result.ok) {
        const site = await this.registry.siteOfUser(userId);
        await this.audit.record({
          siteId: site,
          actor,
          action: "hardware_token.assign",
          target: { id: userId, name: await this.registry.usernameOf(userId) },
          details: { serialNumber: token.serialNumber },
        });
      }
      return result;
    } finally {
      params.secret.fill(0);
    }
  }

  /**
   * Takes a token back from its user: resets that user's MFA (enrollment deleted, sessions revoked).
   * `reserved`: the token was reserved for the user and stays so (a reset ends no reservation).
   */
  async unassign(
    tokenId: string,
    actor: MfaActor,
  ): Promise<{ serialNumber: string; username: string; reserved: boolean } | null> {
    const token = await this.registry.byId(tokenId);
    if (!token || token.state.kind !== "assigned") return null;
    const { userId, username } = token.state;
    await this.mfa.settings.reset(userId, actor);
    await this.audit.record({
      siteId: await this.registry.siteOfUser(userId),
      actor,
      action: "hardware_token.unassign",
      target: { id: userId, name: username },
      details: { serialNumber: token.serialNumber },
    });
    return { serialNumber: token.serialNumber, username, reserved: token.reservedForUserId === userId };
  }
}
