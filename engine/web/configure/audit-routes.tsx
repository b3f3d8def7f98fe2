import { Hono } from "hono";
import type { AppEnv } from "../http/env.js";
import { queryParams } from "../http/query.js";
import { requireRole, signedIn } from "../http/guards.js";
import { sendPage } from "../http/page.js";
import { compileSchema, describeError, errorPointer } from "../../schema/ajv.js";
import type { Services } from "../../services.js";
import { AuditPage } from "./audit-pages.js";

const auditQuery = compileSchema<{ user?: string; action?: string; after?: string }>({
  type: "object",
  properties: {
    user: { type: "string", maxLength: 64, pattern: "^[A-Za-z0-9._@-]*$" },
    action: { type: "string", maxLength: 64, pattern: "^[a-z0-9_.]*$" },
    after: { type: "string", pattern: "^[1-9][0-9]{0,17}$" },
  },
  additionalProperties: false,
});

const MESSAGES: Record<string, string> = {
  user: "User must be a username (letters, digits and . _ @ -).",
  action: "Action must be one of the actions listed.",
  after: "Page must be a link from this page.",
};

/** /configure/audit: administrators read their site's audit log, filtered by user and action. */
export function auditRoutes(s: Services) {
  const app = new Hono<AppEnv>();
  app.use("/configure/audit", requireRole("admin"));

  app.get("/configure/audit", async (c) => {
    const session = signedIn(c);
    const site = (await s.sites.byId(session.activeSiteId))!;
    const raw: Record<string, string> = {};
    for (const [k, v] of Object.entries(queryParams(c))) if (v !== "") raw[k] = v;
    const valid = auditQuery(raw);
    const query = { user: (raw.user ?? "").slice(0, 64), action: (raw.action ?? "").slice(0, 64) };
    const actions = await s.auditSearch.actions(site.id);
    if (!valid) {
      const errors: Record<string, string> = {};
      for (const e of auditQuery.errors ?? []) {
        const field = errorPointer(e).replace(/^\//, "") || "query";
        errors[field] ??= MESSAGES[field] ?? `The filter ${describeError(e)}.`;
      }
      const page = (
        <AuditPage
          csrfToken={c.var.csrfToken}
          user={session.user}
          siteName={site.name}
          query={query}
          actions={actions}
          rows={[]}
          nextHref={null}
          errors={errors}
        />
      );
      return sendPage(c, page, 422);
    }
    const { rows, nextAfter } = await s.auditSearch.list({
      siteId: site.id,
      user: raw.user,
      action: raw.action,
      afterId: raw.after ? Number(raw.after) : undefined,
    });
    const next = new URLSearchParams();
    if (query.user) next.set("user", query.user);
    if (query.action) next.set("action", query.action);
    if (nextAfter !== null) next.set("after", String(nextAfter));
    return sendPage(
      c,
      <AuditPage
        csrfToken={c.var.csrfToken}
        user={session.user}
        siteName={site.name}
        query={query}
        actions={actions}
        rows={rows}
        nextHref={nextAfter !== null ? `/configure/audit?${next}` : null}
      />,
    );
  });

  return app;
}
