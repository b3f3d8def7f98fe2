import type { Context } from "hono";
import type { UnavailableError } from "../../errors.js";
import type { Logger } from "../../log.js";
import { MessagePage } from "../../render/layout.js";
import type { AppEnv } from "./env.js";
import { sendPage } from "./page.js";

/** What Retry-After says while the database is unreachable: the pool retries on the next request. */
export const RETRY_AFTER_SECONDS = 5;

const MESSAGE = "The service is briefly unavailable. Try again in a few seconds.";

/**
 * The answer while the database is unreachable: 503 with Retry-After, a page for the web and
 * `{error: {code: "service_unavailable"}}` for the JSON API (/api/). Logs one line, no stack: an outage
 * is not a bug, and a stack per request would flood the log.
 */
export function serviceUnavailable<E extends AppEnv>(
  context: Context<E>,
  err: UnavailableError & { reason?: string },
  fallbackLog: Logger,
): Response | Promise<Response> {
  const c = context as unknown as Context<AppEnv>;
  (c.var.log ?? fallbackLog).warn("database unavailable", {
    route: c.req.routePath,
    reason: err.reason ?? err.message.slice(0, 80),
  });
  c.header("Retry-After", String(RETRY_AFTER_SECONDS));
  c.header("Cache-Control", "no-store");
  if (c.req.path.startsWith("/api/")) return c.json({ error: { code: "service_unavailable", message: MESSAGE } }, 503);
  return sendPage(
    c,
    <MessagePage title="Briefly unavailable" message={MESSAGE} csrfToken={c.var.csrfToken ?? ""} />,
    503,
  );
}
