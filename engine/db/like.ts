// LIKE patterns from user text: the one place that escapes it, so a search for "100%" or "a_b"
// matches those characters and not every text.

/**
 * `text` with LIKE's wildcards (% and _) and its escape character (\) escaped, for a pattern used
 * with PostgreSQL's default escape character (\).
 */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A LIKE pattern matching any text that contains `text` (escaped). */
export function containsPattern(text: string): string {
  return `%${escapeLike(text)}%`;
}

/**
 * Words of a list search as LIKE patterns, as every list search makes them: lower case, at most
 * 5 words of 100 characters in all; a row matches when it contains every word.
 */
export function searchPatterns(q: string | undefined): string[] {
  const words = (q ?? "").slice(0, 100).toLowerCase().split(/\s+/).filter(Boolean).slice(0, 5);
  return words.map(containsPattern);
}
