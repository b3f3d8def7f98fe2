import { credentialGate, runGated } from "../auth/credential-gate.js";
import type { PasswordSignIn } from "../auth/sign-in.js";
import type { AuditLog } from "../audit/audit-log.js";
import { deviceSignIn, type SignInAudit, type SignInContext } from "../audit/sign-in-audit.js";
import type { UserAccounts } from "../auth/user-accounts.js";
import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { ConflictError, ForbiddenError, RateLimitedError, UnauthenticatedError, ValidationError } from "../errors.js";
import { type PartBuilder, type Sql, Statement, sql } from "../db/statement.js";
import type { Logger } from "../log.js";
import type { ActivationOptions, ActivationResult, CodeCheck, MfaActor } from "../mfa/mfa-model.js";
import type { MfaService } from "../mfa/mfa-service.js";
import { base32, groupsOfFour, otpauthUri, TOTP_ISSUER } from "../mfa/otpauth.js";
import { decideAfterPassword, passkeyNext } from "../mfa/sign-in-flow.js";
import { normaliseCode } from "../mfa/totp.js";
import type {
  DeviceLoginRequest,
  DeviceLoginResponse,
  DeviceMe,
  DeviceMfaRequest,
  DeviceMfaSetupRequest,
  DeviceMfaSetupResponse,
  DevicePasskeyOptions,
  DevicePasskeyOptionsRequest,
  DeviceTokenGrant,
} from "../schema/types.js";
import type { Challenge, DeviceChallenges } from "./device-challenges.js";
import { CHALLENGE_GONE, DeviceFactors, type DeviceFactorDeps } from "./device-factors.js";
import type { RecoverySignIn } from "../mfa/recovery/recovery-sign-in.js";
import type { DeviceTokenInfo, DeviceTokens } from "./device-tokens.js";

/** Activates a pre-registered hardware token for a user (the hardware registry provides it). */
export interface HardwareActivation {
  activateHardware(
    userId: string,
    serialNumber: string,
    code: string,
    actor: MfaActor,
    opts?: ActivationOptions,
  ): Promise<ActivationResult>;
}

/**
 * The services a device sign-in needs: database, clock, users, password check, MFA, bearer tokens
 * and challenges, and optionally hardware-token activation.
 */
export interface DeviceSignInDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  users: UserAccounts;
  passwordSignIn: PasswordSignIn;
  mfa: MfaService;
  tokens: DeviceTokens;
  challenges: DeviceChallenges;
  /** Without it method "hardware" is not offered. */
  hardware?: HardwareActivation;
  /** The tokens a user could activate; "hardware" is offered only when there is one. */
  hardwareTokens?: { availableFor(userId: string): Promise<readonly unknown[]> };
  /** Recovery codes in place of a code (engine/mfa/recovery). */
  recovery: RecoverySignIn;
  /** Passkey assertions in place of a code (engine/mfa/passkeys). */
  passkeys: DeviceFactorDeps["passkeys"];
  /** Sign-in steps' audit entries (success, failure per burst, lock) and "later" (mfa.postpone). */
  signInAudit: SignInAudit;
  audit: AuditLog;
}

const WRONG_CODE = "The code is not correct.";

/** A challenge of the other kind than the endpoint takes. */
function wrongStep(expected: Challenge["kind"]): ConflictError {
  return new ConflictError(
    expected === "mfa"
      ? "This challenge is for MFA setup: use /api/device/mfa/setup."
      : "This challenge asks for a code: use /api/device/mfa.",
    { code: "wrong_step" },
  );
}

/**
 * The device API's use cases. The decisions are the web's: the password step is
 * engine/auth/sign-in.ts (same throttles), what follows it is
 * decideAfterPassword, and codes go through MfaService (same lockout, same
 * once-per-step replay protection), so a code used on the web is spent here too.
 * Refusals are DomainErrors (engine/errors.ts) whose `code` is the device API's
 * error code; engine/web/device/device-errors.ts answers them in the API's format.
 */
export class DeviceSignIn {
  readonly #factors: DeviceFactors;

  constructor(private readonly d: DeviceSignInDeps) {
    this.#factors = new DeviceFactors(d);
  }

  /**
   * The password step: two statements around Argon2 (PasswordSignIn.check), the
   * second of which issues the token or the challenge the MFA state calls for.
   */
  async login(body: DeviceLoginRequest, clientAddress: string | null): Promise<DeviceLoginResponse> {
    const now = this.d.clock.now();
    const ctx = deviceSignIn(clientAddress);
    const result = await this.d.passwordSignIn.check(body.username.trim(), body.password, clientAddress, {
      read: this.d.mfa.statusRead,
      finish: (st, user, status, gate) => {
        if (!user.deviceAccess) return null;
        const decision = decideAfterPassword(status!, now);
        const ok = decision.status === "ok";
        const kind = decision.status === "mfa_required" ? "mfa" : "mfa_setup";
        const grant = ok ? this.d.tokens.issueIn(st, gate, clientAddress) : undefined;
        const challenge = ok ? undefined : this.d.challenges.issueIn(st, gate, kind, clientAddress);
        // The entry rides in this statement (no round trip), written only if the credential was.
        const stage = ok ? "full" : kind;
        const next = passkeyNext(stage, status!.activation);
        this.d.signInAudit.successIn(st, user.id, "password", ctx, (grant ?? challenge)!.cte, stage, next);
        return { decision, grant, challenge };
      },
    });
    if (result.kind === "throttled")
      throw new RateLimitedError(
        `Too many failed attempts. Try again in ${result.retryAfterSeconds} seconds.`,
        result.retryAfterSeconds,
        { code: "too_many_attempts" },
      );
    if (result.kind === "invalid") {
      await this.d.signInAudit.failure({ username: body.username.trim() }, "password", ctx, result.lockSeconds);
      throw new UnauthenticatedError("The username or password is incorrect.", { code: "invalid_credentials" });
    }
    const user = result.user;
    if (!result.finished) {
      this.d.log.info("device sign-in refused", { userId: user.id, reason: "no device access" });
      throw new ForbiddenError("This account may not sign in through the device API.", {
        code: "device_access_denied",
      });
    }
    const { decision, grant, challenge } = result.finished;
    if (decision.status === "ok") {
      this.d.log.info("device signed in", { userId: user.id, mfa: false });
      return { status: "ok", token: grant!.token, tokenType: "Bearer", expiresAt: grant!.expiresAt.toISOString() };
    }
    if (decision.status === "mfa_required") {
      return {
        status: "mfa_required",
        challenge: challenge!.challenge,
        expiresAt: challenge!.expiresAt.toISOString(),
        method: result.extra!.activation?.method ?? "app",
      };
    }
    return {
      status: "mfa_setup_required",
      challenge: challenge!.challenge,
      expiresAt: challenge!.expiresAt.toISOString(),
      methods: await this.#methods(user.id),
      optional: decision.optional,
      ...(decision.optional ? { daysLeft: decision.daysLeft } : {}),
      requiredFrom: decision.requiredFrom.toISOString(),
    };
  }

  /**
   * The second step. With `recoveryCode` or `passkey`: DeviceFactors. With `code`, the TOTP step: one statement reads the challenge, its user and enrollment
   * and counts the attempt; after the code matches, one statement spends the
   * step (compare-and-set), clears the failure count, uses up the challenge
   * and issues the token (MfaService.codes: startCodeCheck, finishCodeCheck).
   */
  async mfa(body: DeviceMfaRequest, clientAddress: string | null): Promise<DeviceTokenGrant> {
    if (body.recoveryCode !== undefined) {
      const ch = await this.#challenge(body.challenge, "mfa");
      return this.#factors.recoveryCode(ch, body.recoveryCode, clientAddress);
    }
    if (body.passkey !== undefined) {
      const ch = await this.#challenge(body.challenge, "mfa");
      return this.#factors.passkey(ch, body.passkey, clientAddress);
    }
    if (body.code === undefined) throw new Error("the schema lets through a second step without a factor");
    const where = deviceSignIn(clientAddress);
    const st = new Statement();
    const found = this.d.challenges.findIn(st, body.challenge);
    const { row, outcome } = await this.d.mfa.codes.startCodeCheck<{
      user_id: string;
      kind: Challenge["kind"];
      expires_at: Date;
      may_sign_in: boolean;
    }>(st, found.cte, sql`sub.kind = 'mfa' AND sub.may_sign_in`, normaliseCode(body.code) ?? "", where);
    if (!row) throw new UnauthenticatedError(CHALLENGE_GONE, { code: "challenge_invalid" });
    if (row.kind !== "mfa") throw wrongStep("mfa");
    if (!row.may_sign_in || outcome.kind === "ineligible") {
      throw new UnauthenticatedError(CHALLENGE_GONE, { code: "challenge_invalid" });
    }
    const ch: Challenge = { hash: found.hash, userId: row.user_id, kind: row.kind, expiresAt: row.expires_at };
    if (outcome.kind === "done") return this.#refuseCode(ch, outcome.result, where);
    const issue: PartBuilder<{ token: string; expiresAt: Date; cte: Sql }> = (st2, gate) => {
      const used = this.d.challenges.consumeIn(st2, ch, gate);
      const grant = this.d.tokens.issueIn(st2, credentialGate.continuing(st2, used), clientAddress);
      return { done: sql`EXISTS (SELECT 1 FROM ${grant.cte})`, value: grant };
    };
    const audited = this.d.signInAudit.withSuccess("code", issue, where);
    const check = await this.d.mfa.codes.finishCodeCheck(outcome, audited);
    if (!check.ok) return this.#refuseCode(ch, check, where);
    if (!check.finished) throw new UnauthenticatedError(CHALLENGE_GONE, { code: "challenge_invalid" });
    this.d.log.info("device signed in", { userId: ch.userId, mfa: true });
    return {
      status: "ok",
      token: check.finished.token,
      tokenType: "Bearer",
      expiresAt: check.finished.expiresAt.toISOString(),
    };
  }

  /** POST /api/device/mfa/passkey/options: WebAuthn request options for the user of a live `mfa` challenge. */
  async passkeyOptions(body: DevicePasskeyOptionsRequest): Promise<DevicePasskeyOptions> {
    return this.#factors.passkeyOptions(await this.#challenge(body.challenge, "mfa"));
  }

  async setup(body: DeviceMfaSetupRequest, clientAddress: string | null): Promise<DeviceMfaSetupResponse> {
    const fields: Record<string, string> = {};
    if (body.method === "hardware") {
      if (body.serialNumber === undefined) fields.serialNumber = "is required for a hardware token";
      if (body.code === undefined) fields.code = "is required for a hardware token";
    } else if (body.serialNumber !== undefined) {
      fields.serialNumber = "is only used with method hardware";
    }
    if (body.method === "later" && body.code !== undefined) fields.code = "is not used with method later";
    if (Object.keys(fields).length) {
      throw new ValidationError("Some fields are missing or invalid.", fields);
    }

    const ch = await this.#challenge(body.challenge, "mfa_setup");
    const user = await this.#user(ch.userId);
    const decision = decideAfterPassword(await this.d.mfa.statusOf(user.id), this.d.clock.now());
    if (decision.status !== "mfa_setup_required") {
      throw new ConflictError("MFA was activated or turned off meanwhile. Sign in again.", { code: "wrong_step" });
    }
    // The sign-in in progress is the one credential an activation keeps (it becomes a token in #finish).
    const actor: MfaActor = { id: user.id, name: user.username, siteId: user.siteId, credential: ch.hash };

    if (body.method === "later") {
      if (!decision.optional) {
        throw new ConflictError("MFA must be set up now; it can no longer be postponed.", { code: "setup_required" });
      }
      this.d.log.info("device MFA setup postponed", { userId: user.id, daysLeft: decision.daysLeft });
      const later = { daysLeft: decision.daysLeft, requiredFrom: decision.requiredFrom.toISOString() };
      await this.d.audit.recordOwn(user, "mfa.postpone", { ...later, surface: "device", address: clientAddress });
      return this.#finish(ch, clientAddress);
    }

    if (body.method === "app" && body.code === undefined) {
      // A new secret for the app to show; the sign-in goes on with a fresh challenge.
      // One statement: the challenge is used up and its successor issued only if it was still live.
      const st = new Statement();
      const used = this.d.challenges.consumeIn(st, ch);
      const next = this.d.challenges.issueIn(st, credentialGate.continuing(st, used), "mfa_setup", clientAddress);
      const rows = await runGated<{ done: boolean }>(
        st,
        this.d.db,
        sql`SELECT EXISTS (SELECT 1 FROM ${next.cte}) AS done`,
      );
      if (!rows?.[0]?.done) throw new UnauthenticatedError(CHALLENGE_GONE, { code: "challenge_invalid" });
      const secret = await this.d.mfa.activation.startAppSetup(user.id);
      return {
        status: "setup_started",
        challenge: next.challenge,
        expiresAt: next.expiresAt.toISOString(),
        method: "app",
        otpauthUri: otpauthUri({ issuer: TOTP_ISSUER, accountName: user.username, secret }),
        key: groupsOfFour(base32(secret)),
      };
    }

    let result: ActivationResult;
    const where = deviceSignIn(clientAddress);
    if (body.method === "app") {
      result = await this.d.mfa.activation.activatePendingApp(user.id, body.code!, actor, { where });
    } else {
      if (!this.d.hardware) {
        throw new ValidationError("Hardware tokens are not available.", {
          method: "hardware tokens are not available",
        });
      }
      result = await this.d.hardware.activateHardware(user.id, body.serialNumber!, body.code!, actor, { where });
    }
    if (!result.ok) {
      switch (result.reason) {
        case "invalid":
        case "locked":
          return this.#refuseCode(ch, result);
        case "expired":
          throw new ConflictError(
            'The authenticator-app key has expired or was never handed out. Start again with method "app" and no code.',
            { code: "wrong_step" },
          );
        case "token_taken":
          throw new ConflictError("This hardware token is already in use.", { code: "hardware_token_unavailable" });
        case "not_enabled":
        case "already_active":
          throw new ConflictError("MFA was activated or turned off meanwhile. Sign in again.", { code: "wrong_step" });
      }
    }
    this.d.log.info("device MFA activated", { userId: user.id, method: body.method });
    return this.#finish(ch, clientAddress);
  }

  /** GET /api/device/me: the token's user, the token's lifetime and the user's MFA state with days left. */
  async me(info: DeviceTokenInfo): Promise<DeviceMe> {
    const u = info.user;
    const status = await this.d.mfa.statusOf(u.id);
    const decision = decideAfterPassword(status, this.d.clock.now());
    const state = ({ off: "off", pending: "pending", required: "overdue", active: "activated" } as const)[status.state];
    return {
      user: {
        id: u.id,
        username: u.username,
        displayName: u.displayName,
        email: u.email,
        role: u.role,
        siteId: u.siteId,
      },
      token: { createdAt: info.createdAt.toISOString(), expiresAt: info.expiresAt.toISOString() },
      mfa: {
        state,
        requiredFrom:
          status.enabled && !status.activation && status.requiredFrom ? status.requiredFrom.toISOString() : null,
        daysLeft: decision.status === "mfa_setup_required" ? decision.daysLeft : null,
        method: status.activation?.method ?? null,
      },
    };
  }

  async logout(info: DeviceTokenInfo): Promise<void> {
    await this.d.tokens.revoke(info.tokenHash);
    this.d.log.info("device signed out", { userId: info.user.id });
  }

  async #methods(userId: string): Promise<("app" | "hardware")[]> {
    if (!this.d.hardware) return ["app"];
    if (this.d.hardwareTokens && !(await this.d.hardwareTokens.availableFor(userId)).length) return ["app"];
    return ["app", "hardware"];
  }

  /** A live challenge of the expected kind whose user may still sign in on a device. */
  async #challenge(value: string, kind: Challenge["kind"]): Promise<Challenge> {
    const ch = await this.d.challenges.find(value);
    if (!ch) throw new UnauthenticatedError(CHALLENGE_GONE, { code: "challenge_invalid" });
    if (ch.kind !== kind) throw wrongStep(kind);
    await this.#user(ch.userId);
    return ch;
  }

  async #user(userId: string) {
    const user = await this.d.users.byId(userId);
    if (!user || user.disabled || !user.deviceAccess)
      throw new UnauthenticatedError(CHALLENGE_GONE, { code: "challenge_invalid" });
    return user;
  }

  /**
   * Wrong and locked, from verifyCode or an activation (the lock is the web's
   * lock, shared). Both get the same answer, as on the web: the signer is not
   * told that the account is locked (only administrators see it), and a locked
   * attempt wears the challenge out like a wrong code, so nothing tells them apart.
   * `signIn`: the sign-in step's context, whose wrong code is audited; none for a setup's code.
   */
  async #refuseCode(
    ch: Challenge,
    check: Exclude<CodeCheck, { ok: true }> | ActivationResult,
    signIn?: SignInContext,
  ): Promise<never> {
    if (check.ok) throw new Error("unreachable");
    if (check.reason === "not_enrolled") {
      throw new ConflictError("MFA was reset meanwhile. Sign in again.", { code: "wrong_step" });
    }
    this.d.log.info("second factor refused", { userId: ch.userId, reason: check.reason });
    // A wrong sign-in code, per burst (a lock this attempt set is mfa.lock, written by the code check).
    if (signIn && check.reason === "invalid") {
      await this.d.signInAudit.failure({ id: ch.userId }, "code", signIn);
    }
    await this.d.challenges.recordFailure(ch);
    throw new UnauthenticatedError(WRONG_CODE, { code: "invalid_code" });
  }

  /**
   * Uses the challenge up and hands out a token in one statement: a challenge
   * finishes one sign-in only, and a challenge that died meanwhile none.
   */
  async #finish(ch: Challenge, clientAddress: string | null): Promise<DeviceTokenGrant> {
    const st = new Statement();
    const used = this.d.challenges.consumeIn(st, ch);
    const grant = this.d.tokens.issueIn(st, credentialGate.continuing(st, used), clientAddress);
    const rows = await runGated<{ done: boolean }>(
      st,
      this.d.db,
      sql`SELECT EXISTS (SELECT 1 FROM ${grant.cte}) AS done`,
    );
    if (!rows?.[0]?.done) throw new UnauthenticatedError(CHALLENGE_GONE, { code: "challenge_invalid" });
    this.d.log.info("device signed in", { userId: ch.userId, mfa: true });
    return { status: "ok", token: grant.token, tokenType: "Bearer", expiresAt: grant.expiresAt.toISOString() };
  }
}
