/**
 * /account's buttons for what the user signs in with: rename or remove a passkey, remove the
 * authenticator app or hardware token (with the current password; never the last factor while MFA
 * is on), end another browser's session or a device token.
 */
import { Hono, type Context } from "hono";
import { tooManyAttempts } from "../../auth/password-confirmation.js";
import type { FactorRef } from "../../mfa/factor-removal.js";
import { passkeyName } from "../../mfa/passkeys/passkey-store.js";
import type { Services } from "../../services.js";
import { signedOut, writeSessionCookie, type CookieSettings } from "../http/cookies.js";
import type { AppEnv } from "../http/env.js";
import { flash } from "../http/flash.js";
import { requireSignIn, signedIn } from "../http/guards.js";
import { sendPage } from "../http/page.js";
import { readForm } from "../http/form-body.js";
import { selfActor } from "../mfa/mfa-route-helpers.js";
import { accountPage } from "./account-routes.js";
import { plural } from "../../util/plural.js";
import { askingBrowser } from "../http/client-address.js";

/** The words when a removal comes without the current password. */
export const ENTER_PASSWORD = "Enter your current password to remove a sign-in method.";
/** The words when a removal comes with a wrong current password. */
export const WRONG_PASSWORD = "The current password is not correct. Nothing was removed.";

/** The words when the last factor would go. */
export const LAST_FACTOR = "This is your only sign-in method and MFA is on: add another one before you remove it.";

/** POST /account/passkeys/:id/rename|remove, /account/factors/totp/remove, /account/sessions|devices/:id/end. */
export function accountFactorRoutes(s: Services, cookies: CookieSettings) {
  const app = new Hono<AppEnv>();
  app.use("/account/*", requireSignIn());

  const refuse = async (c: Context<AppEnv>, status: 404 | 409 | 422 | 429, error: string) =>
    sendPage(c, await accountPage(s, c, { error }), status);

  const remove = async (c: Context<AppEnv>, factor: FactorRef) => {
    const session = signedIn(c);
    // The current password first: a session alone does not take away what protects the account.
    const password = (await readForm(c)).one.currentPassword ?? "";
    if (!password) return refuse(c, 422, ENTER_PASSWORD);
    // Counted against the account's password lock, the sign-in form's.
    const checked = await s.passwordConfirmation.confirm(session.user.id, password, askingBrowser(c, cookies));
    if (checked.kind === "locked") {
      c.header("Retry-After", String(checked.retryAfterSeconds));
      return refuse(c, 429, `${tooManyAttempts(checked.retryAfterSeconds)} Nothing was removed.`);
    }
    if (checked.kind === "wrong") return refuse(c, 422, WRONG_PASSWORD);
    const result = await s.factors.remove(session.user.id, factor, selfActor(session));
    if (!result.ok) {
      return result.reason === "last"
        ? refuse(c, 409, LAST_FACTOR)
        : refuse(c, 404, "There is no such sign-in method on your account.");
    }
    c.var.log.info("factor removed", { userId: session.user.id, kind: factor.kind });
    // A credential change: the other sessions ended; this one gets a new token.
    const rotated = await s.sessions.rotate(session, {}, c.var.clientAddress);
    if (!rotated) return signedOut(c, cookies);
    writeSessionCookie(c, cookies, rotated.token, rotated.expiresAt);
    flash(c, `Removed: ${result.removed}. You were signed out everywhere else.`);
    return c.redirect("/account", 303);
  };

  app.post("/account/passkeys/:id/remove", (c) => remove(c, { kind: "passkey", id: c.req.param("id") }));
  app.post("/account/factors/totp/remove", (c) => remove(c, { kind: "totp" }));

  app.post("/account/passkeys/:id/rename", async (c) => {
    const session = signedIn(c);
    const name = passkeyName((await readForm(c)).one.name);
    if (!name) return refuse(c, 422, "A passkey's name is 1 to 64 characters.");
    if (!(await s.passkeys.store.rename(session.user.id, c.req.param("id"), name))) {
      return refuse(c, 404, "There is no such passkey on your account.");
    }
    flash(c, `The passkey is now called ${name}.`);
    return c.redirect("/account", 303);
  });

  for (const kind of ["sessions", "devices"] as const) {
    app.post(`/account/${kind}/:id/end`, async (c) => {
      const session = signedIn(c);
      const ended = await s.ownCredentials.end(
        session.user.id,
        kind === "sessions" ? "session" : "device",
        c.req.param("id"),
        session.tokenHash,
      );
      if (!ended) return refuse(c, 404, "That sign-in has already ended.");
      flash(c, kind === "sessions" ? "That browser is signed out." : "That device is signed out.");
      return c.redirect("/account", 303);
    });
  }

  app.post("/account/sign-out-others", async (c) => {
    const session = signedIn(c);
    const ended = await s.ownCredentials.endAllBut(session.user.id, session.tokenHash);
    await s.audit.recordOwn(session.user, "user.sign_out_others", ended);
    flash(
      c,
      ended.sessions + ended.devices
        ? `Signed out everywhere else: ${plural(ended.sessions, "browser")} and ${plural(ended.devices, "device")}.`
        : "You were not signed in anywhere else.",
    );
    return c.redirect("/account", 303);
  });

  app.post("/account/remembered/:id/forget", async (c) => {
    const session = signedIn(c);
    if (!(await s.rememberedBrowsers.forget(session.user.id, c.req.param("id")))) {
      return refuse(c, 404, "That browser is no longer remembered.");
    }
    flash(c, "That browser will ask for a code again.");
    return c.redirect("/account", 303);
  });

  return app;
}
