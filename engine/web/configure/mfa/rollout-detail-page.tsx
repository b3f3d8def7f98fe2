/**
 * Each rollout's own progress (issue 22): the list on Configure > MFA, and GET
 * /configure/mfa/rollouts/:id with its users not set up yet, "Remind everyone pending" of this
 * rollout and "Extend the deadline" (preview, then Confirm).
 */
import { ErrorSummary } from "../../../render/error-summary.js";
import { CsrfField, Layout } from "../../../render/layout.js";
import { InputField } from "../../../render/form-field.js";
import type { ExtensionPlan, RolloutSummary, RolloutWaitingUser } from "../../../mfa/rollout-progress.js";
import { day, MfaNav, pct, when, type MfaFrame } from "./mfa-frame.js";
import { plural } from "../../../util/plural.js";

const href = (r: { id: string }) => `/configure/mfa/rollouts/${r.id}`;

/** "activated of switched on" cells shared by the list and the page. */
function ProgressCells({ r }: { r: RolloutSummary }) {
  const of = r.activated + r.pending + r.overdue;
  return (
    <>
      <td data-count="activated">
        {r.activated} ({pct(r.activated, of)})
      </td>
      <td data-count="pending">{r.pending}</td>
      <td data-count="overdue">{r.overdue}</td>
    </>
  );
}

/** The newest rollouts on the progress page, each linking to its own progress. */
export function RolloutList({ rows, frame }: { rows: RolloutSummary[]; frame: { timeZone?: string } }) {
  if (!rows.length) return null;
  return (
    <section aria-labelledby="rollouts-title">
      <h2 id="rollouts-title">Rollouts</h2>
      <p>Progress of the users each rollout switched on or gave its deadline (newest first).</p>
      <div class="table-scroll">
        <table class="rollouts">
          <thead>
            <tr>
              <th scope="col">Rollout</th>
              <th scope="col">Started</th>
              <th scope="col">By</th>
              <th scope="col">Deadline</th>
              <th scope="col">Active</th>
              <th scope="col">Pending</th>
              <th scope="col">Overdue</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr data-rollout={r.id}>
                <th scope="row">
                  <a href={href(r)}>{r.name}</a>
                </th>
                <td>{day(r.startedAt, frame)}</td>
                <td>{r.actorName}</td>
                <td>{when(r.requiredFrom, frame)}</td>
                <ProgressCells r={r} />
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** GET /configure/mfa/rollouts/:id; with `extension` the preview of "Extend the deadline" and its Confirm. */
export function RolloutDetailPage(props: {
  frame: MfaFrame;
  rollout: RolloutSummary;
  waiting: { users: RolloutWaitingUser[]; total: number };
  /** The site the administrator works on: its users link to their record. */
  activeSiteId: string;
  days: string;
  errors: Record<string, string>;
  extension?: ExtensionPlan;
  /** Why Confirm showed the preview again. */
  changed?: string;
}) {
  const { frame, rollout: r, waiting } = props;
  const action = `${href(r)}/extend`;
  return (
    <Layout title={`Rollout: ${r.name}`} csrfToken={frame.csrfToken} user={frame.user} siteName={frame.siteName}>
      <nav aria-label="Breadcrumb">
        <ul>
          <li>
            <a href="/configure/mfa">MFA</a>
          </li>
          <li>{r.name}</li>
        </ul>
      </nav>
      <h1>{r.name}</h1>
      <MfaNav current="progress" />
      <p>
        Started {day(r.startedAt, props.frame)} by {r.actorName}
        {r.finishedAt ? "" : " (stopped before its last batch)"}: {plural(r.enabledCount, "user")} switched on
        {r.movedCount ? `, ${plural(r.movedCount, "deadline")} moved` : ""}, setup required from{" "}
        {when(r.requiredFrom, props.frame)} ({plural(r.enforcementDelayDays, "day")}).
      </p>
      <div class="table-scroll">
        <table class="rollout-progress">
          <thead>
            <tr>
              <th scope="col">Active</th>
              <th scope="col">Pending</th>
              <th scope="col">Overdue</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <ProgressCells r={r} />
            </tr>
          </tbody>
        </table>
      </div>
      {r.pending + r.overdue ? (
        <>
          <form method="post" action={`${href(r)}/remind`} aria-label="Remind everyone pending of this rollout">
            <CsrfField token={frame.csrfToken} />
            <p>
              {plural(r.pending + r.overdue, "user")} of this rollout {r.pending + r.overdue === 1 ? "has" : "have"} not
              set up MFA yet.{" "}
              <button type="submit" class="secondary">
                Remind everyone pending
              </button>
            </p>
          </form>
          <h2 id="extend-title">Extend the deadline</h2>
          {props.changed ? <p role="alert">{props.changed}</p> : null}
          <ErrorSummary errors={props.errors} labels={{ days: "Days" }} fallback="field-days" />
          <form method="post" action={action} aria-labelledby="extend-title">
            <CsrfField token={frame.csrfToken} />
            <InputField
              id="field-days"
              slot="days"
              label="New deadline: days from today"
              name="days"
              type="number"
              required
              value={props.days}
              error={props.errors.days}
              help="Users of this rollout who have not set up MFA get this deadline if it is later than theirs; nobody's deadline is shortened."
              attrs={{ min: 1, max: 3650 }}
            />
            <button type="submit" class="secondary">
              Preview
            </button>
          </form>
          {props.extension && props.extension.toExtend ? (
            <form method="post" action={action} aria-label="Confirm the new deadline">
              <CsrfField token={frame.csrfToken} />
              <input type="hidden" name="days" value={props.days} />
              <input type="hidden" name="expect" value={String(props.extension.toExtend)} />
              <p data-count="toExtend">
                {plural(props.extension.toExtend, "user")} {props.extension.toExtend === 1 ? "gets" : "get"} the
                deadline {when(props.extension.requiredFrom, props.frame)}; each is mailed the new date, and reminders
                count down to it.
              </p>
              <button type="submit">Confirm</button>
            </form>
          ) : props.extension ? (
            <p data-count="toExtend" class="notice" role="status">
              Nobody gets a new deadline: every user of this rollout not set up yet already has{" "}
              {when(props.extension.requiredFrom, props.frame)} or later. There is nothing to confirm.
            </p>
          ) : null}
        </>
      ) : (
        <p>Every user of this rollout has set up MFA, or has left it (switched off or changed by hand).</p>
      )}
      {waiting.total ? (
        <>
          <h2>Not set up yet ({waiting.total})</h2>
          <ul class="rollout-waiting">
            {waiting.users.map((u) => (
              <li>
                {u.siteId === props.activeSiteId ? <a href={`/configure/users/${u.id}`}>{u.username}</a> : u.username}
                {u.displayName && u.displayName !== u.username ? ` (${u.displayName})` : ""}: required from{" "}
                {when(u.requiredFrom, props.frame)}
              </li>
            ))}
          </ul>
          {waiting.total > waiting.users.length ? (
            <p>
              The first {waiting.users.length} of {waiting.total}, nearest deadline first.
            </p>
          ) : null}
        </>
      ) : null}
    </Layout>
  );
}
