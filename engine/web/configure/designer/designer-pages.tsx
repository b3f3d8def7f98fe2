import type { CompiledApp } from "../../../apps/compiled-app.js";
import { CsrfField, Layout } from "../../../render/layout.js";
import type { PageFrame } from "../../../render/record-pages.js";
import type { AppDefinition } from "../../../schema/types.js";
import { APP_ID_SOURCE } from "../../../schema/identifiers.js";
import { DesignerFeedback } from "./apps-designer-pages.js";
import { PropInput, type Errors } from "./designer-controls.js";
import { DeleteFieldForm, FieldForm, type FieldFormProps } from "./field-form.js";
import { AddFieldPicker, FieldOutline } from "./field-outline.js";
import { Breadcrumb, DesignerShell, type DesignerFrame } from "./designer-shell.js";
import { ErrorSummary } from "../../../render/error-summary.js";

/** What the Form tab shows below the tabs: the outline, the properties panel and the preview. */
export type DesignerWorkProps = DesignerFrame & {
  definition: AppDefinition;
  preview: CompiledApp | null;
  panel: FieldFormProps | null;
  /** Refusals of a section change (rename, delete), keyed `section-<n>`. */
  outlineErrors?: Record<string, string>;
};

/** The Form tab: outline on the left; the properties panel and the live preview on the right. */
export function DesignerFormPage(p: DesignerWorkProps) {
  return (
    <DesignerShell {...p} tab="form">
      <DesignerWork {...p} />
    </DesignerShell>
  );
}

/**
 * The Form tab's work area (`#designer-work`): what an htmx save of the properties panel swaps,
 * so the outline, the panel and the preview change together without a page load.
 */
export function DesignerWork(p: DesignerWorkProps) {
  const csrf = p.frame.csrfToken;
  return (
    <>
      <div class="designer-grid visual" id="designer-work">
        <div>
          <h2>Fields</h2>
          {/* Dragging needs designer.js and SortableJS, which mark the page .can-drag (public/forms.css). */}
          <p class="hint drag-only">
            Drag a field by its handle (⠿) to move it, also into another section, or use Up and Down.
          </p>
          <p class="hint no-drag">
            Use Up and Down to move a field; at the edge of a section they move it into the next one.
          </p>
          <FieldOutline
            appId={p.appId}
            csrf={csrf}
            definition={p.definition}
            selected={p.panel?.path}
            errors={p.outlineErrors}
          />
          <AddFieldPicker appId={p.appId} />
        </div>
        <div>
          {p.panel ? (
            <article class="properties-panel">
              <FieldForm {...p.panel} />
              {p.panel.mode === "edit" && !p.panel.system ? (
                <DeleteFieldForm appId={p.appId} path={p.panel.path!} csrf={csrf} />
              ) : null}
            </article>
          ) : null}
          <DesignerFeedback
            problems={[]}
            breaking={[]}
            preview={p.preview}
            csrfToken={csrf}
            refused={p.panel !== null && Object.keys(p.panel.errors).length > 0}
          />
        </div>
      </div>
    </>
  );
}

/** New app and Duplicate: a title and an id suggested from it. */
export function NewAppPage(p: {
  frame: PageFrame;
  heading: string;
  action: string;
  input: { title: string; id: string };
  errors: Errors;
}) {
  const e = p.errors;
  return (
    <Layout title={p.heading} csrfToken={p.frame.csrfToken} user={p.frame.user} siteName={p.frame.siteName}>
      <Breadcrumb here={p.heading} />
      <h1>{p.heading}</h1>
      <form method="post" action={p.action} id="new-app-form">
        <ErrorSummary errors={e} fallback="p-title" targetOf={(n) => (n === "_" ? undefined : `p-${n}`)} />
        <CsrfField token={p.frame.csrfToken} />
        <PropInput name="title" label="Title" value={p.input.title} errors={e} required attrs={{ maxlength: 200 }} />
        <PropInput
          name="id"
          label="Id"
          help="Used in web addresses; suggested from the title when left blank."
          value={p.input.id}
          errors={e}
          attrs={{ pattern: APP_ID_SOURCE, "data-id-from": "title" }}
        />
        <button type="submit">Create app</button>
      </form>
      <script src="/public/designer.js" defer></script>
    </Layout>
  );
}

/** Asks before an app is deleted; the button says Confirm. */
export function DeleteAppPage(p: { frame: PageFrame; appId: string; title: string }) {
  return (
    <Layout title={`Delete ${p.title}`} csrfToken={p.frame.csrfToken} user={p.frame.user} siteName={p.frame.siteName}>
      <h1>Delete {p.title}?</h1>
      <p>
        The app has no records. Deleting it removes every version of its definition and its draft; this cannot be
        undone.
      </p>
      <form method="post" action={`/configure/apps/${p.appId}/delete`}>
        <CsrfField token={p.frame.csrfToken} />
        <input type="hidden" name="confirm" value="yes" />
        <button type="submit">Confirm</button>{" "}
        <a href="/configure/apps" role="button" class="secondary outline">
          Cancel
        </a>
      </form>
    </Layout>
  );
}
