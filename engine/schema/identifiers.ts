// The identifier patterns and JSON Pointer escaping every layer shares, written once. The app
// definition schema (schemas/app.schema.json) spells the same patterns in JSON; a test holds the two
// equal (test/schema/identifiers.test.ts), so a change here that the schema does not follow fails.

/**
 * The source of APP_ID, for an HTML `pattern` attribute too: the browser anchors it and compiles it
 * with the `v` flag, where a `-` in a class must be escaped.
 */
export const APP_ID_SOURCE = "[a-z][a-z0-9\\-]{0,62}";
/** An app id: a lowercase letter, then lowercase letters, digits and dashes (at most 63 characters). */
export const APP_ID = new RegExp(`^${APP_ID_SOURCE}$`);

/** The source of FIELD_NAME, for an HTML `pattern` attribute. */
export const FIELD_NAME_SOURCE = "[A-Za-z][A-Za-z0-9_]{0,63}";
/** A field name: a letter, then letters, digits and _ (at most 64 characters). */
export const FIELD_NAME = new RegExp(`^${FIELD_NAME_SOURCE}$`);

/** A field's dot path (`companions.phone`): field names joined by dots, at most eight deep. */
export const FIELD_PATH = new RegExp(`^${FIELD_NAME_SOURCE}(\\.${FIELD_NAME_SOURCE}){0,7}$`);

/** A list's sort key: a field name, with `-` in front for descending (`?sort=-name`). */
export const SORT_KEY = new RegExp(`^-?${FIELD_NAME_SOURCE}$`);

/** Escapes one reference token of a JSON Pointer (RFC 6901 §3: `~` as `~0`, `/` as `~1`). */
export const escapePointer = (token: string): string => token.replace(/~/g, "~0").replace(/\//g, "~1");

/** Undoes escapePointer for one reference token (RFC 6901 §4: `~1` first, then `~0`). */
export const unescapePointer = (token: string): string => token.replace(/~1/g, "/").replace(/~0/g, "~");

/** What a JSON Pointer (RFC 6901 §4) names in a value, by own properties only; undefined when nothing. */
export function atPointer(root: unknown, pointer: string): unknown {
  let v = root;
  for (const k of pointer.split("/").slice(1).map(unescapePointer)) {
    if (v === null || typeof v !== "object" || !Object.hasOwn(v, k)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** A JSON Pointer (RFC 6901) from its unescaped tokens: `["a/b", "c"]` → `/a~1b/c`; `[]` → `""`. */
export const pointerOf = (tokens: readonly string[]): string => tokens.map((t) => `/${escapePointer(t)}`).join("");
