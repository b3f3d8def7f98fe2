import { Hono, type Context } from "hono";
import type { Session } from "../../auth/sessions.js";
import type { CookieSettings } from "../http/cookies.js";
import type { AppEnv } from "../http/env.js";
import { sendPage } from "../http/page.js";
import { readForm } from "../http/form-body.js";
import { compileSchema } from "../../schema/ajv.js";
import type { Services } from "../../services.js";
import {
  afterActivation,
  readCode,
  selfActor,
  setupAccess,
  setupChanged,
  TOKEN_CODE_FAILURE,
  TOKEN_MALFORMED_CODE,
} from "./mfa-routes.js";
import { HardwareSetupPage } from "./hardware-setup-page.js";

const serialField = compileSchema<{ serialNumber: string }>({
  type: "object",
  properties: { serialNumber: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,63}$" } },
  required: ["serialNumber"],
});

/** GET/POST /mfa/setup/hardware: the same access rules as the app setup page (engine/mfa/mfa-routes.tsx). */
export function hardwareSetupRoutes(s: Services, cookies: CookieSettings) {
  const app = new Hono<AppEnv>();

  const page = async (
    c: Context<AppEnv>,
    session: Session,
    status: 200 | 409 | 422 = 200,
    extra: { selected?: string; error?: string; errors?: { serialNumber?: string; code?: string } } = {},
  ) => {
    const tokens = await s.hardware.registry.availableFor(session.user.id);
    return sendPage(c, <HardwareSetupPage csrfToken={c.var.csrfToken} tokens={tokens} {...extra} />, status);
  };

  app.get("/mfa/setup/hardware", async (c) => {
    const access = await setupAccess(s, c, "hardware");
    if (access.response) return access.response;
    return page(c, access.session);
  });

  app.post("/mfa/setup/hardware", async (c) => {
    const access = await setupAccess(s, c, "hardware");
    if (access.response) return access.response;
    const { session } = access;
    const f = (await readForm(c)).one;
    const input = { serialNumber: (f.serialNumber ?? "").trim() };
    const code = readCode(f);
    const errors: { serialNumber?: string; code?: string } = {};
    if (!serialField(input)) errors.serialNumber = "Choose your token from the list.";
    if (code === null) errors.code = TOKEN_MALFORMED_CODE;
    if (errors.serialNumber || errors.code) return page(c, session, 422, { selected: input.serialNumber, errors });

    const result = await s.hardware.activation.activateHardware(
      session.user.id,
      input.serialNumber,
      code!,
      selfActor(session),
      { replace: access.replace },
    );
    if (result.ok) {
      c.var.log.info("mfa activated", { userId: session.user.id, method: "hardware" });
      return afterActivation(s, c, session, cookies);
    }
    switch (result.reason) {
      case "invalid":
      case "locked":
        // The same answer for both, without Retry-After: only administrators see the lock.
        return page(c, session, 422, { selected: input.serialNumber, error: TOKEN_CODE_FAILURE });
      case "unknown_token":
        return page(c, session, 422, {
          errors: { serialNumber: "This token is not available. Choose one from the list." },
        });
      case "token_taken":
        return page(c, session, 409, {
          error: "Someone else has just activated this token. Choose another one or ask an administrator.",
        });
      default:
        throw setupChanged();
    }
  });

  return app;
}
