/**
 * Memoised markup: a component whose output depends on a few props in a few
 * ways (the page frame per user and site, a form's frame per app and mode) is
 * rendered once with markers in the places of the props that vary per request
 * (a CSRF token, a title, the children) and kept split at the markers. Later
 * renders only join the parts with the values, escaped exactly as JSX would,
 * which is far cheaper than building the element tree again. The output is
 * byte for byte the JSX output (test/render/shells.test.tsx).
 */

/** A value for a slot: text is escaped like JSX text and attribute values; html is inserted as it is. */
export type SlotValue = { text: string } | { html: string };

const MARK = (i: number) => `\u0001fg-slot-${i}\u0001`;
const MARK_RE = /\u0001fg-slot-(\d+)\u0001/g;

const SPECIAL = /[&<>'"]/;

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

export class ShellCache {
  readonly #shells = new Map<string, Shell | null>();

  constructor(private readonly limit = 256) {}

  /**
   * The markup of `render` for this key with the values in its slots. `render`
   * gets one string per slot (a marker, or the value itself when rendering
   * directly), passes text slots to JSX as they are and html slots through
   * raw(), and must be a pure function of the key and those strings.
   */
  render(key: string, values: SlotValue[], render: (marks: string[]) => string): string {
    const direct = () => render(values.map((v) => ("text" in v ? v.text : v.html)));
    if (values.some((v) => ("text" in v ? v.text : v.html).includes("\u0001"))) return direct();
    let shell = this.#shells.get(key);
    if (shell === undefined) {
      shell = split(render(values.map((_, i) => MARK(i))));
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

function fill(shell: Shell, values: SlotValue[]): string {
  let out = shell.parts[0]!;
  for (let i = 0; i < shell.slots.length; i++) {
    const v = values[shell.slots[i]!]!;
    out += ("text" in v ? escapeHtml(v.text) : v.html) + shell.parts[i + 1]!;
  }
  return out;
}

function split(html: string): Shell | null {
  const parts: string[] = [];
  const order: number[] = [];
  let last = 0;
  for (const m of html.matchAll(MARK_RE)) {
    parts.push(html.slice(last, m.index));
    order.push(Number(m[1]));
    last = m.index! + m[0].length;
  }
  parts.push(html.slice(last));
  return { parts, slots: order };
}
