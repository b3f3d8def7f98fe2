import { Hono } from "hono";
import type { AppEnv } from "../../http/env.js";
import { signedIn } from "../../http/guards.js";
import { sendPage } from "../../http/page.js";
import type { Services } from "../../../services.js";
import { DesignerOverviewPage, OverviewPage, type HardwareFigures } from "./overview-page.js";

/** `GET /configure`, Configure's start page; mounted behind Configure's role guard (../index.tsx). */
export function overviewRoutes(s: Services) {
  const app = new Hono<AppEnv>();

  // Overview: the active site's MFA at a glance (administrators); designers get the way to their apps.
  app.get("/configure", async (c) => {
    const session = signedIn(c);
    const site = (await s.sites.byId(session.activeSiteId))!;
    if (session.user.role !== "admin") {
      return sendPage(c, <DesignerOverviewPage csrfToken={c.var.csrfToken} user={session.user} siteName={site.name} />);
    }
    const [counts, deadlines, publicAdmin] = await Promise.all([
      s.mfaStates.counts(site.id),
      s.mfaStates.nearestDeadlines(site.id, 5),
      s.sites.isPublicSiteAdmin(session.user),
    ]);
    let hardware: HardwareFigures | null = null;
    if (publicAdmin) {
      const t = await s.hardware.registry.counts();
      hardware = { available: t.total - t.assigned - t.disabled, assigned: t.assigned };
    }
    return sendPage(
      c,
      <OverviewPage
        csrfToken={c.var.csrfToken}
        user={session.user}
        siteName={site.name}
        timeZone={site.timeZone}
        now={s.clock.now()}
        counts={counts}
        deadlines={deadlines}
        hardware={hardware}
      />,
    );
  });

  return app;
}
