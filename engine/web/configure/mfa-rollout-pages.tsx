/**
 * Pages of Configure > MFA: the progress overview, the rollout (choose,
 * preview, Confirm) and the policy for accounts to come. Pure rendering: the
 * routes (mfa-rollout-routes.tsx) read everything first.
 */
import { ActivationsChart, type ChartDay } from "../../render/activations-chart.js";
import { CsrfField, Layout, type PageUser } from "../../render/layout.js";
import { MFA_STATE_LABELS, MFA_STATES, type MfaCounts } from "../../mfa/mfa-states.js";
import type { OverdueUser } from "../../mfa/progress.js";
import type { RolloutPlan, RolloutUser } from "../../mfa/rollout.js";
import type { SiteMfaPolicy } from "../../mfa/site-policy.js";

/** What every page of this area gets from its route. */
export interface MfaFrame {
  csrfToken: string;
  user: PageUser;
  siteName: string;
}

/** The rollout form's values as posted (strings, so a bad value is shown back as typed). */
export interface RolloutFormValues {
  role: string;
  q: string;
  mfa: string;
  /** "" (the active site) or "all" (Public Site administrators). */
  scope: string;
  enforcementDelayDays: string;
  moveDeadlines: boolean;
  ids: string[];
}

const day = (d: Date) => d.toISOString().slice(0, 10);
const pct = (n: number, of: number) => (of ? `${Math.round((n / of) * 1000) / 10}%` : "–");

/** GOV.UK's error summary: every problem, each linking to its field. */
function ErrorSummary({ errors, labels }: { errors: Record<string, string>; labels: Record<string, string> }) {
  const entries = Object.entries(errors);
  if (!entries.length) return null;
  return (
    <article class="error-summary" role="alert" aria-labelledby="error-summary-title">
      <h2 id="error-summary-title">There is a problem</h2>
      <ul>
        {entries.map(([field, message]) => (
          <li>
            <a href={`#${labels[field] ? `field-${field}` : "field-role"}`}>{message}</a>
          </li>
        ))}
      </ul>
    </article>
  );
}

function FieldError({ field, errors }: { field: string; errors: Record<string, string> }) {
  return (
    <small class="field-error" id={`error-${field}`}>
      {errors[field] ?? ""}
    </small>
  );
}

function MfaNav({ current }: { current: "progress" | "rollout" | "policy" }) {
  const item = (key: typeof current, href: string, label: string) => (
    <li>
      <a href={href} aria-current={key === current ? "page" : undefined}>
        {label}
      </a>
    </li>
  );
  return (
    <nav aria-label="MFA">
      <ul class="configure-links">
        {item("progress", "/configure/mfa", "Progress")}
        {item("rollout", "/configure/mfa/rollout", "Roll out")}
        {item("policy", "/configure/mfa/policy", "Policy for new accounts")}
      </ul>
    </nav>
  );
}

/** Per-site numbers for the progress page. */
export interface SiteProgress {
  siteId: string;
  slug: string;
  name: string;
  counts: MfaCounts;
  policy: SiteMfaPolicy;
}

function PolicyText({ policy }: { policy: SiteMfaPolicy }) {
  return policy.requiredRoles.length ? (
    <>
      new accounts in {policy.requiredRoles.join(", ")} start with MFA on, {policy.defaultEnforcementDelayDays} day(s)
      to set up
    </>
  ) : (
    <>none</>
  );
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
      <h2>Progress {props.allSites ? "on every site" : `on ${frame.siteName}`}</h2>
      <div class="table-scroll">
        <table class="mfa-progress">
          <thead>
            <tr>
              <th scope="col">Site</th>
              <th scope="col">Users</th>
              <th scope="col">Activated</th>
              <th scope="col">with an app</th>
              <th scope="col">with hardware</th>
              <th scope="col">Pending</th>
              <th scope="col">Overdue</th>
              <th scope="col">Off</th>
              <th scope="col">Policy for new accounts</th>
            </tr>
          </thead>
          <tbody>
            {props.sites.map((s) => (
              <tr data-site={s.slug}>
                <th scope="row">{s.name}</th>
                <td data-count="users">{s.counts.users}</td>
                <td data-count="activated">
                  {s.counts.activated} ({pct(s.counts.activated, s.counts.users)})
                </td>
                <td data-count="activatedApp">{s.counts.activatedApp}</td>
                <td data-count="activatedHardware">{s.counts.activatedHardware}</td>
                <td data-count="pending">
                  {s.counts.pending} ({pct(s.counts.pending, s.counts.users)})
                </td>
                <td data-count="overdue">
                  {s.counts.overdue} ({pct(s.counts.overdue, s.counts.users)})
                </td>
                <td data-count="off">
                  {s.counts.off} ({pct(s.counts.off, s.counts.users)})
                </td>
                <td>
                  <PolicyText policy={s.policy} />
                </td>
              </tr>
            ))}
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
      <h2>Activations per day</h2>
      <p>
        {props.chartSince
          ? `Since the first rollout on ${day(props.chartSince)} (UTC days).`
          : "No rollout yet: the last 30 days."}
      </p>
      <ActivationsChart days={props.chart} />
      <h2 id="overdue">Overdue ({props.overdue.total})</h2>
      {props.overdue.users.length ? (
        <>
          <p>MFA is on, the deadline has passed and setup is not done: they must set up at their next sign-in.</p>
          <div class="table-scroll">
            <table class="overdue-users">
              <thead>
                <tr>
                  <th scope="col">Username</th>
                  <th scope="col">Display name</th>
                  {props.allSites ? <th scope="col">Site</th> : null}
                  <th scope="col">Required from</th>
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
                    <td>{u.displayName}</td>
                    {props.allSites ? <td>{u.siteSlug}</td> : null}
                    <td>{day(u.requiredFrom)}</td>
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

const ROLE_LABELS: Record<string, string> = { admin: "Administrator", designer: "App designer", user: "User" };
const ROLLOUT_LABELS: Record<string, string> = {
  role: "Role",
  q: "Search",
  mfa: "MFA state",
  scope: "Sites",
  enforcementDelayDays: "Enforcement delay (days)",
  ids: "Ticked users",
  where: "Field",
};

function RolloutFields({
  v,
  errors,
  canTargetAll,
}: {
  v: RolloutFormValues;
  errors: Record<string, string>;
  canTargetAll: boolean;
}) {
  return (
    <>
      {v.ids.map((id) => (
        <input type="hidden" name="ids" value={id} />
      ))}
      {v.ids.length ? <p>Only the {v.ids.length} user(s) ticked in the users list, if they also match below.</p> : null}
      <div class="grid">
        <label for="field-role">
          Role
          <select
            id="field-role"
            name="role"
            aria-describedby="error-role"
            aria-invalid={errors.role ? "true" : undefined}
          >
            <option value="" selected={v.role === ""}>
              Any role
            </option>
            {Object.entries(ROLE_LABELS).map(([value, label]) => (
              <option value={value} selected={v.role === value}>
                {label}
              </option>
            ))}
          </select>
          <FieldError field="role" errors={errors} />
        </label>
        <label for="field-mfa">
          MFA state
          <select id="field-mfa" name="mfa" aria-describedby="error-mfa" aria-invalid={errors.mfa ? "true" : undefined}>
            <option value="" selected={v.mfa === ""}>
              Any state
            </option>
            {MFA_STATES.map((s) => (
              <option value={s} selected={v.mfa === s}>
                {MFA_STATE_LABELS[s]}
              </option>
            ))}
          </select>
          <FieldError field="mfa" errors={errors} />
        </label>
      </div>
      <label for="field-q">
        Search
        <input
          id="field-q"
          name="q"
          type="search"
          maxlength={100}
          value={v.q}
          aria-describedby="help-q error-q"
          aria-invalid={errors.q ? "true" : undefined}
        />
        <small id="help-q">
          Words that must all occur in the username, display name, e-mail or a searchable field such as Department.
        </small>
        <FieldError field="q" errors={errors} />
      </label>
      {canTargetAll ? (
        <fieldset>
          <legend>Sites</legend>
          <label>
            <input type="radio" name="scope" value="" checked={v.scope !== "all"} /> This site only
          </label>
          <label>
            <input type="radio" name="scope" value="all" checked={v.scope === "all"} /> Every site
          </label>
          <FieldError field="scope" errors={errors} />
        </fieldset>
      ) : null}
      <label for="field-enforcementDelayDays">
        Enforcement delay (days)
        <input
          id="field-enforcementDelayDays"
          name="enforcementDelayDays"
          type="number"
          min={0}
          max={3650}
          required
          value={v.enforcementDelayDays}
          aria-describedby="help-enforcementDelayDays error-enforcementDelayDays"
          aria-invalid={errors.enforcementDelayDays ? "true" : undefined}
        />
        <small id="help-enforcementDelayDays">
          Days each user may put off the setup, as the slider's delay. 0: setup is required at the next sign-in.
        </small>
        <FieldError field="enforcementDelayDays" errors={errors} />
      </label>
      <label>
        <input type="checkbox" role="switch" name="moveDeadlines" value="true" checked={v.moveDeadlines} /> Also move
        the deadline of users who already have MFA on but have not set it up
      </label>
    </>
  );
}

/** The confirm form: the same choices as hidden fields, and the counts the preview showed. */
function ConfirmForm({ v, plan, csrfToken }: { v: RolloutFormValues; plan: RolloutPlan; csrfToken: string }) {
  return (
    <form method="post" action="/configure/mfa/rollout">
      <CsrfField token={csrfToken} />
      <input type="hidden" name="role" value={v.role} />
      <input type="hidden" name="q" value={v.q} />
      <input type="hidden" name="mfa" value={v.mfa} />
      <input type="hidden" name="scope" value={v.scope} />
      <input type="hidden" name="enforcementDelayDays" value={v.enforcementDelayDays} />
      {v.moveDeadlines ? <input type="hidden" name="moveDeadlines" value="true" /> : null}
      {v.ids.map((id) => (
        <input type="hidden" name="ids" value={id} />
      ))}
      <input type="hidden" name="expectToEnable" value={String(plan.toEnable)} />
      <input type="hidden" name="expectToMove" value={String(plan.toMove)} />
      <button type="submit">Confirm</button>
    </form>
  );
}

/**
 * GET /configure/mfa/rollout: the choice; with a preview, what Confirm will do
 * (GOV.UK "check your answers"): counts, the deadline, who (paged), and the Confirm button.
 */
export function RolloutPage(props: {
  frame: MfaFrame;
  values: RolloutFormValues;
  errors: Record<string, string>;
  canTargetAll: boolean;
  preview?: {
    plan: RolloutPlan;
    users: RolloutUser[];
    nextHref: string | null;
    /** A Confirm that found the selection changed: said above the new preview. */
    changed?: string;
  };
}) {
  const { frame, values: v, errors, preview } = props;
  const p = preview?.plan;
  return (
    <Layout title="Roll out MFA" csrfToken={frame.csrfToken} user={frame.user} siteName={frame.siteName}>
      <h1>Roll out MFA</h1>
      <MfaNav current="rollout" />
      <ErrorSummary errors={errors} labels={ROLLOUT_LABELS} />
      <p>
        Switch multi-factor authentication on for many users at once, exactly as the slider in each user's dialog does:
        each gets the same deadline and must set up MFA by then. Nothing changes until you confirm.
      </p>
      <form method="get" action="/configure/mfa/rollout">
        <RolloutFields v={v} errors={errors} canTargetAll={props.canTargetAll} />
        <button type="submit" name="preview" value="1" class={preview ? "secondary" : undefined}>
          {preview ? "Preview again" : "Preview"}
        </button>
      </form>
      {p && preview ? (
        <section aria-labelledby="preview-title" class="rollout-preview">
          <h2 id="preview-title">Check before you confirm</h2>
          {preview.changed ? (
            <p class="notice" role="alert">
              {preview.changed}
            </p>
          ) : null}
          <dl class="summary-list">
            <dt>Users selected</dt>
            <dd data-count="selected">{p.selected}</dd>
            <dt>MFA will be switched on for</dt>
            <dd data-count="toEnable">{p.toEnable}</dd>
            {v.moveDeadlines ? (
              <>
                <dt>Already on, deadline moved</dt>
                <dd data-count="toMove">{p.toMove}</dd>
              </>
            ) : (
              <>
                <dt>Skipped: MFA already on (their deadline stays)</dt>
                <dd data-count="keptDeadline">{p.keptDeadline}</dd>
              </>
            )}
            <dt>Skipped: already activated</dt>
            <dd data-count="activated">{p.activated}</dd>
            <dt>Setup required from</dt>
            <dd data-deadline={day(p.requiredFrom)}>
              {day(p.requiredFrom)} ({v.enforcementDelayDays} day(s) from now, UTC)
            </dd>
          </dl>
          {preview.users.length ? (
            <div class="table-scroll">
              <table class="rollout-users">
                <thead>
                  <tr>
                    <th scope="col">Username</th>
                    <th scope="col">Display name</th>
                    <th scope="col">Site</th>
                    <th scope="col">Change</th>
                  </tr>
                </thead>
                <tbody>
                  {preview.users.map((u) => (
                    <tr>
                      <td>{u.username}</td>
                      <td>{u.displayName}</td>
                      <td>{u.siteSlug}</td>
                      <td>{u.change === "enable" ? "MFA switched on" : "deadline moved"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          {preview.nextHref ? (
            <p>
              <a href={preview.nextHref}>Next users</a>
            </p>
          ) : null}
          {p.toEnable + p.toMove > 0 ? (
            <ConfirmForm v={v} plan={p} csrfToken={frame.csrfToken} />
          ) : (
            <p>Nothing to change for this selection.</p>
          )}
        </section>
      ) : null}
    </Layout>
  );
}

/** GET /configure/mfa/policy. */
export function PolicyPage(props: {
  frame: MfaFrame;
  policy: SiteMfaPolicy;
  values?: { requiredRoles: string[]; defaultEnforcementDelayDays: string };
  errors: Record<string, string>;
}) {
  const { frame, policy, errors } = props;
  const roles = props.values?.requiredRoles ?? policy.requiredRoles;
  const delay = props.values?.defaultEnforcementDelayDays ?? String(policy.defaultEnforcementDelayDays);
  return (
    <Layout title="MFA policy" csrfToken={frame.csrfToken} user={frame.user} siteName={frame.siteName}>
      <h1>MFA policy for new accounts</h1>
      <MfaNav current="policy" />
      <ErrorSummary
        errors={errors}
        labels={{ requiredRoles: "Roles", defaultEnforcementDelayDays: "Default enforcement delay" }}
      />
      <p>
        Accounts created on {frame.siteName} in these roles, and accounts whose role changes into one of them, start
        with MFA on and this delay, as if the slider had been switched on. The Add User form shows the slider on; an
        administrator may still change it. Existing accounts are not changed:{" "}
        <a href="/configure/mfa/rollout">roll out</a> for them.
      </p>
      <p>
        In force: <PolicyText policy={policy} />
        {policy.updatedAt ? ` (saved ${day(policy.updatedAt)} by ${policy.updatedBy ?? "unknown"})` : ""}.
      </p>
      <form method="post" action="/configure/mfa/policy">
        <CsrfField token={frame.csrfToken} />
        <fieldset id="field-requiredRoles" aria-describedby="error-requiredRoles">
          <legend>Roles that require MFA</legend>
          {Object.entries(ROLE_LABELS).map(([value, label]) => (
            <label>
              <input type="checkbox" name="requiredRoles" value={value} checked={roles.includes(value as "user")} />{" "}
              {label}
            </label>
          ))}
          <FieldError field="requiredRoles" errors={errors} />
        </fieldset>
        <label for="field-defaultEnforcementDelayDays">
          Default enforcement delay (days)
          <input
            id="field-defaultEnforcementDelayDays"
            name="defaultEnforcementDelayDays"
            type="number"
            min={0}
            max={3650}
            required
            value={delay}
            aria-describedby="error-defaultEnforcementDelayDays"
            aria-invalid={errors.defaultEnforcementDelayDays ? "true" : undefined}
          />
          <FieldError field="defaultEnforcementDelayDays" errors={errors} />
        </label>
        <button type="submit">Save policy</button>
      </form>
    </Layout>
  );
}
