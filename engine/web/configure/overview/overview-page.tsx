import type { MfaCounts, MfaDeadline, MfaState } from "../../../mfa/mfa-states.js";
import { Layout, type PageUser } from "../../../render/layout.js";

/** Hardware tokens of the Public Site's registry: in the pool (not assigned, not disabled) and assigned. */
export interface HardwareFigures {
  available: number;
  assigned: number;
}

const day = (d: Date) =>
  d.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });

/** A figure that links to the users list filtered to it. */
function Figure(p: { count: number; label: string; href: string; detail?: string }) {
  return (
    <li class="figure">
      <a href={p.href}>
        <strong class="figure-count">{p.count}</strong> <span class="figure-label">{p.label}</span>
      </a>
      {p.detail ? <small>{p.detail}</small> : null}
    </li>
  );
}

const users = (mfa?: MfaState) => (mfa ? `/configure/users?mfa=${mfa}` : "/configure/users");

/**
 * Configure > Overview for administrators: the site's MFA at a glance. Every
 * figure links to the users list filtered to it; the nearest deadlines first.
 */
export function OverviewPage(p: {
  csrfToken: string;
  user: PageUser;
  siteName: string;
  counts: MfaCounts;
  deadlines: MfaDeadline[];
  hardware: HardwareFigures | null;
}) {
  const c = p.counts;
  return (
    <Layout title="Overview" csrfToken={p.csrfToken} user={p.user} siteName={p.siteName}>
      <hgroup>
        <h1>Overview</h1>
        <p>Multi-factor authentication (MFA) on {p.siteName} at a glance.</p>
      </hgroup>
      <section aria-labelledby="mfa-figures">
        <h2 id="mfa-figures">Users and MFA</h2>
        <ul class="figures">
          <Figure count={c.users} label={c.users === 1 ? "user" : "users"} href={users()} />
          <Figure count={c.off} label="MFA off" href={users("off")} />
          <Figure count={c.pending} label="on, not set up yet" href={users("pending")} />
          <Figure count={c.overdue} label="overdue (deadline passed)" href={users("overdue")} />
          <Figure
            count={c.activated}
            label="activated"
            href={users("activated")}
            detail={`${c.activatedApp} with an authenticator app, ${c.activatedHardware} with a hardware token, ${c.activatedPasskey} with passkeys only`}
          />
          <Figure count={c.locked} label="locked now" href={users("locked")} />
        </ul>
      </section>
      <section aria-labelledby="deadlines">
        <h2 id="deadlines">Nearest deadlines</h2>
        {p.deadlines.length ? (
          <div class="table-scroll" tabindex={0}>
            <table class="striped">
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">MFA required from</th>
                </tr>
              </thead>
              <tbody>
                {p.deadlines.map((d) => (
                  <tr>
                    <th scope="row">
                      <a href={`/configure/users/${d.userId}`}>{d.displayName || d.username}</a>
                    </th>
                    <td>{day(d.requiredFrom)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p>Nobody is waiting to set up MFA.</p>
        )}
      </section>
      {p.hardware ? (
        <section aria-labelledby="hardware-figures">
          <h2 id="hardware-figures">Hardware tokens</h2>
          <ul class="figures">
            <Figure count={p.hardware.available} label="available" href="/configure/mfa-hardware" />
            <Figure count={p.hardware.assigned} label="assigned" href="/configure/mfa-hardware" />
          </ul>
        </section>
      ) : null}
    </Layout>
  );
}

/** Configure > Overview for designers: they design apps. */
export function DesignerOverviewPage(p: { csrfToken: string; user: PageUser; siteName: string }) {
  return (
    <Layout title="Overview" csrfToken={p.csrfToken} user={p.user} siteName={p.siteName}>
      <h1>Overview</h1>
      <p>
        You design the apps of {p.siteName}: add fields, arrange the form and choose the list's columns in{" "}
        <a href="/configure/apps">Apps</a>.
      </p>
    </Layout>
  );
}
