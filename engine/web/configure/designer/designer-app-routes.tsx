import type { Context, Hono } from "hono";
import { applyOptionDecisions, removedOptionsInUse, RemovedOptionsInUse } from "../../../apps/choice-remap.js";
import { DraftConflict, draftConflictMessage, draftStamp } from "../../../apps/drafts.js";
import type { Db } from "../../../db/db.js";
import { DefinitionVersionConflict } from "../../../apps/app-registry.js";
import { changeProblems, DefinitionRefused } from "../../../apps/stored-value-checks.js";
import { checkDefinition } from "../../../schema/app-definition.js";
import { ConflictError } from "../../../errors.js";
import type { AppDefinition } from "../../../schema/types.js";
import type { Services } from "../../../services.js";
import { flash } from "../../http/flash.js";
import type { AppEnv } from "../../http/env.js";
import { readForm } from "../../http/form-body.js";
import { sendPage } from "../../http/page.js";
import { type DesignerContext } from "./designer-context.js";
import { APP_ID } from "../../../schema/identifiers.js";
import { DeleteAppPage, NewAppPage } from "./designer-pages.js";
import { askedAgainBecause, postedCounts, postedDecisions, RemovedOptionsPage } from "./removed-options-page.js";
import { pageFrameOf } from "../../http/page-frame.js";

/** Ids the designer's own addresses use (/configure/apps/new). */
const RESERVED_IDS = new Set(["new"]);

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

/** The definition a new app starts with: one required Name field, listed and searchable. */
function starterDefinition(id: string, title: string): AppDefinition {
  return {
    id,
    title,
    record: {
      type: "object",
      required: ["name"],
      additionalProperties: false,
      properties: { name: { type: "string", title: "Name", minLength: 1, maxLength: 200 } },
    },
    list: { columns: ["name"], searchable: ["name"] },
  };
}

/**
 * An app's life in the designer: New app, Duplicate, Delete (only without records, after a
 * confirmation), Publish the draft as a new version, Discard the draft. Each writes an audit entry.
 */
export function designerAppRoutes(routes: Hono<AppEnv>, s: Services, d: DesignerContext) {
  const { siteOf, actorOf, current, state, formPage, expectedOf } = d;
  /** A 409 from a page the draft changed under: the app as it is now, who changed it and when (site's zone). */
  const draftConflictPage = async (c: Context<AppEnv>, err: DraftConflict) => {
    const now = await state(c);
    return formPage(c, now, null, 409, draftConflictMessage(err.current, (await pageFrameOf(c, s.sites)).timeZone));
  };

  async function newAppPage(
    c: Context<AppEnv>,
    heading: string,
    action: string,
    input: { title: string; id: string },
    errors: Record<string, string> = {},
  ) {
    const page = (
      <NewAppPage
        frame={await pageFrameOf(c, s.sites)}
        heading={heading}
        action={action}
        input={input}
        errors={errors}
      />
    );
    return sendPage(c, page, Object.keys(errors).length ? 422 : 200);
  }

  /** Checks a new app's title and id; returns the id to use or the errors by field. */
  async function checkNewApp(c: Context<AppEnv>, f: Record<string, string>) {
    const title = (f.title ?? "").trim();
    const id = (f.id ?? "").trim() || (title ? idFromTitle(title) : "");
    const errors: Record<string, string> = {};
    if (!title || title.length > 200) errors.title = "Title must be 1 to 200 characters.";
    if (!APP_ID.test(id)) errors.id = "Id must start with a lowercase letter: lowercase letters, digits and dashes.";
    else if (RESERVED_IDS.has(id)) errors.id = `"${id}" is a word the designer's addresses use; pick another id.`;
    else if ((await s.apps.currentVersion(siteOf(c), id)) !== null || (await s.drafts.get(siteOf(c), id)) !== null)
      errors.id = "Id is already taken on this site.";
    return { title, id, errors };
  }

  async function createApp(
    c: Context<AppEnv>,
    definition: AppDefinition,
    action: "app.create" | "app.duplicate",
    from?: string,
  ) {
    // A new app is a draft (base version 0) until its first Publish: nothing is live before.
    await s.drafts.save(siteOf(c), definition, 0, actorOf(c), { stamp: "v-0", publishedVersion: 0 }).catch((err) => {
      if (err instanceof DraftConflict) throw new ConflictError("That id was just taken.", { cause: err });
      throw err;
    });
    await s.audit.record({
      siteId: siteOf(c),
      actor: actorOf(c),
      action,
      details: from ? { app: definition.id, from } : { app: definition.id },
    });
    flash(c, `Created ${definition.title} as a draft. Add its fields, then publish: until then nobody else sees it.`);
    return c.redirect(`/configure/apps/${definition.id}`, 303);
  }

  routes.get("/configure/apps/new", (c) => newAppPage(c, "New app", "/configure/apps/new", { title: "", id: "" }));

  routes.post("/configure/apps/new", async (c) => {
    const { one } = await readForm(c);
    const { title, id, errors } = await checkNewApp(c, one);
    if (Object.keys(errors).length) {
      return newAppPage(c, "New app", "/configure/apps/new", { title, id: one.id ?? "" }, errors);
    }
    return createApp(c, starterDefinition(id, title), "app.create");
  });

  routes.get("/configure/apps/:appId/duplicate", async (c) => {
    const app = await current(c);
    const title = `Copy of ${app.title}`.slice(0, 200);
    return newAppPage(c, `Duplicate ${app.title}`, `/configure/apps/${app.id}/duplicate`, {
      title,
      id: idFromTitle(title),
    });
  });

  routes.post("/configure/apps/:appId/duplicate", async (c) => {
    const app = await current(c);
    const { one } = await readForm(c);
    const { title, id, errors } = await checkNewApp(c, one);
    if (Object.keys(errors).length) {
      const input = { title, id: one.id ?? "" };
      return newAppPage(c, `Duplicate ${app.title}`, `/configure/apps/${app.id}/duplicate`, input, errors);
    }
    return createApp(c, { ...structuredClone(app.definition), id, title }, "app.duplicate", app.id);
  });

  routes.post("/configure/apps/:appId/delete", async (c) => {
    const st = await state(c);
    const { one } = await readForm(c);
    if (s.apps.builtIn(st.app.id)) {
      throw new ConflictError("A built-in app cannot be deleted; its file would bring it back.");
    }
    if (st.ctx.recordCount > 0) {
      throw new ConflictError(
        `${st.app.title} has ${st.ctx.recordCount} record${st.ctx.recordCount === 1 ? "" : "s"}; an app is deleted only when it has none.`,
      );
    }
    if (one.confirm !== "yes") {
      return sendPage(
        c,
        <DeleteAppPage frame={await pageFrameOf(c, s.sites)} appId={st.app.id} title={st.app.title} />,
      );
    }
    if (st.unpublished) await s.drafts.discard(siteOf(c), st.app.id);
    else await s.apps.remove(siteOf(c), st.app.id);
    await s.audit.record({ siteId: siteOf(c), actor: actorOf(c), action: "app.delete", details: { app: st.app.id } });
    flash(c, `Deleted ${st.app.title}.`);
    return c.redirect("/configure/apps", 303);
  });

  routes.post("/configure/apps/:appId/publish", async (c) => {
    const app = await current(c);
    const st = await state(c);
    const expected = await expectedOf(c, st);
    const posted = (await readForm(c)).one;
    const decisions = postedDecisions(posted);
    const siteId = siteOf(c);
    const actor = actorOf(c);
    // In the publish's transaction: what the draft would break now (records stored since it was
    // saved count too) refuses it; options it removes that records hold are asked first, then kept
    // or mapped.
    const options = async (tx: Db, published: AppDefinition | null, draft: AppDefinition, version: number) => {
      if (!published) return;
      const check = checkDefinition(draft);
      const problems = check.ok ? await changeProblems(tx, app, siteId, published, draft) : check.problems;
      if (problems.length) throw new DefinitionRefused(problems);
      const inUse = await removedOptionsInUse(tx, app, siteId, published, draft);
      if (!inUse.length) return;
      const ctx = { siteId, actor, clock: s.clock, audit: s.audit, version };
      await applyOptionDecisions(tx, app, inUse, decisions, ctx, postedCounts(posted));
    };
    try {
      const version = await s.drafts.publish(siteId, app.id, actor, expected, options);
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
      if (err instanceof RemovedOptionsInUse) {
        const problem = askedAgainBecause(err, decisions.size > 0);
        const page = (
          <RemovedOptionsPage
            frame={await pageFrameOf(c, s.sites)}
            appId={app.id}
            title={st.working.title}
            purpose={{ kind: "publish", stamp: draftStamp(st.draft, st.app.version) }}
            options={err.options}
            {...(problem ? { problem } : {})}
          />
        );
        return sendPage(c, page, problem ? 409 : 200);
      }
      if (err instanceof DraftConflict) return draftConflictPage(c, err);
      if (!(err instanceof DefinitionVersionConflict) && !(err instanceof DefinitionRefused)) throw err;
      return formPage(c, await state(c), null, 422, err.message);
    }
  });

  routes.post("/configure/apps/:appId/discard", async (c) => {
    const st = await state(c);
    const app = st.app;
    const expected = await expectedOf(c, st);
    let discarded: boolean;
    try {
      discarded = await s.drafts.discard(siteOf(c), app.id, undefined, expected);
    } catch (err) {
      if (err instanceof DraftConflict) return draftConflictPage(c, err);
      throw err;
    }
    if (discarded && st.unpublished) {
      await s.audit.record({ siteId: siteOf(c), actor: actorOf(c), action: "app.discard", details: { app: app.id } });
      flash(c, `Discarded ${st.working.title}: it was never published, so the new app is gone.`);
      return c.redirect("/configure/apps", 303);
    }
    if (discarded) {
      await s.audit.record({ siteId: siteOf(c), actor: actorOf(c), action: "app.discard", details: { app: app.id } });
      flash(c, "Discarded the draft: the designer shows the published version again.");
    }
    return c.redirect(`/configure/apps/${app.id}`, 303);
  });
}
