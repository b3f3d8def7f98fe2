import { Hono, type Context } from "hono";
import { changeOwnPassword } from "../../auth/user-accounts.js";
import { RateLimitedError, ValidationError } from "../../errors.js";
import { factorList, longDate, type MfaStatus } from "../../mfa/status.js";
import { minuteIn } from "../../util/zoned-dates.js";
import type { Services } from "../../services.js";
import { readCookie, REMEMBER_COOKIE, signedOut, writeSessionCookie, type CookieSettings } from "../http/cookies.js";
import type { AppEnv } from "../http/env.js";
import { flash } from "../http/flash.js";
import { requireSignIn, signedIn } from "../http/guards.js";
import { sendPage } from "../http/page.js";
import { readForm } from "../http/form-body.js";
import { tooManyAttempts } from "../../auth/password-confirmation.js";
import { RecoveryCodesPage } from "../mfa/recovery-pages.js";
import { selfActor } from "../mfa/mfa-route-helpers.js";
import { RecoveryCodesSection } from "./account-recovery.js";
import { AccountPage, type AccountMfa } from "./account-page.js";
import { FactorsSection, SignedInSection } from "./account-factors.js";
import { DEFAULT_TIME_ZONE } from "../../util/zoned-dates.js";
import { askingBrowser } from "../http/client-address.js";

const DAY_MS = 86_400_000;

/** A user's own MFA in words: "On since 2 December 2026 with an authenticator app", "Required from … — 3 days left". */
export function accountMfa(st: MfaStatus, now: Date): AccountMfa {
  switch (st.state) {
    case "off":
      return { text: "Off: your administrator has not turned MFA on for your account.", canSetUp: false };
    case "active": {
      const a = st.activation!;
      return { text: `On since ${longDate(a.at, st.timeZone)} with ${factorList(a)}.`, canSetUp: false };
    }
    case "pending": {
      const days = Math.ceil((st.requiredFrom!.getTime() - now.getTime()) / DAY_MS);
      return {
        text: `Required from ${minuteIn(st.requiredFrom!, st.timeZone)} — ${days} ${days === 1 ? "day" : "days"} left to set it up.`,
        canSetUp: true,
      };
    }
    case "required":
      return { text: "Required now: set it up to keep signing in.", canSetUp: true };
  }
}

/** The /account page of the signed-in user, with password field errors or a refusal at the top. */
export async function accountPage(
  s: Services,
  c: Context<AppEnv>,
  p: { errors?: Record<string, string> | undefined; error?: string } = {},
) {
  const recoveryError = p.errors?.recoveryCurrentPassword;
  const session = signedIn(c);
  const userId = session.user.id;
  const [site, status, passkeys, sessions, devices, remembered, policy] = await Promise.all([
    s.sites.byId(session.activeSiteId),
    s.mfa.statusOf(userId),
    s.passkeys.store.listOf(userId),
    s.ownCredentials.sessions(userId, session.tokenHash),
    s.ownCredentials.deviceTokens(userId),
    // This browser's cookie marks its own row ("(this browser)").
    s.rememberedBrowsers.listOf(userId, readCookie(c, REMEMBER_COOKIE)),
    s.mfaPolicies.get(session.user.siteId),
  ]);
  const a = status.activation;
  const totp = a && a.method !== "passkey" ? { method: a.method, serial: a.tokenSerial } : null;
  return (
    <AccountPage
      csrfToken={c.var.csrfToken}
      user={session.user}
      siteName={site?.name ?? ""}
      mfa={accountMfa(status, s.clock.now())}
      {...(p.errors ? { errors: p.errors } : {})}
      {...(p.error ? { error: p.error } : {})}
      factors={
        <FactorsSection
          csrfToken={c.var.csrfToken}
          factors={{
            totp,
            passkeys,
            mfaOn: status.enabled,
            passkeysAllowed: policy.allowedMethods.includes("passkey"),
          }}
        />
      }
      signedIn={
        <SignedInSection
          csrfToken={c.var.csrfToken}
          sessions={sessions}
          devices={devices}
          remembered={remembered}
          timeZone={status.timeZone ?? DEFAULT_TIME_ZONE}
        />
      }
      recovery={
        a ? (
          <RecoveryCodesSection
            csrfToken={c.var.csrfToken}
            count={await s.recovery.codes.countOf(userId)}
            {...(recoveryError ? { error: recoveryError } : {})}
          />
        ) : null
      }
    />
  );
}

/** GET/POST /account: every signed-in user's own page. */
export function accountRoutes(s: Services, cookieSettings: CookieSettings) {
  const app = new Hono<AppEnv>();
  app.use("/account", requireSignIn());

  const page = (c: Context<AppEnv>, errors?: Record<string, string>) => accountPage(s, c, { errors });

  app.get("/account", async (c) => sendPage(c, await page(c)));

  app.post("/account", async (c) => {
    const session = signedIn(c);
    const labels = { currentPassword: "Current password", newPassword: "New password" };
    const { one: f, unstorable, errors: textErrors } = await readForm(c, { onInvalid: "report", labels });
    if (unstorable.length) {
      const errors = Object.fromEntries(unstorable.map((n) => [n in labels ? n : "newPassword", textErrors[n]!]));
      return sendPage(c, await page(c, errors), 422);
    }
    const input = { currentPassword: f.currentPassword ?? "", newPassword: f.newPassword ?? "" };
    try {
      const browser = askingBrowser(c, cookieSettings);
      await changeOwnPassword(s.users, s.passwordConfirmation, session.user.id, input, session.tokenHash, browser);
    } catch (err) {
      // The account's password lock (shared with the sign-in form): the words in the field, 429.
      if (err instanceof RateLimitedError) {
        c.header("Retry-After", String(err.retryAfterSeconds));
        return sendPage(c, await page(c, { currentPassword: err.message }), 429);
      }
      // UserInputError is a ValidationError too: one field, or each empty field, with its message.
      if (err instanceof ValidationError) return sendPage(c, await page(c, { ...err.fields }), 422);
      throw err;
    }
    await s.audit.record({
      siteId: session.user.siteId,
      actor: { id: session.user.id, name: session.user.username },
      action: "user.password_change",
      target: { id: session.user.id, name: session.user.username },
    });
    // This session survived the revocation; a credential change still earns it a new token.
    const rotated = await s.sessions.rotate(session, {}, c.var.clientAddress);
    if (!rotated) return signedOut(c, cookieSettings);
    writeSessionCookie(c, cookieSettings, rotated.token, rotated.expiresAt);
    flash(c, "Your password was changed. You were signed out everywhere else.");
    return c.redirect("/account", 303);
  });

  // A new set of recovery codes, after the current password; shown once, the old set void.
  app.use("/account/recovery-codes", requireSignIn());
  app.post("/account/recovery-codes", async (c) => {
    const session = signedIn(c);
    const password = (await readForm(c)).one.currentPassword ?? "";
    const browser = askingBrowser(c, cookieSettings);
    const checked = password ? await s.passwordConfirmation.confirm(session.user.id, password, browser) : null;
    if (checked?.kind === "locked") {
      c.header("Retry-After", String(checked.retryAfterSeconds));
      const message = tooManyAttempts(checked.retryAfterSeconds);
      return sendPage(c, await page(c, { recoveryCurrentPassword: message }), 429);
    }
    if (checked?.kind !== "ok") {
      const message = password ? "The current password is not correct." : "Enter your current password.";
      return sendPage(c, await page(c, { recoveryCurrentPassword: message }), 422);
    }
    if (!(await s.mfa.statusOf(session.user.id)).activation) {
      const message = "Set up MFA first: recovery codes come with it.";
      return sendPage(c, await page(c, { recoveryCurrentPassword: message }), 409);
    }
    const codes = await s.recovery.codes.createSet(session.user.id, selfActor(session));
    c.var.log.info("recovery codes created", { userId: session.user.id, count: codes.length });
    return sendPage(
      c,
      <RecoveryCodesPage csrfToken={c.var.csrfToken} codes={codes} heading="Your new recovery codes" next="/account" />,
    );
  });

  return app;
}
