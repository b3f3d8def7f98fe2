import type { Context } from "hono";
import type { UnavailableError } from "../../errors.js";
import { isDiskFull } from "../../db/unavailable.js";
import type { Logger } from "../../log.js";
import { MessagePage } from "../../render/layout.js";
import type { AppEnv } from "./env.js";
import { sendPage } from "./page.js";

/** What Retry-After says while the database is unreachable: the pool retries on the next request. */
export const RETRY_AFTER_SECONDS = 5;

const MESSAGE = "The service is briefly unavailable. Try again in a few seconds.";

/** Retry-After while the disk is full: freeing space takes a person, not a reconnect. */
export const DISK_FULL_RETRY_AFTER_SECONDS = 60;

/** The words while writes are refused for lack of disk space: not brief, and not fixed by retrying. */
export const DISK_FULL_MESSAGE =
  "The server's disk is full: changes cannot be saved until space is freed on it. Pages that only read still work. Tell the administrator.";

/**
 * The answer while the database is unreachable: 503 with Retry-After, a page for the web and
 * `{error: {code: "service_unavailable"}}` for the JSON API (/api/). Logs one line, no stack: an outage
 * is not a bug, and a stack per request would flood the log. A write refused for lack of disk space
 * (the space guard's ENOSPC, PostgreSQL's 53100) says so instead of "briefly".
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
  const diskFull = isDiskFull(err.cause);
  const message = diskFull ? DISK_FULL_MESSAGE : MESSAGE;
  c.header("Retry-After", String(diskFull ? DISK_FULL_RETRY_AFTER_SECONDS : RETRY_AFTER_SECONDS));
  c.header("Cache-Control", "no-store");
  if (c.req.path.startsWith("/api/")) return c.json({ error: { code: "service_unavailable", message } }, 503);
  return sendPage(
    c,
    <MessagePage
      title={diskFull ? "Disk full" : "Briefly unavailable"}
      message={message}
      csrfToken={c.var.csrfToken ?? ""}
    />,
    503,
  );
}
