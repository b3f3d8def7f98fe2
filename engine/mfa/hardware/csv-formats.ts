import type { CsvRecord } from "./csv.js";
import type { SecretEncoding } from "./secret-encoding.js";
import { checkTokenInput, describeInputErrors, type TokenCandidate, type TokenInputValues } from "./token-input.js";
import { ValidationError } from "../../errors.js";

/**
 * Maps manufacturers' CSV exports onto token rows by their header. Known
 * layouts (any column order, extra columns ignored):
 *   upn,serial number,secret key,time interval,manufacturer,model   (Base32 keys; upn pre-assigns)
 *   serial, seed(hex), type, digits, time step                      (hex seeds)
 * and the same columns under the common aliases below. A file without a header
 * is read as privacyIDEA's OATH CSV when its first row has that shape:
 *   serial, seed(hex), TOTP|HOTP, 6|8[, time step]
 */

export type ParsedRow =
  | { line: number; ok: true; token: TokenCandidate; upn: string | null }
  | { line: number; ok: false; serialNumber: string | null; reason: string };

/** A file that cannot be read at all: nothing is imported and no row is listed. */
export class ImportFileError extends ValidationError {}

type Column = keyof TokenInputValues | "secretHex" | "secretBase32" | "type" | "upn";

/** Header names after normalise(); the secret columns say which encoding they promise. */
const ALIASES: Record<string, Column> = {
  "serial number": "serialNumber",
  serial: "serialNumber",
  serialnumber: "serialNumber",
  "serial no": "serialNumber",
  "secret key": "secretBase32",
  secret: "secretBase32",
  secretkey: "secretBase32",
  "secret(base32)": "secretBase32",
  "seed(base32)": "secretBase32",
  seed: "secretHex",
  "seed(hex)": "secretHex",
  "secret(hex)": "secretHex",
  "hex seed": "secretHex",
  "time interval": "timeInterval",
  "time step": "timeInterval",
  timestep: "timeInterval",
  period: "timeInterval",
  interval: "timeInterval",
  digits: "digits",
  "otp length": "digits",
  type: "type",
  "token type": "type",
  algorithm: "algorithm",
  hash: "algorithm",
  manufacturer: "manufacturer",
  vendor: "manufacturer",
  model: "model",
  name: "name",
  description: "name",
  "friendly name": "name",
  upn: "upn",
  user: "upn",
  username: "upn",
};

const COLUMN_LABEL: Record<Column, string> = {
  serialNumber: "serial number",
  secretBase32: "secret key",
  secretHex: "seed",
  secretKey: "secret key",
  timeInterval: "time interval",
  digits: "digits",
  type: "type",
  algorithm: "algorithm",
  manufacturer: "manufacturer",
  model: "model",
  name: "name",
  upn: "upn",
};

/**
 * A header name in comparable form: trimmed, lower-cased, `_` and `-` as spaces, whitespace
 * collapsed, no spaces inside parentheses ("Secret_Key ( Base32 )" → "secret key(base32)").
 */
export function normaliseHeader(h: string): string {
  return h
    .trim()
    .toLowerCase()
    .replace(/[_-]+/g, " ")
    .replace(/\s+/g, " ")
    .replace(/\s*\(\s*/g, "(")
    .replace(/\s*\)/g, ")");
}

/** How a CSV file's columns map onto token fields: from its header, or privacyIDEA's fixed order. */
export interface CsvLayout {
  /** Column index per known column. */
  index: Partial<Record<Column, number>>;
  secretColumn: "secretBase32" | "secretHex";
  encoding: SecretEncoding;
  /** The header's names, or the column names of a layout without a header. */
  headerNames: string[];
  ignoredColumns: string[];
  description: string;
  /** No header line: the first record is already a token row (privacyIDEA's OATH CSV). */
  headerless: boolean;
  /** Values of columns a row may leave out or blank; a missing column without one is an error. */
  defaults: Partial<Record<Column, string>>;
}

const NOT_A_TOKEN_FILE =
  'the first line is not a token file header (columns such as "upn,serial number,secret key,time interval,manufacturer,model" ' +
  'or "serial,seed,type,digits,time step"), nor a privacyIDEA token row without a header ' +
  '("serial, hex seed, TOTP or HOTP, 6 or 8[, time step]")';

/**
 * Maps a CSV header row to the known token columns (names compared after normaliseHeader, vendor
 * aliases included); unknown columns are listed as ignored. Throws ImportFileError when a column
 * appears twice, the file is not a token file, both a Base32 and a hex secret column are present,
 * or a required column is missing.
 */
export function layoutFromHeader(header: string[]): CsvLayout {
  const index: Partial<Record<Column, number>> = {};
  const ignoredColumns: string[] = [];
  header.forEach((raw, i) => {
    const col = ALIASES[normaliseHeader(raw)];
    if (!col) {
      if (raw.trim()) ignoredColumns.push(raw.trim());
      return;
    }
    if (index[col] !== undefined) throw new ImportFileError(`the header names the column "${raw.trim()}" twice`);
    index[col] = i;
  });
  const hasSecret = index.secretBase32 !== undefined || index.secretHex !== undefined;
  if (index.serialNumber === undefined && !hasSecret) {
    throw new ImportFileError(NOT_A_TOKEN_FILE);
  }
  if (index.secretBase32 !== undefined && index.secretHex !== undefined) {
    throw new ImportFileError("the header has both a Base32 secret key column and a hex seed column");
  }
  const missing: string[] = [];
  if (index.serialNumber === undefined) missing.push('"serial number"');
  if (!hasSecret) missing.push('"secret key" or "seed"');
  if (index.timeInterval === undefined) missing.push('"time interval" or "time step"');
  if (missing.length) throw new ImportFileError(`the header has no column ${missing.join(", no column ")}`);
  const secretColumn = index.secretHex !== undefined ? "secretHex" : "secretBase32";
  const encoding: SecretEncoding = secretColumn === "secretHex" ? "hex" : "base32";
  const headerNames = header.map((h) => h.trim());
  return {
    index,
    secretColumn,
    encoding,
    headerNames,
    ignoredColumns,
    description: `CSV with ${encoding === "hex" ? "hex" : "Base32"} keys (${headerNames.filter(Boolean).join(", ")})`,
    headerless: false,
    defaults: {},
  };
}

/**
 * privacyIDEA's OATH CSV (privacyIDEA documentation, "Import", "OATH CSV"): no header, one token
 * per line as `serial, seed, type, otp length, time step`, the seed in hex. privacyIDEA reads a
 * missing type as HOTP, a missing length as 6 and a missing time step as 30 seconds; for HOTP the
 * fifth column is the counter.
 */
export const PRIVACYIDEA_LAYOUT: CsvLayout = {
  index: { serialNumber: 0, secretHex: 1, type: 2, digits: 3, timeInterval: 4 },
  secretColumn: "secretHex",
  encoding: "hex",
  headerNames: ["serial", "seed", "type", "digits", "time step"],
  ignoredColumns: [],
  description: "privacyIDEA OATH CSV without a header (serial, hex seed, type, digits, time step)",
  headerless: true,
  defaults: { type: "HOTP", digits: "6", timeInterval: "30" },
};

/**
 * Whether a first record has the shape of a privacyIDEA OATH CSV row: 4 or 5 cells (trailing
 * empty ones aside), a hex seed in the second, TOTP or HOTP in the third, 6 or 8 in the fourth.
 * A header never has it: its second cell is a column name, not hex.
 */
export function isPrivacyIdeaRow(fields: string[]): boolean {
  const cells = fields.map((f) => f.trim());
  while (cells.length && cells[cells.length - 1] === "") cells.pop();
  return (
    (cells.length === 4 || cells.length === 5) &&
    /^(?:[0-9a-f]{2})+$/i.test(cells[1]!) &&
    /^(?:totp|hotp)$/i.test(cells[2]!) &&
    /^[68]$/.test(cells[3]!)
  );
}

/**
 * privacyIDEA picks the HMAC hash by the seed's length (32 bytes SHA256, 64 SHA512, 28 SHA224,
 * 48 SHA384, anything else SHA1); its files rely on that, so the import reads them the same way.
 */
function privacyIdeaHash(seedHex: string): { algorithm?: string } | { error: string } {
  const bytes = seedHex.replace(/\s/g, "").length / 2;
  const hash = { 32: "SHA256", 64: "SHA512", 28: "SHA224", 48: "SHA384" }[bytes];
  if (hash === "SHA224" || hash === "SHA384") {
    return {
      error: `a seed of ${bytes} bytes means ${hash} to privacyIDEA, which is not supported (SHA1, SHA256, SHA512)`,
    };
  }
  return hash ? { algorithm: hash } : {};
}

/** "TOTP", "totp", "TOTP-SHA256": the algorithm may ride on the type. HOTP is counter-based: refused. */
function readType(v: string): { algorithm?: string } | { error: string } {
  const m = /^\s*totp(?:[\s/_-]*((?:hmac[-_ ]?)?sha[-_ ]?(?:1|256|512)))?\s*$/i.exec(v);
  if (m) return m[1] ? { algorithm: m[1] } : {};
  if (/^\s*hotp/i.test(v)) return { error: "type HOTP is not supported (only time-based TOTP tokens)" };
  return { error: `type must be TOTP (got ${v.trim().slice(0, 20)})` };
}

/**
 * One record as a token row, checked as the register form checks it; a bad row carries its line
 * and the reason (HOTP, a missing column, extra fields, a bad key or value).
 */
export function rowFromRecord(layout: CsvLayout, rec: CsvRecord): ParsedRow {
  const { index, defaults } = layout;
  const get = (col: Column): string | undefined => {
    const i = index[col];
    const v = i === undefined ? undefined : rec.fields[i];
    return (v === undefined || v.trim() === "") && defaults[col] !== undefined ? defaults[col] : v;
  };
  const serial = get("serialNumber")?.trim() || null;
  const bad = (reason: string): ParsedRow => ({ line: rec.line, ok: false, serialNumber: serial, reason });
  if (rec.error) return bad(`the line cannot be read: ${rec.error}`);
  // A type the row gives is checked first: an HOTP row is refused for being HOTP, whatever else it lacks.
  let algorithm = get("algorithm");
  const type = get("type");
  const typeGiven = index.type !== undefined && (rec.fields[index.type] ?? "").trim() !== "";
  const t = type !== undefined && type.trim() !== "" ? readType(type) : null;
  if (t && "error" in t && typeGiven) return bad(t.error);
  // A short row: name the first known column it does not reach.
  const short = (Object.entries(index) as [Column, number][])
    .filter(([col, i]) => i >= rec.fields.length && defaults[col] === undefined)
    .sort((a, b) => a[1] - b[1]);
  if (short.length) return bad(`missing column "${layout.headerNames[short[0]![1]] || COLUMN_LABEL[short[0]![0]]}"`);
  if (t && "error" in t) return bad(`no type, which privacyIDEA reads as ${type}: ${t.error}`);
  if (t) algorithm = algorithm?.trim() ? algorithm : t.algorithm;
  if (rec.fields.slice(layout.headerNames.length).some((f) => f.trim() !== "")) {
    return bad(
      layout.headerless
        ? `has ${rec.fields.length} fields; privacyIDEA token rows have at most ${layout.headerNames.length} (${layout.headerNames.join(", ")})`
        : `has ${rec.fields.length} fields but the header has ${layout.headerNames.length}`,
    );
  }
  if (layout.headerless && !algorithm?.trim()) {
    const hash = privacyIdeaHash(get(layout.secretColumn) ?? "");
    if ("error" in hash) return bad(hash.error);
    algorithm = hash.algorithm;
  }
  const checked = checkTokenInput(
    {
      serialNumber: get("serialNumber"),
      name: get("name"),
      secretKey: get(layout.secretColumn),
      timeInterval: get("timeInterval"),
      digits: get("digits"),
      algorithm,
      manufacturer: get("manufacturer"),
      model: get("model"),
    },
    layout.encoding,
  );
  if (!checked.ok) return bad(describeInputErrors(checked.errors));
  const upn = get("upn")?.trim() || null;
  return { line: rec.line, ok: true, token: checked.token, upn };
}

/**
 * A record of empty or whitespace-only cells (`,,,,,`, `;;;;;`, tabs): what spreadsheet programs
 * leave behind after deleted rows. It holds no data, so it is skipped like a blank line.
 */
export function isBlankRecord(rec: CsvRecord): boolean {
  return !rec.error && rec.fields.every((f) => f.trim() === "");
}

/**
 * Reads the first record that is not blank: a privacyIDEA row (then it is the first token row) or
 * a header. Then maps each later record, skipping blank ones. Throws ImportFileError when the
 * first record is neither.
 */
export async function csvTokenRows(
  records: AsyncIterable<CsvRecord>,
): Promise<{ layout: CsvLayout; rows: AsyncGenerator<ParsedRow> }> {
  const it = records[Symbol.asyncIterator]();
  let first = await it.next();
  while (!first.done && isBlankRecord(first.value)) first = await it.next();
  if (first.done) throw new ImportFileError("the file is empty");
  const head = first.value;
  if (head.error) throw new ImportFileError(`the header line cannot be read: ${head.error}`);
  const layout = isPrivacyIdeaRow(head.fields) ? PRIVACYIDEA_LAYOUT : layoutFromHeader(head.fields);
  async function* rows(): AsyncGenerator<ParsedRow> {
    if (layout.headerless) yield rowFromRecord(layout, head);
    for (let r = await it.next(); !r.done; r = await it.next()) {
      if (!isBlankRecord(r.value)) yield rowFromRecord(layout, r.value);
    }
  }
  return { layout, rows: rows() };
}
