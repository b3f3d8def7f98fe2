import { InputField } from "../../../render/form-field.js";
import { plural } from "../../../util/plural.js";
import { CsrfField, Layout } from "../../../render/layout.js";
import { MAX_PSKC_PASSWORD_CHARS } from "../../../mfa/hardware/pskc.js";
import type { ImportReport } from "../../../mfa/hardware/import-report.js";
import { BASE, SubNav, type HardwarePageCommon } from "./token-list-pages.js";

// Configure > MFA Hardware > Import tokens: the upload form, the preview of a staged file and the
// result.

/**
 * The upload form of a token file (CSV, or PSKC per RFC 6030 with optional pre-shared key or
 * password), explaining the accepted layouts.
 */
export function ImportPage(props: HardwarePageCommon & { error?: string }) {
  return (
    <Layout title="Import tokens" csrfToken={props.csrfToken} user={props.user} siteName={props.siteName}>
      <h1>Import tokens</h1>
      <SubNav />
      <p>
        Upload the token file from the manufacturer: CSV with a header (for example{" "}
        <code>upn,serial number,secret key,time interval,manufacturer,model</code> with Base32 keys, or{" "}
        <code>serial, seed, type, digits, time step</code> with hex seeds), privacyIDEA's OATH CSV without a header (
        <code>serial, hex seed, TOTP, 6 or 8, time step</code>), or PSKC (RFC 6030) XML. You will see a preview before
        anything is stored.
      </p>
      <form method="post" action={`${BASE}/import`} enctype="multipart/form-data">
        <CsrfField token={props.csrfToken} />
        <InputField
          id="file"
          name="file"
          type="file"
          label="Token file"
          required
          error={props.error}
          attrs={{ accept: ".csv,.txt,.xml,.pskc,text/csv,application/xml" }}
        />
        <InputField
          id="preSharedKey"
          name="preSharedKey"
          type="password"
          label="Pre-shared key (PSKC files with encrypted keys only)"
          autocomplete="off"
          help="Hex, as the manufacturer sent it separately from the file."
          attrs={{ maxlength: 100 }}
        />
        <InputField
          id="password"
          name="password"
          type="password"
          label="Password (PSKC files protected by a password only)"
          autocomplete="off"
          help="As the manufacturer sent it separately from the file."
          attrs={{ maxlength: MAX_PSKC_PASSWORD_CHARS }}
        />
        <button type="submit">Preview import</button>
      </form>
    </Layout>
  );
}

/**
 * An import report for people: file and format, ignored columns, counts of good, bad and reserved
 * rows and the bad rows with their reasons.
 */
export function ReportSummary({ report }: { report: ImportReport }) {
  return (
    <>
      <p>
        File <strong>{report.fileName}</strong>: {report.format}.
        {report.ignoredColumns.length ? ` Ignored columns: ${report.ignoredColumns.join(", ")}.` : ""}
      </p>
      <p id="import-counts">
        {plural(report.total, "row")}: <strong>{report.good} good</strong>, <strong>{report.badCount} bad</strong>
        {report.reserved ? `; ${report.reserved} reserved for a user by the file` : ""}.
      </p>
      {report.bad.length ? (
        <div class="table-scroll" tabindex={0}>
          <table id="bad-rows">
            <thead>
              <tr>
                <th scope="col">Line</th>
                <th scope="col">Serial number</th>
                <th scope="col">Problem</th>
              </tr>
            </thead>
            <tbody>
              {report.bad.map((b) => (
                <tr>
                  <td>{b.line}</td>
                  <td>{b.serialNumber ?? ""}</td>
                  <td class="full-text">{b.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {report.badCount > report.bad.length ? (
        <p>… and {plural(report.badCount - report.bad.length, "more bad row")}.</p>
      ) : null}
    </>
  );
}

/** The good rows of a preview: each token's line, serial number, model and whom the file reserves it for. */
function GoodRows({ report }: { report: ImportReport }) {
  if (!report.rows.length) return null;
  return (
    <>
      <div class="table-scroll" tabindex={0}>
        <table id="good-rows">
          <caption>Tokens to import</caption>
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col">Serial number</th>
              <th scope="col">Model</th>
              <th scope="col">Reserved for</th>
            </tr>
          </thead>
          <tbody>
            {report.rows.map((r) => (
              <tr>
                <td>{r.line}</td>
                <td>
                  <code>{r.serialNumber}</code>
                </td>
                <td title={r.model.length > 24 ? r.model : undefined}>{r.model}</td>
                <td>{r.reservedFor ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {report.good > report.rows.length ? <p>… and {plural(report.good - report.rows.length, "more token")}.</p> : null}
    </>
  );
}

/**
 * The preview of a staged token file: the report, and buttons to import (skipping bad rows once
 * confirmed) or cancel.
 */
export function PreviewPage(props: HardwarePageCommon & { report: ImportReport; uploadId: string; message?: string }) {
  const { report } = props;
  return (
    <Layout title="Import preview" csrfToken={props.csrfToken} user={props.user} siteName={props.siteName}>
      <h1>Import preview</h1>
      {props.message ? (
        <p role="alert" class="notice error">
          {props.message}
        </p>
      ) : null}
      <ReportSummary report={report} />
      <GoodRows report={report} />
      {report.good > 0 ? (
        <form method="post" action={`${BASE}/import/${props.uploadId}`}>
          <CsrfField token={props.csrfToken} />
          <input type="hidden" name="expectedBad" value={String(report.badCount)} />
          {report.badCount > 0 ? (
            <label>
              <input type="checkbox" name="skipBad" value="yes" required />
              {report.badCount === 1 ? "Skip the bad row" : `Skip the ${report.badCount} bad rows`} and import{" "}
              {report.good === 1 ? "the good one" : `the ${report.good} good ones`}
            </label>
          ) : null}
          <button type="submit">Import {plural(report.good, "token")}</button>
        </form>
      ) : (
        <p>There is nothing to import. Fix the file and upload it again.</p>
      )}
      <form method="post" action={`${BASE}/import/${props.uploadId}/cancel`}>
        <CsrfField token={props.csrfToken} />
        <button type="submit" class="secondary outline">
          Cancel
        </button>
      </form>
    </Layout>
  );
}

/**
 * The one-time message after an import: how many tokens from which file, the bad rows skipped.
 * `doneAt` (the time in the site's zone) for a confirm sent again after the import was done.
 */
export function importedMessage(
  done: { fileName: string; imported: number; skipped: number },
  doneAt: string | null,
): string {
  const what = `${plural(done.imported, "token")} from ${done.fileName}${done.skipped ? `; skipped ${plural(done.skipped, "bad row")}` : ""}`;
  if (doneAt !== null)
    return `This import was already done at ${doneAt}: imported ${what}. Nothing was imported again.`;
  return `Imported ${what}. ${done.imported === 1 ? "Its key is" : "Their keys are"} stored encrypted.`;
}
