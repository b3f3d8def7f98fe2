// What a token file's preview or import reports, the options it takes, and its refusal: the
// shapes the console, the command line and the importer share (engine/mfa/hardware/token-import.ts).
import { ValidationError } from "../../errors.js";

/** Bad rows listed one by one in a report; the count covers all of them. */
export const MAX_LISTED_BAD_ROWS = 500;
/** Good rows listed one by one in a preview (serial, model, reservation); the count covers all of them. */
export const MAX_LISTED_GOOD_ROWS = 500;

/** One good row of a token file as the preview lists it: never the secret. */
export interface GoodRowView {
  line: number;
  serialNumber: string;
  model: string;
  /** The `upn` that reserves the token for a user, as the file wrote it; null when none. */
  reservedFor: string | null;
}

/**
 * One row of a token file that cannot be imported: its 1-based line (for PSKC, the XML line of its
 * key package), serial number when readable, and why (never the secret).
 */
export interface BadRow {
  line: number;
  serialNumber: string | null;
  reason: string;
}

/**
 * What an import of a token file found or did: the format, counts of rows read, good and bad, the
 * first bad rows and the rows reserved for a user.
 */
export interface ImportReport {
  fileName: string;
  format: string;
  ignoredColumns: string[];
  /** Data rows read (the header not counted). */
  total: number;
  good: number;
  badCount: number;
  /** The first MAX_LISTED_BAD_ROWS bad rows, in file order. */
  bad: BadRow[];
  /** Good rows whose `upn` reserves the token for a user. */
  reserved: number;
  /** The first MAX_LISTED_GOOD_ROWS good rows, in file order. */
  rows: GoodRowView[];
  /** Tokens stored: 0 for a preview. */
  imported: number;
}

/**
 * How to read a token file: its name (for the report and the format guess) and the pre-shared key
 * or password of an encrypted PSKC file (RFC 6030 §6.1, §6.2).
 */
export interface ImportOptions {
  fileName: string;
  /** For a PSKC file encrypted with a pre-shared key (hex). */
  preSharedKey?: string;
  /** For a PSKC file encrypted with a key derived from a password (RFC 6030 section 6.2). */
  password?: string;
}

/**
 * Options of an actual import: the file options plus who imports, for which site's audit log,
 * whether to skip bad rows and the bad-row count the admin confirmed.
 */
export interface CommitOptions extends ImportOptions {
  actor: { id: string | null; name: string };
  /** The site the audit entry belongs to (the Public Site). */
  siteId: string | null;
  /** Import the good rows even though some are bad (the admin confirmed it). */
  skipBad: boolean;
  /** The bad-row count the admin saw and confirmed; a different count now refuses the import. */
  expectedBad?: number;
  /**
   * The import's id (a uuid: the staged upload's), noted on its tokens and audit entry so that
   * `completed` finds it when the same confirm is sent again; a new one when absent.
   */
  importId?: string;
}

/** An import that was done: what `completed` answers for a confirm sent again. */
export interface CompletedImport {
  at: Date;
  fileName: string;
  imported: number;
  skipped: number;
}

/** The import did not happen; the report says why (bad rows not confirmed, or changed since the preview). */
export class ImportRefused extends ValidationError {
  constructor(
    readonly report: ImportReport,
    message: string,
  ) {
    super(message);
  }
}

/** A report with nothing read yet, for `fileName`. */
export function emptyReport(fileName: string): ImportReport {
  return {
    fileName,
    format: "",
    ignoredColumns: [],
    total: 0,
    good: 0,
    badCount: 0,
    bad: [],
    reserved: 0,
    rows: [],
    imported: 0,
  };
}
