/**
 * A UUID as text: 8-4-4-4-12 hexadecimal digits (RFC 9562 §4), the layout PostgreSQL prints. For
 * a route pattern (`:id{…}`) and the regular expressions below; the one definition in engine/.
 */
export const UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

/** UUID_PATTERN in either letter case, for a route that takes an id as a client may write it (RFC 9562 §4). */
export const UUID_PATTERN_ANY_CASE = UUID_PATTERN.replace(/a-f/g, "a-fA-F");

const UUID = new RegExp(`^${UUID_PATTERN}$`, "i");

/**
 * Whether `s` is a UUID in either letter case (what PostgreSQL's uuid type accepts in this layout).
 * Checked before a query, so a malformed id is "not found" rather than a database error.
 */
export function isUuid(s: string): boolean {
  return UUID.test(s);
}
