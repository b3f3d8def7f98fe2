/**
 * Configure's route table: every console room mounted in one place, behind the role guard that
 * keeps end users out of `/configure` and everything under it. Each room adds its own, narrower
 * guard (administrators only, Public Site administrators only).
 */
import { Hono } from "hono";
import type { AppEnv } from "../http/env.js";
import { requireRole } from "../http/guards.js";
import type { Services } from "../../services.js";
import { auditRoutes } from "./audit/audit-routes.js";
import { backupsRoutes } from "./backups/backups-routes.js";
import { appsDesignerRoutes } from "./designer/apps-designer-routes.js";
import { mfaHardwareRoutes } from "./hardware/mfa-hardware-routes.js";
import { mfaRolloutDetailRoutes } from "./mfa/mfa-rollout-detail-routes.js";
import { mfaRolloutRoutes } from "./mfa/mfa-rollout-routes.js";
import { notificationsRoutes } from "./notifications/notifications-routes.js";
import { overviewRoutes } from "./overview/overview-routes.js";
import { sitesRoutes } from "./sites/sites-routes.js";

/**
 * The routes of Configure (overview, sites, MFA rollouts and policy, notifications, backups, app
 * designer, MFA hardware, audit log). Mount before any other route under `/configure` (the users
 * list): Hono runs a guard only for routes registered after it.
 */
export function configureRoutes(s: Services, cookieSettings: { secure: boolean }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("/configure", requireRole("admin", "designer"));
  app.use("/configure/*", requireRole("admin", "designer"));
  app.route("/", auditRoutes(s));
  app.route("/", overviewRoutes(s));
  app.route("/", sitesRoutes(s, cookieSettings));
  app.route("/", mfaRolloutRoutes(s));
  app.route("/", mfaRolloutDetailRoutes(s));
  app.route("/", notificationsRoutes(s));
  app.route("/", backupsRoutes(s));
  app.route("/", appsDesignerRoutes(s));
  app.route("/", mfaHardwareRoutes(s));
  return app;
}
