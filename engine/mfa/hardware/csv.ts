/**
 * A streaming CSV reader (RFC 4180 and what spreadsheets write): UTF-8 with or
 * without a byte-order mark, CRLF or LF line ends, quoted fields with "" for a
 * quote and line breaks inside. It yields one record at a time, so a file of
 * any size is read in constant memory.
 */

export interface CsvRecord {
  /** Physical line (1-based) where the record starts. */
  line: number;
  fields: string[];
  /** Set when the record is malformed; fields then hold what could be read. */
  error?: string;
}

/** Longest field kept: a runaway quote must not swallow the file into memory. */
export const MAX_FIELD_CHARS = 4096;

const QUOTE = 34;
const CR = 13;
const LF = 10;

/** Picks the delimiter the header line uses most: vendors export with , ; or tab. */
export function detectDelimiter(firstLine: string): string {
  let best = ",";
  let bestCount = 0;
  for (const d of [",", ";", "\t"]) {
    const n = firstLine.split(d).length - 1;
    if (n > bestCount) {
      best = d;
      bestCount = n;
    }
  }
  return best;
}

/**
 * The first line with more than delimiters, quotes and spaces: blank lines and rows of empty
 * cells (`,,,,`) that spreadsheets leave above the header do not decide the delimiter. Null
 * while no such line is complete (`atEnd`: the text is all there is).
 */
function firstTextLine(text: string, atEnd: boolean): string | null {
  const lines = text.split(/\r\n|\r|\n/);
  if (!atEnd) lines.pop(); // not yet complete
  return lines.find((l) => /[^,;\t\s"]/.test(l)) ?? null;
}

/**
 * Reads CSV records (RFC 4180 quoting, CRLF or LF) from a stream of bytes or strings without
 * holding the whole file: UTF-8 with an optional BOM, the delimiter given or detected from the
 * first line with content (`,`, `;` or tab). Fields are capped at MAX_FIELD_CHARS; a malformed
 * record is yielded with its error instead of stopping. Throws CsvEncodingError on bytes that are
 * not UTF-8.
 */
export async function* readCsv(
  chunks: AsyncIterable<Uint8Array | string>,
  options: { delimiter?: string } = {},
): AsyncGenerator<CsvRecord> {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  let delimiter = options.delimiter ? options.delimiter.charCodeAt(0) : -1;
  let pendingHead = "";
  let sawText = false;

  let fields: string[] = [];
  let field = "";
  let inQuotes = false;
  let afterQuote = false; // a quoted field just closed
  let afterCr = false;
  let line = 1;
  let recordLine = 1;
  let error: string | undefined;
  let started = false; // anything in the current record

  const append = (text: string, from: number, to: number) => {
    if (field.length + (to - from) <= MAX_FIELD_CHARS) field += text.slice(from, to);
    else error ??= `a field is longer than ${MAX_FIELD_CHARS} characters`;
  };
  const endField = () => {
    fields.push(field);
    field = "";
    afterQuote = false;
  };
  const takeRecord = (): CsvRecord | null => {
    endField();
    const rec: CsvRecord = { line: recordLine, fields, ...(error ? { error } : {}) };
    const blank = !started && fields.length === 1 && fields[0] === "";
    fields = [];
    error = undefined;
    started = false;
    return blank ? null : rec;
  };

  function* feed(text: string): Generator<CsvRecord> {
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (afterCr) {
        afterCr = false;
        if (ch === LF) continue; // CRLF is one line end
      }
      if (inQuotes) {
        if (ch === QUOTE) {
          if (i + 1 < text.length) {
            if (text.charCodeAt(i + 1) === QUOTE) {
              field += '"';
              i++;
            } else {
              inQuotes = false;
              afterQuote = true;
            }
          } else {
            // The next chunk decides between "" and a closing quote.
            inQuotes = false;
            afterQuote = true;
          }
          continue;
        }
        if (ch === LF || ch === CR) {
          line++;
          if (ch === CR) afterCr = true;
          field += "\n";
        } else {
          // Take the run up to the next quote or line end at once: per-character appends are slow.
          let j = i + 1;
          while (j < text.length) {
            const c = text.charCodeAt(j);
            if (c === QUOTE || c === CR || c === LF) break;
            j++;
          }
          append(text, i, j);
          i = j - 1;
        }
        continue;
      }
      if (ch === QUOTE && afterQuote) {
        // "" split across chunks: the quote we closed was an escaped one.
        field += '"';
        inQuotes = true;
        afterQuote = false;
        continue;
      }
      if (ch === delimiter) {
        started = true;
        endField();
        continue;
      }
      if (ch === LF || ch === CR) {
        if (ch === CR) afterCr = true;
        const rec = takeRecord();
        line++;
        recordLine = line;
        if (rec) yield rec;
        continue;
      }
      if (ch === QUOTE && field === "") {
        inQuotes = true;
        started = true;
        continue;
      }
      if (afterQuote) error ??= "text after a closing quote";
      let j = i + 1;
      while (j < text.length) {
        const c = text.charCodeAt(j);
        if (c === delimiter || c === QUOTE || c === CR || c === LF) break;
        j++;
      }
      append(text, i, j);
      i = j - 1;
      started = true;
    }
  }

  function* feedWithDelimiter(text: string): Generator<CsvRecord> {
    if (!sawText && text) {
      sawText = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a BOM in text already decoded
    }
    if (delimiter >= 0) return yield* feed(text);
    // The delimiter comes from the first line with text, so hold text until it is complete.
    pendingHead += text;
    const head = firstTextLine(pendingHead, false);
    if (head === null && pendingHead.length < 64 * 1024) return;
    delimiter = detectDelimiter(head ?? pendingHead).charCodeAt(0);
    const all = pendingHead;
    pendingHead = "";
    yield* feed(all);
  }

  try {
    for await (const chunk of chunks) {
      yield* feedWithDelimiter(typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }));
    }
    yield* feedWithDelimiter(decoder.decode());
  } catch (err) {
    if (err instanceof TypeError && /encoded data|decode/i.test(err.message)) {
      throw new CsvEncodingError(line);
    }
    throw err;
  }
  if (delimiter < 0) {
    delimiter = detectDelimiter(firstTextLine(pendingHead, true) ?? pendingHead).charCodeAt(0);
    const all = pendingHead;
    pendingHead = "";
    yield* feed(all);
  }
  if (inQuotes) error ??= "a quoted field is not closed";
  const last = takeRecord();
  if (last) yield last;
}

/**
 * Thrown by readCsv when the file is not valid UTF-8; `line` is the 1-based line where decoding
 * failed.
 */
export class CsvEncodingError extends Error {
  constructor(readonly line: number) {
    super(`the file is not valid UTF-8 (near line ${line}); save it as UTF-8 and try again`);
  }
}
