import { timingSafeEqual } from "node:crypto";
import { Hono, type Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { PendingPosts } from "../../auth/pending-posts.js";
import { CsrfField, Layout } from "../../render/layout.js";
import type { Services } from "../../services.js";
import { cookieName, CSRF_COOKIE, readCookie, type CookieSettings } from "../http/cookies.js";
import { csrfTokenFor } from "../http/csrf.js";
import type { AppEnv } from "../http/env.js";
import { flash } from "../http/flash.js";
import { readForm, isFormContentType } from "../http/form-body.js";
import { requireSignIn, signedIn, toSignIn } from "../http/guards.js";
import { loginPathFor, safeNextPath } from "../http/next-path.js";
import { sendPage } from "../http/page.js";

/** Where a post kept across a sign-in is offered back (GET, signed in). */
export const RESUME_PATH = "/resume";
/** The cookie that ties a kept post to this browser (a random token; only its SHA-256 is stored). */
const RESUME_COOKIE = "fg_resume";
/** Paths whose posts are never kept: the sign-in steps themselves, and the device API. */
const NOT_KEPT = /^\/(login|logout|setup|mfa|api)(\/|$)/;
/** A form's field check (htmx on change): never kept, or it could stand in for the Save that follows it. */
const FIELD_CHECK = /\/check$/;

/** What the sign-in page says when it opens for a kept post (GET /login?next=/resume). */
export const SESSION_ENDED = "Your session ended before this was saved. Sign in again to finish it.";

/**
 * The CSRF middleware's answer to a form posted with a session that has ended (no full session, a
 * token signed for someone): a url-encoded post to a page of the console is kept (PendingPosts:
 * 10 minutes, single use, no password) and the browser goes to `/login?next=/resume`; anything
 * else goes to sign in with nothing kept. htmx requests get HX-Redirect, so the sign-in opens as a
 * full page, never inside a dialog. Returns null for what it does not handle (the 403 stands).
 */
export function keepEndedPost(s: Services, settings: CookieSettings) {
  return async (c: Context<AppEnv>, sentToken: string): Promise<Response | null> => {
    // The check answers nothing (its region swaps nothing): the Save posted with it is the one kept.
    if (FIELD_CHECK.test(c.req.path) && c.req.header("hx-request") === "true") {
      // Nor does it clear the ended session cookie: the Save that follows must still carry it to be kept.
      c.header("Set-Cookie", undefined);
      return c.body(null, 204);
    }
    if (NOT_KEPT.test(c.req.path) || FIELD_CHECK.test(c.req.path) || !safeNextPath(c.req.path)) return null;
    if (!isFormContentType(c.req.header("content-type")) || /multipart/i.test(c.req.header("content-type") ?? "")) {
      return null;
    }
    const { all, unstorable } = await readForm(c, { onInvalid: "report" });
    // Text PostgreSQL cannot store (NUL, lone surrogates) is not kept: the sign-in still follows.
    if (unstorable.length) return toSignIn(c, null);
    const fields: [string, string][] = Object.entries(all)
      .flatMap(([name, values]) => values.map((v) => [name, v] as [string, string]))
      .filter(([name]) => name !== "_dialog"); // sent again as a plain page, not from the dialog
    const token = await s.pendingPosts.keep(c.req.path, fields, sentToken);
    if (!token) return toSignIn(c, null);
    setCookie(c, cookieName(settings, RESUME_COOKIE), token, {
      httpOnly: true,
      sameSite: "Lax",
      secure: settings.secure,
      path: "/",
      maxAge: 10 * 60,
    });
    const target = loginPathFor(RESUME_PATH);
    c.var.log.info("post kept across a sign-in", { path: c.req.path, fields: fields.length });
    if (c.req.header("hx-request") === "true") {
      c.header("HX-Redirect", target);
      return c.body(null, 200);
    }
    return c.redirect(target, 303);
  };
}

/**
 * GET /resume: the post kept when the session ended (keepEndedPost), offered back once to the user
 * who made it on this browser — the CSRF token it carried must be the one signed for this browser's
 * cookie and the signed-in user — as a form of hidden fields to send again with a fresh token.
 */
export function resumeRoutes(s: Services, settings: CookieSettings) {
  const app = new Hono<AppEnv>();
  app.get(RESUME_PATH, requireSignIn(), async (c) => {
    const session = signedIn(c);
    const token = readCookie(c, RESUME_COOKIE, settings);
    if (token !== undefined)
      deleteCookie(c, cookieName(settings, RESUME_COOKIE), { path: "/", secure: settings.secure });
    const post = token && token.length <= 64 ? await s.pendingPosts.take(token) : null;
    const csrfCookie = readCookie(c, CSRF_COOKIE, settings) ?? "";
    const mine = PendingPosts.bindingOf(csrfTokenFor(s.csrfKey, csrfCookie, session.user.id));
    const path = post ? safeNextPath(post.path) : null;
    if (!post || !path || !timingSafeEqual(mine, post.bindingHash)) {
      if (post) c.var.log.info("kept post discarded", { reason: path ? "another user or browser" : "path" });
      flash(c, "Nothing was waiting to be finished: the kept form had expired or was not yours.");
      return c.redirect("/", 303);
    }
    return sendPage(
      c,
      <Layout title="Finish saving" csrfToken={c.var.csrfToken} user={session.user}>
        <article class="narrow" id="resume">
          <h1>Finish saving</h1>
          <p>
            Your session ended before what you sent to <code>{path}</code> was saved. Nothing was changed yet. Send it
            again now that you are signed in.
          </p>
          {post.dropped.length ? (
            <p class="notice">
              Not kept, for safety: {post.dropped.join(", ")}. Type it again on the form if you meant to change it.
            </p>
          ) : null}
          <form method="post" action={path} id="resume-form">
            <CsrfField token={c.var.csrfToken} />
            {post.fields.map(([name, value]) => (
              <input type="hidden" name={name} value={value} />
            ))}
            <button type="submit">Save the changes</button> <a href="/">Discard</a>
          </form>
        </article>
      </Layout>,
    );
  });
  return app;
}
