/**
 * Gathers what every full page shows around its content (engine/render/notices.tsx):
 * the one-time message, the MFA grace-period banner for a signed-in user who
 * has not set up MFA yet, and on /configure pages the Configure navigation
 * with the active site (and every site, for Public Site administrators).
 * Set per request by the middleware below; sendPage calls it only when it
 * renders a full page, so redirects and fragments cost nothing.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "./env.js";
import { decideAfterPassword } from "../../mfa/sign-in-flow.js";
import { configurePlaceOf, type ConfigureNavFacts, type PageExtras } from "../../render/notices.js";
import type { Services } from "../../services.js";
import { takeFlash } from "./flash.js";

/** Pages where the banner would only repeat what the page itself says. */
const NO_BANNER = /^\/(mfa\/setup|login|logout)(\/|$)/;

/**
 * Middleware that offers the page its extras (flash, MFA grace banner, Configure navigation) as a
 * lazy `pageExtras()` on the context, so only full pages pay the queries.
 */
export function pageExtras(s: Services): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("pageExtras", () => gather(s, c));
    return next();
  };
}

async function gather(s: Services, c: Context<AppEnv>): Promise<PageExtras> {
  const session = c.var.session;
  const full = session && session.stage === "full" ? session : null;
  let mfaDaysLeft: number | null = null;
  if (full && !NO_BANNER.test(c.req.path)) {
    const d = decideAfterPassword(await s.mfa.statusOf(full.user.id), s.clock.now());
    if (d.status === "mfa_setup_required" && d.optional) mfaDaysLeft = d.daysLeft;
  }
  let nav: ConfigureNavFacts | null = null;
  const place = configurePlaceOf(c.req.path);
  if (full && (c.req.path === "/configure" || c.req.path.startsWith("/configure/")) && full.user.role !== "user") {
    const [active, publicSite] = await Promise.all([s.sites.byId(full.activeSiteId), s.sites.publicSite()]);
    const publicAdmin = full.user.role === "admin" && publicSite.id === full.user.siteId;
    const sites = publicAdmin ? (await s.sites.list()).map((x) => ({ slug: x.slug, name: x.name })) : null;
    nav = {
      current: place,
      role: full.user.role,
      activeSite: { slug: active?.slug ?? "", name: active?.name ?? "" },
      sites,
    };
  }
  return { flash: takeFlash(c), mfaDaysLeft, nav };
}
