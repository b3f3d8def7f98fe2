import type { Child } from "hono/jsx";
import { DOCTYPE, PAGE_TOP_MARK, trustedRaw } from "./shells.js";

/** The signed-in user as the page header shows it. */
export interface PageUser {
  username: string;
  displayName: string;
  role: string;
}

/**
 * What the page layout needs: the title, the CSRF token, and the signed-in user and site name when
 * there is one.
 */
export interface LayoutProps {
  title: string;
  csrfToken: string;
  user?: PageUser | null;
  siteName?: string;
  children?: Child;
}

/**
 * Name of the hidden form field that carries the CSRF token. Defined here, beside the field that
 * renders it, so rendering needs nothing from the web layer; engine/web/http/csrf.ts checks it.
 */
export const CSRF_FIELD = "_csrf";

/** The hidden field every form carries; see engine/web/http/csrf.ts. */
export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name={CSRF_FIELD} value={token} />;
}

/**
 * The HTML page around every screen: head (title "… · Formgate", CSRF token meta for htmx, styles
 * and scripts), header with the signed-in user and site, then in `<main>` PAGE_TOP_MARK (where the
 * shared notices go) and `children`.
 */
export function Layout({ title, csrfToken, user, siteName, children }: LayoutProps) {
  return (
    <>
      {trustedRaw(DOCTYPE)}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="csrf-token" content={csrfToken} />
          {/* htmx would add its indicator rules as a style sheet of its own at run time, which a strict
              Content-Security-Policy (style-src 'self') may block: public/app.css carries them instead. */}
          <meta name="htmx-config" content="includeIndicatorCSS:false" />
          <title>{`${title} · Formgate`}</title>
          <link rel="icon" href="/public/favicon.svg" type="image/svg+xml" />
          <link rel="stylesheet" href="/assets/pico.min.css" />
          <link rel="stylesheet" href="/public/ui.css" />
          <link rel="stylesheet" href="/public/app.css" />
          <link rel="stylesheet" href="/public/forms.css" />
          <script src="/assets/htmx.min.js" defer></script>
          <script src="/public/app.js" defer></script>
          <script src="/public/forms.js" defer></script>
        </head>
        <body>
          <a class="skip-link" href="#main">
            Skip to content
          </a>
          <header class="container">
            <nav>
              <ul>
                <li>
                  <a href="/" class="brand">
                    <strong>Formgate</strong>
                  </a>
                </li>
                {siteName ? <li class="site-name">{siteName}</li> : null}
              </ul>
              {user ? (
                <ul>
                  {user.role === "admin" || user.role === "designer" ? (
                    <li>
                      <a href="/configure">Configure</a>
                    </li>
                  ) : null}
                  <li>
                    <a href="/apps">Apps</a>
                  </li>
                  <li>
                    <a href="/account">Account</a>
                  </li>
                  <li>
                    <form method="post" action="/logout" class="inline">
                      <CsrfField token={csrfToken} />
                      <button type="submit" class="secondary outline">
                        Sign out {user.displayName || user.username}
                      </button>
                    </form>
                  </li>
                </ul>
              ) : null}
            </nav>
          </header>
          <main class="container" id="main" tabindex={-1}>
            {trustedRaw(PAGE_TOP_MARK)}
            {children}
          </main>
        </body>
      </html>
    </>
  );
}

/** A message page for errors (no stack, no input echoed). */
export function MessagePage(props: { title: string; message: string; csrfToken: string; status?: number }) {
  return (
    <Layout title={props.title} csrfToken={props.csrfToken}>
      <article>
        <h1>{props.title}</h1>
        <p>{props.message}</p>
        <p>
          <a href="/">Back to the start page</a>
        </p>
      </article>
    </Layout>
  );
}
