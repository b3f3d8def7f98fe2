// The helpdesk part of the user dialog (DESIGN.md "Factors, recovery and the helpdesk path"): the
// lock with an Unlock button, and a temporary access pass — issued here, shown once. Separate forms
// after the record form (forms do not nest), plain POSTs that work without JavaScript.
import type { Context, Hono } from "hono";
import type { Child } from "hono/jsx";
import type { StoredRecord } from "../../apps/record-store-contract.js";
import { DuplicateSubmissionError, SUBMISSION_TOKEN } from "../../db/submissions.js";
import { ValidationError } from "../../errors.js";
import type { MfaActor } from "../../mfa/mfa-model.js";
import { ACCESS_PASS_HOURS, type LiveAccessPass } from "../../mfa/recovery/access-passes.js";
import type { MfaBadge } from "../../mfa/status.js";
import { Badges } from "../../render/mfa-badges.js";
import { newToken } from "../../util/opaque-tokens.js";
import { DEFAULT_TIME_ZONE, minuteIn } from "../../util/zoned-dates.js";
import { InputField } from "../../render/form-field.js";
import { CsrfField } from "../../render/layout.js";
import { RecordPage } from "../../render/record-pages.js";
import type { Services } from "../../services.js";
import type { AppEnv } from "../http/env.js";
import { flash } from "../http/flash.js";
import { signedIn } from "../http/guards.js";
import { sendPage } from "../http/page.js";
import { readForm } from "../http/form-body.js";
import { type appResolver, recordTitle, type Resolved } from "./resolve.js";

/** The administrator acting in the dialog, on the site they work on, with their session. */
function adminActor(c: Context<AppEnv>): MfaActor {
  const session = signedIn(c);
  return {
    id: session.user.id,
    name: session.user.username,
    siteId: session.activeSiteId,
    credential: session.tokenHash,
  };
}

/**
 * The access pass form: `validHours` (1–168) and `oneTime`, posting to `action`, with a one-time
 * token (`_submission`, a fresh one unless a re-shown form keeps its own) so a reload or a second
 * post of the same form issues no second pass, which would void the one just shown.
 */
function AccessPassForm(p: {
  csrfToken: string;
  action: string;
  error?: string;
  hours?: string;
  oneTime?: boolean;
  submission?: string;
  submitLabel?: string;
}) {
  return (
    <form method="post" action={p.action} id="access-pass-form">
      <CsrfField token={p.csrfToken} />
      <input type="hidden" name="_submission" value={p.submission ?? newToken()} />
      <InputField
        id="validHours"
        name="validHours"
        type="number"
        label="Valid for (hours)"
        help={`From ${ACCESS_PASS_HOURS.min} to ${ACCESS_PASS_HOURS.max} hours. A new pass replaces the current one.`}
        required
        value={p.hours ?? "8"}
        error={p.error}
        attrs={{ min: ACCESS_PASS_HOURS.min, max: ACCESS_PASS_HOURS.max, step: 1 }}
      />
      <label>
        <input type="checkbox" role="switch" name="oneTime" value="true" checked={p.oneTime ?? true} /> Works once
      </label>
      <button type="submit" class="secondary" id="issue-access-pass">
        {p.submitLabel ?? "Issue a temporary access pass"}
      </button>
    </form>
  );
}

/**
 * What the "Issue a new pass" form of a replayed pass form starts with: the replayed pass's hours
 * and once/until-expiry while it is still the user's pass, else what the replayed form posted (a
 * reload posts what issued it); the form's defaults for posted hours that are not whole hours in range.
 */
function replayedValues(
  current: { validHours: number; oneTime: boolean } | null,
  postedHours: string,
  postedOneTime: boolean,
): { hours?: string; oneTime: boolean } {
  if (current) return { hours: String(current.validHours), oneTime: current.oneTime };
  const h = /^\d{1,4}$/.test(postedHours) ? Number(postedHours) : NaN;
  const valid = h >= ACCESS_PASS_HOURS.min && h <= ACCESS_PASS_HOURS.max;
  return valid ? { hours: String(h), oneTime: postedOneTime } : { oneTime: postedOneTime };
}

/**
 * What the dialog shows under the form: the MFA status badges, the lock and Unlock, the live pass
 * and the pass form; times in the site's zone.
 */
function HelpdeskPanel(p: {
  csrfToken: string;
  base: string;
  lockedUntil: Date | null;
  mfaOn: boolean;
  /** MFA is on and a factor held: only then has a pass a lost factor to replace. */
  activated: boolean;
  pass: LiveAccessPass | null;
  badges: MfaBadge[];
  timeZone: string;
}) {
  const minute = (d: Date) => minuteIn(d, p.timeZone);
  return (
    <section class="helpdesk" id="helpdesk" aria-labelledby="helpdesk-title">
      <h3 id="helpdesk-title">Sign-in help</h3>
      <p>
        MFA status: <Badges badges={p.badges} id="mfa-badges" />
      </p>
      {p.lockedUntil ? (
        <form method="post" action={`${p.base}/unlock`} id="unlock-form">
          <CsrfField token={p.csrfToken} />
          <p id="lock-state">Locked after failed sign-in attempts until {minute(p.lockedUntil)}.</p>
          <button type="submit" id="unlock">
            Unlock
          </button>
        </form>
      ) : null}
      {p.mfaOn && !p.activated ? (
        <p id="access-pass-state">
          No temporary access pass is needed: MFA is not set up yet, and the next sign-in with the password asks for the
          setup.
        </p>
      ) : null}
      {p.mfaOn && p.activated ? (
        <>
          <p id="access-pass-state">
            {p.pass
              ? `A temporary access pass is valid until ${minute(p.pass.expiresAt)}${p.pass.oneTime ? " (works once)" : ""}, issued by ${p.pass.issuedBy}.`
              : "Lost phone and no recovery codes left? Give the user a temporary access pass: they sign in with it and set up a new authenticator."}
          </p>
          <AccessPassForm csrfToken={p.csrfToken} action={`${p.base}/access-pass`} />
        </>
      ) : null}
    </section>
  );
}

/** The helpdesk panel of user `record` for the dialog (administrators only; null for others). */
export async function helpdeskPanel(s: Services, c: Context<AppEnv>, r: Resolved, record: StoredRecord) {
  if (!r.canEdit) return null;
  const status = await s.mfa.statusOf(record.id);
  const lockedUntil = await s.mfa.settings.lockedUntil(record.id);
  const pass = status.enabled ? await s.recovery.passes.liveOf(record.id) : null;
  return (
    <HelpdeskPanel
      csrfToken={c.var.csrfToken}
      base={`${r.href}/${record.id}`}
      lockedUntil={lockedUntil}
      mfaOn={status.enabled}
      activated={status.activation !== null}
      pass={pass}
      badges={status.badges}
      timeZone={status.timeZone ?? DEFAULT_TIME_ZONE}
    />
  );
}

/**
 * POST BASE/:recordId/unlock (lifts the code and password locks, audited as mfa.unlock) and POST
 * BASE/:recordId/access-pass (`validHours`, `oneTime`: the pass shown once in a `<code>` element;
 * 422 with the field's message for bad hours, 409 when MFA is off or not set up). Administrators of the user's
 * site only: 403 for others, 404 for another site's user.
 */
export function helpdeskRoutes(
  routes: Hono<AppEnv>,
  s: Services,
  recordPath: string,
  resolver: ReturnType<typeof appResolver>,
  listLabel: string,
): void {
  routes.post(`${recordPath}/unlock`, async (c) => {
    const r = await resolver.resolve(c);
    resolver.requireEdit(r);
    const record = await resolver.loadRecord(c, r);
    const title = recordTitle(r.app, record.values);
    const was = await s.mfa.settings.unlock(record.id, adminActor(c));
    c.var.log.info("user unlocked", { userId: record.id, wasLocked: was });
    flash(c, was ? `Unlocked ${title}: the next correct code or password works.` : `${title} was not locked.`);
    return c.redirect(`${r.href}/${record.id}`, 303);
  });

  routes.post(`${recordPath}/access-pass`, async (c) => {
    const r = await resolver.resolve(c);
    resolver.requireEdit(r);
    const record = await resolver.loadRecord(c, r);
    const title = recordTitle(r.app, record.values);
    const f = (await readForm(c)).one;
    const hours = (f.validHours ?? "").trim();
    const oneTime = f.oneTime === "true" || f.oneTime === "on";
    // Without a token (an older page, a script) the post issues as before; a malformed one is refused.
    const submission = f._submission;
    const action = `${r.href}/${record.id}/access-pass`;
    const page = (body: Child, status: 200 | 422 = 200) =>
      sendPage(
        c,
        <RecordPage
          frame={r.frame}
          title={`Temporary access pass for ${title}`}
          backUrl={`${r.href}/${record.id}`}
          backLabel={title}
        >
          {body}
        </RecordPage>,
        status,
      );
    const zone = (await s.sites.byId(signedIn(c).activeSiteId))?.timeZone ?? DEFAULT_TIME_ZONE;
    if (submission !== undefined && !SUBMISSION_TOKEN.test(submission)) {
      return page(
        <p role="alert">The form's one-time token is not one this server made. Reload the page and try again.</p>,
        422,
      );
    }
    try {
      const validHours = /^\d{1,4}$/.test(hours) ? Number(hours) : NaN;
      const issued = await s.recovery.passes.issue(record.id, { validHours, oneTime }, adminActor(c), submission);
      c.var.log.info("access pass issued", { userId: record.id, validHours, oneTime });
      return page(
        <>
          <p>Give this pass to {title} in person or over the phone. It is shown only now.</p>
          <p>
            <code id="access-pass" class="access-pass">
              {issued.pass}
            </code>
          </p>
          <p id="access-pass-valid">
            Valid until {minuteIn(issued.expiresAt, zone)}
            {oneTime ? ", once" : ""}. {title} signs in with their password, chooses "Use a recovery code or a temporary
            access pass" and then sets up a new authenticator.
          </p>
          <p>
            <a href={listLabel ? r.href : "/"}>Back to {listLabel}</a>
          </p>
        </>,
      );
    } catch (err) {
      if (err instanceof DuplicateSubmissionError && submission !== undefined) {
        // A reload or Back-and-send-again: say what this form issued, never the pass again.
        const earlier = await s.recovery.passes.formIssued(record.id, submission);
        if (!earlier) throw err;
        const minute = (d: Date) => minuteIn(d, zone);
        const now = s.clock.now();
        const cur = earlier.current;
        const state = !cur
          ? "A newer pass has replaced it since."
          : cur.oneTime && cur.usedAt
            ? `It was used at ${minute(cur.usedAt)}.`
            : cur.expiresAt <= now
              ? `It expired at ${minute(cur.expiresAt)}.`
              : `It is valid until ${minute(cur.expiresAt)}${cur.oneTime ? ", once" : ""}.`;
        return page(
          <>
            <p role="status" id="access-pass-replayed">
              This form already issued a temporary access pass for {title} at {minute(earlier.issuedAt)}. {state} The
              pass is shown only once, so it is not shown again.
            </p>
            <p>Lost it before giving it to {title}? Issue a new pass: it voids the earlier one.</p>
            <AccessPassForm
              csrfToken={c.var.csrfToken}
              action={action}
              submitLabel="Issue a new pass"
              {...replayedValues(cur, hours, oneTime)}
            />
            <p>
              <a href={`${r.href}/${record.id}`}>Back to {title}</a>
            </p>
          </>,
        );
      }
      if (err instanceof ValidationError && err.fields.validHours) {
        return page(
          <AccessPassForm
            csrfToken={c.var.csrfToken}
            action={action}
            error={err.fields.validHours}
            hours={hours}
            oneTime={oneTime}
            {...(submission !== undefined ? { submission } : {})}
          />,
          422,
        );
      }
      throw err;
    }
  });
}
