import { hash, verify, Algorithm } from "@node-rs/argon2";
import { silentLogger, type Logger } from "../log.js";

// OWASP Password Storage Cheat Sheet: Argon2id, 19 MiB, 2 iterations, 1 lane.
// PHC strings carry the parameters, so raising them later keeps old hashes valid.
const OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Shortest accepted password, in characters (NIST SP 800-63B §5.1.1 asks for at least 8). */
export const MIN_PASSWORD_LENGTH = 12;
/** Longest accepted password, in characters: bounds the work of hashing an attacker-chosen input. */
export const MAX_PASSWORD_LENGTH = 256;

/**
 * Hashes a password with Argon2id (RFC 9106; 19 MiB memory, 2 passes, 1 lane, the OWASP minimum)
 * into a PHC string that carries salt and parameters.
 */
export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

let dummyHash: Promise<string> | undefined;

/**
 * Verifies a password. With no stored hash (unknown user, no password set) it
 * still runs one Argon2 verification, so timing does not tell the cases apart.
 * A stored hash Argon2 cannot read (corrupt, or parameters it refuses) counts as
 * a wrong password and is logged to `log` (the library's message, never the hash
 * or the password), so an administrator can find and reset the account.
 */
export async function verifyPassword(
  stored: string | null | undefined,
  password: string,
  log: Logger = silentLogger,
): Promise<boolean> {
  if (!stored) {
    dummyHash ??= hashPassword("formgate-dummy-password");
    await verify(await dummyHash, password).catch((err: Error) =>
      log.error("password verification failed on the dummy hash", { error: err.message }),
    );
    return false;
  }
  try {
    return await verify(stored, password);
  } catch (err) {
    log.error("stored password hash cannot be verified; counted as a wrong password", {
      error: (err as Error).message,
    });
    return false;
  }
}

/** A reason the password is unacceptable, or null. NIST SP 800-63B: length, not composition rules. */
export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters`;
  return null;
}
