/**
 * Configure > MFA, for administrators: GET /configure/mfa (progress),
 * GET /configure/mfa/rollout (choose, and with ?preview=1 the preview) and
 * POST /configure/mfa/rollout (Confirm), GET/POST /configure/mfa/policy.
 * The preview is a GET because it changes nothing; only Confirm posts.
 */
import { Hono, type Context } from "hono";
import { RolloutChangedError, RolloutInputError } from "../../../mfa/mfa-rollouts.js";
import type { Services } from "../../../services.js";
import type { AppEnv } from "../../http/env.js";
import { readForm } from "../../http/form-body.js";
import { requireRole, signedIn } from "../../http/guards.js";
import { sendPage } from "../../http/page.js";
import { flash } from "../../http/flash.js";
import { queryParams, queryValues } from "../../http/query.js";
import {
  previewHref,
  rerunHref,
  rolloutFormValues,
  rolloutSelection,
  ROLLOUT_DEADLINE_FORM,
  type RolloutFormValues,
} from "../../forms/mfa-rollout-form.js";
import { PolicyPage, policySavedMessage } from "./policy-page.js";
import { listHref } from "../../forms/list-query.js";
import { MfaProgressPage, type SiteProgress } from "./mfa-progress-page.js";
import { RolloutPage } from "./rollout-page.js";
import { pageFrameOf } from "../../http/page-frame.js";
import { DEFAULT_TIME_ZONE, minuteIn } from "../../../util/zoned-dates.js";

const PREVIEW_PAGE_SIZE = 50;

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

  // ---- progress -------------------------------------------------------------------------

  app.get("/configure/mfa", async (c) => {
    const session = signedIn(c);
    const all = await s.sites.isPublicSiteAdmin(session.user);
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
    const siteNames = new Map(sites.map((site) => [site.id, site.name]));
    const unfinished = (await s.rollouts.unfinished(scope)).map((rollout) => ({
      rollout,
      siteName: rollout.siteId === null ? "Every site" : (siteNames.get(rollout.siteId) ?? ""),
      href: rerunHref(rollout),
    }));
    const since = await s.rollouts.firstRolloutAt(scope);
    const chartStart = since ?? new Date(s.clock.now().getTime() - 29 * 86_400_000);
    const frame = await pageFrameOf(c, s.sites);
    return sendPage(
      c,
      <MfaProgressPage
        frame={frame}
        sites={rows}
        allSites={all}
        chart={await s.mfaProgress.activationsPerDay(scope, chartStart, frame.timeZone)}
        chartSince={since}
        overdue={await s.mfaProgress.overdue(scope, 100)}
        activeSiteId={session.activeSiteId}
        unfinished={unfinished}
        rollouts={await s.rolloutProgress.list(scope)}
        remindable={await s.mail.outbox.pendingCount(session.activeSiteId)}
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
    const canTargetAll = await s.sites.isPublicSiteAdmin(session.user);
    const frame = await pageFrameOf(c, s.sites);
    const whereFields = await s.rollouts.searchableFields(
      v.scope === "all" && canTargetAll ? null : session.activeSiteId,
    );
    // Every site: the deadline is one moment, shown too in each other zone the sites keep.
    const zones = new Map<string, string[]>();
    if (v.scope === "all" && canTargetAll) {
      for (const site of await s.sites.list()) {
        if (site.timeZone === (frame.timeZone ?? DEFAULT_TIME_ZONE)) continue;
        zones.set(site.timeZone, [...(zones.get(site.timeZone) ?? []), site.name]);
      }
    }
    const siteZones = [...zones].map(([timeZone, names]) => ({ timeZone, names }));
    const page = (errors: Record<string, string>, preview?: Parameters<typeof RolloutPage>[0]["preview"]) => (
      <RolloutPage
        frame={frame}
        values={v}
        errors={errors}
        canTargetAll={canTargetAll}
        whereFields={whereFields}
        siteZones={siteZones}
        activeSiteId={session.activeSiteId}
        preview={preview}
      />
    );
    if (!opts.preview) return sendPage(c, page({}));
    const parsed = rolloutSelection(
      v,
      session,
      canTargetAll,
      whereFields.map((f) => f.name),
      { timeZone: frame.timeZone ?? DEFAULT_TIME_ZONE, now: s.clock.now() },
    );
    const errors = "errors" in parsed ? parsed.errors : {};
    if ("selection" in parsed) {
      try {
        const plan = await s.rollouts.plan(parsed.selection, parsed.options);
        const found = await s.rollouts.previewUsers(parsed.selection, parsed.options, {
          after: opts.after,
          limit: PREVIEW_PAGE_SIZE + 1,
        });
        const more = found.length > PREVIEW_PAGE_SIZE;
        const shown = found.slice(0, PREVIEW_PAGE_SIZE);
        return sendPage(
          c,
          page(
            {},
            {
              plan,
              users: shown,
              skipped: await s.rollouts.skippedUsers(parsed.selection, parsed.options, 50),
              nextHref: more ? previewHref(v, shown.at(-1)!.username) : null,
              ...(opts.changed ? { changed: opts.changed } : {}),
            },
          ),
          opts.status ?? 200,
        );
      } catch (err) {
        if (!(err instanceof RolloutInputError)) throw err;
        errors[err.field] = err.message;
      }
    }
    return sendPage(c, page(errors), 422);
  }

  app.get("/configure/mfa/rollout", async (c) => {
    const query = queryParams(c);
    const v = rolloutFormValues(queryValues(c));
    const after = query.after && query.after.length <= 64 ? query.after : undefined;
    return rolloutPage(c, v, { preview: query.preview === "1", ...(after ? { after } : {}) });
  });

  app.post("/configure/mfa/rollout", async (c) => {
    const session = signedIn(c);
    // The deadline fields are checked by their schema here and again (same validator) with the rest.
    const posted = (await readForm(c, ROLLOUT_DEADLINE_FORM)).all;
    const v = rolloutFormValues(posted);
    const site = await s.sites.byId(session.activeSiteId);
    const canTargetAll = await s.sites.isPublicSiteAdmin(session.user);
    const whereFields = await s.rollouts.searchableFields(
      v.scope === "all" && canTargetAll ? null : session.activeSiteId,
    );
    const parsed = rolloutSelection(
      v,
      session,
      canTargetAll,
      whereFields.map((f) => f.name),
      { timeZone: site?.timeZone ?? DEFAULT_TIME_ZONE, now: s.clock.now() },
    );
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
          `${minuteIn(result.requiredFrom, site?.timeZone)}. ${users(skipped)} skipped.`,
      );
      // A rollout started from the users list goes back to it as it was; any other to the progress page.
      return c.redirect(v.back ? listHref("/configure/users", v.back) : "/configure/mfa", 303);
    } catch (err) {
      if (err instanceof RolloutChangedError)
        return rolloutPage(c, v, { preview: true, changed: err.message, status: 409 });
      // The preview names the field (422).
      if (err instanceof RolloutInputError) return rolloutPage(c, v, { preview: true });
      throw err;
    }
  });

  // ---- policy ---------------------------------------------------------------------------

  app.get("/configure/mfa/policy", async (c) => {
    const session = signedIn(c);
    return sendPage(
      c,
      <PolicyPage
        frame={await pageFrameOf(c, s.sites)}
        policy={await s.mfaPolicies.get(session.activeSiteId)}
        errors={{}}
      />,
    );
  });

  app.post("/configure/mfa/policy", async (c) => {
    const session = signedIn(c);
    const posted = (await readForm(c)).all;
    const values = {
      requiredRoles: posted.requiredRoles ?? [],
      defaultEnforcementDelayDays: (posted.defaultEnforcementDelayDays?.at(-1) ?? "").trim(),
      allowedMethods: posted.allowedMethods ?? [],
      passkeySignIn: posted.passkeySignIn?.at(-1) === "on",
      rememberBrowserDays: (posted.rememberBrowserDays?.at(-1) ?? "0").trim(),
    };
    // A post from the form carries factorsShown: unticked boxes then mean off; without it (an older
    // form, a script) the factor settings stay as they are.
    const factors = posted.factorsShown !== undefined;
    const errors: Record<string, string> = {};
    if (!/^\d{1,4}$/.test(values.defaultEnforcementDelayDays)) {
      errors.defaultEnforcementDelayDays = "Default enforcement delay must be a whole number of days from 0 to 3650.";
    } else if (!/^\d{1,3}$/.test(values.rememberBrowserDays)) {
      errors.rememberBrowserDays = "Remember browsers for a whole number of days from 0 to 365.";
    } else {
      try {
        const before = await s.mfaPolicies.get(session.activeSiteId);
        const after = await s.mfaPolicies.set(
          session.activeSiteId,
          {
            requiredRoles: values.requiredRoles,
            defaultEnforcementDelayDays: Number(values.defaultEnforcementDelayDays),
            ...(factors
              ? {
                  allowedMethods: values.allowedMethods,
                  passkeySignIn: values.passkeySignIn,
                  rememberBrowserDays: Number(values.rememberBrowserDays),
                }
              : {}),
          },
          { id: session.user.id, name: session.user.username, siteId: session.activeSiteId },
        );
        // Say what was saved: the site-wide settings apply to every account, not only to new ones.
        flash(c, policySavedMessage(before, after));
        return c.redirect("/configure/mfa/policy", 303);
      } catch (err) {
        if (!(err instanceof RolloutInputError)) throw err;
        errors[err.field] = err.message;
      }
    }
    return sendPage(
      c,
      <PolicyPage
        frame={await pageFrameOf(c, s.sites)}
        policy={await s.mfaPolicies.get(session.activeSiteId)}
        values={values}
        errors={errors}
      />,
      422,
    );
  });

  return app;
}
