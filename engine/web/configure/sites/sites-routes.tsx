import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../../http/env.js";
import { signedOut, writeSessionCookie } from "../../http/cookies.js";
import { requireRole, signedIn } from "../../http/guards.js";
import { sendPage } from "../../http/page.js";
import { readForm } from "../../http/form-body.js";
import type { Services } from "../../../services.js";
import { SiteError } from "../../../sites/sites.js";
import { SitesPage } from "./sites-page.js";
import type { Session } from "../../../auth/sessions.js";
import { flash } from "../../http/flash.js";

/**
 * Routes of Configure > Sites (`GET|POST /configure/sites`, `POST /configure/site` to switch the
 * active site); mounted behind Configure's role guard (./index.tsx).
 */
export function sitesRoutes(s: Services, cookieSettings: { secure: boolean }) {
  const app = new Hono<AppEnv>();

  const sitesPage = async (
    session: Session,
    csrfToken: string,
    extra: { errors?: Record<string, string>; newSite?: { slug?: string; name?: string } } = {},
  ) => {
    const activeSite = (await s.sites.byId(session.activeSiteId))!;
    const sites = (await s.sites.isPublicSiteAdmin(session.user)) ? await s.sites.list() : null;
    return <SitesPage csrfToken={csrfToken} user={session.user} activeSite={activeSite} sites={sites} {...extra} />;
  };

  app.get("/configure/sites", requireRole("admin"), async (c) =>
    sendPage(c, await sitesPage(signedIn(c), c.var.csrfToken)),
  );

  app.post("/configure/site", async (c) => {
    const session = signedIn(c);
    if (!(await s.sites.isPublicSiteAdmin(session.user))) {
      throw new HTTPException(403, { message: "Only administrators of the Public Site can switch sites." });
    }
    const { one: f, unstorable } = await readForm(c, { onInvalid: "report" });
    const site = unstorable.length ? null : await s.sites.bySlug(f.site ?? "");
    if (!site) {
      return sendPage(c, await sitesPage(session, c.var.csrfToken, { errors: { site: "No such site." } }), 422);
    }
    // Working on another tenant's data is a privilege change: new token.
    const rotated = await s.sessions.rotate(session, { activeSiteId: site.id }, c.var.clientAddress);
    if (!rotated) return signedOut(c, cookieSettings);
    writeSessionCookie(c, cookieSettings, rotated.token, rotated.expiresAt);
    flash(c, `Switched to ${site.name}. Configure pages now show its users, apps and audit log.`);
    return c.redirect("/configure", 303);
  });

  app.post("/configure/sites", async (c) => {
    const session = signedIn(c);
    if (!(await s.sites.isPublicSiteAdmin(session.user))) {
      throw new HTTPException(403, { message: "Only administrators of the Public Site can add sites." });
    }
    const labels = { slug: "Slug", name: "Name" };
    const { one: f, unstorable, errors: textErrors } = await readForm(c, { onInvalid: "report", labels });
    const newSite = { slug: (f.slug ?? "").trim(), name: (f.name ?? "").trim() };
    if (unstorable.length) {
      const errors = Object.fromEntries(unstorable.map((n) => [n in labels ? n : "name", textErrors[n]!]));
      return sendPage(c, await sitesPage(session, c.var.csrfToken, { errors, newSite }), 422);
    }
    try {
      const site = await s.sites.create(newSite.slug, newSite.name);
      await s.audit.record({
        siteId: site.id,
        actor: { id: session.user.id, name: session.user.username },
        action: "site.create",
        details: { slug: site.slug },
      });
      flash(c, `Added site ${site.name} (${site.slug}).`);
    } catch (err) {
      if (err instanceof SiteError) {
        const label = err.field === "slug" ? "Slug" : "Name";
        return sendPage(
          c,
          await sitesPage(session, c.var.csrfToken, { errors: { [err.field]: `${label} ${err.message}.` }, newSite }),
          422,
        );
      }
      throw err;
    }
    return c.redirect("/configure/sites", 303);
  });

  return app;
}
