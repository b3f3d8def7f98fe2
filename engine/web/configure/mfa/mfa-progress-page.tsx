/**
 * GET /configure/mfa: MFA progress per site (numbers, percentages), activations per day as an SVG
 * chart, rollouts that stopped half-way (with the way to finish them) and the overdue users.
 */
import { ActivationsChart, type ChartDay } from "../../../render/activations-chart.js";
import { CsrfField, Layout } from "../../../render/layout.js";
import type { MfaCounts } from "../../../mfa/mfa-states.js";
import type { OverdueUser } from "../../../mfa/progress.js";
import type { UnfinishedRollout } from "../../../mfa/mfa-rollouts.js";
import type { RolloutSummary } from "../../../mfa/rollout-progress.js";
import type { SiteMfaPolicy } from "../../../mfa/site-policy.js";
import { RolloutList } from "./rollout-detail-page.js";
import { day, MfaNav, pct, PolicyText, ROLE_LABELS, when, type MfaFrame } from "./mfa-frame.js";
import { Badges } from "../../../render/mfa-badges.js";
import { plural } from "../../../util/plural.js";
import { MFA_STATE_LABELS, type MfaState } from "../../../mfa/mfa-states.js";
import { usersListHref } from "../overview/overview-page.js";

/** A column heading that is the state's badge (the same name and colour as in the users list). */
const StateHeading = ({ state }: { state: MfaState }) => (
  <th scope="col">
    <Badges badges={[{ kind: state === "activated" ? "active" : state, text: MFA_STATE_LABELS[state] }]} />
  </th>
);

/** Per-site numbers for the progress page. */
export interface SiteProgress {
  siteId: string;
  slug: string;
  name: string;
  counts: MfaCounts;
  policy: SiteMfaPolicy;
}

/** GET /configure/mfa: numbers, percentages, the chart and the overdue list. */
export function MfaProgressPage(props: {
  frame: MfaFrame;
  sites: SiteProgress[];
  /** Whether the numbers cover every site (a Public Site administrator's view). */
  allSites: boolean;
  chart: ChartDay[];
  chartSince: Date | null;
  overdue: { users: OverdueUser[]; total: number };
  /** The site the administrator works on: overdue users there link to their record. */
  activeSiteId: string;
  /** Rollouts that stopped before their last batch, each with the preview that finishes it. */
  unfinished: { rollout: UnfinishedRollout; siteName: string; href: string }[];
  /** The newest rollouts with their own progress. */
  rollouts: RolloutSummary[];
  /** How many users of the active site "Remind everyone pending" reaches (MailOutbox.pendingCount). */
  remindable: number;
}) {
  const { frame } = props;
  const sum = (k: keyof MfaCounts) => props.sites.reduce((n, s) => n + s.counts[k], 0);
  return (
    <Layout title="MFA progress" csrfToken={frame.csrfToken} user={frame.user} siteName={frame.siteName}>
      <h1>Multi-factor authentication</h1>
      <MfaNav current="progress" />
      <p>
        <a href="/configure/mfa/rollout" role="button">
          Roll out MFA
        </a>
      </p>
      {props.remindable ? (
        <form method="post" action="/configure/mfa/remind" aria-label="Remind everyone pending">
          <CsrfField token={frame.csrfToken} />
          <p data-count="remindable">
            {plural(props.remindable, "user")} of {frame.siteName} {props.remindable === 1 ? "has" : "have"} MFA on and
            not set up yet. Reminders also go out by themselves on the days set under{" "}
            <a href="/configure/notifications">Notifications</a>.{" "}
            <button type="submit" class="secondary">
              Remind everyone pending
            </button>
          </p>
        </form>
      ) : null}
      <h2>Progress {props.allSites ? "on every site" : `on ${frame.siteName}`}</h2>
      <div class="table-scroll">
        <table class="mfa-progress">
          <thead>
            <tr>
              <th scope="col">Site</th>
              <th scope="col">Users</th>
              <StateHeading state="activated" />
              <th scope="col">with an app</th>
              <th scope="col">with hardware</th>
              <th scope="col">with passkeys only</th>
              <StateHeading state="pending" />
              <StateHeading state="overdue" />
              <StateHeading state="off" />
              <th scope="col">Policy for new accounts</th>
            </tr>
          </thead>
          <tbody>
            {props.sites.map((s) => {
              // The active site's figures link to the users list filtered to them (as on the
              // Overview); the list shows the active site, so another site's figures are plain.
              const link = (n: number, state?: MfaState) =>
                s.siteId === props.activeSiteId ? <a href={usersListHref(state)}>{n}</a> : n;
              return (
                <tr data-site={s.slug}>
                  <th scope="row">{s.name}</th>
                  <td data-count="users">{link(s.counts.users)}</td>
                  <td data-count="activated">
                    {link(s.counts.activated, "activated")} ({pct(s.counts.activated, s.counts.users)})
                  </td>
                  <td data-count="activatedApp">{s.counts.activatedApp}</td>
                  <td data-count="activatedHardware">{s.counts.activatedHardware}</td>
                  <td data-count="activatedPasskey">{s.counts.activatedPasskey}</td>
                  <td data-count="pending">
                    {link(s.counts.pending, "pending")} ({pct(s.counts.pending, s.counts.users)})
                  </td>
                  <td data-count="overdue">
                    {link(s.counts.overdue, "overdue")} ({pct(s.counts.overdue, s.counts.users)})
                  </td>
                  <td data-count="off">
                    {link(s.counts.off, "off")} ({pct(s.counts.off, s.counts.users)})
                  </td>
                  <td>
                    <PolicyText policy={s.policy} />
                  </td>
                </tr>
              );
            })}
          </tbody>
          {props.sites.length > 1 ? (
            <tfoot>
              <tr>
                <th scope="row">All sites</th>
                <td>{sum("users")}</td>
                <td>
                  {sum("activated")} ({pct(sum("activated"), sum("users"))})
                </td>
                <td>{sum("activatedApp")}</td>
                <td>{sum("activatedHardware")}</td>
                <td>{sum("activatedPasskey")}</td>
                <td>
                  {sum("pending")} ({pct(sum("pending"), sum("users"))})
                </td>
                <td>
                  {sum("overdue")} ({pct(sum("overdue"), sum("users"))})
                </td>
                <td>
                  {sum("off")} ({pct(sum("off"), sum("users"))})
                </td>
                <td></td>
              </tr>
            </tfoot>
          ) : null}
        </table>
      </div>
      <p>
        Every account is counted, as in the users list{sum("cannotSignIn") ? "" : "."}
        {sum("cannotSignIn") ? (
          <span data-count="cannotSignIn">
            ; {sum("cannotSignIn")} of them cannot sign in (disabled, or without web and device access): rollouts and
            reminders leave them out.
          </span>
        ) : null}
      </p>
      <UnfinishedRollouts rows={props.unfinished} timeZone={frame} />
      <RolloutList rows={props.rollouts} frame={frame} />
      <h2>Activations per day</h2>
      <p>
        {props.chartSince
          ? `Since the first rollout on ${day(props.chartSince, frame)} (days in ${frame.timeZone ?? "UTC"}).`
          : `No rollout yet: the last 30 days (days in ${frame.timeZone ?? "UTC"}).`}
      </p>
      <ActivationsChart days={props.chart} />
      <h2 id="overdue">Overdue ({props.overdue.total})</h2>
      {props.overdue.users.length ? (
        <>
          <p>
            MFA is on, the grace period has run out and setup is not done: they must set up at their next sign-in. Users
            switched on with no grace period (delay 0) are pending, due at their next sign-in, not overdue.
          </p>
          <div class="table-scroll">
            <table class="overdue-users">
              <thead>
                <tr>
                  <th scope="col">Username</th>
                  <th scope="col">Display name</th>
                  {props.allSites ? <th scope="col">Site</th> : null}
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {props.overdue.users.map((u) => (
                  <tr>
                    <td>
                      {u.siteId === props.activeSiteId ? (
                        <a href={`/configure/users/${u.id}`}>{u.username}</a>
                      ) : (
                        u.username
                      )}
                    </td>
                    <td>
                      {u.displayName}
                      {u.canSignIn ? "" : " (cannot sign in)"}
                    </td>
                    {props.allSites ? <td>{u.siteSlug}</td> : null}
                    <td>
                      <Badges badges={[{ kind: "overdue", text: `Overdue — due ${when(u.requiredFrom, frame)}` }]} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {props.overdue.total > props.overdue.users.length ? (
            <p>
              {props.overdue.total - props.overdue.users.length} more:{" "}
              <a href="/configure/users?mfa=overdue">see them in the users list</a>.
            </p>
          ) : null}
        </>
      ) : (
        <p>Nobody is overdue.</p>
      )}
    </Layout>
  );
}

/** What a stored selection selected, in words ("role user, search “sales”, 3 ticked users"). */
function selectionText(r: UnfinishedRollout): string {
  const s = r.selection;
  const parts: string[] = [];
  if (s.role) parts.push(`role ${ROLE_LABELS[s.role] ?? s.role}`);
  if (s.q) parts.push(`search “${s.q}”`);
  if (s.where) parts.push(`${s.where.field} = “${s.where.value}”`);
  if (s.mfa) parts.push(`MFA state ${MFA_STATE_LABELS[s.mfa] ?? s.mfa}`);
  if (Array.isArray(s.ids)) parts.push(plural(s.ids.length, "ticked user"));
  return parts.length ? parts.join(", ") : "every user";
}

/**
 * Rollouts that stopped between two batches (the server stopped): every user is either rolled out
 * or untouched, and the same rollout again finishes the rest.
 */
function UnfinishedRollouts({
  rows,
  timeZone,
}: {
  rows: { rollout: UnfinishedRollout; siteName: string; href: string }[];
  /** The frame whose site zone the start times are shown in. */
  timeZone: { timeZone?: string };
}) {
  if (!rows.length) return null;
  return (
    <section aria-labelledby="unfinished-title" class="unfinished-rollouts">
      <h2 id="unfinished-title">Unfinished rollouts ({rows.length})</h2>
      <p>
        These rollouts stopped before their last batch (the server stopped, or one is still running). Every user is
        either rolled out or untouched; running the same rollout again switches MFA on for the rest, and those already
        switched on keep their deadline.
      </p>
      <div class="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">By</th>
              <th scope="col">Sites</th>
              <th scope="col">Selection</th>
              <th scope="col">Done before it stopped</th>
              <th scope="col">
                <span class="visually-hidden">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ rollout: r, siteName, href }) => (
              <tr data-rollout={r.id}>
                <td>{when(r.startedAt, timeZone)}</td>
                <td>{r.actorName}</td>
                <td>{siteName}</td>
                <td>
                  {selectionText(r)}; {plural(r.enforcementDelayDays, "day")}
                </td>
                <td data-count="done">
                  {r.enabledCount} switched on{r.movedCount ? `, ${plural(r.movedCount, "deadline")} moved` : ""}
                </td>
                <td>
                  <a href={href} role="button" class="secondary">
                    Finish this rollout
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
