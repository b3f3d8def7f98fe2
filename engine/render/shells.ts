/**
 * Memoised markup: a component whose output depends on a few props in a few
 * ways (the page frame per user and site, a form's frame per app and mode) is
 * rendered once with markers in the places of the props that vary per request
 * (a CSRF token, a title, the children) and kept split at the markers. Later
 * renders only join the parts with the values, escaped exactly as JSX would,
 * which is far cheaper than building the element tree again. The output is
 * byte for byte the JSX output (checked on first use, and in
 * test/render/shells.test.tsx).
 *
 * Markup inserted without escaping has the type SafeHtml, and only this module
 * makes it: from a rendered JSX element (JSX escapes every string it is given),
 * from a shell (parts of such a rendering, text slots escaped as JSX does), and
 * the doctype. trustedRaw() — the one raw() call in engine/ — takes nothing
 * else, so a user's string cannot reach it by a later edit without a cast that
 * test/render/safe-html.test.ts refuses.
 */
import { raw } from "hono/html";
import type { JSX } from "hono/jsx/jsx-runtime";
import type { HtmlEscapedString } from "hono/utils/html";

declare const safeHtml: unique symbol;

/** Markup that may be inserted as it is: made only in this module (see above). */
export type SafeHtml = string & { readonly [safeHtml]: true };

/** Inserts safe markup into JSX unescaped. The only raw() in engine/. */
export function trustedRaw(html: SafeHtml): HtmlEscapedString {
  return raw(html);
}

/**
 * The markup of a rendered element. Only elements: a string child would not be
 * escaped by String(), so children are wrapped in a fragment (`<>{children}</>`).
 * Components here render synchronously; an async one would be a bug, and throws.
 */
export function markupOf(element: JSX.Element): SafeHtml {
  if (element instanceof Promise) throw new Error("markupOf: async components are not memoised");
  return String(element) as SafeHtml;
}

/** The HTML5 doctype, as trusted markup to put before `<html>`. */
export const DOCTYPE = "<!DOCTYPE html>" as SafeHtml;

/**
 * Where a full page's shared top (Configure navigation, MFA banner, one-time
 * message) goes: the layout renders this comment, sendPage replaces it
 * (engine/http/page.ts). Escaped text can never form it, so only the layout does.
 */
/**
 * The markup with a class name added to its first element's class attribute (which must come
 * first among its attributes, as every field's does). The name is a fixed identifier, never input.
 */
export function withFirstClass(html: SafeHtml, className: string): SafeHtml {
  if (!/^[a-z][a-z0-9-]*$/.test(className)) throw new Error(`not a class name: ${className}`);
  const m = /^<[a-z]+ class="/.exec(html);
  if (!m) throw new Error("withFirstClass: the markup does not start with a class attribute");
  return `${m[0]}${className} ${html.slice(m[0].length)}` as SafeHtml;
}

/**
 * Marks where in a full page the shared top (flash, MFA banner, Configure navigation) is inserted
 * after rendering; see engine/web/http/page.ts.
 */
export const PAGE_TOP_MARK = "<!--fg:page-top-->" as SafeHtml;

/** A value for a slot: text is escaped like JSX text and attribute values; html is inserted as it is. */
export type SlotValue = { text: string } | { html: SafeHtml };

/** What a shell's render function gets for each slot: a string for text, SafeHtml for html. */
export type SlotMarks<V extends readonly SlotValue[]> = {
  [K in keyof V]: V[K] extends { html: SafeHtml } ? SafeHtml : string;
};

const MARK = (i: number) => `\u0001fg-slot-${i}\u0001`;
// eslint-disable-next-line no-control-regex -- U+0001 delimits a slot: it cannot come from escaped text
const MARK_RE = /\u0001fg-slot-(\d+)\u0001/g;

const SPECIAL = /[&<>'"]/;

/**
 * Escapes `&`, `<`, `>`, `"` and `'` as character references, safe in element text and quoted
 * attribute values; returns the same string when there is nothing to escape.
 */
export function escapeHtml(s: string): string {
  if (!SPECIAL.test(s)) return s;
  return s.replace(/[&<>'"]/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;",
  );
}

/** Parts between markers, and after each part the index of the slot that follows it (-1 at the end). */
interface Shell {
  parts: string[];
  slots: number[];
}

/**
 * Memoises the static markup of a rendering around its slots, so a page rendered again with other
 * values only escapes and joins the values. Holds at most `limit` shells (default 256); a rendering
 * that transforms a slot value is detected on first use and always rendered directly.
 */
export class ShellCache {
  readonly #shells = new Map<string, Shell | null>();

  constructor(private readonly limit = 256) {}

  /**
   * The markup of `render` for this key with the values in its slots. `render`
   * gets one mark per slot (a marker, or the value itself when rendering
   * directly), passes text marks to JSX as they are and html marks through
   * trustedRaw(), and must be a pure function of the key and those marks.
   */
  render<V extends readonly SlotValue[]>(
    key: string,
    values: V,
    render: (marks: SlotMarks<V>) => JSX.Element,
  ): SafeHtml {
    const direct = () => markupOf(render(values.map((v) => ("text" in v ? v.text : v.html)) as SlotMarks<V>));
    let shell = this.#shells.get(key);
    if (shell === undefined) {
      // Only the first use looks for marker bytes in the values (a scan of every html value, the
      // page's whole markup for a frame): filling a shell later only joins strings.
      if (values.some((v) => ("text" in v ? v.text : v.html).includes("\u0001"))) return direct();
      // Markers are plain ASCII between control bytes: safe in any place a slot can be.
      shell = split(markupOf(render(values.map((_, i) => MARK(i)) as SlotMarks<V>)));
      // The first use checks the shell against a direct render: a component that transforms a
      // value (rather than placing it) must not be memoised this way.
      const expected = direct();
      if (shell && fill(shell, values) !== expected) shell = null;
      if (this.#shells.size < this.limit) this.#shells.set(key, shell);
      return expected;
    }
    return shell ? fill(shell, values) : direct();
  }
}

/**
 * Markup split around one text value (an input's value): the parts of a
 * rendering with a sentinel in the value's place. Made by splitAround(), which
 * checks the split against a direct render; filled by fillAround().
 */
export type TextShell = readonly [SafeHtml, SafeHtml];

/**
 * Splits `withSentinel` (a rendering with `sentinel` as the value) around the
 * sentinel, or null when it is not there exactly once or when filling the
 * parts with `text` differs from `direct` (a rendering with `text` itself).
 */
export function splitAround(
  withSentinel: SafeHtml,
  sentinel: string,
  text: string,
  direct: SafeHtml,
): TextShell | null {
  const parts = withSentinel.split(sentinel);
  if (parts.length !== 2) return null;
  const shell = parts as unknown as TextShell;
  return fillAround(shell, text) === direct ? shell : null;
}

/** The markup of a text shell with `text` in its place, escaped as JSX escapes text and attribute values. */
export function fillAround(shell: TextShell, text: string): SafeHtml {
  return (shell[0] + escapeHtml(text) + shell[1]) as SafeHtml;
}

function fill(shell: Shell, values: readonly SlotValue[]): SafeHtml {
  let out: string = shell.parts[0]!;
  for (let i = 0; i < shell.slots.length; i++) {
    const v = values[shell.slots[i]!]!;
    out += ("text" in v ? escapeHtml(v.text) : v.html) + shell.parts[i + 1]!;
  }
  return out as SafeHtml;
}

function split(html: SafeHtml): Shell | null {
  const parts: string[] = [];
  const order: number[] = [];
  let last = 0;
  for (const m of html.matchAll(MARK_RE)) {
    parts.push(html.slice(last, m.index));
    order.push(Number(m[1]));
    last = m.index + m[0].length;
  }
  parts.push(html.slice(last));
  return { parts, slots: order };
}
