import { credentialGate } from "../auth/credential-gate.js";
import { type PartBuilder, type Sql, type Statement, sql } from "../db/statement.js";
import { ConflictError, UnauthenticatedError, ValidationError } from "../errors.js";
import type { Logger } from "../log.js";
import type { PasskeyAssertion } from "../mfa/passkeys/passkey-assertion.js";
import type { PasskeyStore } from "../mfa/passkeys/passkey-store.js";
import type { RecoverySignIn } from "../mfa/recovery/recovery-sign-in.js";
import type { DeviceMfaRequest, DevicePasskeyOptions, DeviceTokenGrant } from "../schema/types.js";
import type { Challenge, DeviceChallenges } from "./device-challenges.js";
import type { DeviceTokens } from "./device-tokens.js";
import { deviceSignIn, type SignInAudit } from "../audit/sign-in-audit.js";

/** The services the second step's other factors need: challenges, tokens, the log, recovery sign-in, passkeys. */
export interface DeviceFactorDeps {
  log: Logger;
  tokens: DeviceTokens;
  challenges: DeviceChallenges;
  recovery: RecoverySignIn;
  passkeys: { assertion: PasskeyAssertion; store: PasskeyStore };
  /** A passkey step's success entry (sign_in.passkey), in the statement that issues the token. */
  signInAudit: Pick<SignInAudit, "withSuccess" | "failure">;
}

/** The challenge ended meanwhile (used by a concurrent request, or revoked by a credential change). */
export const CHALLENGE_GONE = "This challenge is unknown, used or expired. Sign in again.";
/** The same words for a wrong, used or locked-out recovery code, as for a wrong code. */
export const WRONG_RECOVERY_CODE = "The recovery code is not valid. Each recovery code works once.";

/** The same words for every refused passkey, a lock included (as on the web). */
export const PASSKEY_REFUSED = "The passkey was not accepted. Ask for new options and try again, or use a code.";

/** A token issued in the statement that uses up the challenge (and spends the factor). */
type Grant = { token: string; expiresAt: Date; cte: Sql };

/**
 * The device API's second step without the authenticator's code: a recovery code (issue 21) or a
 * passkey assertion (issue 23) in place of `code` on POST /api/device/mfa. The decisions are the
 * web's (/login/recovery, /login/mfa/passkey): the same services spend the code or move the
 * passkey's signature counter atomically in the statement that issues the token, count a failure
 * against the code lock, and audit. Refusals are DomainErrors with the device API's codes.
 */
export class DeviceFactors {
  constructor(private readonly d: DeviceFactorDeps) {}

  /**
   * The part of the factor's statement that uses up challenge `ch` (only when `won`, the factor's
   * CTE, has a row) and issues a bearer token through the credential gate.
   */
  finishPart(ch: Challenge, clientAddress: string | null): PartBuilder<Grant> {
    return (st: Statement, won: Sql) => {
      const used = this.d.challenges.consumeIn(st, ch, won);
      const grant = this.d.tokens.issueIn(st, credentialGate.continuing(st, used), clientAddress);
      return { done: sql`EXISTS (SELECT 1 FROM ${grant.cte})`, value: grant };
    };
  }

  /**
   * Signs in with one of the user's recovery codes (`input`: case, spaces and hyphens ignored) for
   * the live `mfa` challenge `ch`: a token and how many codes are left. A wrong, used or locked-out
   * code is 401 invalid_code (the lock is not told apart) and wears the challenge out like a wrong
   * code; a temporary access pass is not taken here (422: it leads to a setup on the web).
   */
  async recoveryCode(
    ch: Challenge,
    input: string,
    clientAddress: string | null,
  ): Promise<DeviceTokenGrant & { recoveryCodesLeft: number }> {
    const where = deviceSignIn(clientAddress);
    const result = await this.d.recovery.use(ch.userId, input, () => this.finishPart(ch, clientAddress), false, where);
    if (!result.ok) {
      if (result.reason === "malformed") {
        throw new ValidationError("Some fields are missing or invalid.", {
          recoveryCode: "must be a recovery code: 10 characters like 7K3QD-XM2PA",
        });
      }
      this.d.log.info("second factor refused", { userId: ch.userId, reason: result.reason, factor: "recovery_code" });
      await this.d.challenges.recordFailure(ch);
      throw new UnauthenticatedError(WRONG_RECOVERY_CODE, { code: "invalid_code" });
    }
    if (!result.finished) throw new UnauthenticatedError(CHALLENGE_GONE, { code: "challenge_invalid" });
    this.d.log.info("device signed in", { userId: ch.userId, mfa: true, recoveryCodesLeft: result.codesLeft });
    return {
      status: "ok",
      token: result.finished.token,
      tokenType: "Bearer",
      expiresAt: result.finished.expiresAt.toISOString(),
      recoveryCodesLeft: result.codesLeft,
    };
  }

  /**
   * WebAuthn request options (purpose "device") for the user of the live `mfa` challenge `ch`: their
   * passkeys as allowCredentials, user verification preferred, a single-use WebAuthn challenge (a
   * user's earlier device options end). 409 no_passkey for a user who holds none.
   */
  async passkeyOptions(ch: Challenge): Promise<DevicePasskeyOptions> {
    if (!(await this.d.passkeys.store.descriptorsOf(ch.userId)).length) {
      throw new ConflictError("This account holds no passkey: send a code or a recovery code.", { code: "no_passkey" });
    }
    return (await this.d.passkeys.assertion.options("device", ch.userId)) as DevicePasskeyOptions;
  }

  /**
   * Signs in with a passkey assertion for the options of passkeyOptions. Every refusal — an unknown
   * or foreign credential, a spent or foreign WebAuthn challenge (a replay), the wrong origin or RP
   * id, a bad signature, a signature counter that did not move forward (audited as
   * mfa.passkey_counter), the lock — is 401 invalid_passkey, counts against the code lock and wears
   * the sign-in challenge out; the log says why.
   */
  async passkey(
    ch: Challenge,
    response: NonNullable<DeviceMfaRequest["passkey"]>,
    clientAddress: string | null,
  ): Promise<DeviceTokenGrant> {
    const where = deviceSignIn(clientAddress);
    const result = await this.d.passkeys.assertion.verify("device", response, {
      userId: ch.userId,
      where,
      finish: this.d.signInAudit.withSuccess("passkey", this.finishPart(ch, clientAddress), where),
    });
    if (!result.ok) {
      this.d.log.info("second factor refused", {
        userId: ch.userId,
        factor: "passkey",
        reason: result.reason,
        ...(result.detail ? { detail: result.detail } : {}),
      });
      await this.d.challenges.recordFailure(ch);
      // As a wrong code: a failure per burst; a lock this attempt set is mfa.lock (failedAttempt).
      if (result.reason !== "locked") {
        await this.d.signInAudit.failure({ id: ch.userId }, "passkey", where);
      }
      throw new UnauthenticatedError(PASSKEY_REFUSED, { code: "invalid_passkey" });
    }
    if (!result.finished) throw new UnauthenticatedError(CHALLENGE_GONE, { code: "challenge_invalid" });
    this.d.log.info("device signed in", { userId: ch.userId, mfa: true, passkey: true });
    return {
      status: "ok",
      token: result.finished.token,
      tokenType: "Bearer",
      expiresAt: result.finished.expiresAt.toISOString(),
    };
  }
}
