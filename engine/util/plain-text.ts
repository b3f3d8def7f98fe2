/**
 * A stored value as text, as `String()` writes it for strings, numbers, booleans, null and
 * arrays of those (joined with ","), but an object as JSON instead of "[object Object]".
 */
export function plainText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value))
    return value.map((v: unknown) => (v === null || v === undefined ? "" : plainText(v))).join(",");
  return JSON.stringify(value) ?? "";
}
