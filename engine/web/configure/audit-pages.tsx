import type { AuditRow } from "../../audit/audit-search.js";
import { Layout, type PageUser } from "../../render/layout.js";

export interface AuditQuery {
  user: string;
  action: string;
}

/** Details as "key: value" pairs; the log never holds secrets, so all of it may be shown. */
function Details({ details }: { details: Record<string, unknown> }) {
  const entries = Object.entries(details);
  if (!entries.length) return null;
  return <>{entries.map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`).join(", ")}</>;
}

export function AuditPage(props: {
  csrfToken: string;
  user: PageUser;
  siteName: string;
  query: AuditQuery;
  actions: string[];
  rows: AuditRow[];
  nextHref: string | null;
  errors?: Record<string, string>;
}) {
  const e = props.errors ?? {};
  return (
    <Layout title="Audit log" csrfToken={props.csrfToken} user={props.user} siteName={props.siteName}>
      <h1>Audit log</h1>
      <p>
        Security-relevant changes on <strong>{props.siteName}</strong>, newest first. Times are UTC.
      </p>
      <form method="get" action="/configure/audit" role="search">
        <fieldset class="grid">
          <label>
            User
            <input
              name="user"
              maxlength={64}
              value={props.query.user}
              placeholder="username (actor or target)"
              aria-invalid={e.user ? "true" : undefined}
            />
            <small class="field-error" id="error-user">
              {e.user ?? ""}
            </small>
          </label>
          <label>
            Action
            <select name="action" aria-invalid={e.action ? "true" : undefined}>
              <option value="">All actions</option>
              {props.actions.map((a) => (
                <option value={a} selected={a === props.query.action}>
                  {a}
                </option>
              ))}
            </select>
            <small class="field-error" id="error-action">
              {e.action ?? ""}
            </small>
          </label>
        </fieldset>
        <button type="submit">Filter</button>
      </form>
      {Object.entries(e)
        .filter(([field]) => field !== "user" && field !== "action")
        .map(([field, message]) => (
          <p class="notice error" role="alert" id={`error-${field}`}>
            {message}
          </p>
        ))}
      {props.rows.length ? (
        <div class="table-scroll" tabindex={0}>
          <table id="audit-entries">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">User</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((r) => (
                <tr>
                  <td>
                    <time datetime={r.at.toISOString()}>{r.at.toISOString().slice(0, 19).replace("T", " ")}</time>
                  </td>
                  <td>{r.actorName}</td>
                  <td>{r.action}</td>
                  <td>{r.targetName ?? ""}</td>
                  <td>
                    <Details details={r.details} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
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
