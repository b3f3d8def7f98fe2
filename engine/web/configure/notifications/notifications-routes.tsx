/**
 * Configure > Notifications for administrators: GET/POST /configure/notifications (reminder days),
 * POST /configure/notifications/test (Send a test mail), POST /configure/users/:id/remind (Send
 * reminder now, from the user dialog) and POST /configure/mfa/remind (Remind everyone pending, from
 * the MFA progress page).
 */
import { Hono, type Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { ValidationError } from "../../../errors.js";
import { KIND_WORDS, NotificationsPage, STATE_WORDS } from "./notifications-page.js";
import type { MailKind, MailState } from "../../../mail/mail-model.js";
import { parseReminderDays } from "../../../mail/mail-settings.js";
import type { Services } from "../../../services.js";
import { UUID_PATTERN } from "../../../util/uuid.js";
import type { AppEnv } from "../../http/env.js";
import { flash } from "../../http/flash.js";
import { readForm, type FormSpec } from "../../http/form-body.js";
import { requireRole, signedIn } from "../../http/guards.js";
import { sendPage } from "../../http/page.js";
import { queryParams } from "../../http/query.js";
import { RemindRegion, remindersQueuedText } from "../../apps/remind-button.js";
import { DEFAULT_TIME_ZONE, isoMinuteWithZone } from "../../../util/zoned-dates.js";

/**
 * The test-mail form, validated at the boundary by its JSON Schema (readForm, the shared Ajv): one
 * address as RFC 5321 allows in practice (something@domain, no spaces or angle brackets), at most
 * 254 characters once the spaces around it are trimmed.
 */
const TEST_MAIL_FORM = {
  schema: {
    type: "object",
    required: ["address"],
    properties: {
      address: {
        type: "string",
        pattern: '^\\s*(?=\\S{1,254}\\s*$)[^\\s@<>(),;:"]+@[^\\s@<>(),;:"]+\\.[^\\s@<>(),;:"]+\\s*$',
      },
    },
  },
  messages: { address: "Enter an e-mail address such as name@example.org." },
  labels: { address: "E-mail address" },
  onInvalid: "report",
} as const satisfies FormSpec;

/** The routes of Configure > Notifications and the two reminder buttons (see the module comment). */
export function notificationsRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("/configure/notifications", requireRole("admin"));
  app.use("/configure/notifications/*", requireRole("admin"));
  app.use("/configure/users/:id/remind", requireRole("admin"));
  app.use("/configure/mfa/remind", requireRole("admin"));

  const actorOf = (c: Context<AppEnv>) => {
    const session = signedIn(c);
    return { id: session.user.id, name: session.user.username };
  };

  const page = async (
    c: Context<AppEnv>,
    over: { reminderDays?: string; testAddress?: string; errors?: Record<string, string> } = {},
  ) => {
    const session = signedIn(c);
    const site = await s.sites.byId(session.activeSiteId);
    const q = queryParams(c);
    const state = q.state && q.state in STATE_WORDS ? (q.state as MailState) : undefined;
    const kind = q.kind && q.kind in KIND_WORDS ? (q.kind as MailKind) : undefined;
    const days = await s.mail.settings.reminderDays(session.activeSiteId);
    return (
      <NotificationsPage
        frame={{ csrfToken: c.var.csrfToken, user: session.user, siteName: site?.name ?? "" }}
        timeZone={site?.timeZone ?? DEFAULT_TIME_ZONE}
        configured={s.mail.configured}
        reminderDays={over.reminderDays ?? days.join(", ")}
        outbox={await s.mail.outbox.list(session.activeSiteId, {
          ...(state ? { state } : {}),
          ...(kind ? { kind } : {}),
        })}
        filter={{ ...(state ? { state } : {}), ...(kind ? { kind } : {}) }}
        {...(over.testAddress !== undefined ? { testAddress: over.testAddress } : {})}
        errors={over.errors ?? {}}
      />
    );
  };

  app.get("/configure/notifications", async (c) => sendPage(c, await page(c)));

  app.post("/configure/notifications", async (c) => {
    const session = signedIn(c);
    const raw = ((await readForm(c)).one.reminderDays ?? "").trim();
    let days: number[];
    try {
      days = parseReminderDays(raw);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return sendPage(c, await page(c, { reminderDays: raw, errors: { ...err.fields } }), 422);
    }
    await s.db.transaction(async (tx) => {
      await s.mail.settings.setReminderDays(session.activeSiteId, days, session.user.id, tx);
      await s.audit.record(
        { siteId: session.activeSiteId, actor: actorOf(c), action: "mail.settings", details: { reminderDays: days } },
        tx,
      );
    });
    flash(
      c,
      days.length
        ? `Reminders go ${days.join(", ")} ${days.length === 1 && days[0] === 1 ? "day" : "days"} before the deadline.`
        : "No reminders before the deadline.",
    );
    return c.redirect("/configure/notifications", 303);
  });

  app.post("/configure/notifications/test", async (c) => {
    const session = signedIn(c);
    const form = await readForm(c, TEST_MAIL_FORM);
    const address = (form.one.address ?? "").trim();
    if (!form.value) {
      const errors = { address: form.errors.address ?? Object.values(form.errors)[0]! };
      return sendPage(c, await page(c, { testAddress: address.slice(0, 254), errors }), 422);
    }
    await s.mail.outbox.enqueueTest(session.activeSiteId, address);
    flash(
      c,
      s.mail.configured
        ? `A test mail to ${address} is queued; its state shows in the outbox below.`
        : `A test mail to ${address} is queued, but e-mail is not configured: it is not sent until SMTP_URL is set.`,
    );
    return c.redirect("/configure/notifications", 303);
  });

  // Send reminder now (the user dialog's button posts the dialog's form here with formaction).
  app.post(`/configure/users/:id{${UUID_PATTERN}}/remind`, async (c) => {
    const session = signedIn(c);
    const id = c.req.param("id");
    const user = await s.users.byId(id);
    if (!user || user.siteId !== session.activeSiteId) throw new HTTPException(404, { message: "No such user." });
    const last = await s.mail.outbox.lastReminderSent(id);
    const zone = (await s.sites.byId(user.siteId))?.timeZone ?? DEFAULT_TIME_ZONE;
    const before = last ? ` The last reminder went ${isoMinuteWithZone(last, zone)}.` : " No reminder went before.";
    const status = await s.mfa.statusOf(id);
    if (!status.enabled || status.activation) {
      throw new HTTPException(409, {
        message: `${user.username} has no MFA setup pending: there is nothing to remind them of.`,
      });
    }
    const done = await s.db.transaction(async (tx) => {
      const n = await s.mail.outbox.remindNow([id], tx);
      await s.audit.record(
        {
          siteId: user.siteId,
          actor: actorOf(c),
          action: "mail.remind",
          target: { id, name: user.username },
          details: { ...n },
        },
        tx,
      );
      return n;
    });
    const message = done.queued
      ? `A reminder to ${user.username} is queued.${before}`
      : `${user.username} has no e-mail address: no reminder was sent.${before}`;
    if (c.req.header("hx-request") === "true") {
      return sendPage(c, <RemindRegion state={{ userId: id, lastSent: last, timeZone: zone }} done={message} />);
    }
    flash(c, message);
    return c.redirect(`/configure/users/${id}`, 303);
  });

  // Remind everyone pending (the MFA progress page): every user of the active site whose MFA is on
  // and not set up — the site the console shows, even for a Public Site administrator, whose
  // progress table lists every site (docs/admin-guide.md: "for the site").
  app.post("/configure/mfa/remind", async (c) => {
    const session = signedIn(c);
    await readForm(c);
    const done = await s.db.transaction(async (tx) => {
      const n = await s.mail.outbox.remindPending(session.activeSiteId, null, tx);
      await s.audit.record(
        { siteId: session.activeSiteId, actor: actorOf(c), action: "mail.remind", details: { ...n } },
        tx,
      );
      return n;
    });
    flash(c, remindersQueuedText(done));
    return c.redirect("/configure/mfa", 303);
  });

  return app;
}
