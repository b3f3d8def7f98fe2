import { MFA_STATE_LABELS, type MfaCounts, type MfaDeadline, type MfaState } from "../../../mfa/mfa-states.js";
import { Layout, type PageUser } from "../../../render/layout.js";
import { Badges } from "../../../render/mfa-badges.js";
import { minuteIn } from "../../../util/zoned-dates.js";

/** Hardware tokens of the Public Site's registry: in the pool (not assigned, not disabled) and assigned. */
export interface HardwareFigures {
  available: number;
  assigned: number;
}

/** A figure that links to the users list filtered to it; a state's figure is labelled with its badge. */
function Figure(p: { count: number; label: string; href: string; detail?: string; state?: MfaState }) {
  const kind = p.state === "activated" ? "active" : p.state;
  return (
    <li class="figure">
      <a href={p.href}>
        <strong class="figure-count">{p.count}</strong>{" "}
        <span class="figure-label">{kind ? <Badges badges={[{ kind, text: p.label }]} /> : p.label}</span>
      </a>
      {p.detail ? <small>{p.detail}</small> : null}
    </li>
  );
}

/** The users list filtered to `mfa` (every user without one): where every MFA figure of the console links. */
export const usersListHref = (mfa?: MfaState) => (mfa ? `/configure/users?mfa=${mfa}` : "/configure/users");

/**
 * Configure > Overview for administrators: the site's MFA at a glance. Every
 * figure links to the users list filtered to it; the nearest deadlines first.
 */
export function OverviewPage(p: {
  csrfToken: string;
  user: PageUser;
  siteName: string;
  /** The site's time zone: deadlines are shown in it. */
  timeZone: string;
  /** The clock's now: a deadline at or before it is due at the next sign-in (delay 0). */
  now: Date;
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
          <Figure count={c.users} label={c.users === 1 ? "user" : "users"} href={usersListHref()} />
          <Figure count={c.off} state="off" label={MFA_STATE_LABELS.off} href={usersListHref("off")} />
          <Figure count={c.pending} state="pending" label={MFA_STATE_LABELS.pending} href={usersListHref("pending")} />
          <Figure count={c.overdue} state="overdue" label={MFA_STATE_LABELS.overdue} href={usersListHref("overdue")} />
          <Figure
            count={c.activated}
            state="activated"
            label={MFA_STATE_LABELS.activated}
            href={usersListHref("activated")}
            detail={`${c.activatedApp} with an authenticator app, ${c.activatedHardware} with a hardware token, ${c.activatedPasskey} with passkeys only`}
          />
          <Figure count={c.locked} state="locked" label={MFA_STATE_LABELS.locked} href={usersListHref("locked")} />
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
                  <th scope="col">MFA status</th>
                </tr>
              </thead>
              <tbody>
                {p.deadlines.map((d) => (
                  <tr>
                    <th scope="row">
                      <a href={`/configure/users/${d.userId}`}>{d.displayName || d.username}</a>
                    </th>
                    <td>
                      <Badges
                        badges={[
                          {
                            kind: "pending",
                            text:
                              d.requiredFrom.getTime() <= p.now.getTime()
                                ? "Pending — due at next sign-in"
                                : `Pending — due ${minuteIn(d.requiredFrom, p.timeZone)}`,
                          },
                        ]}
                      />
                    </td>
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
