import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../../http/env.js";
import { signedOut, writeSessionCookie } from "../../http/cookies.js";
import { requireRole, signedIn } from "../../http/guards.js";
import { sendPage } from "../../http/page.js";
import { readForm, type FormSpec } from "../../http/form-body.js";
import type { Services } from "../../../services.js";
import { SiteError } from "../../../sites/sites.js";
import { SitesPage } from "./sites-page.js";
import type { Session } from "../../../auth/sessions.js";
import { flash } from "../../http/flash.js";

/**
 * The time-zone form, validated at the boundary by its JSON Schema (readForm, the shared Ajv): an
 * IANA-shaped name; Sites.setTimeZone then asks Intl whether the zone exists.
 */
const TIME_ZONE_FORM = {
  schema: {
    type: "object",
    required: ["timeZone"],
    properties: { timeZone: { type: "string", pattern: "^\\s*[A-Za-z][A-Za-z0-9_+\\-/]{0,63}\\s*$" } },
  },
  messages: { timeZone: "Time zone must be an IANA time zone such as Europe/Berlin, America/New_York or UTC." },
  labels: { timeZone: "Time zone" },
  onInvalid: "report",
} as const satisfies FormSpec;

/**
 * Routes of Configure > Sites (`GET|POST /configure/sites`, `POST /configure/site` to switch the
 * active site, `POST /configure/sites/time-zone` to set the active site's time zone); mounted behind Configure's role guard (./index.tsx).
 */
export function sitesRoutes(s: Services, cookieSettings: { secure: boolean }) {
  const app = new Hono<AppEnv>();

  const sitesPage = async (
    session: Session,
    csrfToken: string,
    extra: {
      errors?: Record<string, string>;
      newSite?: { slug?: string; name?: string };
      timeZone?: string;
    } = {},
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

  app.post("/configure/sites/time-zone", requireRole("admin"), async (c) => {
    const session = signedIn(c);
    const { one: f, errors } = await readForm(c, TIME_ZONE_FORM);
    const timeZone = (f.timeZone ?? "").trim();
    if (Object.keys(errors).length) {
      const message = errors.timeZone ?? Object.values(errors)[0]!;
      return sendPage(c, await sitesPage(session, c.var.csrfToken, { errors: { timeZone: message }, timeZone }), 422);
    }
    try {
      const before = (await s.sites.byId(session.activeSiteId))!;
      const site = (await s.sites.setTimeZone(session.activeSiteId, timeZone))!;
      if (before.timeZone !== site.timeZone) {
        await s.audit.record({
          siteId: site.id,
          actor: { id: session.user.id, name: session.user.username },
          action: "site.time_zone",
          details: { from: before.timeZone, to: site.timeZone },
        });
      }
      flash(c, `${site.name} now shows dates in ${site.timeZone}.`);
    } catch (err) {
      if (!(err instanceof SiteError)) throw err;
      const errors = { timeZone: `Time zone ${err.message}.` };
      return sendPage(c, await sitesPage(session, c.var.csrfToken, { errors, timeZone }), 422);
    }
    return c.redirect("/configure/sites", 303);
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
        const errors = Object.fromEntries(
          Object.entries(err.fields).map(([field, message]) => [
            field,
            `${field === "slug" ? "Slug" : "Name"} ${message}.`,
          ]),
        );
        return sendPage(c, await sitesPage(session, c.var.csrfToken, { errors, newSite }), 422);
      }
      throw err;
    }
    return c.redirect("/configure/sites", 303);
  });

  return app;
}
