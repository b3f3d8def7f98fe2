import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import { webauthnLibrary } from "./webauthn-library.js";
import { isPgError, PgError } from "../../db/db.js";
import { removeReplacedFactor } from "../factor-replacement.js";
import type { MfaActor } from "../mfa-model.js";
import type { MfaMethod } from "../status.js";
import { type MfaContext, readStatus, scopedUser } from "../mfa-rows.js";
import type { WebAuthnChallenges } from "./webauthn-challenges.js";
import { type PasskeyStore, passkeyName } from "./passkey-store.js";
import type { RelyingParty } from "./relying-party.js";

/**
 * The answer to a registration: activated is true when this passkey was the user's first factor;
 * replaced names the code factor it replaced (RegistrationOptions.replace), if the user held one.
 */
export type RegistrationResult =
  | { ok: true; passkeyId: string; activated: boolean; replaced?: MfaMethod }
  | { ok: false; reason: "expired" | "invalid" | "not_enabled" | "duplicate" | "bad_name" };

/** The challenge a client answered (WebAuthn §5.8.1 CollectedClientData.challenge), or null when unreadable. */
export function clientChallenge(response: unknown): string | null {
  try {
    const data = (response as { response?: { clientDataJSON?: unknown } })?.response?.clientDataJSON;
    if (typeof data !== "string" || data.length > 4096) return null;
    const parsed = JSON.parse(Buffer.from(data, "base64url").toString("utf8")) as { challenge?: unknown };
    return typeof parsed.challenge === "string" ? parsed.challenge : null;
  } catch {
    return null;
  }
}

/**
 * How a registration may go: `replace` (a session signed in with a recovery code or an access
 * pass, or held at setup by the site's policy) makes the new passkey replace the user's lost
 * factor in the same transaction, exactly as a replacement app or token does (factor-replacement.ts).
 */
export interface RegistrationOptions {
  replace?: boolean;
}

/** The 16 bytes of a user's UUID: the WebAuthn user handle (§5.4.3 user.id), which names nobody. */
export const userHandle = (userId: string) => Buffer.from(userId.replace(/-/g, ""), "hex");

/**
 * Registering passkeys (WebAuthn §7.1 through @simplewebauthn/server): options with a stored
 * challenge, then the verified credential stored with its counter and backup flags. The first
 * factor a user confirms activates MFA exactly as a first code does (other sessions end, audited
 * as mfa.activate); a further one is audited as mfa.passkey_add.
 */
export class PasskeyRegistration {
  constructor(
    private readonly ctx: MfaContext,
    private readonly store: PasskeyStore,
    private readonly challenges: WebAuthnChallenges,
    private readonly rp: () => RelyingParty,
  ) {}

  /**
   * Creation options for the browser: a discoverable credential (resident key required, so it
   * can sign in without a username where the site allows it), user verification preferred, the
   * user's passkeys excluded, ES256/EdDSA/RS256.
   */
  async options(user: {
    id: string;
    username: string;
    displayName: string;
  }): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const rp = this.rp();
    const challenge = await this.challenges.issue("register", user.id);
    const { generateRegistrationOptions } = await webauthnLibrary();
    return generateRegistrationOptions({
      rpName: rp.name,
      rpID: rp.id,
      userName: user.username,
      userDisplayName: user.displayName || user.username,
      userID: userHandle(user.id),
      challenge: Buffer.from(challenge, "base64url"),
      attestationType: "none",
      timeout: 120_000,
      excludeCredentials: await this.store.descriptorsOf(user.id),
      authenticatorSelection: { residentKey: "required", userVerification: "preferred" },
    });
  }

  /**
   * Verifies and stores the browser's answer (`response`, RegistrationResponseJSON) under
   * `rawName`. Refuses without a live challenge of this user ("expired"), for a bad answer
   * ("invalid"), when MFA is off ("not_enabled"), for a credential already stored ("duplicate")
   * and a name passkeyName refuses ("bad_name"). Throws MfaAccessError for an unknown user. With
   * `opts.replace` the passkey is the replacement factor: audited, notified and revoked as an
   * activation (mfa.activate with `replaced`), the lost factor removed in the same transaction.
   */
  async register(
    userId: string,
    response: unknown,
    rawName: string,
    actor: MfaActor,
    opts: RegistrationOptions = {},
  ): Promise<RegistrationResult> {
    const name = passkeyName(rawName);
    if (!name) return { ok: false, reason: "bad_name" };
    const challenge = clientChallenge(response);
    if (!challenge || !(await this.challenges.consume(challenge, "register", userId))) {
      return { ok: false, reason: "expired" };
    }
    const rp = this.rp();
    const { verifyRegistrationResponse } = await webauthnLibrary();
    let info;
    try {
      const verified = await verifyRegistrationResponse({
        response: response as RegistrationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.id,
        requireUserVerification: false,
      });
      if (!verified.verified) return { ok: false, reason: "invalid" };
      info = verified.registrationInfo;
    } catch {
      return { ok: false, reason: "invalid" };
    }
    const { db, clock, audit, revocation } = this.ctx;
    try {
      return await db.transaction(async (tx) => {
        const user = await scopedUser(userId, actor, tx);
        const status = await readStatus(userId, tx, clock.now());
        if (!status.enabled) return { ok: false, reason: "not_enabled" } as const;
        const passkeyId = await this.store.insert(
          {
            userId,
            credentialId: info.credential.id,
            publicKey: info.credential.publicKey,
            signCount: info.credential.counter,
            transports: info.credential.transports ?? [],
            deviceType: info.credentialDeviceType,
            backedUp: info.credentialBackedUp,
            aaguid: info.aaguid,
            name,
          },
          tx,
        );
        const activated = !status.activation;
        // The lost factor goes only now, in the transaction that stores the new one (the app path's rule).
        const replaced = opts.replace ? await removeReplacedFactor(tx, userId) : undefined;
        // A replacement is recorded as the app path records one: an activation of the new factor.
        const asActivation = activated || opts.replace === true;
        // Like a first code: what was signed in with the password alone ends; a further factor is a
        // credential change too (remembered browsers are forgotten). The acting sign-in goes on.
        await revocation.revoke(userId, asActivation ? "mfa_activated" : "factor_added", tx, actor);
        await audit.record(
          {
            siteId: user.site_id,
            actor,
            action: asActivation ? "mfa.activate" : "mfa.passkey_add",
            target: { id: userId, name: user.username },
            details: { method: "passkey", name, backedUp: info.credentialBackedUp, ...(replaced ? { replaced } : {}) },
          },
          tx,
        );
        // The first factor: "MFA activated"; a further one: "a passkey was added" (issue 22's notices).
        await this.ctx.notices.notify(tx, userId, asActivation ? "mfa_activated" : "passkey_added", {
          method: "passkey",
        });
        return { ok: true, passkeyId, activated, ...(replaced ? { replaced } : {}) } as const;
      });
    } catch (err) {
      if (isPgError(err, PgError.uniqueViolation)) return { ok: false, reason: "duplicate" };
      throw err;
    }
  }
}
