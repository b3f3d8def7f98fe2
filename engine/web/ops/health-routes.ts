import { createHash, timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import { listMigrations } from "../../db/migrate.js";
import type { Services } from "../../services.js";
import { bearerCredentials } from "../http/bearer.js";
import type { AppEnv } from "../http/env.js";
import { RETRY_AFTER_SECONDS } from "../http/service-unavailable.js";

/** What /health/ready reports: ready, or why not. */
export type Readiness =
  | { status: "ready"; database: "pglite" | "pg" }
  | {
      status: "not ready";
      reason: "database unavailable" | "migrations pending" | "shutting down" | "disk full";
      pending?: number;
      /** For "disk full": the free space, the reserve, and that writes are refused. */
      detail?: string;
    };

/** True once the server has begun to shut down: /health/ready answers 503 from then on. */
export interface ShutdownFlag {
  shuttingDown: boolean;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest();

/** Constant-time: both sides are hashed to 32 bytes first, so not even the length leaks. */
function tokenMatches(header: string | undefined, token: string): boolean {
  const sent = bearerCredentials(header);
  return timingSafeEqual(sha256(sent ?? ""), sha256(token)) && sent !== null;
}

/**
 * Public operations routes: `GET /health/live` (200 while the process runs), `GET /health/ready`
 * (200 when the database answers, every migration is applied and writes are not refused for lack
 * of disk space, else 503 with the reason), and
 * `GET /metrics` (Prometheus text format; 404 without METRICS_TOKEN, 401 without the right
 * `Authorization: Bearer` token).
 */
export function healthRoutes(s: Services, shutdown: ShutdownFlag = { shuttingDown: false }) {
  const app = new Hono<AppEnv>();
  const expected = listMigrations().map((m) => m.id);

  const readiness = async (): Promise<Readiness> => {
    if (shutdown.shuttingDown) return { status: "not ready", reason: "shutting down" };
    let applied: Set<string>;
    try {
      applied = new Set((await s.db.query<{ id: string }>("SELECT id FROM schema_migrations")).rows.map((r) => r.id));
    } catch (err) {
      const missingTable = (err as { code?: unknown }).code === "42P01";
      if (!missingTable) return { status: "not ready", reason: "database unavailable" };
      applied = new Set();
    }
    const pending = expected.filter((id) => !applied.has(id)).length;
    if (pending) return { status: "not ready", reason: "migrations pending", pending };
    // Reads would still work, but every sign-in and save would answer 503: route elsewhere.
    const refused = s.db.writesRefused?.() ?? null;
    if (refused) return { status: "not ready", reason: "disk full", detail: refused };
    return { status: "ready", database: s.db.backend };
  };

  app.get("/health/live", (c) => c.json({ status: "live" }));

  app.get("/health/ready", async (c) => {
    const r = await readiness();
    c.header("Cache-Control", "no-store");
    if (r.status === "ready") return c.json(r);
    c.var.log.warn("not ready", { reason: r.reason });
    c.header("Retry-After", String(RETRY_AFTER_SECONDS));
    return c.json(r, 503);
  });

  app.get("/metrics", async (c) => {
    const token = s.config.METRICS_TOKEN;
    if (!token || !s.metrics.enabled) return c.notFound();
    if (!tokenMatches(c.req.header("authorization"), token)) {
      c.header("WWW-Authenticate", 'Bearer realm="metrics"');
      return c.text("Send Authorization: Bearer METRICS_TOKEN.", 401);
    }
    const { contentType, body } = await s.metrics.expose();
    c.header("Cache-Control", "no-store");
    return c.body(body, 200, { "Content-Type": contentType });
  });

  return app;
}
