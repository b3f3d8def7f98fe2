import { hash, verify, Algorithm } from "@node-rs/argon2";
import { silentLogger, type Logger } from "../log.js";
import { commonPasswordProblem, type PasswordContext } from "./common-passwords.js";

export type { PasswordContext };

/**
 * Argon2id's cost as the OWASP Password Storage Cheat Sheet sets its minimum: 19 MiB of memory
 * (in KiB), 2 passes, 1 lane. PHC strings carry the parameters, so raising them later keeps old
 * hashes valid.
 */
export const OWASP_ARGON2ID = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * Defined only when the test runner bundles the suites (bin/build.js, bundleTests): a cheaper cost
 * for the thousands of hashes and verifications the suites make, which spent more CPU on Argon2id
 * than on anything else. Never defined in dist/ nor under tsx, so the server, the command line and
 * every process a suite starts use OWASP_ARGON2ID.
 */
declare const FORMGATE_TEST_ARGON2ID: { memoryCost: number; timeCost: number } | undefined;

const OPTIONS = {
  algorithm: Algorithm.Argon2id,
  ...OWASP_ARGON2ID,
  ...(typeof FORMGATE_TEST_ARGON2ID === "object" ? FORMGATE_TEST_ARGON2ID : {}),
};

/** Shortest accepted password, in characters (NIST SP 800-63B §5.1.1 asks for at least 8). */
export const MIN_PASSWORD_LENGTH = 12;
/** Longest accepted password, in characters: bounds the work of hashing an attacker-chosen input. */
export const MAX_PASSWORD_LENGTH = 256;

/**
 * Hashes a password with Argon2id (RFC 9106; 19 MiB memory, 2 passes, 1 lane, the OWASP minimum)
 * into a PHC string that carries salt and parameters.
 */
export function hashPassword(password: string): Promise<string> {
  return hash(normalisePassword(password), OPTIONS);
}

/**
 * A password as RFC 8265's OpaqueString profile prepares it: every non-ASCII space becomes an
 * ASCII space and the text is put in Unicode Normalization Form C, so `é` typed precomposed
 * (U+00E9) and decomposed (e + U+0301) are the same password. Applied before hashing, checking
 * and the length and common-password rules.
 */
export function normalisePassword(password: string): string {
  return password.replace(/\p{Zs}/gu, " ").normalize("NFC");
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
    // Hashes made before normalisation hold the characters as they were typed: when the input is
    // not already normalised, the raw text is tried too, so such a password keeps working.
    const normal = normalisePassword(password);
    if (await verify(stored, normal)) return true;
    if (normal !== password) return await verify(stored, password);
    const decomposed = password.normalize("NFD");
    return decomposed !== password && (await verify(stored, decomposed));
  } catch (err) {
    log.error("stored password hash cannot be verified; counted as a wrong password", {
      error: (err as Error).message,
    });
    return false;
  }
}

/**
 * A reason the password is unacceptable, as the end of a sentence that starts "Password …", or
 * null. NIST SP 800-63B §5.1.1.2: length (counted in code points after normalisation), not
 * composition rules, and no common, breached, repetitive or context-specific password
 * (commonPasswordProblem; `context` names the account's username, display name and site).
 */
export function passwordProblem(password: string, context: PasswordContext = {}): string | null {
  const normal = normalisePassword(password);
  const length = [...normal].length;
  if (length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters`;
  return commonPasswordProblem(normal, context);
}
