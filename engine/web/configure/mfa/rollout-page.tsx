import { UserLink } from "../../../render/user-link.js";
/**
 * GET /configure/mfa/rollout: choose who (role, search, a designer field's value, MFA state, rows
 * ticked in the users list, sites) and the delay; with a preview, what Confirm will do and who.
 */
import { ErrorSummary } from "../../../render/error-summary.js";
import { describedBy, ErrorSlot, FormField, InputField } from "../../../render/form-field.js";
import { CsrfField, Layout } from "../../../render/layout.js";
import { MFA_STATE_LABELS, MFA_STATES } from "../../../mfa/mfa-states.js";
import type { RolloutPlan, RolloutUser, SkippedUser } from "../../../mfa/mfa-rollouts.js";
import { DEFAULT_DELAY_DAYS, delayDaysOf, type RolloutFormValues } from "../../forms/mfa-rollout-form.js";
import { MfaNav, ROLE_LABELS, SiteDeadlines, when, type MfaFrame } from "./mfa-frame.js";
import { isoDayIn } from "../../../util/zoned-dates.js";
import { plural } from "../../../util/plural.js";

const ROLLOUT_LABELS: Record<string, string> = {
  role: "Role",
  q: "Search",
  mfa: "MFA state",
  whereField: "Field",
  whereValue: "Value",
  scope: "Sites",
  enforcementDelayDays: "Enforcement delay (days)",
  deadline: "Or a deadline date",
  ids: "Ticked users",
  name: "Name",
};

function RolloutFields({
  v,
  errors,
  canTargetAll,
  whereFields,
  timeZone,
}: {
  v: RolloutFormValues;
  errors: Record<string, string>;
  canTargetAll: boolean;
  /** The site's time zone, in which a deadline date starts. */
  timeZone: string;
  /** The searchable designer fields: the name is sent, the label shown. */
  whereFields: { name: string; label: string }[];
}) {
  return (
    <>
      {v.ids.map((id) => (
        <input type="hidden" name="ids" value={id} />
      ))}
      {v.back ? <input type="hidden" name="back" value={v.back} /> : null}
      {v.ids.length || errors.ids ? (
        <div class="form-field" id="field-ids" tabindex={-1} {...describedBy("ids", { error: errors.ids })}>
          <p>
            Only the {plural(v.ids.length, "user")} ticked in the users list, if{" "}
            {v.ids.length === 1 ? "it also matches" : "they also match"} below.
          </p>
          <ErrorSlot sid="ids" message={errors.ids} />
        </div>
      ) : null}
      <div class="grid">
        <FormField
          id="field-role"
          slot="role"
          label="Role"
          error={errors.role}
          control={(a) => (
            <select {...a} name="role">
              <option value="" selected={v.role === ""}>
                Any role
              </option>
              {Object.entries(ROLE_LABELS).map(([value, label]) => (
                <option value={value} selected={v.role === value}>
                  {label}
                </option>
              ))}
            </select>
          )}
        />
        <FormField
          id="field-mfa"
          slot="mfa"
          label="MFA state"
          error={errors.mfa}
          control={(a) => (
            <select {...a} name="mfa">
              <option value="" selected={v.mfa === ""}>
                Any state
              </option>
              {MFA_STATES.map((s) => (
                <option value={s} selected={v.mfa === s}>
                  {MFA_STATE_LABELS[s]}
                </option>
              ))}
            </select>
          )}
        />
      </div>
      <InputField
        id="field-q"
        slot="q"
        label="Search"
        name="q"
        type="search"
        value={v.q}
        error={errors.q}
        help="Words that must all occur in the username, display name, e-mail or a searchable field such as Department."
        attrs={{ maxlength: 100 }}
      />
      {/* Without a searchable designer field there is nothing to pick (a URL may still send one). */}
      {whereFields.length || v.whereField || v.whereValue ? (
        <div class="grid">
          <FormField
            id="field-whereField"
            slot="whereField"
            label="Field"
            error={errors.whereField}
            help="A searchable field of the users app; the value must match it exactly (any case)."
            control={(a) => (
              <select {...a} name="whereField">
                <option value="" selected={v.whereField === ""}>
                  Any field
                </option>
                {whereFields.map((f) => (
                  <option value={f.name} selected={v.whereField === f.name}>
                    {f.label}
                  </option>
                ))}
                {v.whereField && !whereFields.some((f) => f.name === v.whereField) ? (
                  <option value={v.whereField} selected>
                    {v.whereField}
                  </option>
                ) : null}
              </select>
            )}
          />
          <InputField
            id="field-whereValue"
            slot="whereValue"
            label="Value"
            name="whereValue"
            value={v.whereValue}
            error={errors.whereValue}
            attrs={{ maxlength: 200 }}
          />
        </div>
      ) : null}
      {canTargetAll ? (
        <fieldset id="field-scope" {...describedBy("scope", { error: errors.scope })}>
          <legend>Sites</legend>
          <label>
            <input type="radio" name="scope" value="" checked={v.scope !== "all"} /> This site only
          </label>
          <label>
            <input type="radio" name="scope" value="all" checked={v.scope === "all"} /> Every site
          </label>
          <ErrorSlot sid="scope" message={errors.scope} />
        </fieldset>
      ) : null}
      <InputField
        id="field-name"
        slot="name"
        label="Name (optional)"
        name="name"
        value={v.name}
        error={errors.name}
        help="What the progress page calls this rollout, e.g. Finance, phase 1. Without one: MFA rollout of DATE."
        attrs={{ maxlength: 100 }}
      />
      <InputField
        id="field-enforcementDelayDays"
        slot="enforcementDelayDays"
        label="Enforcement delay (days)"
        name="enforcementDelayDays"
        type="number"
        value={v.enforcementDelayDays}
        error={errors.enforcementDelayDays}
        help={`Days each user may put off the setup, as the slider's delay. 0: setup is required at the next sign-in. Empty, and no date: ${DEFAULT_DELAY_DAYS} days.`}
        attrs={{ min: 0, max: 3650, placeholder: DEFAULT_DELAY_DAYS }}
      />
      <InputField
        id="field-deadline"
        slot="deadline"
        label="Or a deadline date"
        name="deadline"
        type="date"
        value={v.deadline}
        error={errors.deadline}
        help={
          canTargetAll
            ? `Setup is required from the start (00:00) of this day in this site's time zone, ${timeZone}; with Every site, from that same moment on every site (the preview shows it in each site's zone). Give a date or days, not both.`
            : `Setup is required from the start (00:00) of this day in the site's time zone, ${timeZone}. Give a date or days, not both.`
        }
      />
      <label>
        <input type="checkbox" role="switch" name="moveDeadlines" value="true" checked={v.moveDeadlines} /> Also move
        the deadline of users who already have MFA on but have not set it up
      </label>
      <label>
        <input type="checkbox" role="switch" name="includeInactive" value="true" checked={v.includeInactive} /> Also
        switch MFA on for users who cannot sign in now (disabled, or without web and device access); they are skipped
        otherwise
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
      <input type="hidden" name="whereField" value={v.whereField} />
      <input type="hidden" name="whereValue" value={v.whereValue} />
      <input type="hidden" name="scope" value={v.scope} />
      <input type="hidden" name="enforcementDelayDays" value={v.enforcementDelayDays} />
      <input type="hidden" name="deadline" value={v.deadline} />
      <input type="hidden" name="name" value={v.name} />
      {v.moveDeadlines ? <input type="hidden" name="moveDeadlines" value="true" /> : null}
      {v.includeInactive ? <input type="hidden" name="includeInactive" value="true" /> : null}
      {v.ids.map((id) => (
        <input type="hidden" name="ids" value={id} />
      ))}
      {v.back ? <input type="hidden" name="back" value={v.back} /> : null}
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
  /** The designer fields "Field" offers: the users app's searchable ones. */
  /** The searchable designer fields: the name is sent, the label shown. */
  whereFields: { name: string; label: string }[];
  /** The site the administrator works on: its users' names link to their records. */
  activeSiteId?: string;
  /**
   * An every-site rollout: the other time zones its sites keep (with their names), in which the
   * preview shows the same deadline too (one moment for every site, stored as one instant).
   */
  siteZones?: { timeZone: string; names: string[] }[];
  preview?: {
    plan: RolloutPlan;
    users: RolloutUser[];
    /** Users left alone because they cannot sign in, with why (the first 50). */
    skipped: SkippedUser[];
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
      <ErrorSummary errors={errors} labels={ROLLOUT_LABELS} fallback="field-role" />
      <p>
        Switch multi-factor authentication on for many users at once, exactly as the slider in each user's dialog does:
        each gets the same deadline and must set up MFA by then. Nothing changes until you confirm.
      </p>
      <form method="get" action="/configure/mfa/rollout">
        <RolloutFields
          v={v}
          errors={errors}
          canTargetAll={props.canTargetAll}
          whereFields={props.whereFields}
          timeZone={frame.timeZone ?? "UTC"}
        />
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
            {v.includeInactive ? null : (
              <>
                <dt>Skipped: cannot sign in (disabled, or no web or device access)</dt>
                <dd data-count="skippedInactive">{p.skippedInactive}</dd>
              </>
            )}
            <dt>Setup required from</dt>
            <dd
              data-deadline={isoDayIn(p.requiredFrom, frame.timeZone)}
              data-deadline-at={p.requiredFrom.toISOString()}
            >
              {when(p.requiredFrom, frame)}
              {v.deadline ? "" : ` (${plural(Number(delayDaysOf(v)), "day")} from now)`}
              <SiteDeadlines at={p.requiredFrom} zones={props.siteZones} />
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
                      <td>
                        <UserLink id={u.id} username={u.username} linked={u.siteId === props.activeSiteId} />
                      </td>
                      <td>{u.displayName}</td>
                      <td>{u.siteSlug}</td>
                      <td>{u.change === "enable" ? "MFA switched on" : "deadline moved"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          {preview.skipped.length ? (
            <div class="table-scroll">
              <table class="rollout-skipped">
                <caption>Skipped: they cannot sign in (tick the box above to include them)</caption>
                <thead>
                  <tr>
                    <th scope="col">Username</th>
                    <th scope="col">Display name</th>
                    <th scope="col">Site</th>
                    <th scope="col">Why</th>
                  </tr>
                </thead>
                <tbody>
                  {preview.skipped.map((u) => (
                    <tr>
                      <td>
                        <UserLink id={u.id} username={u.username} linked={u.siteId === props.activeSiteId} />
                      </td>
                      <td>{u.displayName}</td>
                      <td>{u.siteSlug}</td>
                      <td>{u.reason}</td>
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
