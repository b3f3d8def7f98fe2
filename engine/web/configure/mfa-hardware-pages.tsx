import { ResetConfirm } from "../../render/reset-confirm.js";
import { CsrfField, Layout, type PageUser } from "../../render/layout.js";
import type { CodeMatch, HardwareToken, TokenPage } from "../../mfa/hardware/registry.js";
import { MAX_PSKC_PASSWORD_CHARS } from "../../mfa/hardware/pskc.js";
import type { ImportReport } from "../../mfa/hardware/token-import.js";
import type { TokenInputValues } from "../../mfa/hardware/token-input.js";

/** Configure > MFA Hardware: the registry list, Register Token, Import Tokens, Find token by code. */

interface Common {
  csrfToken: string;
  user: PageUser;
  siteName?: string;
}

const BASE = "/configure/mfa-hardware";

function formatDate(d: Date): string {
  return d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

/**
 * A token's state in words for the list: available, reserved for a user, assigned to a user on a
 * site, or disabled.
 */
export function tokenStatus(t: HardwareToken): string {
  switch (t.state.kind) {
    case "assigned":
      return `assigned to ${t.state.username} on ${t.state.siteName}`;
    case "reserved":
      return `available, reserved for ${t.state.username}`;
    case "disabled":
      return "disabled";
    default:
      return "available";
  }
}

function SubNav() {
  return (
    <nav aria-label="MFA Hardware">
      <ul>
        <li>
          <a href={BASE}>Tokens</a>
        </li>
        <li>
          <a href={`${BASE}/register`}>Register token</a>
        </li>
        <li>
          <a href={`${BASE}/import`}>Import tokens</a>
        </li>
        <li>
          <a href={`${BASE}/find`}>Find token by code</a>
        </li>
      </ul>
    </nav>
  );
}

function ActionButton(props: { csrfToken: string; action: string; label: string; confirm?: string; danger?: boolean }) {
  return (
    <form method="post" action={props.action} class="inline">
      <CsrfField token={props.csrfToken} />
      <button
        type="submit"
        class={props.danger ? "secondary outline" : "outline"}
        data-confirm={props.confirm}
        hx-confirm={props.confirm}
      >
        {props.label}
      </button>
    </form>
  );
}

/** The table and its paging: the whole page's body, and the fragment active search swaps in. */
export function TokenTable(props: { csrfToken: string; page: TokenPage; q: string }) {
  const { tokens, nextAfter } = props.page;
  return (
    <div id="token-list">
      {tokens.length === 0 ? (
        <p>{props.q ? `No token matches "${props.q}".` : "No tokens are registered yet."}</p>
      ) : (
        <div class="table-scroll" tabindex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Serial number</th>
                <th scope="col">Model</th>
                <th scope="col">Time interval</th>
                <th scope="col">Status</th>
                <th scope="col">Assigned since</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr id={`token-${t.id}`}>
                  <td>{t.name}</td>
                  <td>
                    <code>{t.serialNumber}</code>
                  </td>
                  <td>{t.model}</td>
                  <td>{t.periodInSeconds} s</td>
                  <td class="token-status">{tokenStatus(t)}</td>
                  <td>{t.state.kind === "assigned" ? formatDate(t.state.since) : ""}</td>
                  <td>
                    {t.state.kind === "assigned" ? (
                      <ActionButton
                        csrfToken={props.csrfToken}
                        action={`${BASE}/${t.id}/unassign`}
                        label="Unassign"
                        danger
                      />
                    ) : (
                      <>
                        {t.disabled ? (
                          <ActionButton csrfToken={props.csrfToken} action={`${BASE}/${t.id}/enable`} label="Enable" />
                        ) : (
                          <ActionButton
                            csrfToken={props.csrfToken}
                            action={`${BASE}/${t.id}/disable`}
                            label="Disable"
                          />
                        )}
                        <ActionButton
                          csrfToken={props.csrfToken}
                          action={`${BASE}/${t.id}/delete`}
                          label="Delete"
                          confirm={`Delete token ${t.serialNumber}? Its key is deleted with it.`}
                          danger
                        />
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {nextAfter ? (
        <p>
          <a
            href={`${BASE}?${new URLSearchParams({ ...(props.q ? { q: props.q } : {}), after: nextAfter })}`}
            rel="next"
          >
            Next page
          </a>
        </p>
      ) : null}
    </div>
  );
}

/**
 * Configure > MFA Hardware: the token pool with counts, a search by serial number or user, one page
 * of tokens with their actions, and a notice after an action.
 */
export function TokenListPage(
  props: Common & {
    page: TokenPage;
    q: string;
    counts: { total: number; assigned: number; disabled: number };
    notice?: string;
  },
) {
  return (
    <Layout title="MFA Hardware" csrfToken={props.csrfToken} user={props.user} siteName={props.siteName}>
      <h1>MFA Hardware</h1>
      <SubNav />
      {props.notice ? (
        <p role="status" class="notice">
          {props.notice}
        </p>
      ) : null}
      <p>
        {props.counts.total} tokens: {props.counts.assigned} assigned, {props.counts.disabled} disabled.
      </p>
      <form method="get" action={BASE} role="search">
        <input
          type="search"
          name="q"
          value={props.q}
          placeholder="Search serial number, name, model or user"
          aria-label="Search tokens"
          hx-get={BASE}
          hx-trigger="input changed delay:300ms, keyup[key=='Enter']"
          hx-target="#token-list"
          hx-swap="outerHTML"
          hx-push-url="true"
        />
      </form>
      <TokenTable csrfToken={props.csrfToken} page={props.page} q={props.q} />
    </Layout>
  );
}

function Field(props: {
  name: keyof TokenInputValues;
  label: string;
  errors: Record<string, string>;
  help?: string;
  children: unknown;
}) {
  const error = props.errors[props.name];
  return (
    <label>
      {props.label}
      {props.children}
      {props.help ? <small>{props.help}</small> : null}
      <small class="field-error" id={`error-${props.name}`}>
        {error ? `${props.label} ${error}.` : ""}
      </small>
    </label>
  );
}

/**
 * The form registering one hardware token (serial, name, model, secret key in Base32 or hex,
 * digits, algorithm, time step), with an error beside each field; the secret is never echoed back.
 */
export function RegisterPage(props: Common & { values?: TokenInputValues; errors?: Record<string, string> }) {
  const v = props.values ?? {};
  const e = props.errors ?? {};
  const invalid = (k: string) => (e[k] ? "true" : undefined);
  return (
    <Layout title="Register token" csrfToken={props.csrfToken} user={props.user} siteName={props.siteName}>
      <h1>Register token</h1>
      <SubNav />
      <form method="post" action={`${BASE}/register`}>
        <CsrfField token={props.csrfToken} />
        <Field
          name="name"
          label="Name"
          errors={e}
          help="Shown to the user when they pick a token; the serial number if empty."
        >
          <input name="name" maxlength={200} value={v.name ?? ""} aria-invalid={invalid("name")} />
        </Field>
        <Field name="serialNumber" label="Serial number" errors={e}>
          <input
            name="serialNumber"
            required
            maxlength={64}
            value={v.serialNumber ?? ""}
            aria-invalid={invalid("serialNumber")}
          />
        </Field>
        <Field name="timeInterval" label="Time interval" errors={e}>
          <select name="timeInterval" aria-invalid={invalid("timeInterval")}>
            {["30", "60"].map((s) => (
              <option value={s} selected={String(v.timeInterval ?? "30") === s}>
                {s} seconds
              </option>
            ))}
          </select>
        </Field>
        <Field name="model" label="Model" errors={e}>
          <input name="model" maxlength={200} value={v.model ?? ""} aria-invalid={invalid("model")} />
        </Field>
        <Field
          name="secretKey"
          label="Secret key"
          errors={e}
          help="Base32 or hex, as the manufacturer supplied it. It is stored encrypted and never shown again."
        >
          <input
            name="secretKey"
            type="password"
            required
            autocomplete="off"
            maxlength={256}
            aria-invalid={invalid("secretKey")}
          />
        </Field>
        <Field name="digits" label="Digits" errors={e}>
          <select name="digits" aria-invalid={invalid("digits")}>
            {["6", "8"].map((d) => (
              <option value={d} selected={String(v.digits ?? "6") === d}>
                {d}
              </option>
            ))}
          </select>
        </Field>
        <Field name="algorithm" label="Algorithm" errors={e}>
          <select name="algorithm" aria-invalid={invalid("algorithm")}>
            {["SHA1", "SHA256", "SHA512"].map((a) => (
              <option value={a} selected={(v.algorithm ?? "SHA1") === a}>
                {a}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit">Register token</button>
      </form>
    </Layout>
  );
}

/**
 * Confirms a registered token, saying how its secret key was read (Base32 or hex, byte count)
 * without showing it.
 */
export function RegisteredPage(props: Common & { token: HardwareToken; encoding: "base32" | "hex"; keyBytes: number }) {
  return (
    <Layout title="Token registered" csrfToken={props.csrfToken} user={props.user} siteName={props.siteName}>
      <h1>Token registered</h1>
      <p role="status">
        Token <code>{props.token.serialNumber}</code> ({props.token.name}) is registered and available. The secret key
        was read as <strong id="detected-encoding">{props.encoding === "hex" ? "hex" : "Base32"}</strong> (
        {props.keyBytes} bytes); it is stored encrypted and will not be shown again.
      </p>
      <p>
        <a href={`${BASE}/register`}>Register another token</a> · <a href={BASE}>Back to the tokens</a>
      </p>
    </Layout>
  );
}

/**
 * The upload form of a token file (CSV, or PSKC per RFC 6030 with optional pre-shared key or
 * password), explaining the accepted layouts.
 */
export function ImportPage(props: Common & { error?: string }) {
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
        <label>
          Token file
          <input type="file" name="file" required accept=".csv,.txt,.xml,.pskc,text/csv,application/xml" />
          <small class="field-error" id="error-file">
            {props.error ?? ""}
          </small>
        </label>
        <label>
          Pre-shared key (PSKC files with encrypted keys only)
          <input name="preSharedKey" type="password" autocomplete="off" maxlength={100} />
          <small>Hex, as the manufacturer sent it separately from the file.</small>
        </label>
        <label>
          Password (PSKC files protected by a password only)
          <input name="password" type="password" autocomplete="off" maxlength={MAX_PSKC_PASSWORD_CHARS} />
          <small>As the manufacturer sent it separately from the file.</small>
        </label>
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
        {report.total} rows: <strong>{report.good} good</strong>, <strong>{report.badCount} bad</strong>
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
                  <td>{b.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {report.badCount > report.bad.length ? <p>… and {report.badCount - report.bad.length} more bad rows.</p> : null}
    </>
  );
}

/**
 * The preview of a staged token file: the report, and buttons to import (skipping bad rows once
 * confirmed) or cancel.
 */
export function PreviewPage(props: Common & { report: ImportReport; uploadId: string; message?: string }) {
  const { report } = props;
  return (
    <Layout title="Import preview" csrfToken={props.csrfToken} user={props.user} siteName={props.siteName}>
      <h1>Import preview</h1>
      {props.message ? (
        <p role="alert" class="field-error">
          {props.message}
        </p>
      ) : null}
      <ReportSummary report={report} />
      {report.good > 0 ? (
        <form method="post" action={`${BASE}/import/${props.uploadId}`}>
          <CsrfField token={props.csrfToken} />
          <input type="hidden" name="expectedBad" value={String(report.badCount)} />
          {report.badCount > 0 ? (
            <label>
              <input type="checkbox" name="skipBad" value="yes" required />
              Skip the {report.badCount} bad rows and import the {report.good} good ones
            </label>
          ) : null}
          <button type="submit">Import {report.good} tokens</button>
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

/** The result of an import: how many tokens were stored and how many bad rows skipped. */
export function ImportedPage(props: Common & { report: ImportReport }) {
  return (
    <Layout title="Tokens imported" csrfToken={props.csrfToken} user={props.user} siteName={props.siteName}>
      <h1>Tokens imported</h1>
      <p role="status">
        Imported {props.report.imported} tokens from {props.report.fileName}
        {props.report.badCount ? `; skipped ${props.report.badCount} bad rows` : ""}. Their keys are stored encrypted.
      </p>
      <p>
        <a href={BASE}>Back to the tokens</a>
      </p>
    </Layout>
  );
}

/**
 * Finds which registered hardware token shows a given code now, listing the matches and their clock
 * drift.
 */
export function FindPage(props: Common & { code?: string; error?: string; matches?: CodeMatch[] }) {
  return (
    <Layout title="Find token by code" csrfToken={props.csrfToken} user={props.user} siteName={props.siteName}>
      <h1>Find token by code</h1>
      <SubNav />
      <p>Type the code a token shows now to learn which registered token it is.</p>
      <form method="get" action={`${BASE}/find`}>
        <label>
          Code
          <input
            name="code"
            inputmode="numeric"
            autocomplete="off"
            pattern="[0-9 ]{6,9}"
            value={props.code ?? ""}
            aria-invalid={props.error ? "true" : undefined}
          />
          <small class="field-error" id="error-code">
            {props.error ?? ""}
          </small>
        </label>
        <button type="submit">Find</button>
      </form>
      {props.matches ? (
        props.matches.length === 0 ? (
          <p id="find-result">No registered token shows this code now.</p>
        ) : (
          <ul id="find-result">
            {props.matches.map((m) => (
              <li>
                <code>{m.token.serialNumber}</code> ({m.token.name}) — {tokenStatus(m.token)}
                {m.offsetSteps ? `; its clock is ${m.offsetSteps} step(s) off` : ""}
              </li>
            ))}
          </ul>
        )
      ) : null}
    </Layout>
  );
}

/**
 * The answer to Unassign for a user whose MFA is activated: what unassigning ends (the token back
 * to the pool, the user's MFA reset, their web sessions and device tokens), a Confirm POST form
 * (confirm=mfa-reset) and Cancel back to the token.
 */
export function UnassignConfirmPage(
  props: Common & { serialNumber: string; username: string; action: string; consequences: string[] },
) {
  return (
    <Layout
      title={`Unassign token ${props.serialNumber}?`}
      csrfToken={props.csrfToken}
      user={props.user}
      siteName={props.siteName}
    >
      <h1>Unassign token {props.serialNumber}?</h1>
      <ResetConfirm
        csrfToken={props.csrfToken}
        username={props.username}
        action={props.action}
        fields={[]}
        consequences={[
          ...props.consequences,
          `The multi-factor authentication (MFA) of ${props.username} is reset: they set it up again at their next sign-in.`,
        ]}
        cancelUrl={`${BASE}?${new URLSearchParams({ q: props.serialNumber })}`}
        inDialog={false}
        droppedPassword={false}
        lead={`Unassigning token ${props.serialNumber} resets the multi-factor authentication (MFA) of ${props.username}.`}
      />
    </Layout>
  );
}
