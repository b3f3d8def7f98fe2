import { Hono, type Context, type MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/env.js";
import { bearerCredentials } from "../http/bearer.js";
import type {
  DeviceLoginRequest,
  DeviceMfaRequest,
  DeviceMfaSetupRequest,
  DevicePasskeyOptionsRequest,
} from "../../schema/types.js";
import type { Services } from "../../services.js";
import { DEVICE_BODY_LIMIT_BYTES, readJsonBody } from "./body.js";
import { DomainError, NotFoundError, UnauthenticatedError } from "../../errors.js";
import { deviceErrorResponse, deviceRefusal } from "./device-errors.js";
import { openApiDocument } from "./openapi.js";
import { deviceValidator } from "../../device/schemas.js";
import type { DeviceTokenInfo } from "../../device/device-tokens.js";
import { APP_ROUTES, deviceAppRoutes } from "./device-apps-routes.js";
import { DEVICE_RECORD_BODY_LIMIT_BYTES } from "./body.js";
import { declaredBodyLimit } from "../http/body-limit.js";

type DeviceEnv = { Variables: AppEnv["Variables"] & { deviceToken: DeviceTokenInfo } };

/** The paths of the device API and the methods each answers, for 404 versus 405. */
const ROUTES: Record<string, string> = {
  "/api/device/login": "POST",
  "/api/device/mfa": "POST",
  "/api/device/mfa/setup": "POST",
  "/api/device/mfa/passkey/options": "POST",
  "/api/device/me": "GET",
  "/api/device/logout": "POST",
};

/** A device token as issued: 256 bits in base64url. */
const DEVICE_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** Requires `Authorization: Bearer TOKEN` of a live device token (never a cookie). */
function requireBearer(s: Services): MiddlewareHandler<DeviceEnv> {
  return async (c, next) => {
    const token = bearerCredentials(c.req.header("authorization"));
    if (token === null || !DEVICE_TOKEN.test(token))
      throw new UnauthenticatedError("Send Authorization: Bearer TOKEN from a device sign-in.", {
        code: "invalid_token",
      });
    // eslint-disable-next-line no-control-regex -- control characters are what is taken out of the header
    const agent = (c.req.header("user-agent") ?? "").replace(/[\x00-\x1f\x7f]/g, "").trim();
    const info = await s.deviceTokens.validate(token, agent ? agent.slice(0, 80) : "An app (no User-Agent)");
    if (!info)
      throw new UnauthenticatedError("This token has expired or was revoked. Sign in again.", {
        code: "invalid_token",
      });
    c.set("deviceToken", info);
    return next();
  };
}

/**
 * `Cache-Control: no-store` on every answer under /api/device/ (they carry tokens, challenges and
 * keys), the refusals of the server's own middleware before these routes included (a body over the
 * server's limit, an address it cannot store): createApp puts it first. Set on the answer's own
 * headers: c.header() after the answer exists makes @hono/node-server build a full undici Response.
 */
export const deviceNoStore: MiddlewareHandler = async (c, next) => {
  await next();
  c.res.headers.set("Cache-Control", "no-store");
};

/** /api/device/* (JSON, bearer tokens) and /api/openapi.json. Every refusal is `{error: {code, message, fields?}}`. */
export function deviceRoutes(s: Services) {
  const app = new Hono<DeviceEnv>();
  const validators = {
    login: deviceValidator<DeviceLoginRequest>("login-request"),
    mfa: deviceValidator<DeviceMfaRequest>("mfa-request"),
    setup: deviceValidator<DeviceMfaSetupRequest>("mfa-setup-request"),
    passkeyOptions: deviceValidator<DevicePasskeyOptionsRequest>("passkey-options-request"),
  };

  const limit = (maxSize: number): MiddlewareHandler<DeviceEnv> =>
    declaredBodyLimit(maxSize, (c) => {
      throw deviceRefusal(c, 413, "body_too_large", `The body is larger than ${maxSize} bytes.`);
    });
  const signInLimit = limit(DEVICE_BODY_LIMIT_BYTES);
  const recordLimit = limit(DEVICE_RECORD_BODY_LIMIT_BYTES);
  // Records take the web's record form size; everything else is a few hundred bytes.
  app.use("/api/device/*", (c: Context<DeviceEnv, string>, next) =>
    c.req.path.startsWith("/api/device/apps/") ? recordLimit(c, next) : signInLimit(c, next),
  );

  // Each sign-in step counted in formgate_sign_ins_total: "ok" is a token, any other status a next step.
  const counted = async <T extends { status: string }>(step: () => Promise<T>): Promise<T> => {
    try {
      const result = await step();
      s.metrics.signIn("device", result.status === "ok" ? "success" : "mfa_required");
      return result;
    } catch (err) {
      if (err instanceof DomainError && (err.kind === "unauthenticated" || err.kind === "rate_limited")) {
        s.metrics.signIn("device", err.kind === "rate_limited" ? "throttled" : "failure");
      }
      throw err;
    }
  };

  app.post("/api/device/login", async (c) => {
    const body = await readJsonBody(c, validators.login);
    return c.json(await counted(() => s.deviceSignIn.login(body, c.var.clientAddress)));
  });

  app.post("/api/device/mfa", async (c) => {
    const body = await readJsonBody(c, validators.mfa);
    return c.json(await counted(() => s.deviceSignIn.mfa(body, c.var.clientAddress)));
  });

  app.post("/api/device/mfa/passkey/options", async (c) => {
    const body = await readJsonBody(c, validators.passkeyOptions);
    return c.json(await s.deviceSignIn.passkeyOptions(body));
  });

  app.post("/api/device/mfa/setup", async (c) => {
    const body = await readJsonBody(c, validators.setup);
    return c.json(await counted(() => s.deviceSignIn.setup(body, c.var.clientAddress)));
  });

  app.get("/api/device/me", requireBearer(s), async (c) => c.json(await s.deviceSignIn.me(c.var.deviceToken)));

  app.post("/api/device/logout", requireBearer(s), async (c) => {
    await s.deviceSignIn.logout(c.var.deviceToken);
    return c.body(null, 204);
  });

  deviceAppRoutes(app, s, requireBearer(s));

  app.all("/api/device/*", (c) => {
    const allowed = ROUTES[c.req.path] ?? APP_ROUTES.find(([re]) => re.test(c.req.path))?.[1];
    if (allowed) {
      throw deviceRefusal(c, 405, "method_not_allowed", `Use ${allowed} for ${c.req.path}.`, { Allow: allowed });
    }
    throw new NotFoundError("There is no such device API endpoint.");
  });

  let document: string | null = null;
  app.get("/api/openapi.json", (c) => {
    document ??= JSON.stringify(openApiDocument());
    c.header("Content-Type", "application/json; charset=utf-8");
    return c.body(document);
  });

  app.onError((err, c) => deviceErrorResponse(c, err, s.log));

  return app;
}
