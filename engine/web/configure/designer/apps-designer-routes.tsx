import { Hono, type Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { compileApp, type CompiledApp } from "../../../apps/compiled-app.js";
import {
  applyOptionDecisions,
  removedOptionsInUse,
  RemovedOptionsInUse,
  type RemovedOptionInUse,
} from "../../../apps/choice-remap.js";
import { changeProblems } from "../../../apps/stored-value-checks.js";
import { appHref, DefinitionVersionConflict } from "../../../apps/app-registry.js";
import type { AppEnv } from "../../http/env.js";
import { queryParams } from "../../http/query.js";
import { flash } from "../../http/flash.js";
import { requireRole, signedIn } from "../../http/guards.js";
import { sendPage } from "../../http/page.js";
import { readForm } from "../../http/form-body.js";
import { checkDefinition, checkDefinitionText, type DefinitionProblem } from "../../../schema/app-definition.js";
import type { Services } from "../../../services.js";
import { UNSTORABLE_TEXT_MESSAGE } from "../../../util/storable-text.js";
import { AppEditorPage, AppsListPage, DesignerFeedback } from "./apps-designer-pages.js";
import { visualDesignerRoutes } from "./visual-designer-routes.js";
import { askedAgainBecause, postedCounts, postedDecisions, RemovedOptionsPage } from "./removed-options-page.js";
import { pageFrameOf } from "../../http/page-frame.js";
import { APP_ID } from "../../../schema/identifiers.js";
import { plural } from "../../../util/plural.js";

/** A definition's JSON text is bounded like any other input. */
const MAX_DEFINITION_CHARS = 200_000;

/**
 * The designer (/configure/apps, designers and administrators): view an app's
 * definition, edit its JSON with a live check and preview, save it as a new
 * version that applies at once, browse and restore older versions, add apps.
 * Every save goes through the meta-schema check and the breaking-change
 * check against the records already stored on the site.
 */
export function appsDesignerRoutes(s: Services): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.use("/configure/apps", requireRole("admin", "designer"));
  routes.use("/configure/apps/*", requireRole("admin", "designer"));
  // The visual designer's routes come before /configure/apps/:appId, which would take "new".
  const visual = visualDesignerRoutes(routes, s);

  const actorOf = (c: Context<AppEnv>) => {
    const u = signedIn(c).user;
    return { id: u.id, name: u.username };
  };

  async function current(c: Context<AppEnv>, appId: string): Promise<CompiledApp> {
    if (!APP_ID.test(appId)) throw new HTTPException(404, { message: "There is no such app on this site." });
    const app = await s.apps.get(signedIn(c).activeSiteId, appId);
    if (!app) throw new HTTPException(404, { message: "There is no such app on this site." });
    return app;
  }

  /**
   * Problems that stop a save: the definition's own, then what it would break; and the options it
   * takes away that records hold (`inUse`), which Restore asks about as Publish does.
   */
  async function review(siteId: string, now: CompiledApp, input: unknown) {
    const check = checkDefinition(input);
    if (!check.ok)
      return { problems: check.problems, breaking: [] as DefinitionProblem[], inUse: [], definition: null };
    const breaking = await changeProblems(s.db, now, siteId, now.definition, check.definition);
    const inUse = await removedOptionsInUse(s.db, now, siteId, now.definition, check.definition);
    return { problems: [] as DefinitionProblem[], breaking, inUse, definition: check.definition };
  }

  /**
   * The JSON editor's review: options records hold are taken away only through the designer's
   * Publish (or a Restore), which asks what happens to them; here they are breaking changes.
   */
  async function reviewEdit(siteId: string, now: CompiledApp, input: unknown) {
    const r = await review(siteId, now, input);
    for (const o of r.inUse) {
      const pointer = o.steps.map((st) => `/properties/${st.name}${st.rows ? "/items" : ""}`).join("");
      r.breaking.push({
        pointer: `/record${pointer}`,
        message: `removes the option "${o.optionLabel}" of "${o.label}", which ${o.records} stored record${o.records === 1 ? " holds" : "s hold"}. Make the change in the designer and publish it there: Publish asks whether those records keep the value or change to another option.`,
      });
    }
    return r;
  }

  async function editor(
    c: Context<AppEnv>,
    app: CompiledApp,
    opts: {
      text?: string;
      viewing?: number | null;
      problems?: DefinitionProblem[];
      breaking?: DefinitionProblem[];
      saved?: number;
      preview?: CompiledApp | null;
    } = {},
    status: 200 | 409 | 422 = 200,
  ) {
    const siteId = signedIn(c).activeSiteId;
    const page = (
      <AppEditorPage
        frame={await pageFrameOf(c, s.sites)}
        appId={app.id}
        title={app.title}
        text={opts.text ?? JSON.stringify(app.definition, null, 2)}
        baseVersion={app.version}
        viewing={opts.viewing ?? null}
        history={await s.apps.history(siteId, app.id)}
        feedback={
          <DesignerFeedback
            problems={opts.problems ?? []}
            breaking={opts.breaking ?? []}
            preview={opts.preview === undefined ? app : opts.preview}
            csrfToken={c.var.csrfToken}
          />
        }
        savedVersion={opts.saved}
        listHref={appHref(app.id)}
        draft={await pendingDraft(siteId, app.id)}
      />
    );
    return sendPage(c, page, status);
  }

  /** Who last changed the designer's draft of the app, and when; null without one. */
  async function pendingDraft(siteId: string, appId: string) {
    const draft = await s.drafts.get(siteId, appId);
    return draft ? { by: draft.updatedBy.name, at: draft.updatedAt } : null;
  }

  async function appRows(siteId: string) {
    const published = await s.apps.list(siteId);
    const apps = [...published, ...(await visual.newApps(siteId, new Set(published.map((a) => a.id))))];
    const more = await visual.overview(
      siteId,
      apps.map((a) => a.id),
    );
    return apps.map((a) => ({
      ...a,
      href: appHref(a.id),
      records: more.get(a.id)?.records ?? 0,
      lastChange: more.get(a.id)?.lastChange ?? null,
      draftBy: more.get(a.id)?.draftBy ?? null,
    }));
  }

  routes.get("/configure/apps", async (c) => {
    const session = signedIn(c);
    return sendPage(
      c,
      <AppsListPage frame={await pageFrameOf(c, s.sites)} apps={await appRows(session.activeSiteId)} />,
    );
  });

  routes.get("/configure/apps/:appId", async (c) => {
    const { version: raw, saved, tab } = queryParams(c);
    // The visual designer is the default (it also shows a new app, a draft until its first Publish);
    // JSON (and older versions' JSON) is the expert's tab, for published apps.
    if (tab !== "json" && raw === undefined) return visual.formTab(c);
    const app = await current(c, c.req.param("appId"));
    if (raw !== undefined) {
      const version = /^\d{1,9}$/.test(raw) ? Number(raw) : -1;
      const definition = version >= 0 ? await s.apps.definitionAt(signedIn(c).activeSiteId, app.id, version) : null;
      if (!definition) throw new HTTPException(404, { message: "There is no such version of this app." });
      const check = checkDefinition(definition);
      return editor(c, app, {
        text: JSON.stringify(definition, null, 2),
        viewing: version,
        preview: check.ok ? compileApp(check.definition, version) : null,
        problems: check.ok ? [] : check.problems,
      });
    }
    return editor(c, app, saved && /^\d{1,9}$/.test(saved) ? { saved: Number(saved) } : {});
  });

  /** The live check (htmx, as the designer types): problems, breaking changes and the preview. */
  routes.post("/configure/apps/:appId/check", async (c) => {
    const app = await current(c, c.req.param("appId"));
    const { one: f, unstorable } = await readForm(c, { onInvalid: "report" });
    const text = (f.definition ?? "").slice(0, MAX_DEFINITION_CHARS + 1);
    const parsed = text.length > MAX_DEFINITION_CHARS || unstorable.length ? null : checkDefinitionText(text);
    if (!parsed || !parsed.ok) {
      const problems =
        parsed && !parsed.ok
          ? parsed.problems
          : [{ pointer: "", message: unstorable.length ? UNSTORABLE_TEXT_MESSAGE : "is too long" }];
      return sendPage(
        c,
        <DesignerFeedback problems={problems} breaking={[]} preview={null} csrfToken={c.var.csrfToken} />,
      );
    }
    const r = await reviewEdit(signedIn(c).activeSiteId, app, parsed.definition);
    const preview = r.definition && !r.breaking.length ? compileApp(r.definition, app.version + 1) : null;
    return sendPage(
      c,
      <DesignerFeedback problems={r.problems} breaking={r.breaking} preview={preview} csrfToken={c.var.csrfToken} />,
    );
  });

  routes.post("/configure/apps/:appId", async (c) => {
    const session = signedIn(c);
    const app = await current(c, c.req.param("appId"));
    const { one: f, unstorable } = await readForm(c, { onInvalid: "report" });
    const text = f.definition ?? "";
    const base = /^\d{1,9}$/.test(f._version ?? "") ? Number(f._version) : -1;
    if (text.length > MAX_DEFINITION_CHARS) {
      return editor(c, app, { text: "", problems: [{ pointer: "", message: "is too long" }], preview: null }, 422);
    }
    if (unstorable.length) {
      return editor(
        c,
        app,
        { text, problems: [{ pointer: "", message: UNSTORABLE_TEXT_MESSAGE }], preview: null },
        422,
      );
    }
    const parsed = checkDefinitionText(text);
    if (!parsed.ok) return editor(c, app, { text, problems: parsed.problems, preview: null }, 422);
    if (parsed.definition.id !== app.id) {
      return editor(
        c,
        app,
        { text, problems: [{ pointer: "/id", message: `must stay "${app.id}"` }], preview: null },
        422,
      );
    }
    const r = await reviewEdit(session.activeSiteId, app, parsed.definition);
    if (r.breaking.length) return editor(c, app, { text, breaking: r.breaking, preview: null }, 422);
    try {
      const saved = await s.apps.save(session.activeSiteId, parsed.definition, actorOf(c), base);
      await s.audit.record({
        siteId: session.activeSiteId,
        actor: actorOf(c),
        action: "app.update",
        details: { app: app.id, version: saved.version },
      });
      return c.redirect(`/configure/apps/${app.id}?tab=json&saved=${saved.version}`, 303);
    } catch (err) {
      if (err instanceof DefinitionVersionConflict) {
        return editor(c, app, { text, problems: [{ pointer: "", message: err.message }], preview: null }, 409);
      }
      throw err;
    }
  });

  routes.post("/configure/apps/:appId/restore", async (c) => {
    const session = signedIn(c);
    const siteId = session.activeSiteId;
    const app = await current(c, c.req.param("appId"));
    const f = (await readForm(c)).one;
    const version = /^\d{1,9}$/.test(f.version ?? "") ? Number(f.version) : -1;
    const base = /^\d{1,9}$/.test(f._version ?? "") ? Number(f._version) : -1;
    const definition = version >= 0 ? await s.apps.definitionAt(siteId, app.id, version) : null;
    if (!definition) throw new HTTPException(404, { message: "There is no such version of this app." });
    const r = await review(siteId, app, definition);
    const text = JSON.stringify(definition, null, 2);
    if (r.problems.length || r.breaking.length) {
      return editor(c, app, { text, viewing: version, problems: r.problems, breaking: r.breaking, preview: null }, 422);
    }
    // Options the version does not offer that records hold: asked first, as Publish asks, then
    // kept or mapped in the restore's transaction.
    const decisions = postedDecisions(f);
    const ask = async (options: RemovedOptionInUse[], problem?: string) => {
      const purpose = { kind: "restore" as const, version, base };
      const frame = await pageFrameOf(c, s.sites);
      const page = (
        <RemovedOptionsPage
          frame={frame}
          appId={app.id}
          title={app.title}
          purpose={purpose}
          options={options}
          {...(problem ? { problem } : {})}
        />
      );
      return sendPage(c, page, problem ? 409 : 200);
    };
    if (r.inUse.length && !decisions.size) return ask(r.inUse);
    try {
      const actor = actorOf(c);
      const { saved, changed } = await s.db.transaction(async (tx) => {
        const inUse = await removedOptionsInUse(tx, app, siteId, app.definition, r.definition!);
        const ctx = { siteId, actor, clock: s.clock, audit: s.audit, version: base + 1 };
        const changed = inUse.length ? await applyOptionDecisions(tx, app, inUse, decisions, ctx, postedCounts(f)) : 0;
        return { saved: await s.apps.save(siteId, r.definition!, actor, base, version, tx), changed };
      });
      await s.audit.record({
        siteId,
        actor,
        action: "app.restore",
        details: { app: app.id, version: saved.version, restoredFrom: version },
      });
      const mapped = changed ? ` ${plural(changed, "record")} changed to another option.` : "";
      flash(c, `Restored version ${version} as version ${saved.version}. It applies now.${mapped}`);
      return c.redirect(`/configure/apps/${app.id}/history`, 303);
    } catch (err) {
      if (err instanceof RemovedOptionsInUse) return ask(err.options, askedAgainBecause(err, true));
      if (err instanceof DefinitionVersionConflict) {
        return editor(
          c,
          app,
          { text, viewing: version, problems: [{ pointer: "", message: err.message }], preview: null },
          409,
        );
      }
      throw err;
    }
  });

  return routes;
}
