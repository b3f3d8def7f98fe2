import { readCsv, CsvEncodingError, CsvFileError } from "./csv.js";
import { csvTokenRows, ImportFileError, type ParsedRow } from "./csv-formats.js";
import { looksLikeXml, parsePskc, type PskcCredentials } from "./pskc.js";

/** Largest PSKC document read (it is parsed whole; CSV is streamed and has no limit here). */
export const MAX_PSKC_BYTES = 32 * 1024 * 1024;

/**
 * A token file opened for import: what it was recognised as, the columns ignored, and its token
 * rows read lazily (so large files are streamed).
 */
export interface TokenFile {
  /** What was recognised, for the preview: "CSV with Base32 keys (…)", "PSKC (RFC 6030)". */
  description: string;
  ignoredColumns: string[];
  rows: AsyncIterable<ParsedRow>;
}

async function* prepend<T>(first: T, rest: AsyncIterator<T>): AsyncGenerator<T> {
  yield first;
  for (let r = await rest.next(); !r.done; r = await rest.next()) yield r.value;
}

async function* guardEncoding(rows: AsyncGenerator<ParsedRow>): AsyncGenerator<ParsedRow> {
  try {
    yield* rows;
  } catch (err) {
    if (err instanceof CsvEncodingError || err instanceof CsvFileError) throw new ImportFileError(err.message);
    throw err;
  }
}

/**
 * Opens a token file from a stream of chunks: PSKC when it starts with "<"
 * (opened with the pre-shared key or password given), otherwise CSV recognised
 * by its header or, without one, by the shape of its first row. Throws
 * ImportFileError when the file cannot be used at all.
 */
export async function openTokenFile(
  chunks: AsyncIterable<Uint8Array | string>,
  credentials: PskcCredentials = {},
): Promise<TokenFile> {
  const it = chunks[Symbol.asyncIterator]();
  let first = await it.next();
  while (!first.done && first.value.length === 0) first = await it.next();
  if (first.done) throw new ImportFileError("the file is empty");
  const head =
    typeof first.value === "string" ? first.value : Buffer.from(first.value.subarray(0, 64)).toString("utf8");
  if (looksLikeXml(head)) {
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of prepend(first.value, it)) {
      const b = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk);
      size += b.length;
      if (size > MAX_PSKC_BYTES) throw new ImportFileError(`the PSKC file is larger than ${MAX_PSKC_BYTES >> 20} MiB`);
      parts.push(b);
    }
    const pskc = await parsePskc(
      Buffer.concat(parts)
        .toString("utf8")
        .replace(/^\uFEFF/, ""),
      credentials,
    );
    return {
      description: pskc.description,
      ignoredColumns: [],
      // eslint-disable-next-line @typescript-eslint/require-await -- the rows are in memory; the type is the streamed one
      rows: (async function* () {
        yield* pskc.rows;
      })(),
    };
  }
  let csv;
  try {
    csv = await csvTokenRows(readCsv(prepend(first.value, it)));
  } catch (err) {
    if (err instanceof CsvEncodingError || err instanceof CsvFileError) throw new ImportFileError(err.message);
    throw err;
  }
  return {
    description: csv.layout.description,
    ignoredColumns: csv.layout.ignoredColumns,
    rows: guardEncoding(csv.rows),
  };
}
