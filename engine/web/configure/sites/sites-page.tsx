import type { Site } from "../../../sites/sites.js";
import { InputField } from "../../../render/form-field.js";
import { CsrfField, Layout, type PageUser } from "../../../render/layout.js";
import { ErrorSummary } from "../../../render/error-summary.js";

/** The zones this runtime knows (ECMA-402 Intl.supportedValuesOf), offered while typing; UTC first. */
const TIME_ZONES = ["UTC", ...Intl.supportedValuesOf("timeZone").filter((z) => z !== "UTC")];

/** The add-site form's own problems (the switch's message shows above the table). */
const addSiteErrors = (e: Record<string, string>) =>
  Object.fromEntries(Object.entries(e).filter(([name]) => name === "slug" || name === "name"));

/**
 * Configure > Sites: the sites there are and the one being managed. Public Site
 * administrators switch to any site (a button per row) and add sites; other
 * administrators see their own site.
 */
export function SitesPage(props: {
  csrfToken: string;
  user: PageUser;
  activeSite: Site;
  /** Every site, for Public Site administrators; null for everyone else. */
  sites: Site[] | null;
  errors?: Record<string, string>;
  newSite?: { slug?: string; name?: string };
  /** The time zone typed in (kept when it was refused). */
  timeZone?: string;
}) {
  const e = props.errors ?? {};
  const rows = props.sites ?? [props.activeSite];
  return (
    <Layout title="Sites" csrfToken={props.csrfToken} user={props.user} siteName={props.activeSite.name}>
      <hgroup>
        <h1>Sites</h1>
        <p>
          You are managing <strong>{props.activeSite.name}</strong>.
        </p>
      </hgroup>
      {e.site ? (
        <p class="notice error" role="alert">
          {e.site}
        </p>
      ) : null}
      <div class="table-scroll" tabindex={0}>
        <table class="striped">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Slug</th>
              <th scope="col">Time zone</th>
              <th scope="col">Managing</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => (
              <tr>
                <th scope="row">
                  {s.name}
                  {s.isPublic ? " (Public Site)" : ""}
                </th>
                <td>{s.slug}</td>
                <td>{s.timeZone}</td>
                <td>
                  {s.id === props.activeSite.id ? (
                    "Now"
                  ) : props.sites ? (
                    <form method="post" action="/configure/site" class="inline">
                      <CsrfField token={props.csrfToken} />
                      <input type="hidden" name="site" value={s.slug} />
                      <button type="submit" class="secondary outline" aria-label={`Switch to ${s.name}`}>
                        Switch
                      </button>
                    </form>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <section aria-labelledby="time-zone">
        <h2 id="time-zone">Time zone</h2>
        <form method="post" action="/configure/sites/time-zone">
          <CsrfField token={props.csrfToken} />
          <InputField
            id="timeZone"
            name="timeZone"
            label={`Time zone of ${props.activeSite.name}`}
            help="Deadlines, activation dates and the audit log are shown in this zone (an IANA name such as Europe/Berlin). CSV exports stay in ISO 8601 with the offset."
            required
            value={props.timeZone ?? props.activeSite.timeZone}
            error={e.timeZone}
            attrs={{ list: "time-zones", maxlength: 64, autocomplete: "off", spellcheck: "false" }}
          />
          <datalist id="time-zones">
            {TIME_ZONES.map((z) => (
              <option value={z} />
            ))}
          </datalist>
          <button type="submit">Save time zone</button>
        </form>
      </section>
      {props.sites ? (
        <section aria-labelledby="add-site">
          <h2 id="add-site">Add a site</h2>
          <form method="post" action="/configure/sites">
            <ErrorSummary errors={addSiteErrors(e)} fallback="slug" targetOf={(n) => n} />
            <CsrfField token={props.csrfToken} />
            <InputField
              id="slug"
              name="slug"
              label="Slug"
              required
              value={props.newSite?.slug ?? ""}
              error={e.slug}
              attrs={{ pattern: "[a-z0-9][a-z0-9\\-]{0,62}" }}
            />
            <InputField
              id="name"
              name="name"
              label="Name"
              required
              value={props.newSite?.name ?? ""}
              error={e.name}
              attrs={{ maxlength: 200 }}
            />
            <button type="submit">Add site</button>
          </form>
        </section>
      ) : (
        <p>Only administrators of the Public Site add sites.</p>
      )}
    </Layout>
  );
}
