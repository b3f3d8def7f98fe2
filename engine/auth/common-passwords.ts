// NIST SP 800-63B §5.1.1.2: a new password is compared with values known to be commonly used,
// expected or compromised, and refused with the reason when it matches. The list ships with the
// project: the 49,233 "passwords-common" entries of @zxcvbn-ts/language-common (MIT; gathered by
// the zxcvbn project from leaked password sets), read from node_modules, nothing fetched at run time.
import { createRequire } from "node:module";

/** Words every password is checked against beside the caller's: the product's own name. */
const PRODUCT_WORDS = ["formgate"];
/** Context words shorter than this are not looked for ("dev" would refuse "device …"). */
const MIN_CONTEXT_WORD = 4;
/** Look-alike characters people put in a common word ("P@ssw0rd"), undone before the list look-up. */
const LEET: Record<string, string> = {
  "@": "a",
  "4": "a",
  "0": "o",
  "1": "i",
  "!": "i",
  "3": "e",
  $: "s",
  "5": "s",
  "7": "t",
};

/** Parts of a display name ("Maxine", "Okafor") are looked for from this length on. */
const MIN_NAME_PART = 4;

let list: Set<string> | undefined;

/** The common-password list, lower case, loaded once on first use (about 50 ms). */
function commonPasswords(): Set<string> {
  if (!list) {
    const require = createRequire(import.meta.url);
    const common = require("@zxcvbn-ts/language-common") as { dictionary: Record<string, string[]> };
    list = new Set(common.dictionary["passwords-common"]!.map((w) => w.toLowerCase()));
  }
  return list;
}

/**
 * What the account's password must not contain: its username, its display name, the site's name
 * (each compared without case, and without spaces). Empty and missing values are ignored.
 */
export interface PasswordContext {
  username?: string | null;
  displayName?: string | null;
  siteName?: string | null;
}

/** The password is one short run of 1 to 4 characters repeated ("aaaaaaaaaaaa", "abcabcabcabc"). */
function isRepetitive(p: string): boolean {
  return /^(.{1,4}?)\1+$/su.test(p);
}

/** Every character is the one before it plus one, or every one minus one ("abcdefghijkl", "987654321098"). */
function isSequence(p: string): boolean {
  const codes = [...p].map((c) => c.codePointAt(0)!);
  if (codes.length < 3) return false;
  const step = (i: number) => {
    const d = codes[i]! - codes[i - 1]!;
    return d === 9 && codes[i]! === 57 ? -1 : d === -9 && codes[i]! === 48 ? 1 : d; // 0→9, 9→0 wrap
  };
  const first = step(1);
  if (first !== 1 && first !== -1) return false;
  for (let i = 2; i < codes.length; i++) if (step(i) !== first) return false;
  return true;
}

/** The password with leading and trailing digits and symbols taken off and look-alikes undone. */
function baseWord(lower: string): string {
  const core = lower.replace(/^[\d\W_]+|[\d\W_]+$/gu, "");
  return [...core].map((c) => LEET[c] ?? c).join("");
}

/**
 * Why `password` is too predictable, as the end of a sentence that starts "Password …", or null.
 * Refused: a password on the common-password list (compared without case, also after trailing
 * digits and symbols are taken off and look-alikes such as `@`→`a` undone: `Password123!`), one
 * short run repeated (`aaaaaaaaaaaa`), a plain sequence (`abcdefghijkl`, `123456789012`), and one
 * that contains a context word (the username, the display name or a part of it of 4 letters or
 * more, the site name, or "formgate").
 */
export function commonPasswordProblem(password: string, context: PasswordContext = {}): string | null {
  const lower = password.toLowerCase();
  const squeezed = lower.replace(/\s+/gu, "");
  const words = commonPasswords();
  if (words.has(lower) || words.has(squeezed)) return "is on a list of common or breached passwords: choose another";
  const base = baseWord(squeezed);
  if (base.length >= 4 && words.has(base)) return "is a common password with a few characters added: choose another";
  if (isRepetitive(squeezed)) return "repeats the same few characters: choose another";
  if (isSequence(squeezed)) return "is a plain sequence of characters: choose another";
  const named: [string | null | undefined, string][] = [
    [context.username, "the username"],
    [context.displayName, "the display name"],
    ...(context.displayName ?? "")
      .split(/[\s.,'-]+/u)
      .filter((w) => w.length >= MIN_NAME_PART)
      .map((w): [string, string] => [w, "a part of the display name"]),
    [context.siteName, "the site's name"],
    ...PRODUCT_WORDS.map((w): [string, string] => [w, `"${w}"`]),
  ];
  for (const [word, what] of named) {
    const w = (word ?? "").toLowerCase().replace(/\s+/gu, "");
    if (w.length >= MIN_CONTEXT_WORD && squeezed.includes(w)) return `must not contain ${what}`;
  }
  return null;
}
