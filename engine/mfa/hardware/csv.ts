import { Readable, pipeline } from "node:stream";
import type { CsvError, Options } from "csv-parse";

/**
 * Token files as CSV records, read by `csv-parse` (RFC 4180 and what spreadsheets write): UTF-8
 * with or without a byte-order mark, CRLF, LF or CR line ends, quoted fields with "" for a quote
 * and line breaks inside. Records are yielded one at a time, so a file of any size is read in
 * constant memory. What stays here is what csv-parse does not do: guessing the delimiter from the
 * header, the start line of each record, and the messages a person reads.
 */

export interface CsvRecord {
  /** Physical line (1-based) where the record starts. */
  line: number;
  fields: string[];
  /** Set when the record is malformed; fields then hold what could be read. */
  error?: string;
}

/**
 * Longest record kept, in characters: a runaway quote must not swallow the file into memory.
 * A longer one refuses the file (CsvFileError) naming its line.
 */
export const MAX_RECORD_CHARS = 64 * 1024;

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
  const lines = text.split("\n");
  if (!atEnd) lines.pop(); // not yet complete
  return lines.find((l) => /[^,;\t\s"]/.test(l)) ?? null;
}

/**
 * The chunks as text with "\n" for every line end (CRLF and CR included, also inside quotes, so
 * a field's line breaks read the same from any system). Throws CsvEncodingError on bytes that
 * are not UTF-8.
 */
async function* decodeLines(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  let line = 1;
  let heldCr = false; // a chunk ended in CR: the next one decides whether it was CRLF
  const normalise = (text: string): string => {
    if (heldCr) text = "\r" + text;
    heldCr = text.endsWith("\r");
    if (heldCr) text = text.slice(0, -1);
    const out = text.replace(/\r\n?/g, "\n");
    for (let i = out.indexOf("\n"); i >= 0; i = out.indexOf("\n", i + 1)) line++;
    return out;
  };
  const decode = (chunk?: Uint8Array): string => {
    try {
      return chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
    } catch {
      throw new CsvEncodingError(line);
    }
  };
  for await (const chunk of chunks) {
    const text = normalise(typeof chunk === "string" ? chunk : decode(chunk));
    if (text) yield text;
  }
  const rest = normalise(decode()) + (heldCr ? "\n" : "");
  if (rest) yield rest;
}

/**
 * The text with the delimiter found: held until the first line with content is complete (or
 * 64 KiB have come), then all of it as it came.
 */
async function withDelimiter(
  text: AsyncIterable<string>,
): Promise<{ delimiter: string; text: AsyncIterable<string> | string[] }> {
  const it = text[Symbol.asyncIterator]();
  let head = "";
  for (let r = await it.next(); !r.done; r = await it.next()) {
    head += r.value;
    const line = firstTextLine(head, false);
    if (line !== null || head.length >= 64 * 1024) {
      const first = head;
      return {
        delimiter: detectDelimiter(line ?? head),
        text: (async function* () {
          yield first;
          for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
        })(),
      };
    }
  }
  return {
    delimiter: detectDelimiter(firstTextLine(head, true) ?? head),
    text: head ? [head] : [],
  };
}

/** What csv-parse hands on_record with `raw: true`: the fields and the text they came from. */
interface RawRecord {
  record: string[];
  raw: string;
}

/**
 * Whether csv-parse in strict mode refuses the record for text after a closing quote (`"x"y`):
 * the reader runs relaxed so that one bad quote does not swallow the lines after it, and asks
 * again strictly only for records that hold a quote.
 */
function textAfterClosingQuote(csv: CsvParse, raw: string, strict: Options): boolean {
  if (!raw.includes('"')) return false;
  try {
    csv.parseWhole(raw, strict);
    return false;
  } catch (err) {
    return err instanceof csv.CsvError && err.code === "CSV_INVALID_CLOSING_QUOTE";
  }
}

/** csv-parse, streaming and whole-text. */
interface CsvParse {
  parse: typeof import("csv-parse").parse;
  CsvError: typeof import("csv-parse").CsvError;
  parseWhole: typeof import("csv-parse/sync").parse;
}

/** csv-parse is imported by the first file read, not at start (issue 26). */
async function loadCsvParse(): Promise<CsvParse> {
  const [{ parse, CsvError }, { parse: parseWhole }] = await Promise.all([
    import("csv-parse"),
    import("csv-parse/sync"),
  ]);
  return { parse, CsvError, parseWhole };
}

/**
 * Reads CSV records from a stream of bytes or strings without holding the whole file: UTF-8 with
 * an optional BOM, the delimiter given or detected from the first line with content (`,`, `;` or
 * tab). A record with text after a closing quote, or a quote still open at the end of the file,
 * is yielded with its error instead of stopping. Blank lines are skipped. Throws CsvEncodingError
 * on bytes that are not UTF-8 and CsvFileError on a record longer than MAX_RECORD_CHARS.
 */
export async function* readCsv(
  chunks: AsyncIterable<Uint8Array | string>,
  options: { delimiter?: string } = {},
): AsyncGenerator<CsvRecord> {
  const csv = await loadCsvParse();
  const found = options.delimiter
    ? { delimiter: options.delimiter, text: decodeLines(chunks) }
    : await withDelimiter(decodeLines(chunks));
  const strict = {
    bom: true,
    delimiter: found.delimiter,
    record_delimiter: "\n",
    relax_column_count: true,
    max_record_size: MAX_RECORD_CHARS,
  } satisfies Options;
  let trailing: CsvRecord | undefined;
  let lastLine = 0; // the line the previous record (a blank line included) ended on
  const relaxed: Options<CsvRecord, RawRecord> = {
    ...strict,
    relax_quotes: true,
    raw: true,
    skip_records_with_error: true,
    on_record: ({ record, raw }, context) => {
      const line = lastLine + 1;
      lastLine = context.lines; // where this record ends
      if (record.length === 1 && record[0] === "" && !raw.startsWith('"')) return null; // a blank line
      const error = textAfterClosingQuote(csv, raw, strict) ? "text after a closing quote" : undefined;
      return { line, fields: record, ...(error ? { error } : {}) } satisfies CsvRecord;
    },
    on_skip: (err: CsvError | undefined) => {
      if (err?.code === "CSV_QUOTE_NOT_CLOSED") {
        trailing = { line: lastLine + 1, fields: [], error: "a quoted field is not closed" };
        return;
      }
      if (err?.code === "CSV_MAX_RECORD_SIZE") throw new CsvFileError(lastLine + 1, "is too long");
      throw err ?? new Error("CSV record skipped");
    },
  };
  // csv-parse types a custom on_record only in its `columns` overloads.
  const parser = csv.parse(relaxed as unknown as Options);
  const records = pipeline(Readable.from(found.text), parser, () => {
    // Errors reach the reader through the iteration below.
  });
  for await (const rec of records as AsyncIterable<CsvRecord>) yield rec;
  if (trailing) yield trailing;
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

/** Thrown by readCsv when a record cannot be read at all (longer than MAX_RECORD_CHARS). */
export class CsvFileError extends Error {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line} ${reason}: more than ${MAX_RECORD_CHARS} characters (is a quote left open?); nothing was read`);
  }
}
