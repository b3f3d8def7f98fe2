import type { MfaContext } from "../mfa-rows.js";
import { WebAuthnChallenges } from "./webauthn-challenges.js";
import { PasskeyAssertion } from "./passkey-assertion.js";
import { PasskeyRegistration } from "./passkey-registration.js";
import { PasskeyStore } from "./passkey-store.js";
import type { RelyingParty } from "./relying-party.js";

/** The passkey services, as services.passkeys. */
export interface PasskeyServices {
  store: PasskeyStore;
  challenges: WebAuthnChallenges;
  registration: PasskeyRegistration;
  assertion: PasskeyAssertion;
  /** The relying party now (read from the configuration at each use). */
  rp: () => RelyingParty;
}

/** Wires the passkey services over the MFA context and a relying party source. */
export function createPasskeyServices(ctx: MfaContext, rp: () => RelyingParty): PasskeyServices {
  const store = new PasskeyStore(ctx.db, ctx.clock);
  const challenges = new WebAuthnChallenges(ctx.db, ctx.clock);
  return {
    store,
    challenges,
    registration: new PasskeyRegistration(ctx, store, challenges, rp),
    assertion: new PasskeyAssertion(ctx, store, challenges, rp),
    rp,
  };
}
