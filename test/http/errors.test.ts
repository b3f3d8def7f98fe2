import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnavailableError,
  ValidationError,
} from "../../engine/errors.js";
import { createLogger } from "../../engine/log.js";
import { errorResponse } from "../../engine/web/http/error-pages.js";
import { deviceErrorResponse } from "../../engine/web/device/device-errors.js";
import type { AppEnv } from "../../engine/web/http/env.js";

// The one mapping of errors to answers (engine/web/http/error-pages.tsx), on a bare router: each kind of
// domain error gets its status, as a page on the web, as JSON under /api/ and in the device API's
// format under /api/device/.

const log = createLogger("error");
const errors: Record<string, () => Error> = {
  "not-found": () => new NotFoundError("No such thing."),
  forbidden: () => new ForbiddenError("Not yours."),
  conflict: () => new ConflictError("Changed meanwhile."),
  validation: () => new ValidationError("Bad input.", { name: "Name is required." }),
  unavailable: () => new UnavailableError("database down"),
  http: () => new HTTPException(400, { message: "Malformed." }),
  bug: () => new TypeError("x is undefined"),
};

function router(api: "device" | "generic") {
  const app = new Hono<AppEnv>();
  for (const prefix of ["/page", "/api/x", "/api/device"]) {
    app.get(`${prefix}/:kind`, (c) => {
      throw errors[c.req.param("kind")]!();
    });
  }
  app.onError((err, c) => (api === "device" ? deviceErrorResponse(c, err, log) : errorResponse(c, err, log)));
  return app;
}

const t = suite("errors mapped once");

t("each kind of domain error has one status, on pages and in JSON", async () => {
  const app = router("generic");
  const expected: Record<string, number> = {
    "not-found": 404,
    forbidden: 403,
    conflict: 409,
    validation: 422,
    unavailable: 503,
    http: 400,
    bug: 500,
  };
  for (const [kind, status] of Object.entries(expected)) {
    const page = await app.request(`/page/${kind}`);
    assert.is(page.status, status, kind);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/, kind);
    const json = await app.request(`/api/x/${kind}`);
    assert.is(json.status, status, kind);
    assert.match(json.headers.get("content-type") ?? "", /application\/json/, kind);
  }
});

t("the page shows the domain error's message; a bug's message stays in the log", async () => {
  const app = router("generic");
  assert.match(await (await app.request("/page/conflict")).text(), "Changed meanwhile.");
  const bug = await (await app.request("/page/bug")).text();
  assert.not.match(bug, "x is undefined");
  assert.match(bug, "request id");
});

t("the device API answers in its own format, with the per-field messages of a validation error", async () => {
  const app = router("device");
  const res = await app.request("/api/device/validation");
  assert.is(res.status, 422);
  assert.equal(await res.json(), {
    error: { code: "validation_failed", message: "Bad input.", fields: { name: "Name is required." } },
  });
  const missing = await app.request("/api/device/not-found");
  assert.is(missing.status, 404);
  assert.is(((await missing.json()) as { error: { code: string } }).error.code, "not_found");
  const down = await app.request("/api/device/unavailable");
  assert.is(down.status, 503);
  assert.is(down.headers.get("retry-after"), "5");
});

t.run();
