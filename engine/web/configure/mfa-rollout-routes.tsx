/**
 * Configure > MFA, for administrators: GET /configure/mfa (progress),
 * GET /configure/mfa/rollout (choose, and with ?preview=1 the preview) and
 * POST /configure/mfa/rollout (Confirm), GET/POST /configure/mfa/policy.
 * The preview is a GET because it changes nothing; only Confirm posts.
 */
import { Hono, type Context } from "hono";
import type { Session } from "../../auth/sessions.js";
import { isMfaState } from "../../mfa/mfa-states.js";
import {
  RolloutChangedError,
  RolloutInputError,
  ROLES,
  type RolloutOptions,
  type RolloutRole,
  type RolloutSelection,
} from "../../mfa/rollout.js";
import type { Services } from "../../services.js";
import type { AppEnv } from "../http/env.js";
import { readFormText } from "../http/form-body.js";
import { requireRole, signedIn } from "../http/guards.js";
import { sendPage } from "../http/page.js";
import { flash } from "../http/flash.js";
import { queryParams, queryValues } from "../http/query.js";
import { isPublicSiteAdmin } from "./configure-routes.js";
import {
  MfaProgressPage,
  PolicyPage,
  RolloutPage,
  type MfaFrame,
  type RolloutFormValues,
  type SiteProgress,
} from "./mfa-rollout-pages.js";

const PREVIEW_PAGE_SIZE = 50;
const DEFAULT_DELAY_DAYS = "14";

/** The form's values, from a query (preview) or a post (Confirm): every name's values in order. */
function formValues(all: Record<string, string[]>): RolloutFormValues {
  const one = (n: string) => all[n]?.at(-1) ?? "";
  return {
    role: one("role"),
    q: one("q"),
    mfa: one("mfa"),
    scope: one("scope"),
    enforcementDelayDays: all.enforcementDelayDays ? one("enforcementDelayDays").trim() : DEFAULT_DELAY_DAYS,
    moveDeadlines: one("moveDeadlines") === "true",
    ids: [...new Set(all.ids ?? [])].filter((id) => id !== ""),
  };
}

/**
 * Form values to a selection for this administrator: their active site, or
 * every site if they are a Public Site administrator who chose "every site".
 * Returns the problems per field instead when the form is wrong.
 */
function toSelection(
  v: RolloutFormValues,
  session: Session,
  canTargetAll: boolean,
): { selection: RolloutSelection; options: RolloutOptions } | { errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  if (v.role !== "" && !(ROLES as readonly string[]).includes(v.role)) {
    errors.role = "Role must be Administrator, App designer or User.";
  }
  if (v.mfa !== "" && !isMfaState(v.mfa)) errors.mfa = "Choose an MFA state from the list.";
  if (v.scope !== "" && v.scope !== "all") errors.scope = "Choose this site or every site.";
  else if (v.scope === "all" && !canTargetAll) {
    errors.scope = "Only administrators of the Public Site may roll out to every site.";
  }
  if (v.q.length > 100) errors.q = "Search is at most 100 characters.";
  if (!/^\d{1,4}$/.test(v.enforcementDelayDays) || Number(v.enforcementDelayDays) > 3650) {
    errors.enforcementDelayDays = "Enforcement delay must be a whole number of days from 0 to 3650.";
  }
  if (Object.keys(errors).length) return { errors };
  const selection: RolloutSelection = { siteId: v.scope === "all" ? null : session.activeSiteId };
  if (v.role) selection.role = v.role as RolloutRole;
  if (v.q.trim()) selection.q = v.q.trim();
  if (v.mfa && isMfaState(v.mfa)) selection.mfa = v.mfa;
  if (v.ids.length) selection.ids = v.ids;
  return {
    selection,
    options: { enforcementDelayDays: Number(v.enforcementDelayDays), moveDeadlines: v.moveDeadlines },
  };
}

/** The query string that shows the same preview (paging links). */
function previewQuery(v: RolloutFormValues, after?: string): string {
  const p = new URLSearchParams();
  for (const [k, val] of [
    ["role", v.role],
    ["q", v.q],
    ["mfa", v.mfa],
    ["scope", v.scope],
    ["enforcementDelayDays", v.enforcementDelayDays],
  ] as const) {
    if (val) p.set(k, val);
  }
  if (v.moveDeadlines) p.set("moveDeadlines", "true");
  for (const id of v.ids) p.append("ids", id);
  p.set("preview", "1");
  if (after) p.set("after", after);
  return `/configure/mfa/rollout?${p}`;
}

/** Rows of the users a message names, e.g. "switched on for 12 users". */
const users = (n: number) => `${n} user${n === 1 ? "" : "s"}`;

/**
 * Routes of Configure > MFA for administrators: the overview, a bulk rollout (preview, then enable
 * with an enforcement delay) and the policy for new accounts.
 */
export function mfaRolloutRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("/configure/mfa", requireRole("admin"));
  app.use("/configure/mfa/*", requireRole("admin"));

  const frameOf = async (c: Context<AppEnv>): Promise<MfaFrame> => {
    const session = signedIn(c);
    const site = await s.sites.byId(session.activeSiteId);
    return { csrfToken: c.var.csrfToken, user: session.user, siteName: site?.name ?? "" };
  };

  // ---- progress -------------------------------------------------------------------------

  app.get("/configure/mfa", async (c) => {
    const session = signedIn(c);
    const all = await isPublicSiteAdmin(s, session);
    const sites = all ? await s.sites.list() : [(await s.sites.byId(session.activeSiteId))!];
    const rows: SiteProgress[] = [];
    for (const site of sites) {
      rows.push({
        siteId: site.id,
        slug: site.slug,
        name: site.name,
        counts: await s.mfaStates.counts(site.id),
        policy: await s.mfaPolicies.get(site.id),
      });
    }
    const scope = all ? null : session.activeSiteId;
    const since = await s.rollouts.firstRolloutAt(scope);
    const chartStart = since ?? new Date(s.clock.now().getTime() - 29 * 86_400_000);
    return sendPage(
      c,
      <MfaProgressPage
        frame={await frameOf(c)}
        sites={rows}
        allSites={all}
        chart={await s.mfaProgress.activationsPerDay(scope, chartStart)}
        chartSince={since}
        overdue={await s.mfaProgress.overdue(scope, 100)}
        activeSiteId={session.activeSiteId}
      />,
    );
  });

  // ---- rollout --------------------------------------------------------------------------

  /** The rollout page for these values: the form alone, or with the preview. */
  async function rolloutPage(
    c: Context<AppEnv>,
    v: RolloutFormValues,
    opts: { preview: boolean; after?: string; changed?: string; status?: 200 | 409 | 422 },
  ) {
    const session = signedIn(c);
    const canTargetAll = await isPublicSiteAdmin(s, session);
    const frame = await frameOf(c);
    if (!opts.preview)
      return sendPage(c, <RolloutPage frame={frame} values={v} errors={{}} canTargetAll={canTargetAll} />);
    const parsed = toSelection(v, session, canTargetAll);
    const errors = "errors" in parsed ? parsed.errors : {};
    if ("selection" in parsed) {
      try {
        const plan = await s.rollouts.plan(parsed.selection, parsed.options);
        const page = await s.rollouts.previewUsers(parsed.selection, parsed.options, {
          after: opts.after,
          limit: PREVIEW_PAGE_SIZE + 1,
        });
        const more = page.length > PREVIEW_PAGE_SIZE;
        const shown = page.slice(0, PREVIEW_PAGE_SIZE);
        return sendPage(
          c,
          <RolloutPage
            frame={frame}
            values={v}
            errors={{}}
            canTargetAll={canTargetAll}
            preview={{
              plan,
              users: shown,
              nextHref: more ? previewQuery(v, shown.at(-1)!.username) : null,
              ...(opts.changed ? { changed: opts.changed } : {}),
            }}
          />,
          opts.status ?? 200,
        );
      } catch (err) {
        if (!(err instanceof RolloutInputError)) throw err;
        errors[err.field] = err.message;
      }
    }
    return sendPage(c, <RolloutPage frame={frame} values={v} errors={errors} canTargetAll={canTargetAll} />, 422);
  }

  app.get("/configure/mfa/rollout", async (c) => {
    const query = queryParams(c);
    const v = formValues(queryValues(c));
    const after = query.after && query.after.length <= 64 ? query.after : undefined;
    return rolloutPage(c, v, { preview: query.preview === "1", ...(after ? { after } : {}) });
  });

  app.post("/configure/mfa/rollout", async (c) => {
    const session = signedIn(c);
    const posted = await readFormText(c);
    const v = formValues(posted);
    const parsed = toSelection(v, session, await isPublicSiteAdmin(s, session));
    const expect = {
      toEnable: Number(posted.expectToEnable?.at(-1) ?? NaN),
      toMove: Number(posted.expectToMove?.at(-1) ?? NaN),
    };
    if (!("selection" in parsed)) return rolloutPage(c, v, { preview: true });
    if (!Number.isInteger(expect.toEnable) || !Number.isInteger(expect.toMove)) {
      // A Confirm without the preview's counts: show the preview to confirm from.
      return rolloutPage(c, v, { preview: true, changed: "Check the preview, then confirm.", status: 409 });
    }
    try {
      const result = await s.rollouts.apply(
        parsed.selection,
        parsed.options,
        {
          id: session.user.id,
          name: session.user.username,
          siteId: parsed.selection.siteId,
          credential: session.tokenHash,
        },
        { expect },
      );
      c.var.log.info("mfa rollout", { rolloutId: result.rolloutId, enabled: result.enabled, moved: result.moved });
      const moved = result.moved ? `, ${users(result.moved)} got the new deadline` : "";
      const skipped = result.selected - result.enabled - result.moved;
      flash(
        c,
        `MFA switched on for ${users(result.enabled)}${moved}; setup required from ` +
          `${result.requiredFrom.toISOString().slice(0, 10)}. ${users(skipped)} skipped.`,
      );
      return c.redirect("/configure/mfa", 303);
    } catch (err) {
      if (err instanceof RolloutChangedError)
        return rolloutPage(c, v, { preview: true, changed: err.message, status: 409 });
      if (err instanceof RolloutInputError) return rolloutPage(c, v, { preview: true });
      throw err;
    }
  });

  // ---- policy ---------------------------------------------------------------------------

  app.get("/configure/mfa/policy", async (c) => {
    const session = signedIn(c);
    return sendPage(
      c,
      <PolicyPage frame={await frameOf(c)} policy={await s.mfaPolicies.get(session.activeSiteId)} errors={{}} />,
    );
  });

  app.post("/configure/mfa/policy", async (c) => {
    const session = signedIn(c);
    const posted = await readFormText(c);
    const values = {
      requiredRoles: posted.requiredRoles ?? [],
      defaultEnforcementDelayDays: (posted.defaultEnforcementDelayDays?.at(-1) ?? "").trim(),
    };
    const errors: Record<string, string> = {};
    if (!/^\d{1,4}$/.test(values.defaultEnforcementDelayDays)) {
      errors.defaultEnforcementDelayDays = "Default enforcement delay must be a whole number of days from 0 to 3650.";
    } else {
      try {
        await s.mfaPolicies.set(
          session.activeSiteId,
          {
            requiredRoles: values.requiredRoles,
            defaultEnforcementDelayDays: Number(values.defaultEnforcementDelayDays),
          },
          { id: session.user.id, name: session.user.username, siteId: session.activeSiteId },
        );
        flash(c, "The MFA policy for new accounts is saved.");
        return c.redirect("/configure/mfa/policy", 303);
      } catch (err) {
        if (!(err instanceof RolloutInputError)) throw err;
        errors[err.field] = err.message;
      }
    }
    return sendPage(
      c,
      <PolicyPage
        frame={await frameOf(c)}
        policy={await s.mfaPolicies.get(session.activeSiteId)}
        values={values}
        errors={errors}
      />,
      422,
    );
  });

  return app;
}
