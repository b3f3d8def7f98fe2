// A field's `pattern` in plain words, for the message of a value that does not match it: "3 to 32
// capital letters, digits and dashes", "2 capital letters, “-”, then 4 digits". Only the simple
// patterns designers write are described: anchored with ^ and $, a few character classes and
// literal characters, each with an optional quantifier. Anything else (alternatives, groups,
// negated classes, lookarounds) has no description: null, and the message names the pattern.

import { listWords } from "../util/plural.js";
/** What a class holds, in the words of a list: singular and plural forms. */
interface Kind {
  one: string;
  many: string;
}

/** One step of a pattern: what it matches and how many times (max null: no upper bound). */
interface Step {
  kinds: Kind[];
  /** A literal text matched as it is (a run of literal characters), instead of kinds. */
  literal?: string;
  min: number;
  max: number | null;
}

const CHARACTER_WORDS: Record<string, Kind> = {
  " ": { one: "space", many: "spaces" },
  "-": { one: "dash", many: "dashes" },
  ".": { one: "dot", many: "dots" },
  _: { one: "underscore", many: "underscores" },
  "@": { one: "at sign", many: "at signs" },
  "+": { one: "plus sign", many: "plus signs" },
  "(": { one: "bracket", many: "brackets" },
  ")": { one: "bracket", many: "brackets" },
  ",": { one: "comma", many: "commas" },
  "/": { one: "slash", many: "slashes" },
  ":": { one: "colon", many: "colons" },
  "'": { one: "apostrophe", many: "apostrophes" },
  "#": { one: "hash sign", many: "hash signs" },
  "&": { one: "ampersand", many: "ampersands" },
};

const CAPITALS: Kind = { one: "capital letter", many: "capital letters" };
const SMALL: Kind = { one: "small letter", many: "small letters" };
const LETTERS: Kind = { one: "letter", many: "letters" };
const DIGITS: Kind = { one: "digit", many: "digits" };
const ANY: Kind = { one: "character", many: "characters" };

const kindOfChar = (c: string): Kind => CHARACTER_WORDS[c] ?? { one: `“${c}”`, many: `“${c}”` };

/** The kinds of a range such as A-Z, a-f or 0-9; null for a range that is not within one of them. */
function rangeKind(from: string, to: string): Kind | null {
  if (from === "A" && to === "Z") return CAPITALS;
  if (from === "a" && to === "z") return SMALL;
  if (from === "0" && to === "9") return DIGITS;
  const within = (lo: string, hi: string) => from >= lo && to <= hi && from < to;
  if (within("A", "Z")) return { one: `capital letter ${from} to ${to}`, many: `capital letters ${from} to ${to}` };
  if (within("a", "z")) return { one: `small letter ${from} to ${to}`, many: `small letters ${from} to ${to}` };
  if (within("0", "9")) return { one: `digit ${from} to ${to}`, many: `digits ${from} to ${to}` };
  return null;
}

/** The kinds of an escape (\d, \s, \w or an escaped character), or null. */
function escapeKinds(c: string): Kind[] | null {
  if (c === "d") return [DIGITS];
  if (c === "s") return [CHARACTER_WORDS[" "]!];
  if (c === "w") return [LETTERS, DIGITS, CHARACTER_WORDS._!];
  if (/[A-Za-z0-9]/.test(c)) return null; // \b, \p{…}, \1…: not described
  return [kindOfChar(c)];
}

/** Reads the class starting after `[` at `i`: its kinds and where it ends, or null. */
function readClass(p: string, i: number): { kinds: Kind[]; end: number } | null {
  if (p[i] === "^") return null;
  const kinds: Kind[] = [];
  while (i < p.length && p[i] !== "]") {
    const c = p[i]!;
    if (c === "\\") {
      const k = escapeKinds(p[i + 1] ?? "");
      if (!k) return null;
      // An escaped character may still start a range (\( is never one in designers' patterns).
      if (!/[dsw]/.test(p[i + 1]!) && p[i + 2] === "-" && p[i + 3] !== "]" && p[i + 3] !== undefined) return null;
      kinds.push(...k);
      i += 2;
      continue;
    }
    if (c === "[") return null;
    if (p[i + 1] === "-" && p[i + 2] !== "]" && p[i + 2] !== undefined) {
      const to = p[i + 2]!;
      if (to === "\\") return null;
      const k = rangeKind(c, to);
      if (!k) return null;
      kinds.push(k);
      i += 3;
      continue;
    }
    kinds.push(kindOfChar(c));
    i += 1;
  }
  if (p[i] !== "]" || !kinds.length) return null;
  return { kinds, end: i + 1 };
}

/** Reads a quantifier at `i` (none: exactly once), or null for a lazy or malformed one. */
function readQuantifier(p: string, i: number): { min: number; max: number | null; end: number } | null {
  const c = p[i];
  let q: { min: number; max: number | null; end: number };
  if (c === "+") q = { min: 1, max: null, end: i + 1 };
  else if (c === "*") q = { min: 0, max: null, end: i + 1 };
  else if (c === "?") q = { min: 0, max: 1, end: i + 1 };
  else if (c === "{") {
    const m = /^\{(\d{1,4})(,(\d{0,4}))?\}/.exec(p.slice(i));
    if (!m) return null;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === "" ? null : Number(m[3]);
    if (max !== null && max < min) return null;
    q = { min, max, end: i + m[0].length };
  } else return { min: 1, max: 1, end: i };
  return p[q.end] === "?" ? null : q;
}

/** Merges kinds that read the same ("brackets" from both ( and ), "letters" from A-Z and a-z). */
function tidy(kinds: Kind[]): Kind[] {
  const names = new Set(kinds.map((k) => k.many));
  let out = kinds;
  if (names.has(CAPITALS.many) && names.has(SMALL.many)) {
    const at = kinds.findIndex((k) => k === CAPITALS || k === SMALL);
    out = kinds.filter((k) => k !== CAPITALS && k !== SMALL);
    out.splice(at, 0, LETTERS);
  }
  const seen = new Set<string>();
  return out.filter((k) => !seen.has(k.many) && seen.add(k.many));
}

function describeStep(s: Step, alone: boolean): string {
  if (s.literal !== undefined) {
    const text = `“${s.literal}”`;
    if (s.min === 1 && s.max === 1) return text;
    return s.min === 0 && s.max === 1 ? `an optional ${text}` : `${text} repeated`;
  }
  const kinds = tidy(s.kinds);
  const many = listWords(
    kinds.map((k) => k.many),
    "and",
  );
  const one = listWords(
    kinds.map((k) => k.one),
    "or",
  );
  if (s.max === null) {
    if (s.min <= 1) return alone ? `${many} only` : `any number of ${many}`;
    return `at least ${s.min} ${many}`;
  }
  if (s.min === s.max) return s.min === 1 ? `one ${one}` : `${s.min} ${many}`;
  if (s.min === 0 && s.max === 1) return `an optional ${one}`;
  return s.min === 0 ? `at most ${s.max} ${many}` : `${s.min} to ${s.max} ${many}`;
}

/**
 * The pattern in plain words ("3 to 32 capital letters, digits and dashes"), or null when it is not
 * one of the simple shapes described (see the top of this file) or has more than five steps.
 */
export function patternInWords(pattern: string): string | null {
  if (!pattern.startsWith("^") || !pattern.endsWith("$") || pattern.endsWith("\\$")) return null;
  const p = pattern.slice(1, -1);
  const steps: Step[] = [];
  let i = 0;
  while (i < p.length) {
    const c = p[i]!;
    let kinds: Kind[] | null = null;
    let literal: string | undefined;
    let end: number;
    if (c === "[") {
      const cls = readClass(p, i + 1);
      if (!cls) return null;
      kinds = cls.kinds;
      end = cls.end;
    } else if (c === "\\") {
      const e = p[i + 1] ?? "";
      if (/[dsw]/.test(e)) kinds = escapeKinds(e);
      else if (/[A-Za-z0-9]/.test(e) || !e) return null;
      else literal = e;
      end = i + 2;
    } else if (c === ".") {
      kinds = [ANY];
      end = i + 1;
    } else if ("()|{}?*+^$]".includes(c)) {
      return null;
    } else {
      literal = c;
      end = i + 1;
    }
    const q = readQuantifier(p, end);
    if (!q) return null;
    const prev = steps.at(-1);
    if (literal !== undefined && q.min === 1 && q.max === 1 && prev?.literal !== undefined) {
      if (prev.min === 1 && prev.max === 1) {
        prev.literal += literal; // a run of literal characters reads as one text
        i = q.end;
        continue;
      }
    }
    steps.push(literal !== undefined ? { kinds: [], literal, min: q.min, max: q.max } : { kinds: kinds!, ...q });
    i = q.end;
  }
  if (!steps.length || steps.length > 5) return null;
  const words = steps.map((s) => describeStep(s, steps.length === 1));
  return words.length === 1 ? words[0]! : `${words.slice(0, -1).join(", ")}, then ${words.at(-1)!}`;
}
