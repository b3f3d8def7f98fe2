import type { Child } from "hono/jsx";
import { InputField } from "../../render/form-field.js";
import { CsrfField, Layout } from "../../render/layout.js";

/**
 * The sign-in form (username, password), with one error that does not say which part was wrong;
 * `next` is the page to return to after sign-in.
 */
export function LoginPage(props: {
  csrfToken: string;
  username?: string;
  error?: string;
  next?: string;
  /** A note above the form (why the sign-in is asked for), e.g. a session that ended during a save. */
  notice?: string;
  /** "Sign in with a passkey" where a site's policy allows passwordless sign-in. */
  passkey?: Child;
}) {
  return (
    <Layout title="Sign in" csrfToken={props.csrfToken}>
      <article class="narrow">
        <h1>Sign in</h1>
        {props.notice ? (
          <p class="notice" id="login-notice">
            {props.notice}
          </p>
        ) : null}
        {props.error ? (
          <p class="notice error" role="alert" id="login-error">
            {props.error}
          </p>
        ) : null}
        <form method="post" action="/login">
          <CsrfField token={props.csrfToken} />
          {props.next ? <input type="hidden" name="next" value={props.next} /> : null}
          <InputField
            id="username"
            name="username"
            label="Username"
            autocomplete="username"
            required
            value={props.username ?? ""}
            attrs={{ maxlength: 64 }}
          />
          <InputField
            id="password"
            name="password"
            type="password"
            label="Password"
            autocomplete="current-password"
            required
            attrs={{ maxlength: 256 }}
          />
          <button type="submit">Sign in</button>
        </form>
        {props.passkey}
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
          <InputField
            id="username"
            name="username"
            label="Username"
            required
            value={props.username ?? ""}
            error={e.username}
            attrs={{ maxlength: 64 }}
          />
          <InputField
            id="password"
            name="password"
            type="password"
            label="Password"
            autocomplete="new-password"
            required
            help="At least 12 characters."
            error={e.password}
            attrs={{ minlength: 12, maxlength: 256 }}
          />
          <button type="submit">Create administrator</button>
        </form>
      </article>
    </Layout>
  );
}
