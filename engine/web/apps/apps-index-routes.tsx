import { mayOpen } from "../../apps/open-to.js";
import { Hono } from "hono";
import { appHref } from "../../apps/app-registry.js";
import { AppsIndexPage } from "../../render/record-pages.js";
import type { Services } from "../../services.js";
import type { AppEnv } from "../http/env.js";
import { requireSignIn, signedIn } from "../http/guards.js";
import { sendPage } from "../http/page.js";
import { pageFrameOf } from "../http/page-frame.js";

/** GET /apps: the apps of the active site this user may open. */
export function appsIndexRoutes(s: Services): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get("/apps", requireSignIn(), async (c) => {
    const session = signedIn(c);
    const apps = (await s.apps.list(session.activeSiteId)).filter((a) => mayOpen(a.openTo, session.user.role));
    const frame = await pageFrameOf(c, s.sites);
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
