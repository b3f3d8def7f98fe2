/**
 * GET /configure/notifications: the site's reminder days, the outbox (queued, sent, failed and why,
 * filtered by state and kind) and "Send a test mail".
 */
import { ErrorSummary } from "../../../render/error-summary.js";
import { FormField, InputField } from "../../../render/form-field.js";
import { CsrfField, Layout } from "../../../render/layout.js";
import type { MailKind, MailState, OutboxEntry } from "../../../mail/mail-model.js";
import { NOT_CONFIGURED } from "../../../mail/mail-model.js";
import { isoMinuteWithZone } from "../../../util/zoned-dates.js";
import type { MfaFrame } from "../mfa/mfa-frame.js";

/** The words of each state, for the table and the filter. */
export const STATE_WORDS: Record<MailState, string> = {
  queued: "Queued",
  sending: "Being sent",
  sent: "Sent",
  failed: "Failed",
  skipped: "Skipped",
};
/** The words of each kind of mail, for the table and the filter. */
export const KIND_WORDS: Record<MailKind, string> = {
  mfa_enabled: "MFA switched on",
  mfa_deadline_moved: "MFA deadline moved",
  mfa_reminder: "Reminder",
  mfa_reminder_now: "Reminder (sent by hand)",
  mfa_activated: "MFA activated",
  mfa_reset: "MFA reset",
  mfa_disabled: "MFA turned off",
  password_changed: "Password changed",
  mfa_locked: "Locked after wrong codes",
  admin_user_locked: "A user was locked (to administrators)",
  recovery_code_used: "Recovery code used",
  recovery_codes_new: "New recovery codes",
  access_pass_issued: "Temporary access pass issued",
  passkey_added: "Passkey added",
  test: "Test mail",
};

/** Props of NotificationsPage. */
export interface NotificationsProps {
  frame: MfaFrame;
  /** The site's IANA time zone: the outbox's times are in it. */
  timeZone: string;
  configured: boolean;
  reminderDays: string;
  outbox: { entries: OutboxEntry[]; counts: Record<MailState, number> };
  filter: { state?: MailState; kind?: MailKind };
  testAddress?: string;
  errors: Record<string, string>;
}

function Reason({ entry, configured, zone }: { entry: OutboxEntry; configured: boolean; zone: string }) {
  if (entry.state === "queued" && !configured) return <>{NOT_CONFIGURED}</>;
  if (entry.state === "queued" && entry.lastError) {
    return (
      <>
        try {entry.attempts + 1} at {isoMinuteWithZone(entry.nextAttemptAt, zone)}; last: {entry.lastError}
      </>
    );
  }
  return <>{entry.lastError ?? ""}</>;
}

/** GET /configure/notifications (and a refused POST, 422, with the values as sent). */
export function NotificationsPage(p: NotificationsProps) {
  const { frame, errors, outbox } = p;
  return (
    <Layout title="Notifications" csrfToken={frame.csrfToken} user={frame.user} siteName={frame.siteName}>
      <h1>Notifications by e-mail</h1>
      <ErrorSummary
        errors={errors}
        labels={{ reminderDays: "Reminder days", address: "Address" }}
        fallback="field-reminderDays"
      />
      {p.configured ? null : (
        <p role="status" class="notice">
          E-mail is not configured (the server has no <code>SMTP_URL</code>): mails are queued and not sent until it is.
        </p>
      )}
      <section aria-labelledby="reminders-title">
        <h2 id="reminders-title">Reminders before the MFA deadline</h2>
        <p>
          Users of {frame.siteName} whose MFA is on but not set up get a reminder on each of these days before their
          deadline, and once when it has passed. A user who sets MFA up gets no more; a moved deadline starts over.
        </p>
        <form method="post" action="/configure/notifications">
          <CsrfField token={frame.csrfToken} />
          <InputField
            id="field-reminderDays"
            slot="reminderDays"
            label="Reminder days (days before the deadline)"
            name="reminderDays"
            value={p.reminderDays}
            help="Whole days from 0 to 90, at most five, separated by commas, e.g. 7, 3, 1. Empty: only the mail when the deadline has passed."
            error={errors.reminderDays}
            attrs={{ inputmode: "numeric", maxlength: 40 }}
          />
          <button type="submit">Save reminder days</button>
        </form>
      </section>
      <section aria-labelledby="test-title">
        <h2 id="test-title">Send a test mail</h2>
        <form method="post" action="/configure/notifications/test">
          <CsrfField token={frame.csrfToken} />
          <InputField
            id="field-address"
            slot="address"
            label="Address"
            name="address"
            type="email"
            required
            value={p.testAddress ?? ""}
            autocomplete="email"
            error={errors.address}
            attrs={{ maxlength: 254 }}
          />
          <button type="submit" class="secondary">
            Send a test mail
          </button>
        </form>
      </section>
      <section aria-labelledby="outbox-title">
        <h2 id="outbox-title">Outbox</h2>
        <p data-counts>
          {(Object.keys(STATE_WORDS) as MailState[]).map((st, i) => (
            <>
              {i ? ", " : ""}
              {outbox.counts[st]} {STATE_WORDS[st].toLowerCase()}
            </>
          ))}
          .
        </p>
        <form method="get" action="/configure/notifications" class="audit-filters" aria-label="Filter the outbox">
          <FormField
            id="filter-state"
            label="State"
            control={(a) => (
              <select {...a} name="state">
                <option value="">Any</option>
                {Object.entries(STATE_WORDS).map(([v, w]) => (
                  <option value={v} selected={p.filter.state === v}>
                    {w}
                  </option>
                ))}
              </select>
            )}
          />
          <FormField
            id="filter-kind"
            label="Kind"
            control={(a) => (
              <select {...a} name="kind">
                <option value="">Any</option>
                {Object.entries(KIND_WORDS).map(([v, w]) => (
                  <option value={v} selected={p.filter.kind === v}>
                    {w}
                  </option>
                ))}
              </select>
            )}
          />
          <button type="submit" class="secondary">
            Filter
          </button>
        </form>
        {outbox.entries.length ? (
          <div class="table-scroll">
            <table class="outbox">
              <thead>
                <tr>
                  <th scope="col">Queued</th>
                  <th scope="col">Mail</th>
                  <th scope="col">To</th>
                  <th scope="col">State</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {outbox.entries.map((e) => (
                  <tr data-mail={e.id} data-state={e.state}>
                    <td>{isoMinuteWithZone(e.createdAt, p.timeZone)}</td>
                    <td>{KIND_WORDS[e.kind] ?? e.kind}</td>
                    <td>
                      {e.username ? (
                        <>
                          <a href={`/configure/users/${e.userId}`}>{e.username}</a>{" "}
                        </>
                      ) : null}
                      {e.toAddress ?? "(no address)"}
                    </td>
                    <td>
                      {STATE_WORDS[e.state]}
                      {e.sentAt ? ` ${isoMinuteWithZone(e.sentAt, p.timeZone)}` : ""}
                    </td>
                    <td>
                      <Reason entry={e} configured={p.configured} zone={p.timeZone} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p>No mail{p.filter.state || p.filter.kind ? " matches the filter" : " yet"}.</p>
        )}
      </section>
    </Layout>
  );
}
