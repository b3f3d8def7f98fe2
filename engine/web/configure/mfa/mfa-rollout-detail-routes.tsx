/**
 * A rollout's own progress, for administrators (issue 22): GET /configure/mfa/rollouts/:id,
 * POST …/remind (reminders to its users not set up yet) and POST …/extend (without `expect` the
 * preview, with it Confirm). A site administrator reaches the rollouts run for their site; a
 * Public Site administrator every rollout.
 */
import { minuteIn } from "../../../util/zoned-dates.js";
import { plural } from "../../../util/plural.js";
import { Hono, type Context } from "hono";
import { ExtensionChangedError, type ExtensionPlan } from "../../../mfa/rollout-progress.js";
import { RolloutInputError } from "../../../mfa/mfa-rollouts.js";
import type { Services } from "../../../services.js";
import type { AppEnv } from "../../http/env.js";
import { readForm } from "../../http/form-body.js";
import { flash } from "../../http/flash.js";
import { requireRole, signedIn } from "../../http/guards.js";
import { sendPage } from "../../http/page.js";
import { RolloutDetailPage } from "./rollout-detail-page.js";
import { remindersQueuedText } from "../../apps/remind-button.js";

/** The days the "Extend the deadline" field starts with. */
const DEFAULT_EXTENSION_DAYS = "7";

/** Routes of one rollout's page. */
export function mfaRolloutDetailRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("/configure/mfa/rollouts/*", requireRole("admin"));

  const scopeOf = async (c: Context<AppEnv>) => {
    const session = signedIn(c);
    return (await s.sites.isPublicSiteAdmin(session.user)) ? null : session.activeSiteId;
  };

  async function page(
    c: Context<AppEnv>,
    over: { days?: string; errors?: Record<string, string>; extension?: ExtensionPlan; changed?: string } = {},
    status: 200 | 409 | 422 = 200,
  ) {
    const session = signedIn(c);
    const scope = await scopeOf(c);
    const rollout = await s.rolloutProgress.get(c.req.param("id") ?? "", scope);
    if (!rollout) return c.notFound();
    const site = await s.sites.byId(session.activeSiteId);
    return sendPage(
      c,
      <RolloutDetailPage
        frame={{
          csrfToken: c.var.csrfToken,
          user: session.user,
          siteName: site?.name ?? "",
          ...(site?.timeZone ? { timeZone: site.timeZone } : {}),
        }}
        rollout={rollout}
        waiting={await s.rolloutProgress.waiting(rollout.id, scope)}
        activeSiteId={session.activeSiteId}
        days={over.days ?? DEFAULT_EXTENSION_DAYS}
        errors={over.errors ?? {}}
        {...(over.extension ? { extension: over.extension } : {})}
        {...(over.changed ? { changed: over.changed } : {})}
      />,
      status,
    );
  }

  app.get("/configure/mfa/rollouts/:id", (c) => page(c));

  app.post("/configure/mfa/rollouts/:id/remind", async (c) => {
    const session = signedIn(c);
    await readForm(c);
    const scope = await scopeOf(c);
    const rollout = await s.rolloutProgress.get(c.req.param("id"), scope);
    if (!rollout) return c.notFound();
    const done = await s.db.transaction(async (tx) => {
      const n = await s.mail.outbox.remindPending(scope, rollout.id, tx);
      await s.audit.record(
        {
          siteId: session.activeSiteId,
          actor: { id: session.user.id, name: session.user.username },
          action: "mail.remind",
          details: { ...n, rolloutId: rollout.id },
        },
        tx,
      );
      return n;
    });
    flash(c, remindersQueuedText(done, rollout.name));
    return c.redirect(`/configure/mfa/rollouts/${rollout.id}`, 303);
  });

  app.post("/configure/mfa/rollouts/:id/extend", async (c) => {
    const session = signedIn(c);
    const posted = (await readForm(c)).all;
    const scope = await scopeOf(c);
    const rollout = await s.rolloutProgress.get(c.req.param("id"), scope);
    if (!rollout) return c.notFound();
    const days = (posted.days?.at(-1) ?? "").trim();
    const expectText = posted.expect?.at(-1);
    if (!/^\d{1,4}$/.test(days)) {
      return page(c, { days, errors: { days: "Extend by a whole number of days from 1 to 3650 (from today)." } }, 422);
    }
    try {
      if (expectText === undefined || !/^\d{1,9}$/.test(expectText)) {
        return page(c, { days, extension: await s.rolloutProgress.planExtension(rollout.id, scope, Number(days)) });
      }
      if (Number(expectText) === 0) {
        // Nobody to extend: the preview said so and offered no Confirm; a posted one changes nothing.
        const plan = await s.rolloutProgress.planExtension(rollout.id, scope, Number(days));
        return page(c, { days, extension: plan }, 422);
      }
      const done = await s.rolloutProgress.extend(
        rollout.id,
        scope,
        Number(days),
        {
          id: session.user.id,
          name: session.user.username,
          siteId: scope,
          credential: session.tokenHash,
        },
        Number(expectText),
      );
      c.var.log.info("mfa rollout extended", { rolloutId: rollout.id, extended: done.toExtend });
      flash(
        c,
        `${plural(done.toExtend, "user")} of ${rollout.name} now ${done.toExtend === 1 ? "has" : "have"} until ` +
          `${minuteIn(done.requiredFrom, (await s.sites.byId(session.activeSiteId))?.timeZone)}; ` +
          `${done.toExtend === 1 ? "a mail tells them" : "a mail tells each of them"} the new date.`,
      );
      return c.redirect(`/configure/mfa/rollouts/${rollout.id}`, 303);
    } catch (err) {
      if (err instanceof ExtensionChangedError) {
        return page(c, { days, extension: err.plan, changed: err.message }, 409);
      }
      if (err instanceof RolloutInputError) return page(c, { days, errors: { [err.field]: err.message } }, 422);
      throw err;
    }
  });

  return app;
}
