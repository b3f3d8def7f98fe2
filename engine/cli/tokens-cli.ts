import { createReadStream, statSync } from "node:fs";
import { basename } from "node:path";
import type { Services } from "../services.js";
import { plural } from "../util/plural.js";
import { ImportFileError } from "../mfa/hardware/csv-formats.js";
import { MAX_PSKC_PASSWORD_CHARS } from "../mfa/hardware/pskc.js";
import { ImportRefused, type ImportReport } from "../mfa/hardware/import-report.js";
import { CliError, HELP_OPTION, readArgs } from "./cli-args.js";

/** `formgate tokens import FILE`: the web import's checks and all-or-nothing commit, from a shell. */

export const TOKENS_USAGE = `  tokens import FILE [--dry-run] [--skip-bad] [--psk HEX] [--password PASSWORD]
                                           import hardware tokens from a manufacturer's CSV
                                           or PSKC file; --dry-run only previews, --skip-bad
                                           imports the good rows of a file with bad ones; the
                                           PSKC pre-shared key may also be in FORMGATE_PSKC_KEY,
                                           its password in FORMGATE_PSKC_PASSWORD`;

/** The options of `tokens import`. */
const IMPORT_OPTIONS = {
  ...HELP_OPTION,
  "dry-run": { type: "boolean" },
  "skip-bad": { type: "boolean" },
  psk: { type: "string" },
  password: { type: "string" },
} as const;

/**
 * A hardware-token import report as text: format found, ignored columns, counts of
 * good/bad/reserved rows and the first bad rows with their line numbers (never a secret).
 */
export function formatReport(r: ImportReport): string {
  const lines = [
    `${r.fileName}: ${r.format}`,
    ...(r.ignoredColumns.length ? [`ignored columns: ${r.ignoredColumns.join(", ")}`] : []),
    `${plural(r.total, "row")}: ${r.good} good, ${r.badCount} bad${r.reserved ? `, ${r.reserved} reserved for a user` : ""}`,
    ...r.bad.map((b) => `  line ${b.line}${b.serialNumber ? ` (${b.serialNumber})` : ""}: ${b.reason}`),
  ];
  if (r.badCount > r.bad.length) lines.push(`  … and ${plural(r.badCount - r.bad.length, "more bad row")}`);
  return lines.join("\n");
}

/**
 * Runs `tokens import FILE [--dry-run] [--skip-bad] …` and returns the report text; throws
 * CliError on a bad command line and the importer's errors on a file it cannot read.
 */
export async function runTokensCommand(s: Services, args: readonly string[]): Promise<string> {
  const { values, positionals } = readArgs(args, IMPORT_OPTIONS, TOKENS_USAGE);
  const [sub, file, ...extra] = positionals;
  if (sub !== "import") throw new CliError(`unknown tokens command "${sub ?? ""}"`, TOKENS_USAGE);
  const dryRun = values["dry-run"] === true;
  const skipBad = values["skip-bad"] === true;
  const psk = values.psk ?? (process.env.FORMGATE_PSKC_KEY || undefined);
  // The environment keeps the password out of the process list; --password is there for scripts that cannot.
  const password = values.password ?? (process.env.FORMGATE_PSKC_PASSWORD || undefined);
  if (password && password.length > MAX_PSKC_PASSWORD_CHARS) {
    throw new CliError(`the password is longer than ${MAX_PSKC_PASSWORD_CHARS} characters`);
  }
  if (!file) throw new CliError("tokens import needs a FILE", TOKENS_USAGE);
  if (extra.length) throw new CliError(`unexpected arguments: ${extra.join(" ")}`);
  try {
    if (!statSync(file).isFile()) throw new CliError(`${file} is not a file`);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot read ${file}`);
  }
  const options = { fileName: basename(file), preSharedKey: psk, password };
  // Streamed: a file of any size is read in chunks, never whole (CSV).
  const open = () => createReadStream(file, { highWaterMark: 256 * 1024 });
  try {
    if (dryRun)
      return `${formatReport(await s.hardware.importer.preview(open(), options))}\nnothing imported (dry run)`;
    const report = await s.hardware.importer.commit(open(), {
      ...options,
      actor: { id: null, name: "cli" },
      siteId: (await s.sites.publicSite()).id,
      skipBad,
    });
    return `${formatReport(report)}\nimported ${plural(report.imported, "token")}${report.badCount ? `, skipped ${plural(report.badCount, "bad row")}` : ""}`;
  } catch (err) {
    if (err instanceof ImportRefused) throw new CliError(`${formatReport(err.report)}\n${err.message}`);
    if (err instanceof ImportFileError) throw new CliError(`${file} cannot be imported: ${err.message}`);
    throw err;
  }
}
