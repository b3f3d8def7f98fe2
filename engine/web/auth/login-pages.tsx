import { CsrfField, Layout } from "../../render/layout.js";

/**
 * The sign-in form (username, password), with one error that does not say which part was wrong;
 * `next` is the page to return to after sign-in.
 */
export function LoginPage(props: { csrfToken: string; username?: string; error?: string; next?: string }) {
  return (
    <Layout title="Sign in" csrfToken={props.csrfToken}>
      <article class="narrow">
        <h1>Sign in</h1>
        {props.error ? (
          <p class="notice error" role="alert" id="login-error">
            {props.error}
          </p>
        ) : null}
        <form method="post" action="/login">
          <CsrfField token={props.csrfToken} />
          <label>
            Username
            <input name="username" autocomplete="username" required maxlength={64} value={props.username ?? ""} />
          </label>
          <label>
            Password
            <input name="password" type="password" autocomplete="current-password" required maxlength={256} />
          </label>
          <button type="submit">Sign in</button>
        </form>
      </article>
    </Layout>
  );
}

/**
 * The form that creates the first administrator from a setup link: username and password (at least
 * MIN_PASSWORD_LENGTH characters), with an error beside each field.
 */
export function FirstAdminPage(props: {
  csrfToken: string;
  action: string;
  username?: string;
  errors?: Record<string, string>;
}) {
  const e = props.errors ?? {};
  return (
    <Layout title="Create the first administrator" csrfToken={props.csrfToken}>
      <article class="narrow">
        <h1>Create the first administrator</h1>
        <p>This one-time link lets you choose the administrator of the Public Site.</p>
        <form method="post" action={props.action}>
          <CsrfField token={props.csrfToken} />
          <label>
            Username
            <input
              name="username"
              required
              maxlength={64}
              value={props.username ?? ""}
              aria-invalid={e.username ? "true" : undefined}
            />
            <small class="field-error" id="error-username">
              {e.username ?? ""}
            </small>
          </label>
          <label>
            Password (at least 12 characters)
            <input
              name="password"
              type="password"
              autocomplete="new-password"
              required
              minlength={12}
              maxlength={256}
              aria-invalid={e.password ? "true" : undefined}
            />
            <small class="field-error" id="error-password">
              {e.password ?? ""}
            </small>
          </label>
          <button type="submit">Create administrator</button>
        </form>
      </article>
    </Layout>
  );
}
