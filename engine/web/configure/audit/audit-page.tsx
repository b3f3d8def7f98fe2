import type { AuditRow } from "../../../audit/audit-search.js";
import { changeLines, whatHappened } from "../../../audit/audit-words.js";
import { isoMinuteIn } from "../../../util/zoned-dates.js";
import { FormField, InputField } from "../../../render/form-field.js";
import { Layout, type PageUser } from "../../../render/layout.js";

/** The audit page's filters as typed (dates as YYYY-MM-DD; "" when not set). */
export interface AuditQuery {
  user: string;
  /** "actor" (who), "target" (whom) or "" (either). */
  role: "" | "actor" | "target";
  action: string;
  /** "web", "device" or "" (any). */
  surface: "" | "web" | "device";
  from: string;
  to: string;
}

/** A username as a link to the account's dialog while the account exists (`id` non-null), else as text. */
function UserCell(props: { id: string | null; name: string | null }) {
  if (!props.name) return <span>—</span>;
  return props.id ? <a href={`/configure/users/${props.id}`}>{props.name}</a> : <span>{props.name}</span>;
}

/** Where an entry happened, for the details column: "web, 203.0.113.5" (sign-in entries record both). */
function whereOf(d: Record<string, unknown>): string | null {
  const surface = d.surface === "device" ? "device API" : d.surface === "web" ? "web" : null;
  const address = typeof d.address === "string" ? d.address : null;
  return surface || address ? [surface, address].filter(Boolean).join(", ") : null;
}

/**
 * The audit log as a table (time, who, action, whom, details; usernames link to the account while
 * it exists), filters (user as who or whom, action, surface, from, to), paging and the CSV export
 * of the same filter.
 */
export function AuditPage(props: {
  csrfToken: string;
  user: PageUser;
  siteName: string;
  /** The site's IANA time zone: times, deadlines and the date filters are in it. */
  timeZone: string;
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
        Security-relevant changes on <strong>{props.siteName}</strong>, newest first. Times are in the site's time zone,{" "}
        {props.timeZone}.
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
          id="audit-role"
          slot="role"
          label="As"
          error={e.role}
          control={(a) => (
            <select {...a} name="role">
              <option value="">Who or whom</option>
              <option value="actor" selected={props.query.role === "actor"}>
                Who acted
              </option>
              <option value="target" selected={props.query.role === "target"}>
                Whom it concerned
              </option>
            </select>
          )}
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
        <FormField
          id="audit-surface"
          slot="surface"
          label="Surface"
          error={e.surface}
          control={(a) => (
            <select {...a} name="surface">
              <option value="">Any</option>
              <option value="web" selected={props.query.surface === "web"}>
                Web
              </option>
              <option value="device" selected={props.query.surface === "device"}>
                Device API
              </option>
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
        .filter(([field]) => !["user", "role", "action", "surface", "from", "to"].includes(field))
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
        <div class="table-scroll">
          <table id="audit-entries" class="audit-table">
            <caption class="visually-hidden">Audit entries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Whom</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((r) => {
                const changes = changeLines(r.details);
                const where = whereOf(r.details);
                return (
                  <tr data-action={r.action}>
                    <td>
                      <time datetime={r.at.toISOString()}>{isoMinuteIn(r.at, props.timeZone)}</time>
                    </td>
                    <td>
                      <UserCell id={r.actorId} name={r.actorName} />
                    </td>
                    <td>
                      <code>{r.action}</code>
                    </td>
                    <td>
                      <UserCell id={r.targetId} name={r.targetName} />
                    </td>
                    <td>
                      <span class="audit-line">{`${r.actorName} ${whatHappened(r, props.timeZone)}`}</span>
                      {where && !/sign_in\./.test(r.action) ? <span class="audit-where"> ({where})</span> : null}
                      {changes.length ? (
                        <ul class="audit-changes">
                          {changes.map((line) => (
                            <li>{line}</li>
                          ))}
                        </ul>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
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
