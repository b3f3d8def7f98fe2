import { isoMinuteWithZone } from "../util/zoned-dates.js";
import type { Child } from "hono/jsx";
import { CsrfField, Layout, type PageUser } from "./layout.js";
import { markupOf, ShellCache, trustedRaw, type SafeHtml } from "./shells.js";
import type { FieldChange } from "../schema/display-text.js";

/** What every signed-in page needs around its content: CSRF token, user and site name. */
export interface PageFrame {
  csrfToken: string;
  user: PageUser;
  siteName?: string;
  /** The site's time zone (IANA name) the page shows times in (pageFrameOf sets it); absent: UTC. */
  timeZone?: string;
}

/** The page of an app's list: heading, toolbar (search, new, export), the list region and the edit dialog. */
export function AppListPage(p: {
  frame: PageFrame;
  title: string;
  description?: string;
  search: Child;
  list: Child;
  newUrl?: string;
  newLabel?: string;
  exportUrl: string;
  /** Filters shown under the toolbar (the users list's MFA states). */
  filters?: Child;
}) {
  return (
    <Layout title={p.title} csrfToken={p.frame.csrfToken} user={p.frame.user} siteName={p.frame.siteName}>
      <hgroup>
        <h1>{p.title}</h1>
        {p.description ? <p>{p.description}</p> : null}
      </hgroup>
      <div class="list-toolbar">
        {p.search}
        <div class="list-actions">
          {p.newUrl ? (
            <a href={p.newUrl} role="button" hx-get={p.newUrl} hx-target="#record-dialog-body" hx-swap="innerHTML">
              {p.newLabel ?? "New record"}
            </a>
          ) : null}
          <a href={p.exportUrl} role="button" class="secondary outline" download>
            Export CSV
          </a>
        </div>
      </div>
      {p.filters ?? null}
      {p.list}
      <RecordDialog />
    </Layout>
  );
}

/** Forms opened from the list load into this dialog (public/forms.js opens and closes it). */
export function RecordDialog() {
  return (
    <dialog id="record-dialog" aria-labelledby="record-dialog-title">
      <article>
        <header>
          <button type="button" class="close-dialog" aria-label="Close" data-close-dialog="true"></button>
          <span id="record-dialog-title" class="visually-hidden">
            Record
          </span>
        </header>
        <div id="record-dialog-body"></div>
      </article>
    </dialog>
  );
}

const recordPages = new ShellCache(512);

function RecordPageMarkup(p: {
  frame: PageFrame;
  title: string;
  csrf: string;
  backUrl: string;
  backLabel: string;
  body: SafeHtml;
}) {
  return (
    <Layout title={p.title} csrfToken={p.csrf} user={p.frame.user} siteName={p.frame.siteName}>
      <nav aria-label="breadcrumb">
        <ul>
          <li>
            <a href={p.backUrl}>{p.backLabel}</a>
          </li>
          <li>{p.title}</li>
        </ul>
      </nav>
      <h1>{p.title}</h1>
      {trustedRaw(p.body)}
    </Layout>
  );
}

/**
 * A record's form on a page of its own (the no-JavaScript path, and direct
 * links). The page frame is memoised per user and site (shells.ts): only the
 * title, token, links and the form are filled in per request.
 */
export function RecordPage(p: {
  frame: PageFrame;
  title: string;
  backUrl: string;
  backLabel: string;
  children: Child;
}) {
  const key = JSON.stringify([
    p.frame.user.role,
    p.frame.user.displayName,
    p.frame.user.username,
    p.frame.siteName ?? null,
  ]);
  const slots = [
    { text: p.title },
    { text: p.frame.csrfToken },
    { text: p.backUrl },
    { text: p.backLabel },
    { html: markupOf(<>{p.children}</>) },
  ] as const;
  return trustedRaw(
    recordPages.render(key, slots, ([title, csrf, backUrl, backLabel, body]) => (
      <RecordPageMarkup frame={p.frame} title={title} csrf={csrf} backUrl={backUrl} backLabel={backLabel} body={body} />
    )),
  );
}

/** The same form as a dialog fragment, with its heading. */
export function RecordFragment(p: { title: string; children: Child }) {
  return (
    <div class="record-fragment">
      <h2>{p.title}</h2>
      {p.children}
    </div>
  );
}

/** Shown above a form that lost a race: who saved, when, what they changed; the user's input stays in the form. */
export function ConflictNotice(p: {
  by: string | null;
  at: Date;
  version: number;
  changes: FieldChange[];
  showBefore: boolean;
  /** The site's time zone, in which `at` is shown (absent: UTC). */
  timeZone?: string | undefined;
}) {
  return (
    <div class="notice error conflict" role="alert" id="conflict">
      <p>
        <strong>{p.by ?? "Someone else"}</strong> saved this record (version {p.version}) at{" "}
        {isoMinuteWithZone(p.at, p.timeZone)}, after you opened it. Nothing was saved from your form; your input is kept
        below.
      </p>
      {p.changes.length ? (
        <div class="table-scroll" tabindex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">Field</th>
                {p.showBefore ? <th scope="col">When you opened it</th> : null}
                <th scope="col">Saved now</th>
                <th scope="col">Your input</th>
              </tr>
            </thead>
            <tbody>
              {p.changes.map((ch) => (
                <tr>
                  <th scope="row">{ch.label}</th>
                  {p.showBefore ? <td>{ch.before ?? "—"}</td> : null}
                  <td>{ch.now}</td>
                  <td>{ch.yours}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p>The saved version has the same values as your input.</p>
      )}
      <p>Save again to replace the saved version with yours, or cancel to keep it.</p>
    </div>
  );
}

/** Without JavaScript a delete needs this page to confirm; with htmx the button asks instead. */
export function DeleteConfirmPage(p: {
  frame: PageFrame;
  title: string;
  action: string;
  version: number;
  cancelUrl: string;
  backUrl: string;
  backLabel: string;
  /** The list's state to come back to after the delete (listState). */
  list?: string;
}) {
  return (
    <RecordPage frame={p.frame} title={p.title} backUrl={p.backUrl} backLabel={p.backLabel}>
      <article>
        <p>Delete this record? This cannot be undone.</p>
        <form method="post" action={p.action}>
          <CsrfField token={p.frame.csrfToken} />
          <input type="hidden" name="_version" value={String(p.version)} />
          {p.list ? <input type="hidden" name="_list" value={p.list} /> : null}
          <input type="hidden" name="confirm" value="yes" />
          <button type="submit" class="delete">
            Delete
          </button>{" "}
          <a href={p.cancelUrl} role="button" class="secondary outline">
            Cancel
          </a>
        </form>
      </article>
    </RecordPage>
  );
}

/** The page listing the apps a user may open, each linked with its description. */
export function AppsIndexPage(p: {
  frame: PageFrame;
  apps: { id: string; title: string; description?: string; href: string }[];
}) {
  return (
    <Layout title="Apps" csrfToken={p.frame.csrfToken} user={p.frame.user} siteName={p.frame.siteName}>
      <h1>Apps</h1>
      {p.apps.length ? (
        <ul class="app-index">
          {p.apps.map((a) => (
            <li>
              <a href={a.href}>
                <strong>{a.title}</strong>
              </a>
              {a.description ? <p>{a.description}</p> : null}
            </li>
          ))}
        </ul>
      ) : (
        <p>There are no apps on this site yet.</p>
      )}
    </Layout>
  );
}
