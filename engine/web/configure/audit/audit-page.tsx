import type { AuditRow } from "../../../audit/audit-search.js";
import { auditSentence, changeLines } from "../../../audit/audit-words.js";
import { FormField, InputField } from "../../../render/form-field.js";
import { Layout, type PageUser } from "../../../render/layout.js";

/** The audit page's filters as typed (dates as YYYY-MM-DD; "" when not set). */
export interface AuditQuery {
  user: string;
  action: string;
  from: string;
  to: string;
}

/** "2026-11-30 02:40 UTC": when, in the log's one time zone. */
const when = (d: Date) => `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;

/**
 * The audit log: filters (user, action, from, to), one line per entry (who, what, whom, when; a
 * save's changed fields below it as before → after), paging and the CSV export of the same filter.
 */
export function AuditPage(props: {
  csrfToken: string;
  user: PageUser;
  siteName: string;
  query: AuditQuery;
  actions: string[];
  rows: AuditRow[];
  nextHref: string | null;
  exportHref: string | null;
  errors?: Record<string, string>;
}) {
  const e = props.errors ?? {};
  return (
    <Layout title="Audit log" csrfToken={props.csrfToken} user={props.user} siteName={props.siteName}>
      <h1>Audit log</h1>
      <p>
        Security-relevant changes on <strong>{props.siteName}</strong>, newest first. Times are UTC.
      </p>
      <form method="get" action="/configure/audit" class="audit-filters" aria-label="Filter the audit log">
        <InputField
          id="audit-user"
          slot="user"
          name="user"
          label="User"
          help="A username: who acted, or whose account it was."
          value={props.query.user}
          error={e.user}
          attrs={{ maxlength: 64 }}
        />
        <FormField
          id="audit-action"
          slot="action"
          label="Action"
          error={e.action}
          control={(a) => (
            <select {...a} name="action">
              <option value="">All actions</option>
              {props.actions.map((x) => (
                <option value={x} selected={x === props.query.action}>
                  {x}
                </option>
              ))}
            </select>
          )}
        />
        <InputField
          id="audit-from"
          slot="from"
          name="from"
          type="date"
          label="From"
          value={props.query.from}
          error={e.from}
        />
        <InputField id="audit-to" slot="to" name="to" type="date" label="To" value={props.query.to} error={e.to} />
        <div class="filter-actions">
          <button type="submit">Filter</button>
        </div>
      </form>
      {Object.entries(e)
        .filter(([field]) => !["user", "action", "from", "to"].includes(field))
        .map(([field, message]) => (
          <p class="notice error" role="alert" id={`err-${field}`}>
            {message}
          </p>
        ))}
      {props.exportHref ? (
        <p>
          <a href={props.exportHref} download id="audit-export">
            Export these entries as CSV
          </a>
        </p>
      ) : null}
      {props.rows.length ? (
        <ol id="audit-entries" class="audit-entries">
          {props.rows.map((r) => {
            const changes = changeLines(r.details);
            return (
              <li data-action={r.action}>
                <span class="audit-line">
                  {auditSentence(r)} — <time datetime={r.at.toISOString()}>{when(r.at)}</time>
                </span>
                {changes.length ? (
                  <ul class="audit-changes">
                    {changes.map((line) => (
                      <li>{line}</li>
                    ))}
                  </ul>
                ) : null}
              </li>
            );
          })}
        </ol>
      ) : (
        <p id="audit-empty">No entries match.</p>
      )}
      {props.nextHref ? (
        <p>
          <a href={props.nextHref} rel="next">
            Older entries
          </a>
        </p>
      ) : null}
    </Layout>
  );
}
