import type { Site } from "../../sites/sites.js";
import { CsrfField, Layout, type PageUser } from "../../render/layout.js";

export function ConfigureHome(props: {
  csrfToken: string;
  user: PageUser;
  activeSite: Site;
  sites: Site[] | null;
  errors?: Record<string, string>;
  newSite?: { slug?: string; name?: string };
}) {
  const e = props.errors ?? {};
  return (
    <Layout title="Configure" csrfToken={props.csrfToken} user={props.user} siteName={props.activeSite.name}>
      <h1>Configure</h1>
      <p>
        You are managing <strong>{props.activeSite.name}</strong>.
      </p>
      <nav aria-label="Configure">
        <ul class="configure-links">
          {props.user.role === "admin" ? (
            <>
              <li>
                <a href="/configure/users">Users</a>
              </li>
              <li>
                <a href="/configure/audit">Audit log</a>
              </li>
              {/* The token registry lives on the Public Site: only its administrators get props.sites. */}
              {props.sites ? (
                <li>
                  <a href="/configure/mfa-hardware">MFA Hardware</a>
                </li>
              ) : null}
            </>
          ) : null}
          <li>
            <a href="/configure/apps">Apps (designer)</a>
          </li>
        </ul>
      </nav>
      {props.sites ? (
        <section>
          <h2>Sites</h2>
          <form method="post" action="/configure/site">
            <CsrfField token={props.csrfToken} />
            <fieldset role="group">
              <select name="site" aria-label="Site">
                {props.sites.map((s) => (
                  <option value={s.slug} selected={s.id === props.activeSite.id}>
                    {s.name} ({s.slug})
                  </option>
                ))}
              </select>
              <button type="submit">Switch site</button>
            </fieldset>
          </form>
          <h3>Add a site</h3>
          <form method="post" action="/configure/sites">
            <CsrfField token={props.csrfToken} />
            <label>
              Slug
              <input
                name="slug"
                required
                pattern="[a-z0-9][a-z0-9\-]{0,62}"
                value={props.newSite?.slug ?? ""}
                aria-invalid={e.slug ? "true" : undefined}
              />
              <small class="field-error" id="error-slug">
                {e.slug ?? ""}
              </small>
            </label>
            <label>
              Name
              <input
                name="name"
                required
                maxlength={200}
                value={props.newSite?.name ?? ""}
                aria-invalid={e.name ? "true" : undefined}
              />
              <small class="field-error" id="error-name">
                {e.name ?? ""}
              </small>
            </label>
            <button type="submit">Add site</button>
          </form>
        </section>
      ) : null}
    </Layout>
  );
}
