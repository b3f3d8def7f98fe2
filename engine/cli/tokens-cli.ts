import { createReadStream, statSync } from "node:fs";
import { basename } from "node:path";
import type { Services } from "../services.js";
import { plural } from "../util/plural.js";
import { ImportFileError } from "../mfa/hardware/csv-formats.js";
import { MAX_PSKC_PASSWORD_CHARS } from "../mfa/hardware/pskc.js";
import { ImportRefused, type ImportReport } from "../mfa/hardware/token-import.js";

/** `formgate tokens import FILE`: the web import's checks and all-or-nothing commit, from a shell. */

export const TOKENS_USAGE = `  tokens import FILE [--dry-run] [--skip-bad] [--psk HEX] [--password PASSWORD]
                                           import hardware tokens from a manufacturer's CSV
                                           or PSKC file; --dry-run only previews, --skip-bad
                                           imports the good rows of a file with bad ones; the
                                           PSKC pre-shared key may also be in FORMGATE_PSKC_KEY,
                                           its password in FORMGATE_PSKC_PASSWORD`;

/**
 * A mistake in a `tokens` CLI command (unknown subcommand, missing file or option): printed as one
 * message.
 */
export class TokensCliError extends Error {}

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
 * TokensCliError on a bad command line and the importer's errors on a file it cannot read.
 */
export async function runTokensCommand(s: Services, args: string[]): Promise<string> {
  const sub = args.shift();
  if (sub !== "import") throw new TokensCliError(`unknown tokens command "${sub ?? ""}"`);
  const take = (name: string) => {
    const i = args.indexOf(name);
    if (i === -1) return false;
    args.splice(i, 1);
    return true;
  };
  const dryRun = take("--dry-run");
  const skipBad = take("--skip-bad");
  const takeValue = (name: string) => {
    const i = args.indexOf(name);
    if (i === -1) return undefined;
    const value = args[i + 1];
    if (!value) throw new TokensCliError(`${name} needs a value`);
    args.splice(i, 2);
    return value;
  };
  const psk = takeValue("--psk") ?? (process.env.FORMGATE_PSKC_KEY || undefined);
  // The environment keeps the password out of the process list; --password is there for scripts that cannot.
  const password = takeValue("--password") ?? (process.env.FORMGATE_PSKC_PASSWORD || undefined);
  if (password && password.length > MAX_PSKC_PASSWORD_CHARS) {
    throw new TokensCliError(`the password is longer than ${MAX_PSKC_PASSWORD_CHARS} characters`);
  }
  const file = args.shift();
  if (!file) throw new TokensCliError("tokens import needs a FILE");
  if (args.length) throw new TokensCliError(`unexpected arguments: ${args.join(" ")}`);
  try {
    if (!statSync(file).isFile()) throw new TokensCliError(`${file} is not a file`);
  } catch (err) {
    if (err instanceof TokensCliError) throw err;
    throw new TokensCliError(`cannot read ${file}`);
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
    if (err instanceof ImportRefused) throw new TokensCliError(`${formatReport(err.report)}\n${err.message}`);
    if (err instanceof ImportFileError) throw new TokensCliError(`${file} cannot be imported: ${err.message}`);
    throw err;
  }
}
