import { mayOpen } from "../../apps/open-to.js";
import { Hono } from "hono";
import { appHref } from "../../apps/registry.js";
import { AppsIndexPage, type PageFrame } from "../../render/record-pages.js";
import type { Services } from "../../services.js";
import type { AppEnv } from "../http/env.js";
import { requireSignIn, signedIn } from "../http/guards.js";
import { sendPage } from "../http/page.js";

/** GET /apps: the apps of the active site this user may open. */
export function appsIndexRoutes(s: Services): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get("/apps", requireSignIn(), async (c) => {
    const session = signedIn(c);
    const apps = (await s.apps.list(session.activeSiteId)).filter((a) => mayOpen(a.openTo, session.user.role));
    const site = await s.sites.byId(session.activeSiteId);
    const frame: PageFrame = { csrfToken: c.var.csrfToken, user: session.user };
    if (site) frame.siteName = site.name;
    return sendPage(
      c,
      <AppsIndexPage
        frame={frame}
        apps={apps.map((a) => {
          const entry: { id: string; title: string; description?: string; href: string } = {
            id: a.id,
            title: a.title,
            href: appHref(a.id),
          };
          if (a.description) entry.description = a.description;
          return entry;
        })}
      />,
    );
  });
  return routes;
}
