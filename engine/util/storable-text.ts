// Text PostgreSQL cannot store. U+0000: `text` and `jsonb` refuse it ("invalid byte sequence",
// "unsupported Unicode escape sequence"). A UTF-16 surrogate without its partner has no UTF-8
// encoding: node-postgres would write U+FFFD in its place, and jsonb refuses the `\uD800` escape
// that JSON.stringify writes for it. Everything else is storable; a record's text fields refuse the
// other control characters all the same (controlCharacterProblem).
// eslint-disable-next-line no-control-regex -- U+0000 is the character PostgreSQL refuses
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, "g");

/** What a refusal says after the field's name, e.g. `Name ${UNSTORABLE_TEXT_MESSAGE}.` */
export const UNSTORABLE_TEXT_MESSAGE =
  "contains a character that cannot be stored (a NUL character, U+0000, or an unpaired surrogate)";

// C0 control characters (U+0000 is unstorable, above). Text fields refuse them, but for tab, line
// feed and carriage return in a field of several lines (engine/apps/record-rules.ts).
// eslint-disable-next-line no-control-regex -- the control characters are what it finds
const CONTROL = /[\u0001-\u001f]/;
// eslint-disable-next-line no-control-regex -- the control characters are what it finds
const CONTROL_BUT_LINES = /[\u0001-\u0008\u000b\u000c\u000e-\u001f]/;
const LINE_CHARACTERS: Record<number, string> = { 9: "tab", 10: "line break", 13: "line break" };

/**
 * What a text field says of a control character in `s`, after the field's label ("contains a
 * control character (U+0001): remove it"; "is a single line: remove the tab (U+0009)"), or null
 * when it holds none. `multiline` (long text) allows tab, line feed and carriage return.
 */
export function controlCharacterProblem(s: string, multiline: boolean): string | null {
  const found = (multiline ? CONTROL_BUT_LINES : CONTROL).exec(s);
  if (!found) return null;
  const code = found[0].charCodeAt(0);
  const name = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  const line = LINE_CHARACTERS[code];
  return line ? `is a single line: remove the ${line} (${name})` : `contains a control character (${name}): remove it`;
}

/** True when PostgreSQL can store the string as text or inside jsonb. */
export function isStorableText(s: string): boolean {
  return !UNSTORABLE.test(s);
}

/** The string with each unstorable character replaced by U+FFFD, for showing the input back to its author. */
export function withoutUnstorable(s: string): string {
  return s.replace(UNSTORABLE_ALL, "\uFFFD");
}

/**
 * Where a JSON value holds a string (a value or an object key) that PostgreSQL cannot store: one list of
 * keys and indices per place, the root being []. A bad key is reported at the object that holds it (the
 * key itself is never echoed) and its value is not looked into. Walks without recursion, in time linear
 * in the value's size: each place links to its parent, and a list of keys is built only for a place
 * reported (copying the path at every level made a deeply nested value quadratic). Stops after `limit`
 * places.
 */
export function unstorablePaths(value: unknown, limit = 20): string[][] {
  const found: string[][] = [];
  const stack: Place[] = [{ v: value, parent: null, key: "" }];
  while (stack.length && found.length < limit) {
    const place = stack.pop()!;
    const v = place.v;
    if (typeof v === "string") {
      if (!isStorableText(v)) found.push(pathOf(place));
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], parent: place, key: String(i) });
    } else if (v !== null && typeof v === "object") {
      const entries: [string, unknown][] = Object.entries(v);
      let badKey = false;
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, child] = entries[i]!;
        if (!isStorableText(k)) badKey = true;
        else stack.push({ v: child, parent: place, key: k });
      }
      if (badKey) found.push(pathOf(place));
    }
  }
  return found;
}

/** One place of unstorablePaths' walk: its value, the place holding it and its key or index there. */
interface Place {
  v: unknown;
  parent: Place | null;
  key: string;
}

/** The keys and indices from the root to `place`. */
function pathOf(place: Place): string[] {
  const path: string[] = [];
  for (let p: Place | null = place; p?.parent; p = p.parent) path.push(p.key);
  return path.reverse();
}
