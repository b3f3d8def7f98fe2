import type { Context, Hono } from "hono";
import { openToOf } from "../../../apps/open-to.js";
import type { AppSummary } from "../../../apps/app-registry.js";
import type { AppEnv } from "../../http/env.js";
import type { Services } from "../../../services.js";
import { designerAppRoutes } from "./designer-app-routes.js";
import { designerContext } from "./designer-context.js";
import { designerFieldRoutes } from "./designer-field-routes.js";
import { designerTabRoutes } from "./designer-tab-routes.js";

/**
 * The visual designer (issue 12): routes under /configure/apps that change an
 * app's draft one field at a time, then publish or discard it. Registered
 * inside the designer's router, behind its role guard (designers and
 * administrators). Every change goes through engine/apps/designer-edits.ts
 * (the JSON editor's checks) and lands in the draft; the live app changes
 * only on Publish. Returns the Form tab's renderer for GET /configure/apps/:appId
 * and the apps page's overview.
 */
export function visualDesignerRoutes(routes: Hono<AppEnv>, s: Services) {
  const d = designerContext(s);
  designerAppRoutes(routes, s, d);
  designerFieldRoutes(routes, d);
  designerTabRoutes(routes, s, d);

  return {
    /** The Form tab of GET /configure/apps/:appId. */
    async formTab(c: Context<AppEnv>): Promise<Response> {
      return d.formPage(c, await d.state(c), null);
    },
    /**
     * New apps of a site, never published (a draft on base 0 whose id is not in `published`), as
     * the apps page lists them: version 0, `unpublished`.
     */
    async newApps(siteId: string, published: Set<string>): Promise<(AppSummary & { unpublished: true })[]> {
      const out: (AppSummary & { unpublished: true })[] = [];
      for (const id of (await s.drafts.summaries(siteId)).keys()) {
        if (published.has(id)) continue;
        const draft = await s.drafts.get(siteId, id);
        if (!draft || draft.baseVersion !== 0) continue;
        const def = draft.definition;
        const row: AppSummary & { unpublished: true } = {
          id,
          title: def.title,
          version: 0,
          builtIn: false,
          openTo: openToOf(def, false),
          unpublished: true,
        };
        if (def.description) row.description = def.description;
        out.push(row);
      }
      return out;
    },
    /** Record counts, drafts and last changes for the apps page. */
    async overview(siteId: string, appIds: string[]) {
      const drafts = await s.drafts.summaries(siteId);
      const out = new Map<string, { records: number; lastChange: Date | null; draftBy: string | null }>();
      for (const id of appIds) {
        const app = await s.apps.get(siteId, id);
        if (!app) {
          const d = drafts.get(id);
          if (d) out.set(id, { records: 0, lastChange: d.updatedAt, draftBy: d.updatedBy });
          continue;
        }
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
