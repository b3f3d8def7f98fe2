import type { AppSummary, AppVersionInfo } from "../../../apps/app-registry.js";
import type { CompiledApp } from "../../../apps/compiled-app.js";
import { initialValues } from "../../../schema/form-post.js";
import type { DefinitionProblem } from "../../../schema/app-definition.js";
import { FormField } from "../../../render/form-field.js";
import { RecordForm } from "../../../render/record-form.js";
import { CsrfField, Layout } from "../../../render/layout.js";
import type { PageFrame } from "../../../render/record-pages.js";
import { AppVersionsTable } from "./app-versions-table.js";
import { DesignerTabs, when } from "./designer-shell.js";

/**
 * The designer's list of apps with record counts, last change and draft owner; New app
 * (/configure/apps/new), Duplicate and Delete for each.
 */
export function AppsListPage(p: {
  frame: PageFrame;
  apps: (AppSummary & {
    href: string;
    records: number;
    lastChange: Date | null;
    draftBy: string | null;
    /** A new app never published: "Not published yet", no link to its (404) pages. */
    unpublished?: boolean;
  })[];
}) {
  return (
    <Layout title="Apps (designer)" csrfToken={p.frame.csrfToken} user={p.frame.user} siteName={p.frame.siteName}>
      <h1>Apps</h1>
      <p>
        Build an app's form, list and settings in the designer, then publish it. Changes apply on this site only.{" "}
        <a href="/configure/apps/new" role="button">
          New app
        </a>
      </p>
      <div class="table-scroll" tabindex={0}>
        <table class="striped">
          <thead>
            <tr>
              <th scope="col">App</th>
              <th scope="col">Records</th>
              <th scope="col">Published version</th>
              <th scope="col">Last change</th>
              <th scope="col"></th>
            </tr>
          </thead>
          <tbody>
            {p.apps.map((a) => (
              <tr>
                <th scope="row">
                  <a href={`/configure/apps/${a.id}`}>{a.title}</a>{" "}
                  <small>
                    <code>{a.id}</code>
                  </small>
                  {a.draftBy ? <small class="draft-note"> · draft by {a.draftBy}</small> : null}
                </th>
                <td>{a.unpublished ? a.records : <a href={a.href}>{a.records}</a>}</td>
                <td>
                  {a.unpublished
                    ? "Not published yet"
                    : a.version === 0
                      ? "built-in"
                      : `${a.version}${a.builtIn ? " (customised)" : ""}`}
                </td>
                <td>{when(a.lastChange, p.frame.timeZone)}</td>
                <td>
                  <a href={`/configure/apps/${a.id}/duplicate`}>Duplicate</a>
                  {!a.builtIn && a.records === 0 ? (
                    <form method="post" action={`/configure/apps/${a.id}/delete`} class="inline">
                      {" "}
                      <CsrfField token={p.frame.csrfToken} />
                      <button type="submit" class="secondary outline small">
                        Delete
                      </button>
                    </form>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Layout>
  );
}

/** An alert listing app definition problems, each as its JSON Pointer and message. */
export function Problems({ problems, heading }: { problems: DefinitionProblem[]; heading: string }) {
  return (
    <div class="notice error" role="alert" id="definition-problems">
      <p>
        <strong>{heading}</strong>
      </p>
      <ul>
        {problems.map((pr) => (
          <li>
            <code>{pr.pointer || "/"}</code>: {pr.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** What the live check answers: the problems, or a preview of the form the definition makes. */
export function DesignerFeedback(p: {
  problems: DefinitionProblem[];
  breaking: DefinitionProblem[];
  preview: CompiledApp | null;
  csrfToken: string;
  /** The properties panel's change was just refused: "valid" would speak of the unchanged draft. */
  refused?: boolean;
}) {
  return (
    <div id="designer-feedback" aria-live="polite">
      {p.problems.length ? <Problems problems={p.problems} heading="This definition is not valid:" /> : null}
      {!p.problems.length && p.breaking.length ? (
        <Problems problems={p.breaking} heading="This change would break stored records:" />
      ) : null}
      {!p.problems.length && !p.breaking.length && !p.refused ? (
        <p class="notice" id="definition-ok">
          The definition is valid.
        </p>
      ) : null}
      {p.preview ? (
        <section>
          <h2>Preview</h2>
          <RecordForm
            sections={p.preview.sections}
            values={initialValues(p.preview.fields)}
            errors={{}}
            mode="create"
            action="#"
            csrfToken={p.csrfToken}
            preview={true}
          />
        </section>
      ) : null}
    </div>
  );
}

/**
 * The JSON editor of an app definition: the text, the version it is based on (optimistic locking),
 * the version history with restore, and the checks' feedback.
 */
export function AppEditorPage(p: {
  frame: PageFrame;
  appId: string;
  title: string;
  text: string;
  baseVersion: number;
  /** Showing an older version (read-only, restorable) rather than the newest. */
  viewing: number | null;
  history: AppVersionInfo[];
  feedback: ReturnType<typeof DesignerFeedback>;
  savedVersion?: number;
  listHref: string;
  /** Unpublished changes waiting in the designer: this page edits the published version, not them. */
  draft?: { by: string; at: Date } | null;
}) {
  const checkUrl = `/configure/apps/${p.appId}/check`;
  return (
    <Layout
      title={`Designer: ${p.title}`}
      csrfToken={p.frame.csrfToken}
      user={p.frame.user}
      siteName={p.frame.siteName}
    >
      <nav aria-label="breadcrumb">
        <ul>
          <li>
            <a href="/configure/apps">Apps</a>
          </li>
          <li>{p.title}</li>
        </ul>
      </nav>
      <h1>{p.title}</h1>
      <DesignerTabs appId={p.appId} tab="json" />
      <p>
        <a href={p.listHref}>Open the app</a>. The JSON editor is for experts: saving here publishes at once.
      </p>
      {p.draft ? (
        <p class="notice" id="json-draft-pending">
          Unpublished changes by {p.draft.by}, {when(p.draft.at, p.frame.timeZone)}, wait in the{" "}
          <a href={`/configure/apps/${p.appId}`}>Form tab</a>: this editor shows the published version without them.
          Saving here publishes it as the next version, and that draft can then no longer be published.
        </p>
      ) : null}
      {p.savedVersion !== undefined ? (
        <p class="notice" role="status">
          Saved as version {p.savedVersion}. It applies now.
        </p>
      ) : null}
      <div class="designer-grid">
        <div>
          {p.viewing !== null ? (
            <>
              <p class="notice">
                You are looking at version {p.viewing === 0 ? "0 (built-in)" : p.viewing}. Restoring it saves it again
                as the newest version.
              </p>
              <form method="post" action={`/configure/apps/${p.appId}/restore`}>
                <CsrfField token={p.frame.csrfToken} />
                <input type="hidden" name="version" value={String(p.viewing)} />
                <input type="hidden" name="_version" value={String(p.baseVersion)} />
                <textarea aria-label="Definition (JSON)" readonly rows={30}>
                  {p.text}
                </textarea>
                <button type="submit">Restore version {p.viewing}</button>{" "}
                <a href={`/configure/apps/${p.appId}`} role="button" class="secondary outline">
                  Back to the newest
                </a>
              </form>
            </>
          ) : (
            <form method="post" action={`/configure/apps/${p.appId}`}>
              <CsrfField token={p.frame.csrfToken} />
              <input type="hidden" name="_version" value={String(p.baseVersion)} />
              <FormField
                id="definition"
                label="Definition (JSON)"
                control={(a) => (
                  <textarea
                    id={a.id}
                    name="definition"
                    rows={30}
                    spellcheck={false}
                    hx-post={checkUrl}
                    hx-trigger="input changed delay:400ms"
                    hx-target="#designer-feedback"
                    hx-swap="outerHTML"
                    aria-describedby={`designer-feedback ${a["aria-describedby"]}`}
                  >
                    {p.text}
                  </textarea>
                )}
              />
              <button type="submit">Save as version {p.baseVersion + 1}</button>
            </form>
          )}
          <h2>History</h2>
          <AppVersionsTable
            history={p.history}
            dateLabel="Saved"
            timeZone={p.frame.timeZone}
            action={(h) =>
              h.version === p.baseVersion ? (
                "current"
              ) : (
                <a href={`/configure/apps/${p.appId}?version=${h.version}`}>View</a>
              )
            }
          />
        </div>
        <div>{p.feedback}</div>
      </div>
    </Layout>
  );
}
