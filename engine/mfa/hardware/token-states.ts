import { ConflictError } from "../../errors.js";
import type { HardwareToken } from "./token-rows.js";

/** The action is not possible in the token's state (message for the admin). */
export class TokenStateError extends ConflictError {}

/**
 * Why a token's reservation cannot be released (TokenStateError), or null: an assigned token is
 * unassigned instead, and a token reserved for nobody has nothing to release. Release…'s first
 * press asks it before showing the confirmation; TokenRegistry.release asks it again under the lock.
 */
export function releaseRefusal(token: HardwareToken): TokenStateError | null {
  if (token.state.kind === "assigned") {
    return new TokenStateError(
      `Token ${token.serialNumber} is assigned to ${token.state.username}: unassign it to return it to the pool.`,
    );
  }
  return token.reservedForUserId
    ? null
    : new TokenStateError(`Token ${token.serialNumber} is not reserved for anyone.`);
}
