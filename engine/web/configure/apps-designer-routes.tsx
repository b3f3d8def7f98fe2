import type { Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { compileApp, type CompiledApp } from "../../apps/compiled-app.js";
import {
  addField,
  addSection,
  deleteField,
  fieldInputFrom,
  fieldInputOf,
  locate,
  moveField,
  setList,
  setSettings,
  updateField,
  type EditContext,
  type EditResult,
  type FieldInput,
  type Move,
} from "../../apps/designer-edits.js";
import { designerTypeOf, isDesignerType, type DesignerType } from "../../apps/field-types.js";
import type { AppDraft } from "../../apps/drafts.js";
import { appHref, DefinitionVersionConflict } from "../../apps/registry.js";
import { flash } from "../http/flash.js";
import { readFormText } from "../http/form-body.js";
import type { AppEnv } from "../http/env.js";
import { signedIn } from "../http/guards.js";
import { sendPage } from "../http/page.js";
import { queryParams } from "../http/query.js";
import type { PageFrame } from "../../render/record-pages.js";
import { bindsUsers } from "../../schema/app-definition.js";
import type { AppDefinition, FieldSchema } from "../../schema/types.js";
import type { Services } from "../../services.js";
import { lineDiff } from "../../util/line-diff.js";
import {
  DeleteAppPage,
  DesignerFormPage,
  DesignerHistoryPage,
  DesignerListPage,
  DesignerSettingsPage,
  NewAppPage,
  type DesignerFrame,
} from "./apps-designer-pages.js";

const APP_ID = /^[a-z][a-z0-9-]{0,62}$/;
/** Ids the designer's own addresses use (/configure/apps/new). */
const RESERVED_IDS = new Set(["new"]);
const FIELD_PATH = /^[A-Za-z][A-Za-z0-9_]{0,63}(\.[A-Za-z][A-Za-z0-9_]{0,63}){0,7}$/;

/** "Visitor log" -> "visitor-log": an app id suggested from a title. */
export function idFromTitle(title: string): string {
  const slug = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return /^[a-z]/.test(slug) ? slug : `app-${slug}`.replace(/-$/, "").slice(0, 63);
}

/** The posted form with repeated names kept (columns, searchable, fields). */
async function postedForm(c: Context<AppEnv>): Promise<{ one: Record<string, string>; all: Record<string, string[]> }> {
  const all = await readFormText(c);
  const one: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) one[k] = v.at(-1)!;
  return { one, all };
}

/**
 * The visual designer (issue 12): routes under /configure/apps that change an
 * app's draft one field at a time, then publish or discard it. Registered
 * inside the designer's router, behind its role guard (designers and
 * administrators). Every change goes through engine/apps/designer-edits.ts
 * (the JSON editor's checks) and lands in the draft; the live app changes
 * only on Publish. Returns the Form tab's renderer for GET /configure/apps/:appId.
 */
export function visualDesignerRoutes(routes: Hono<AppEnv>, s: Services) {
  const siteOf = (c: Context<AppEnv>) => signedIn(c).activeSiteId;
  const actorOf = (c: Context<AppEnv>) => {
    const u = signedIn(c).user;
    return { id: u.id, name: u.username };
  };

  async function frameOf(c: Context<AppEnv>): Promise<PageFrame> {
    const session = signedIn(c);
    const site = await s.sites.byId(session.activeSiteId);
    const frame: PageFrame = { csrfToken: c.var.csrfToken, user: session.user };
    if (site) frame.siteName = site.name;
    return frame;
  }

  async function current(c: Context<AppEnv>): Promise<CompiledApp> {
    const appId = c.req.param("appId") ?? "";
    const app = APP_ID.test(appId) ? await s.apps.get(siteOf(c), appId) : null;
    if (!app) throw new HTTPException(404, { message: "There is no such app on this site." });
    return app;
  }

  /** The app, its draft, the definition being designed and what a change is checked against. */
  async function state(c: Context<AppEnv>) {
    const app = await current(c);
    const siteId = siteOf(c);
    const draft = await s.drafts.get(siteId, app.id);
    const recordCount = await s.apps.storeFor(app).count(app, siteId);
    const ctx: EditContext = { published: app.definition, recordCount };
    return { app, draft, working: draft?.definition ?? app.definition, ctx };
  }
  type State = Awaited<ReturnType<typeof state>>;

  async function shell(c: Context<AppEnv>, st: State, problem?: string): Promise<DesignerFrame> {
    const me = signedIn(c).user.id;
    const d: AppDraft | null = st.draft;
    const f: DesignerFrame = {
      frame: await frameOf(c),
      appId: st.app.id,
      title: st.working.title,
      publishedVersion: st.app.version,
      recordCount: st.ctx.recordCount,
      listHref: appHref(st.app.id),
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

  function preview(st: State): CompiledApp | null {
    try {
      return st.draft ? compileApp(st.working, st.app.version + 1) : st.app;
    } catch {
      return null;
    }
  }

  type Panel = Parameters<typeof DesignerFormPage>[0]["panel"];

  function siblingsOf(def: AppDefinition, parent: string): Record<string, FieldSchema | undefined> {
    if (!parent) return def.record.properties;
    const at = locate(def, parent);
    const f = at?.field;
    const holder = f?.type === "object" ? f : f?.type === "array" ? f.items : undefined;
    return holder?.properties ?? {};
  }

  function panelFor(
    c: Context<AppEnv>,
    st: State,
    mode: "new" | "edit",
    type: DesignerType,
    input: FieldInput,
    errors: Record<string, string>,
    path?: string,
  ): Panel {
    const at = path ? locate(st.working, path) : null;
    const parent = path ? path.split(".").slice(0, -1).join(".") : (input.parent ?? "");
    const panel: NonNullable<Panel> = {
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

  async function formPage(c: Context<AppEnv>, st: State, panel: Panel, status: 200 | 422 = 200, problem?: string) {
    const frame = await shell(c, st, problem);
    return sendPage(
      c,
      <DesignerFormPage {...frame} definition={st.working} preview={preview(st)} panel={panel} />,
      status,
    );
  }

  /**
   * Saves a change's result as the draft and goes back to the tab (`back`,
   * "" for Form) with the change's message; or shows the errors.
   */
  async function apply(
    c: Context<AppEnv>,
    st: State,
    result: EditResult,
    onError: (errors: Record<string, string>) => Promise<Response>,
    back = "",
  ): Promise<Response> {
    if (!result.ok) return onError(result.errors);
    await s.drafts.save(siteOf(c), result.definition, st.draft?.baseVersion ?? st.app.version, actorOf(c));
    flash(c, `${result.message} Publish to apply it.`);
    return c.redirect(`/configure/apps/${st.app.id}${back}`, 303);
  }

  routes.get("/configure/apps/new", async (c) => {
    return sendPage(
      c,
      <NewAppPage
        frame={await frameOf(c)}
        heading="New app"
        action="/configure/apps/new"
        input={{ title: "", id: "" }}
        errors={{}}
      />,
    );
  });

  /** Checks a new app's title and id; returns the id to use or the errors by field. */
  async function checkNewApp(c: Context<AppEnv>, f: Record<string, string>) {
    const title = (f.title ?? "").trim();
    const id = (f.id ?? "").trim() || (title ? idFromTitle(title) : "");
    const errors: Record<string, string> = {};
    if (!title || title.length > 200) errors.title = "Title must be 1 to 200 characters.";
    if (!APP_ID.test(id)) errors.id = "Id must start with a lowercase letter: lowercase letters, digits and dashes.";
    else if (RESERVED_IDS.has(id)) errors.id = `"${id}" is a word the designer's addresses use; pick another id.`;
    else if ((await s.apps.currentVersion(siteOf(c), id)) !== null) errors.id = "Id is already taken on this site.";
    return { title, id, errors };
  }

  async function createApp(
    c: Context<AppEnv>,
    definition: AppDefinition,
    action: "app.create" | "app.duplicate",
    from?: string,
  ) {
    try {
      await s.apps.save(siteOf(c), definition, actorOf(c), null);
    } catch (err) {
      if (err instanceof DefinitionVersionConflict)
        throw new HTTPException(409, { message: "That id was just taken." });
      throw err;
    }
    await s.audit.record({
      siteId: siteOf(c),
      actor: actorOf(c),
      action,
      details: from ? { app: definition.id, from } : { app: definition.id },
    });
    flash(c, `Created ${definition.title}. Add its fields, then publish.`);
    return c.redirect(`/configure/apps/${definition.id}`, 303);
  }

  routes.post("/configure/apps/new", async (c) => {
    const { one } = await postedForm(c);
    const { title, id, errors } = await checkNewApp(c, one);
    if (Object.keys(errors).length) {
      return sendPage(
        c,
        <NewAppPage
          frame={await frameOf(c)}
          heading="New app"
          action="/configure/apps/new"
          input={{ title, id: one.id ?? "" }}
          errors={errors}
        />,
        422,
      );
    }
    return createApp(
      c,
      {
        id,
        title,
        record: {
          type: "object",
          required: ["name"],
          additionalProperties: false,
          properties: { name: { type: "string", title: "Name", minLength: 1, maxLength: 200 } },
        },
        list: { columns: ["name"], searchable: ["name"] },
      },
      "app.create",
    );
  });

  routes.get("/configure/apps/:appId/duplicate", async (c) => {
    const app = await current(c);
    const title = `Copy of ${app.title}`.slice(0, 200);
    return sendPage(
      c,
      <NewAppPage
        frame={await frameOf(c)}
        heading={`Duplicate ${app.title}`}
        action={`/configure/apps/${app.id}/duplicate`}
        input={{ title, id: idFromTitle(title) }}
        errors={{}}
      />,
    );
  });

  routes.post("/configure/apps/:appId/duplicate", async (c) => {
    const app = await current(c);
    const { one } = await postedForm(c);
    const { title, id, errors } = await checkNewApp(c, one);
    if (Object.keys(errors).length) {
      return sendPage(
        c,
        <NewAppPage
          frame={await frameOf(c)}
          heading={`Duplicate ${app.title}`}
          action={`/configure/apps/${app.id}/duplicate`}
          input={{ title, id: one.id ?? "" }}
          errors={errors}
        />,
        422,
      );
    }
    return createApp(c, { ...structuredClone(app.definition), id, title }, "app.duplicate", app.id);
  });

  routes.post("/configure/apps/:appId/delete", async (c) => {
    const st = await state(c);
    const { one } = await postedForm(c);
    if (s.apps.builtIn(st.app.id)) {
      throw new HTTPException(409, { message: "A built-in app cannot be deleted; its file would bring it back." });
    }
    if (st.ctx.recordCount > 0) {
      throw new HTTPException(409, {
        message: `${st.app.title} has ${st.ctx.recordCount} record${st.ctx.recordCount === 1 ? "" : "s"}; an app is deleted only when it has none.`,
      });
    }
    if (one.confirm !== "yes") {
      return sendPage(c, <DeleteAppPage frame={await frameOf(c)} appId={st.app.id} title={st.app.title} />);
    }
    await s.apps.remove(siteOf(c), st.app.id);
    await s.audit.record({ siteId: siteOf(c), actor: actorOf(c), action: "app.delete", details: { app: st.app.id } });
    flash(c, `Deleted ${st.app.title}.`);
    return c.redirect("/configure/apps", 303);
  });

  function newType(raw: string | undefined): DesignerType | null {
    const t = (raw ?? "").trim();
    return isDesignerType(t) ? t : null;
  }

  routes.get("/configure/apps/:appId/fields/new", async (c) => {
    const st = await state(c);
    const q = queryParams(c);
    const type = newType(q.type) ?? "text";
    const input: FieldInput = { type };
    const parent = (q.parent ?? "").trim();
    if (parent) {
      const at = FIELD_PATH.test(parent) ? locate(st.working, parent) : null;
      if (!at || !["group", "rows"].includes(designerTypeOf(at.field)))
        throw new HTTPException(404, { message: "There is no such group or repeating rows field." });
      input.parent = parent;
    }
    return formPage(c, st, panelFor(c, st, "new", type, input, {}));
  });

  routes.post("/configure/apps/:appId/fields/new", async (c) => {
    const st = await state(c);
    const { one, all } = await postedForm(c);
    const input = fieldInputFrom(one);
    if (!(input.pattern ?? "").trim() && one.patternPreset) input.pattern = one.patternPreset;
    const type = newType(input.type);
    const fail = (errors: Record<string, string>) =>
      formPage(c, st, panelFor(c, st, "new", type ?? "text", input, errors), 422);
    if (type === "section") {
      const result = addSection(st.working, { title: input.title ?? "", fields: all.fields ?? [] }, st.ctx);
      return apply(c, st, result, fail);
    }
    const result = addField(st.working, input, st.ctx);
    return apply(c, st, result, fail);
  });

  function fieldPath(c: Context<AppEnv>, st: State): string {
    const path = c.req.param("name") ?? "";
    if (!FIELD_PATH.test(path) || !locate(st.working, path)) {
      throw new HTTPException(404, { message: "There is no such field in this app's draft." });
    }
    return path;
  }

  routes.get("/configure/apps/:appId/fields/:name", async (c) => {
    const st = await state(c);
    const path = fieldPath(c, st);
    const input = fieldInputOf(st.working, path)!;
    return formPage(c, st, panelFor(c, st, "edit", input.type as DesignerType, input, {}, path));
  });

  routes.post("/configure/apps/:appId/fields/:name", async (c) => {
    const st = await state(c);
    const path = fieldPath(c, st);
    const { one } = await postedForm(c);
    const input = fieldInputFrom(one);
    if (!(input.pattern ?? "").trim() && one.patternPreset) input.pattern = one.patternPreset;
    const shown = { ...fieldInputOf(st.working, path)!, ...input };
    const type = newType(shown.type) ?? designerTypeOf(locate(st.working, path)!.field);
    const fail = (errors: Record<string, string>) =>
      formPage(c, st, panelFor(c, st, "edit", type === "section" ? "text" : type, shown, errors, path), 422);
    return apply(c, st, updateField(st.working, path, input, st.ctx), fail);
  });

  routes.post("/configure/apps/:appId/fields/:name/delete", async (c) => {
    const st = await state(c);
    const path = fieldPath(c, st);
    await postedForm(c);
    const result = deleteField(st.working, path, st.ctx);
    const fail = (errors: Record<string, string>) => {
      const input = fieldInputOf(st.working, path)!;
      return formPage(c, st, panelFor(c, st, "edit", input.type as DesignerType, input, errors, path), 422);
    };
    return apply(c, st, result, fail);
  });

  routes.post("/configure/apps/:appId/fields/:name/move", async (c) => {
    const st = await state(c);
    const path = fieldPath(c, st);
    const { one } = await postedForm(c);
    let move: Move | null = null;
    if (one.direction === "up" || one.direction === "down") move = { direction: one.direction };
    else if (one.before && FIELD_PATH.test(one.before)) move = { before: one.before };
    else if (/^\d{1,3}$/.test(one.section ?? "")) move = { section: Number(one.section) };
    else if (one.position === "last") move = { last: true };
    const fail = (errors: Record<string, string>) => {
      const input = fieldInputOf(st.working, path)!;
      return formPage(c, st, panelFor(c, st, "edit", input.type as DesignerType, input, errors, path), 422);
    };
    if (!move)
      return fail({ _: 'Say where to move it: direction "up" or "down", before another field, or a section.' });
    return apply(c, st, moveField(st.working, path, move, st.ctx), fail);
  });

  routes.get("/configure/apps/:appId/list", async (c) => {
    const st = await state(c);
    const l = st.working.list;
    const input = { columns: l?.columns ?? [], searchable: l?.searchable ?? [], sort: l?.sort ?? "" };
    return sendPage(c, <DesignerListPage {...await shell(c, st)} definition={st.working} input={input} errors={{}} />);
  });

  routes.post("/configure/apps/:appId/list", async (c) => {
    const st = await state(c);
    const { one, all } = await postedForm(c);
    const input = { columns: all.columns ?? [], searchable: all.searchable ?? [], sort: one.sort ?? "" };
    const fail = async (errors: Record<string, string>) =>
      sendPage(
        c,
        <DesignerListPage {...await shell(c, st)} definition={st.working} input={input} errors={errors} />,
        422,
      );
    return apply(c, st, setList(st.working, input, st.ctx), fail, "/list");
  });

  routes.get("/configure/apps/:appId/settings", async (c) => {
    const st = await state(c);
    const d = st.working;
    const input = { title: d.title, description: d.description ?? "", adminOnly: d.adminOnly === true };
    return sendPage(
      c,
      <DesignerSettingsPage {...await shell(c, st)} input={input} errors={{}} bindsUsers={bindsUsers(d)} />,
    );
  });

  routes.post("/configure/apps/:appId/settings", async (c) => {
    const st = await state(c);
    const { one } = await postedForm(c);
    const input = { title: one.title ?? "", description: one.description ?? "", adminOnly: one.adminOnly === "on" };
    const fail = async (errors: Record<string, string>) =>
      sendPage(
        c,
        <DesignerSettingsPage
          {...await shell(c, st)}
          input={input}
          errors={errors}
          bindsUsers={bindsUsers(st.working)}
        />,
        422,
      );
    return apply(c, st, setSettings(st.working, input, st.ctx), fail, "/settings");
  });

  routes.get("/configure/apps/:appId/history", async (c) => {
    const st = await state(c);
    const history = await s.apps.history(siteOf(c), st.app.id);
    const q = queryParams(c);
    let diff = null;
    if (q.from !== undefined || q.to !== undefined) {
      const from = /^\d{1,9}$/.test(q.from ?? "") ? Number(q.from) : -1;
      const to = /^\d{1,9}$/.test(q.to ?? "") ? Number(q.to) : -1;
      const a = from >= 0 ? await s.apps.definitionAt(siteOf(c), st.app.id, from) : null;
      const b = to >= 0 ? await s.apps.definitionAt(siteOf(c), st.app.id, to) : null;
      if (!a || !b) throw new HTTPException(404, { message: "There is no such version of this app." });
      diff = { from, to, lines: lineDiff(JSON.stringify(a, null, 2), JSON.stringify(b, null, 2)) };
    }
    return sendPage(c, <DesignerHistoryPage {...await shell(c, st)} history={history} diff={diff} />);
  });

  routes.post("/configure/apps/:appId/publish", async (c) => {
    const app = await current(c);
    await postedForm(c);
    try {
      const version = await s.drafts.publish(siteOf(c), app.id, actorOf(c));
      if (version === null) return c.redirect(`/configure/apps/${app.id}`, 303);
      await s.audit.record({
        siteId: siteOf(c),
        actor: actorOf(c),
        action: "app.publish",
        details: { app: app.id, version },
      });
      flash(c, `Published ${app.title} version ${version}.`);
      return c.redirect(`/configure/apps/${app.id}`, 303);
    } catch (err) {
      if (!(err instanceof DefinitionVersionConflict)) throw err;
      const st = await state(c);
      return formPage(c, st, null, 422, err.message);
    }
  });

  routes.post("/configure/apps/:appId/discard", async (c) => {
    const app = await current(c);
    await postedForm(c);
    if (await s.drafts.discard(siteOf(c), app.id)) {
      await s.audit.record({ siteId: siteOf(c), actor: actorOf(c), action: "app.discard", details: { app: app.id } });
      flash(c, "Discarded the draft: the designer shows the published version again.");
    }
    return c.redirect(`/configure/apps/${app.id}`, 303);
  });

  return {
    /** The Form tab of GET /configure/apps/:appId. */
    async formTab(c: Context<AppEnv>): Promise<Response> {
      return formPage(c, await state(c), null);
    },
    /** Record counts, drafts and last changes for the apps page. */
    async overview(siteId: string, appIds: string[]) {
      const drafts = await s.drafts.summaries(siteId);
      const out = new Map<string, { records: number; lastChange: Date | null; draftBy: string | null }>();
      for (const id of appIds) {
        const app = await s.apps.get(siteId, id);
        if (!app) continue;
        const history = await s.apps.history(siteId, id);
        out.set(id, {
          records: await s.apps.storeFor(app).count(app, siteId),
          lastChange: history[0]?.createdAt ?? null,
          draftBy: drafts.get(id)?.updatedBy ?? null,
        });
      }
      return out;
    },
  };
}
