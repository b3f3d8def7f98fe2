import type { Context } from "hono";
import { storedValueTypes } from "../../../apps/stored-values.js";
import { storedValueProblems } from "../../../apps/stored-value-checks.js";
import { compileApp, type CompiledApp } from "../../../apps/compiled-app.js";
import {
  fieldInputOf,
  locate,
  problemsToErrors,
  type EditContext,
  type EditResult,
  type FieldInput,
} from "../../../apps/designer-edits.js";
import type { DesignerType } from "../../../apps/field-types.js";
import { DraftConflict, draftConflictMessage, draftStamp, type AppDraft } from "../../../apps/drafts.js";
import { appHref } from "../../../apps/app-registry.js";
import { NotFoundError } from "../../../errors.js";
import type { AppDefinition, FieldSchema } from "../../../schema/types.js";
import { APP_ID } from "../../../schema/identifiers.js";
import type { Services } from "../../../services.js";
import { flash } from "../../http/flash.js";
import { readForm } from "../../http/form-body.js";
import type { AppEnv } from "../../http/env.js";
import { signedIn } from "../../http/guards.js";
import { sendPage } from "../../http/page.js";
import type { FieldFormProps } from "./field-form.js";
import { FlashOutOfBand } from "../../../render/notices.js";
import { DesignerFormPage, DesignerWork, type DesignerWorkProps } from "./designer-pages.js";
import { DraftBar, DraftStampContext, type DesignerFrame } from "./designer-shell.js";
import { pageFrameOf } from "../../http/page-frame.js";
import { wantsRegion } from "../../http/htmx.js";

/** The app being designed, its draft, the definition shown (the draft, else the published one) and what a change is checked against. */
export interface DesignerState {
  app: CompiledApp;
  /** A new app never published: it exists only as its draft (not listed for users, its pages 404). */
  unpublished: boolean;
  draft: AppDraft | null;
  working: AppDefinition;
  ctx: EditContext;
}

/** A change refused because the draft changed since its page was shown: the draft now, and why (409). */
export interface DesignerConflict {
  st: DesignerState;
  message: string;
}

/** The helpers every designer route shares (see designerContext). */
export type DesignerContext = ReturnType<typeof designerContext>;

/**
 * What the visual designer's routes share: who is asking, the app and its draft, the frame of a
 * page, the properties panel, and `apply`, which saves a change's result as the draft (then
 * redirects back with its message) or shows its errors. Throws NotFoundError (404) for an app
 * that is not on the site.
 */
export function designerContext(s: Services) {
  const siteOf = (c: Context<AppEnv>) => signedIn(c).activeSiteId;
  const actorOf = (c: Context<AppEnv>) => {
    const u = signedIn(c).user;
    return { id: u.id, name: u.username };
  };

  async function current(c: Context<AppEnv>): Promise<CompiledApp> {
    const appId = c.req.param("appId") ?? "";
    const app = APP_ID.test(appId) ? await s.apps.get(siteOf(c), appId) : null;
    if (app) return app;
    // A new app is only a draft until its first Publish: the designer shows it from the draft.
    const draft = APP_ID.test(appId) ? await s.drafts.get(siteOf(c), appId) : null;
    if (draft && draft.baseVersion === 0 && (await s.apps.currentVersion(siteOf(c), appId)) === null) {
      return compileApp(draft.definition, 0);
    }
    throw new NotFoundError("There is no such app on this site.");
  }

  async function state(c: Context<AppEnv>): Promise<DesignerState> {
    const app = await current(c);
    const siteId = siteOf(c);
    const draft = await s.drafts.get(siteId, app.id);
    const recordCount = await s.apps.storeFor(app).count(app, siteId);
    const stored = recordCount > 0 ? await storedValueTypes(s.db, app, siteId) : undefined;
    const ctx: EditContext = { published: app.definition, recordCount, ...(stored ? { stored } : {}) };
    const unpublished = app.version === 0 && (await s.apps.currentVersion(siteId, app.id)) === null;
    return { app, unpublished, draft, working: draft?.definition ?? app.definition, ctx };
  }

  async function shell(c: Context<AppEnv>, st: DesignerState, problem?: string): Promise<DesignerFrame> {
    const me = signedIn(c).user.id;
    const d = st.draft;
    const f: DesignerFrame = {
      frame: await pageFrameOf(c, s.sites),
      appId: st.app.id,
      title: st.working.title,
      publishedVersion: st.app.version,
      unpublished: st.unpublished,
      recordCount: st.ctx.recordCount,
      listHref: appHref(st.app.id),
      stamp: draftStamp(st.draft, st.app.version),
      draft: d
        ? {
            by: d.updatedBy.name,
            at: d.updatedAt,
            mine: d.updatedBy.id === me,
            stale: d.baseVersion !== st.app.version,
          }
        : null,
    };
    if (problem) f.problem = problem;
    return f;
  }

  function preview(st: DesignerState): CompiledApp | null {
    try {
      return st.draft ? compileApp(st.working, st.app.version + 1) : st.app;
    } catch {
      return null;
    }
  }

  function siblingsOf(def: AppDefinition, parent: string): Record<string, FieldSchema | undefined> {
    if (!parent) return def.record.properties;
    const f = locate(def, parent)?.field;
    const holder = f?.type === "object" ? f : f?.type === "array" ? f.items : undefined;
    return holder?.properties ?? {};
  }

  function panelFor(
    c: Context<AppEnv>,
    st: DesignerState,
    mode: "new" | "edit",
    type: DesignerType,
    input: FieldInput,
    errors: Record<string, string>,
    path?: string,
  ): FieldFormProps {
    const at = path ? locate(st.working, path) : null;
    const parent = path ? path.split(".").slice(0, -1).join(".") : (input.parent ?? "");
    const panel: FieldFormProps = {
      appId: st.app.id,
      csrf: c.var.csrfToken,
      definition: st.working,
      mode,
      type,
      input,
      errors,
      siblings: siblingsOf(st.working, parent),
      nameLocked:
        mode === "edit" && st.ctx.recordCount > 0 && path && locate(st.ctx.published, path)
          ? `Records already hold values under this name, so it stays; change the label instead.`
          : null,
    };
    if (path) panel.path = path;
    const system = at?.field["x-system"];
    if (system) panel.system = system;
    return panel;
  }

  async function formPage(
    c: Context<AppEnv>,
    st: DesignerState,
    panel: FieldFormProps | null,
    status: 200 | 409 | 422 = 200,
    problem?: string,
    outlineErrors?: Record<string, string>,
  ) {
    const frame = await shell(c, st, problem);
    const props = { ...frame, definition: st.working, preview: preview(st), panel, outlineErrors };
    if (wantsRegion(c, "designer-work")) return workArea(c, props, status, problem);
    return sendPage(c, <DesignerFormPage {...props} />, status);
  }

  /**
   * The answer to an htmx save of the properties panel: the work area (outline, panel, preview)
   * for the target, and, out of band, the draft bar and the change's message (role=status).
   */
  function workArea(c: Context<AppEnv>, p: DesignerWorkProps, status: 200 | 409 | 422, message?: string) {
    return sendPage(
      c,
      <DraftStampContext.Provider value={p.stamp}>
        <DesignerWork {...p} />
        <DraftBar {...p} oob />
        {message ? <FlashOutOfBand text={message} /> : null}
      </DraftStampContext.Provider>,
      status,
    );
  }

  /**
   * The posted `draftStamp` (see DraftStampField) as the check drafts.save takes; undefined when
   * the client sent none (a plain-POST client of the HTTP contract: its change is saved as before).
   */
  async function expectedOf(c: Context<AppEnv>, st: DesignerState) {
    const stamp = (await readForm(c)).one.draftStamp;
    return stamp === undefined ? undefined : { stamp, publishedVersion: st.app.version };
  }

  /**
   * A valid change, or its refusal when the fields it changes would refuse values the app's records
   * hold (stored-value-checks.ts): only the fields whose rules this change makes differ from the
   * draft's and the published version's are read. Shown on the field the change was made on.
   */
  async function againstStoredValues(c: Context<AppEnv>, st: DesignerState, result: EditResult): Promise<EditResult> {
    if (!result.ok || st.unpublished || st.ctx.recordCount === 0) return result;
    const opts = { since: st.working, ...(st.ctx.stored ? { stored: st.ctx.stored } : {}) };
    const problems = await storedValueProblems(s.db, st.app, siteOf(c), st.ctx.published, result.definition, opts);
    if (!problems.length) return result;
    const field = result.field;
    return { ok: false, errors: problemsToErrors(problems, field?.pointer ?? null, field?.name ?? null) };
  }

  /**
   * Saves a change's result as the draft and goes back to the tab (`back`,
   * "" for Form) with the change's message; or shows the errors. A change
   * posted from a page whose draft has since changed (another designer, another
   * tab) is refused whole: onError gets the draft as it is now and the
   * conflict, and answers 409 with the user's input kept.
   */
  async function apply(
    c: Context<AppEnv>,
    st: DesignerState,
    result: EditResult,
    onError: (errors: Record<string, string>, conflict?: DesignerConflict) => Promise<Response>,
    back = "",
    /** The field the panel shows after the change, for an htmx save (which gets the work area, not a redirect). */
    shownAfter?: (next: AppDefinition) => string | null,
  ): Promise<Response> {
    const expected = await expectedOf(c, st);
    const conflict = async (err: DraftConflict) => {
      const now = await state(c);
      return onError(
        {},
        { st: now, message: draftConflictMessage(err.current, (await pageFrameOf(c, s.sites)).timeZone) },
      );
    };
    if (result.ok) result = await againstStoredValues(c, st, result);
    if (!result.ok) {
      // A refused change from a page whose draft has changed: the conflict, not the errors. (A
      // valid change has its stamp checked once, by drafts.save, under the draft's row lock.)
      if (expected && expected.stamp !== draftStamp(st.draft, st.app.version)) {
        return conflict(new DraftConflict(st.draft));
      }
      return onError(result.errors);
    }
    let saved: AppDraft;
    try {
      const base = st.draft?.baseVersion ?? st.app.version;
      saved = await s.drafts.save(siteOf(c), result.definition, base, actorOf(c), expected);
    } catch (err) {
      if (err instanceof DraftConflict) return conflict(err);
      throw err;
    }
    const message = `${result.message} Publish to apply it.`;
    if (shownAfter && wantsRegion(c, "designer-work")) {
      // The state after the save, from what was saved: the app, its records and its store are
      // as this request read them (the designer state is read once per request).
      // A never-published app is shown from its draft, so it is compiled again from the saved one.
      const app = st.unpublished ? compileApp(saved.definition, 0) : st.app;
      const ctx = st.unpublished ? { ...st.ctx, published: app.definition } : st.ctx;
      const next: DesignerState = { ...st, app, ctx, draft: saved, working: saved.definition };
      const path = shownAfter(next.working);
      const input = path ? fieldInputOf(next.working, path) : null;
      const panel = path && input ? panelFor(c, next, "edit", input.type as DesignerType, input, {}, path) : null;
      const props = { ...(await shell(c, next)), definition: next.working, preview: preview(next), panel };
      // The address follows the panel (a renamed or new field), so a reload shows the same field.
      if (panel) c.header("HX-Replace-Url", `/configure/apps/${next.app.id}/fields/${path}`);
      return workArea(c, props, 200, message);
    }
    flash(c, message);
    return c.redirect(`/configure/apps/${st.app.id}${back}`, 303);
  }

  return {
    siteOf,
    actorOf,
    current,
    state,
    shell,
    preview,
    siblingsOf,
    panelFor,
    formPage,
    apply,
    expectedOf,
  };
}
