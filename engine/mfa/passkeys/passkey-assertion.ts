import type { SignInContext } from "../../audit/sign-in-audit.js";
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import { webauthnLibrary } from "./webauthn-library.js";
import { ACCOUNT_POLICY, type Attempt, addressKey, ADDRESS_POLICY } from "../../auth/throttle.js";
import { type PartBuilder, Statement, sql } from "../../db/statement.js";
import { failedAttempt } from "../code-verification.js";
import { codeThrottleKey } from "../mfa-model.js";
import type { MfaContext } from "../mfa-rows.js";
import type { ChallengePurpose, WebAuthnChallenges } from "./webauthn-challenges.js";
import type { PasskeyStore, StoredPasskey } from "./passkey-store.js";
import { clientChallenge, userHandle } from "./passkey-registration.js";
import type { RelyingParty } from "./relying-party.js";

/** The purposes an assertion answers: the second step, passwordless sign-in, the device API's second step. */
export type AssertionPurpose = Exclude<ChallengePurpose, "register">;

/**
 * The answer to an assertion. Refusals: "invalid" (anything wrong with it: unknown credential,
 * another user's, spent or foreign challenge, signature, origin, RP id, user verification),
 * "counter" (the signature counter did not move forward: a cloned authenticator or a replay;
 * audited), "locked" (the code lock holds; retryAfterSeconds). `finished` is the caller's part's
 * value when its writes happened, null when they did not.
 */
export type AssertionResult<F> =
  | { ok: true; userId: string; passkeyId: string; finished?: F | null }
  | {
      ok: false;
      reason: "invalid" | "counter" | "locked";
      retryAfterSeconds: number;
      userId: string | null;
      /** Why an "invalid" one was refused, for the log (never shown to the signer). */
      detail?: InvalidDetail;
    };

/**
 * What was wrong with an invalid assertion: an unknown credential or another user's, a challenge
 * that is not a live one of this purpose (spent: a replay), the client data's origin, the
 * authenticator data's RP id hash, user presence or verification, or the signature (and anything else
 * the library refuses: "other").
 */
export type InvalidDetail =
  | "unknown_credential"
  | "other_user"
  | "challenge"
  | "origin"
  | "rp_id"
  | "user_presence"
  | "user_verification"
  | "signature"
  | "other";

/** The detail of a refusal by verifyAuthenticationResponse, from its error message. */
function detailOf(err: unknown): InvalidDetail {
  const m = err instanceof Error ? err.message : "";
  if (/origin/i.test(m)) return "origin";
  if (/RP ID/i.test(m)) return "rp_id";
  if (/challenge/i.test(m)) return "challenge";
  if (/User verification/i.test(m)) return "user_verification";
  if (/User not present/i.test(m)) return "user_presence";
  return "other";
}

/**
 * Passkey assertions (WebAuthn §7.2 through @simplewebauthn/server): options with a stored
 * challenge, then verification against the stored public key, the relying party's origin and id,
 * and the challenge, which is spent. Failures count against the user's code lock (the same rules
 * as a wrong code: lock after 5, growing); a passwordless attempt also counts per client address
 * like a password. The counter moves forward by a compare-and-set that gates the caller's
 * `finish` (a new session or device token), so two instances cannot both accept one assertion.
 */
export class PasskeyAssertion {
  /** How long a browser waits for the user (WebAuthn timeout hint, milliseconds; browsers clamp it). */
  timeoutMs = 120_000;

  constructor(
    private readonly ctx: MfaContext,
    private readonly store: PasskeyStore,
    private readonly challenges: WebAuthnChallenges,
    private readonly rp: () => RelyingParty,
  ) {}

  /**
   * Request options: for `userId`'s own passkeys (second step, device API), or for any
   * discoverable credential (userId null: passwordless, user verification required).
   */
  async options(purpose: AssertionPurpose, userId: string | null): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const challenge = await this.challenges.issue(purpose, userId);
    const { generateAuthenticationOptions } = await webauthnLibrary();
    return generateAuthenticationOptions({
      rpID: this.rp().id,
      challenge: Buffer.from(challenge, "base64url"),
      timeout: this.timeoutMs,
      userVerification: purpose === "passwordless" ? "required" : "preferred",
      ...(userId ? { allowCredentials: await this.store.descriptorsOf(userId) } : {}),
    });
  }

  /**
   * Verifies `response` (AuthenticationResponseJSON) for `purpose`: bound to `userId` unless
   * passwordless. `where` is the sign-in's surface and client address: a passwordless attempt
   * counts against its address's throttle too, and a lock's audit entry names it. `finish` joins
   * the statement that moves the counter. Nothing is thrown for a bad answer.
   */
  async verify<F = never>(
    purpose: AssertionPurpose,
    response: unknown,
    opts: { userId?: string; finish?: PartBuilder<F>; where?: SignInContext } = {},
  ): Promise<AssertionResult<F>> {
    const { throttle } = this.ctx;
    const credentialId = (response as { id?: unknown } | null)?.id;
    const passkey = typeof credentialId === "string" ? await this.store.byCredentialId(credentialId) : null;
    const owner = opts.userId ?? passkey?.userId ?? null;
    // Passwordless: every attempt counts per address too, as a password does.
    let byAddress: { key: string; attempt: Attempt & { granted: true } } | null = null;
    if (purpose === "passwordless" && opts.where?.address) {
      const key = addressKey(opts.where.address);
      const a = await throttle.claim(key, ADDRESS_POLICY);
      if (!a.granted) return { ok: false, reason: "locked", retryAfterSeconds: a.retryAfterSeconds, userId: owner };
      byAddress = { key, attempt: a };
    }
    const challenge = clientChallenge(response);
    if (!owner) {
      // An unknown credential without a user: spend the challenge, count nothing but the address.
      if (challenge) await this.challenges.consume(challenge, purpose);
      return { ok: false, reason: "invalid", retryAfterSeconds: 0, userId: null, detail: "unknown_credential" };
    }
    const key = codeThrottleKey(owner);
    const attempt = await throttle.claim(key, ACCOUNT_POLICY);
    if (!attempt.granted) {
      return { ok: false, reason: "locked", retryAfterSeconds: attempt.retryAfterSeconds, userId: owner };
    }
    const fail = async (detail?: InvalidDetail) => ({
      ...(await failedAttempt(this.ctx, owner, attempt, opts.where)),
      userId: owner,
      ...(detail ? { detail } : {}),
    });
    const spent = challenge
      ? await this.challenges.consume(challenge, purpose, purpose === "passwordless" ? undefined : owner)
      : undefined;
    if (!passkey) return fail("unknown_credential");
    if (passkey.userId !== owner) return fail("other_user");
    if (!spent) return fail("challenge");
    const checked = await this.#check(passkey, response, challenge!, purpose);
    if ("detail" in checked) return fail(checked.detail);
    const st = new Statement();
    const won = st.with(
      "counter_won",
      sql`UPDATE passkeys SET sign_count = ${st.param(checked.newCounter, "bigint")},
         backed_up = ${st.param(checked.backedUp, "boolean")}, last_used_at = ${st.param(this.ctx.clock.now(), "timestamptz")}
       WHERE id = ${st.param(passkey.id, "uuid")} AND user_id = ${st.param(owner, "uuid")}
         AND (sign_count < ${st.param(checked.newCounter, "bigint")} OR (sign_count = 0 AND ${st.param(checked.newCounter, "bigint")} = 0))
       RETURNING user_id`,
    );
    throttle.succeedIn(st, key, attempt, won);
    if (byAddress) throttle.refundIn(st, byAddress.key, byAddress.attempt);
    const part = opts.finish?.(st, won);
    const [row] = await st.run<{ won: boolean; finished: boolean }>(
      this.ctx.db,
      sql`SELECT EXISTS (SELECT 1 FROM ${won}) AS won, ${part ? part.done : sql`false`} AS finished`,
    );
    if (!row!.won) {
      await this.#auditCounter(owner, passkey, checked.newCounter);
      const failed = await fail();
      return { ...failed, reason: failed.reason === "locked" ? "locked" : "counter" };
    }
    return {
      ok: true,
      userId: owner,
      passkeyId: passkey.id,
      ...(part ? { finished: row!.finished ? part.value : null } : {}),
    };
  }

  /** The library's checks (signature, origin, RP id, challenge, UV when passwordless); a detail when any fails. */
  async #check(
    passkey: StoredPasskey,
    response: unknown,
    challenge: string,
    purpose: AssertionPurpose,
  ): Promise<{ newCounter: number; backedUp: boolean } | { detail: InvalidDetail }> {
    const rp = this.rp();
    const { verifyAuthenticationResponse } = await webauthnLibrary();
    try {
      const handle = (response as { response?: { userHandle?: unknown } }).response?.userHandle;
      if (
        typeof handle === "string" &&
        handle &&
        !userHandle(passkey.userId).equals(Buffer.from(handle, "base64url"))
      ) {
        return { detail: "other_user" };
      }
      const verified = await verifyAuthenticationResponse({
        response: response as AuthenticationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.id,
        // The counter is checked by the compare-and-set below, atomically across instances.
        credential: {
          id: passkey.credentialId,
          publicKey: passkey.publicKey,
          counter: 0,
          transports: passkey.transports,
        },
        requireUserVerification: purpose === "passwordless",
      });
      if (!verified.verified) return { detail: "signature" };
      return {
        newCounter: verified.authenticationInfo.newCounter,
        backedUp: verified.authenticationInfo.credentialBackedUp,
      };
    } catch (err) {
      return { detail: detailOf(err) };
    }
  }

  async #auditCounter(userId: string, passkey: StoredPasskey, newCounter: number): Promise<void> {
    const { rows } = await this.ctx.db.query<{ site_id: string; username: string; sign_count: string; name: string }>(
      `SELECT u.site_id, u.username, p.sign_count, p.name FROM users u JOIN passkeys p ON p.user_id = u.id
       WHERE p.id = $1`,
      [passkey.id],
    );
    const r = rows[0];
    if (!r) return;
    await this.ctx.audit.record({
      siteId: r.site_id,
      actor: { id: null, name: "system" },
      action: "mfa.passkey_counter",
      target: { id: userId, name: r.username },
      details: { passkey: r.name, storedCounter: Number(r.sign_count), receivedCounter: newCounter },
    });
  }
}
