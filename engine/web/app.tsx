import { mayOpen } from "../apps/open-to.js";
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { withLogContext } from "../log.js";
import { loginRoutes } from "./auth/login-routes.js";
import { recordRoutes, userAccountRoutes } from "./apps/record-routes.js";
import { appsIndexRoutes } from "./apps/apps-index-routes.js";
import { TOKEN_IMPORT_PATH, tokenImportBodyLimit } from "./configure/hardware/token-import-routes.js";
import { configureRoutes } from "./configure/index.js";
import { hardwareSetupRoutes } from "./mfa/hardware-setup-routes.js";
import { mfaRoutes } from "./mfa/mfa-routes.js";
import { passkeyRoutes } from "./mfa/passkey-routes.js";
import { passwordlessRoutes } from "./auth/passwordless-routes.js";
import { recoveryRoutes } from "./mfa/recovery-routes.js";
import { accountRoutes } from "./account/account-routes.js";
import { accountFactorRoutes } from "./account/account-factor-routes.js";
import { deviceNoStore, deviceRoutes } from "./device/device-routes.js";
import { Layout, MessagePage } from "../render/layout.js";
import type { Services } from "../services.js";
import { appHref } from "../apps/app-registry.js";
import { clientAddress } from "./http/client-address.js";
import { clearSessionCookie, readCookie, SESSION_COOKIE } from "./http/cookies.js";
import { csrfProtection } from "./http/csrf.js";
import { keepEndedPost, resumeRoutes } from "./auth/resume-routes.js";
import { browserInWords } from "../auth/remembered-browsers.js";
import type { AppEnv } from "./http/env.js";
import { requireSignIn, signedIn } from "./http/guards.js";
import { sendPage } from "./http/page.js";
import { staticAssets } from "./http/static-assets.js";
import { refuseUnstorablePath } from "./http/query.js";
import { flashMessages } from "./http/flash.js";
import { pageExtras } from "./http/page-extras.js";
import { RETRY_AFTER_SECONDS } from "./http/service-unavailable.js";
import { errorResponse } from "./http/error-pages.js";
import { healthRoutes, type ShutdownFlag } from "./ops/health-routes.js";
import { declaredBodyLimit } from "./http/body-limit.js";

/** Default request body limit; routes that take files raise it for themselves. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * The route table: the Hono app with request ids and logging, security headers, sessions, CSRF, the
 * one error mapping and every area's routes. Only entry points (server, tests) call it.
 */
export function createApp(s: Services, shutdown?: ShutdownFlag): Hono<AppEnv> {
  const cookieSettings = { secure: s.config.TRUST_PROXY };
  const app = new Hono<AppEnv>();

  // An incoming X-Request-Id is kept when it is up to 64 letters, digits, "_", "-" or "=";
  // anything else (line breaks, quotes, markup) gets a fresh UUID, so logs never echo it.
  app.use(requestId({ limitLength: 64 }));
  app.use(async (c, next) => {
    const log = s.log.child({ requestId: c.var.requestId });
    c.set("log", log);
    c.set("clientAddress", clientAddress(c, s.config.TRUST_PROXY));
    c.set("session", null);
    const start = performance.now();
    // The query log (engine/db/query-log.ts) carries the request id through this context.
    await withLogContext({ requestId: c.var.requestId }, next);
    // The route pattern, not the URL: paths such as /setup/:token carry secrets.
    const ms = performance.now() - start;
    log.info("request", {
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      ms: Math.round(ms * 10) / 10,
    });
    s.metrics.httpRequest(c.req.routePath, c.req.method, c.res.status, ms / 1000);
  });

  // Before every middleware that can answer by itself (device-routes.ts).
  app.use("/api/device/*", deviceNoStore);
  app.use(refuseUnstorablePath);

  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
      strictTransportSecurity: s.config.TRUST_PROXY ? "max-age=31536000; includeSubDomains" : false,
      referrerPolicy: "same-origin",
    }),
  );

  app.route("/", staticAssets());

  app.get("/healthz", async (c) => {
    try {
      await s.db.query("SELECT 1");
      return c.json({ status: "ok", database: s.db.backend });
    } catch (err) {
      c.var.log.error("health check failed", { error: (err as Error).message });
      c.header("Retry-After", String(RETRY_AFTER_SECONDS));
      return c.json({ status: "unavailable" }, 503);
    }
  });
  app.route("/", healthRoutes(s, shutdown));

  const defaultBodyLimit = declaredBodyLimit(BODY_LIMIT_BYTES, (c) =>
    c.req.path.startsWith("/api/")
      ? c.json({ error: { code: "body_too_large", message: "The request is too large." } }, 413)
      : c.text("The request is too large.", 413),
  );
  // Token files are the one upload larger than a form; that route has its own limit.
  const importBodyLimit = tokenImportBodyLimit(app);
  app.use((c, next) => (c.req.path === TOKEN_IMPORT_PATH ? importBodyLimit(c, next) : defaultBodyLimit(c, next)));

  app.use(async (c, next) => {
    const token = readCookie(c, SESSION_COOKIE, cookieSettings);
    if (token) {
      const label = browserInWords(c.req.header("user-agent"));
      const session = token.length <= 64 ? await s.sessions.validate(token, label) : null;
      if (session) c.set("session", session);
      else {
        clearSessionCookie(c, cookieSettings);
        c.set("staleSession", true);
      }
    }
    return next();
  });

  app.use(flashMessages(s.secretBox, cookieSettings));
  app.use(pageExtras(s));

  app.use(
    csrfProtection({
      ...cookieSettings,
      key: s.csrfKey,
      publicUrl: s.config.PUBLIC_URL,
      trustProxy: s.config.TRUST_PROXY,
      exemptPrefixes: ["/api/device/"],
      onEndedSession: keepEndedPost(s, cookieSettings),
    }),
  );

  app.route("/", deviceRoutes(s));
  app.route("/", loginRoutes(s, cookieSettings));
  app.route("/", resumeRoutes(s, cookieSettings));
  app.route("/", mfaRoutes(s, cookieSettings));
  app.route("/", passkeyRoutes(s, cookieSettings));
  app.route("/", passwordlessRoutes(s, cookieSettings));
  app.route("/", recoveryRoutes(s, cookieSettings));
  app.route("/", accountRoutes(s, cookieSettings));
  app.route("/", accountFactorRoutes(s, cookieSettings));
  app.route("/", configureRoutes(s, cookieSettings));
  app.route("/", appsIndexRoutes(s));
  app.route("/", recordRoutes(s));
  app.route("/", userAccountRoutes(s));
  app.route("/", hardwareSetupRoutes(s, cookieSettings));

  app.get("/", requireSignIn(), async (c) => {
    const session = signedIn(c);
    const [site, apps] = await Promise.all([s.sites.byId(session.activeSiteId), s.apps.list(session.activeSiteId)]);
    const open = apps.filter((a) => mayOpen(a.openTo, session.user.role));
    return sendPage(
      c,
      <Layout title="Home" csrfToken={c.var.csrfToken} user={session.user} siteName={site?.name}>
        <h1>Welcome, {session.user.displayName || session.user.username}</h1>
        <p>You are signed in to {site?.name}.</p>
        <section aria-labelledby="home-apps">
          <h2 id="home-apps">Your apps</h2>
          {open.length ? (
            <ul class="app-index">
              {open.map((a) => (
                <li>
                  <a href={appHref(a.id)}>
                    <strong>{a.title}</strong>
                  </a>
                  {a.description ? <p>{a.description}</p> : null}
                </li>
              ))}
            </ul>
          ) : (
            <p>There are no apps you can open on this site yet.</p>
          )}
        </section>
        <p>
          <a href="/account">Your account</a>: your multi-factor authentication (MFA) and your password.
        </p>
      </Layout>,
    );
  });

  app.notFound((c) =>
    sendPage(
      c,
      <MessagePage title="Not found" message="There is nothing at this address." csrfToken={c.var.csrfToken ?? ""} />,
      404,
    ),
  );

  app.onError((err, c) => errorResponse(c, err, s.log));

  return app;
}
