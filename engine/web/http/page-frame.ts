import type { Context } from "hono";
import type { AppEnv } from "./env.js";
import type { PageFrame } from "../../render/record-pages.js";
import type { Sites } from "../../sites/sites.js";
import { signedIn } from "./guards.js";
import { DEFAULT_TIME_ZONE } from "../../util/zoned-dates.js";

/**
 * A page frame whose site name is always there ("" when the site is gone; the layout leaves it out),
 * with the site's time zone (IANA name) in which the page shows dates (absent: UTC).
 */
export type SitePageFrame = PageFrame & { siteName: string; timeZone?: string };

/**
 * The frame of a signed-in request's page, the one way routes build it: form token, user and the
 * active site's name and time zone (one read). Throws as `signedIn` does when the request has no session (a route
 * behind a sign-in guard always has one).
 */
export async function pageFrameOf(c: Context<AppEnv>, sites: Pick<Sites, "byId">): Promise<SitePageFrame> {
  const session = signedIn(c);
  const site = await sites.byId(session.activeSiteId);
  return {
    csrfToken: c.var.csrfToken,
    user: session.user,
    siteName: site?.name ?? "",
    timeZone: site?.timeZone ?? DEFAULT_TIME_ZONE,
  };
}
