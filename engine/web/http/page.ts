import type { Context } from "hono";
import type { JSX } from "hono/jsx/jsx-runtime";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "./env.js";
import { markupOf, PAGE_TOP_MARK } from "../../render/shells.js";
import { FlashOutOfBand, PageTop, type PageExtras } from "../../render/notices.js";
import { takeFlash } from "./flash.js";

const NO_EXTRAS: PageExtras = { flash: null, mfaDaysLeft: null, nav: null };

/** The shared top's facts; an error page (the database may be the error) shows the page without them. */
async function pageExtrasOf(c: Context<AppEnv>, status: number): Promise<PageExtras> {
  if (!c.var.pageExtras) return NO_EXTRAS;
  try {
    return await c.var.pageExtras();
  } catch (err) {
    if (status < 500) throw err;
    return NO_EXTRAS;
  }
}

/**
 * A full page's markup with its shared top in place: the layout's PAGE_TOP_MARK replaced by the
 * PageTop of `extras` (Configure navigation and site switcher, MFA banner, one-time message), whose
 * forms carry `csrfToken`. Markup without the mark comes back unchanged.
 */
export function withPageTop(markup: string, extras: PageExtras, csrfToken: string): string {
  const at = markup.indexOf(PAGE_TOP_MARK);
  if (at < 0) return markup;
  const top = markupOf(PageTop({ extras, csrfToken }));
  return markup.slice(0, at) + top + markup.slice(at + PAGE_TOP_MARK.length);
}

/**
 * Sends a rendered page with a status, marked uncacheable (pages may hold personal data).
 * A full page (one with the layout's PAGE_TOP_MARK) gets the shared top — Configure
 * navigation, MFA banner, one-time message — from c.var.pageExtras. An htmx fragment
 * carries a waiting one-time message out of band into the page's message region.
 */
export async function sendPage(c: Context<AppEnv>, page: JSX.Element, status: ContentfulStatusCode = 200) {
  c.header("Cache-Control", "no-store");
  // A string goes out at once; an HTML object would take an async detour in Hono (about a fifth
  // of an edit form's request time).
  // eslint-disable-next-line @typescript-eslint/await-thenable -- typed string, but an async component's node gives a Promise
  const markup: string = await (page instanceof Promise ? await page : page).toString();
  if (markup.includes(PAGE_TOP_MARK)) {
    return c.html(withPageTop(markup, await pageExtrasOf(c, status), c.var.csrfToken ?? ""), status);
  }
  if (c.req.header("hx-request") === "true" && c.var.flashIn && status === 200) {
    const oob = markupOf(FlashOutOfBand({ text: takeFlash(c)! }));
    return c.html(markup + oob, status);
  }
  return c.html(markup, status);
}
