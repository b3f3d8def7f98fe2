import { Hono, type Context } from "hono";
import type { Session } from "../../auth/sessions.js";
import type { CookieSettings } from "../http/cookies.js";
import { webSignIn } from "../http/client-address.js";
import type { AppEnv } from "../http/env.js";
import { sendPage } from "../http/page.js";
import { readForm } from "../http/form-body.js";
import { compileSchema } from "../../schema/ajv.js";
import type { Services } from "../../services.js";
import {
  afterActivation,
  replacedMessage,
  readCode,
  selfActor,
  setupAccess,
  setupChanged,
  TOKEN_CODE_FAILURE,
  TOKEN_MALFORMED_CODE,
} from "./mfa-route-helpers.js";
import { HardwareSetupPage } from "./hardware-setup-page.js";

/**
 * The one answer of the setup page to a wrong code, a locked account and a serial number this user
 * may not activate (unknown, assigned, disabled, someone else's): which of them it was is not said,
 * so serial numbers cannot be found out by trying.
 */
export const SERIAL_OR_CODE_FAILURE = `${TOKEN_CODE_FAILURE} If it still fails, check the serial number you typed against the one printed on the token.`;

const serialField = compileSchema<{ serialNumber: string }>({
  type: "object",
  properties: { serialNumber: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,63}$" } },
  required: ["serialNumber"],
});

/** GET/POST /mfa/setup/hardware: the same access rules as the app setup page (setupAccess, mfa-route-helpers.tsx). */
export function hardwareSetupRoutes(s: Services, cookies: CookieSettings) {
  const app = new Hono<AppEnv>();

  const page = async (
    c: Context<AppEnv>,
    session: Session,
    status: 200 | 409 | 422 = 200,
    extra: { serialNumber?: string; error?: string; errors?: { serialNumber?: string; code?: string } } = {},
  ) => {
    // Only whether a token is there for this user, and the one reserved for them: never the pool.
    const reserved = await s.hardware.registry.reservedFor(session.user.id);
    const available = reserved !== null || (await s.hardware.registry.availableFor(session.user.id)).length > 0;
    return sendPage(
      c,
      <HardwareSetupPage
        csrfToken={c.var.csrfToken}
        available={available}
        {...(reserved ? { reserved: reserved.serialNumber } : {})}
        serialNumber={extra.serialNumber ?? reserved?.serialNumber ?? ""}
        {...(extra.error ? { error: extra.error } : {})}
        {...(extra.errors ? { errors: extra.errors } : {})}
      />,
      status,
    );
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
    // Only the shape is checked here (what a serial number can look like); whether it exists is
    // answered as a wrong code is, below.
    if (input.serialNumber === "") errors.serialNumber = "Type the serial number printed on your token.";
    else if (!serialField(input)) {
      errors.serialNumber = "A serial number is 1 to 64 letters, digits or . _ : / # - (as printed on the token).";
    }
    if (code === null) errors.code = TOKEN_MALFORMED_CODE;
    if (errors.serialNumber || errors.code) {
      return page(c, session, 422, { serialNumber: input.serialNumber.slice(0, 64), errors });
    }

    const result = await s.hardware.activation.activateHardware(
      session.user.id,
      input.serialNumber,
      code!,
      selfActor(session),
      { replace: access.replace, where: webSignIn(c) },
    );
    if (result.ok) {
      c.var.log.info("mfa activated", { userId: session.user.id, method: "hardware" });
      return afterActivation(s, c, session, cookies, access.replace ? replacedMessage("hardware token") : undefined);
    }
    switch (result.reason) {
      case "invalid":
      case "locked":
        // The same answer for a wrong code, a lock and a serial number that is not this user's to
        // activate (unknown, taken, disabled): without Retry-After, only administrators see the lock.
        return page(c, session, 422, { serialNumber: input.serialNumber, error: SERIAL_OR_CODE_FAILURE });
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
