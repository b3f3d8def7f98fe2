import { Hono, type Context } from "hono";
import type { AppEnv } from "../../http/env.js";
import { queryParams } from "../../http/query.js";
import { requireRole, signedIn } from "../../http/guards.js";
import { sendPage } from "../../http/page.js";
import { csvField } from "../../../apps/csv-export.js";
import { AUDIT_ACTIONS } from "../../../audit/audit-log.js";
import type { AuditFilter } from "../../../audit/audit-search.js";
import { auditSentence, changeLines } from "../../../audit/audit-words.js";
import { startOfDayIn } from "../../../util/zoned-dates.js";
import { compileSchema, describeError, errorPointer } from "../../../schema/ajv.js";
import type { Services } from "../../../services.js";
import { AuditPage, type AuditQuery } from "./audit-page.js";

/** The audit log page of the active site (administrators). */
export const AUDIT_PATH = "/configure/audit";
/** The audit log as CSV, with the same filters as the page (`user`, `role`, `action`, `surface`, `from`, `to`). */
export const AUDIT_EXPORT_PATH = "/configure/audit/export.csv";

const auditQuery = compileSchema<{
  user?: string;
  role?: "actor" | "target";
  action?: string;
  surface?: "web" | "device";
  from?: string;
  to?: string;
  after?: string;
}>({
  type: "object",
  properties: {
    user: { type: "string", maxLength: 64, pattern: "^[A-Za-z0-9._@-]*$" },
    role: { enum: ["actor", "target"] },
    surface: { enum: ["web", "device"] },
    action: { type: "string", maxLength: 64, pattern: "^[a-z0-9_.]*$" },
    from: { type: "string", format: "date" },
    to: { type: "string", format: "date" },
    after: { type: "string", pattern: "^[1-9][0-9]{0,17}$" },
  },
  additionalProperties: false,
});

const MESSAGES: Record<string, string> = {
  user: "User must be a username (letters, digits and . _ @ -).",
  role: "As must be who acted or whom it concerned.",
  surface: "Surface must be web or device.",
  action: "Action must be one of the actions listed.",
  from: "From must be a date (YYYY-MM-DD).",
  to: "To must be a date (YYYY-MM-DD).",
  after: "Page must be a link from this page.",
};

/** The actions a filter may name: those the engine writes (an entry's action is always one). */
const KNOWN_ACTIONS: ReadonlySet<string> = new Set(AUDIT_ACTIONS);

const DAY_MS = 86_400_000;

/** "2026-12-10" for "2026-12-09" (calendar arithmetic, so in UTC whatever the site's zone). */
const nextIsoDay = (isoDay: string) => new Date(Date.parse(`${isoDay}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);

type Read =
  | { ok: true; query: AuditQuery; filter: Omit<AuditFilter, "siteId"> }
  | { ok: false; query: AuditQuery; errors: Record<string, string> };

/**
 * The filters of the audit page and its export from the query string: user, action, from and to
 * (days in the site's time zone `zone`, both included), after (paging). A bad value is an error per
 * parameter.
 */
function readAuditQuery(c: Context<AppEnv>, zone: string): Read {
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(queryParams(c))) if (v !== "") raw[k] = v;
  const query: AuditQuery = {
    user: (raw.user ?? "").slice(0, 64),
    role: raw.role === "actor" || raw.role === "target" ? raw.role : "",
    action: (raw.action ?? "").slice(0, 64),
    surface: raw.surface === "web" || raw.surface === "device" ? raw.surface : "",
    from: (raw.from ?? "").slice(0, 10),
    to: (raw.to ?? "").slice(0, 10),
  };
  const errors: Record<string, string> = {};
  if (!auditQuery(raw)) {
    for (const e of auditQuery.errors ?? []) {
      const field = errorPointer(e).replace(/^\//, "") || "query";
      errors[field] ??=
        MESSAGES[field] ??
        (e.keyword === "additionalProperties"
          ? `The audit log has no filter "${String(e.params.additionalProperty).slice(0, 40)}" (use user, role, action, surface, from, to).`
          : `The filter ${describeError(e)}.`);
    }
  } else if (raw.from && raw.to && raw.from > raw.to) {
    errors.to = "To must be the same day as From or later.";
  }
  // An action of the right shape that the engine never writes would find nothing: say so instead.
  if (!errors.action && raw.action && !KNOWN_ACTIONS.has(raw.action)) {
    errors.action = `The audit log has no action "${raw.action}": choose one from the list.`;
  }
  if (Object.keys(errors).length) return { ok: false, query, errors };
  return {
    ok: true,
    query,
    filter: {
      user: raw.user,
      role: query.role || undefined,
      action: raw.action,
      surface: query.surface || undefined,
      from: raw.from ? startOfDayIn(raw.from, zone) : undefined,
      // `to` ends where the next calendar day starts in the zone.
      before: raw.to ? startOfDayIn(nextIsoDay(raw.to), zone) : undefined,
      afterId: raw.after ? Number(raw.after) : undefined,
    },
  };
}

/** The query string that keeps a page's filters (for paging and the export link). */
function filterParams(q: AuditQuery): URLSearchParams {
  const p = new URLSearchParams();
  for (const k of ["user", "role", "action", "surface", "from", "to"] as const) if (q[k]) p.set(k, q[k]);
  return p;
}

/**
 * /configure/audit: administrators read their site's audit log, one line per entry (who, what,
 * whom, when), filtered by user, action and date range; /configure/audit/export.csv gives the
 * same entries (every page, the same filters) as CSV.
 */
export function auditRoutes(s: Services) {
  const app = new Hono<AppEnv>();
  app.use(AUDIT_PATH, requireRole("admin"));
  app.use(`${AUDIT_PATH}/*`, requireRole("admin"));

  app.get(AUDIT_PATH, async (c) => {
    const session = signedIn(c);
    const site = (await s.sites.byId(session.activeSiteId))!;
    const read = readAuditQuery(c, site.timeZone);
    const actions = await s.auditSearch.actions(site.id);
    const props = {
      csrfToken: c.var.csrfToken,
      user: session.user,
      siteName: site.name,
      timeZone: site.timeZone,
      query: read.query,
      actions,
    };
    if (!read.ok) {
      return sendPage(
        c,
        <AuditPage {...props} rows={[]} nextHref={null} exportHref={null} errors={read.errors} />,
        400,
      );
    }
    const { rows, nextAfter } = await s.auditSearch.list({ siteId: site.id, ...read.filter });
    const params = filterParams(read.query);
    const exportHref = `${AUDIT_EXPORT_PATH}${params.size ? `?${params}` : ""}`;
    if (nextAfter !== null) params.set("after", String(nextAfter));
    return sendPage(
      c,
      <AuditPage
        {...props}
        rows={rows}
        nextHref={nextAfter !== null ? `${AUDIT_PATH}?${params}` : null}
        exportHref={exportHref}
      />,
    );
  });

  app.get(AUDIT_EXPORT_PATH, async (c) => {
    const session = signedIn(c);
    const site = (await s.sites.byId(session.activeSiteId))!;
    const read = readAuditQuery(c, site.timeZone);
    if (!read.ok) return c.text(Object.values(read.errors).join("\n"), 400);
    const lines = ["time,actor,action,user,entry,changes,surface,address"];
    const { afterId: _paging, ...filter } = read.filter;
    for await (const r of s.auditSearch.all({ siteId: session.activeSiteId, ...filter })) {
      lines.push(
        [
          r.at.toISOString(),
          r.actorName,
          r.action,
          r.targetName ?? "",
          auditSentence(r, site.timeZone),
          changeLines(r.details).join("; "),
          typeof r.details.surface === "string" ? r.details.surface : "",
          typeof r.details.address === "string" ? r.details.address : "",
        ]
          .map(csvField)
          .join(","),
      );
    }
    const day = s.clock.now().toISOString().slice(0, 10);
    // A UTF-8 byte order mark first, as the other exports write it: Excel then reads Zoë, not ZoÃ«.
    return c.body(`\uFEFF${lines.join("\r\n")}\r\n`, 200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="audit-${day}.csv"`,
      "cache-control": "no-store",
    });
  });

  return app;
}
