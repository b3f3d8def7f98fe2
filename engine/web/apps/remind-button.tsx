// "Send reminder now" in the user dialog: shown for a user whose MFA is on and not set up, with when
// the last reminder went. Without JavaScript the button posts the dialog's form to
// POST /configure/users/:id/remind (formaction); with htmx it posts there itself and swaps this
// region with the answer (the same region with a status line).
import type { Services } from "../../services.js";
import { isoMinuteWithZone } from "../../util/zoned-dates.js";
import { plural } from "../../util/plural.js";
import type { Enqueued } from "../../mail/mail-model.js";

/**
 * What "Remind everyone pending" says it did: "Reminders to 3 pending users of Sales are queued.
 * 1 user without an e-mail address was skipped." (`of`: the rollout's name, when it was one's).
 */
export function remindersQueuedText(done: Enqueued, of?: string): string {
  const who = done.queued === 1 ? "A reminder to 1 pending user" : `Reminders to ${done.queued} pending users`;
  const skipped = done.skipped
    ? ` ${plural(done.skipped, "user")} without an e-mail address ${done.skipped === 1 ? "was" : "were"} skipped.`
    : "";
  return `${who}${of ? ` of ${of}` : ""} ${done.queued === 1 ? "is" : "are"} queued.${skipped}`;
}

/**
 * What the region shows: the user, and when their last reminder was sent (null: none yet), named in
 * their site's time zone (IANA name; absent: UTC).
 */
export interface RemindState {
  userId: string;
  lastSent: Date | null;
  timeZone?: string | undefined;
}

/** The region's state for user `userId`, or null when their MFA is off or already set up (no button). */
export async function remindState(s: Services, userId: string): Promise<RemindState | null> {
  const status = await s.mfa.statusOf(userId);
  if (!status.enabled || status.activation) return null;
  return { userId, lastSent: await s.mail.outbox.lastReminderSent(userId), timeZone: status.timeZone };
}

/** The region: when the last reminder went, the button, and after a click the status line `done`. */
export function RemindRegion(p: { state: RemindState; done?: string }) {
  const url = `/configure/users/${p.state.userId}/remind`;
  return (
    <div id="remind-region" class="remind-region">
      <p>
        MFA is not set up yet.{" "}
        {p.state.lastSent
          ? `The last reminder went ${isoMinuteWithZone(p.state.lastSent, p.state.timeZone)}.`
          : "No reminder has been sent yet."}{" "}
        <button
          type="submit"
          class="secondary"
          formaction={url}
          formnovalidate
          hx-post={url}
          hx-target="#remind-region"
          hx-swap="outerHTML"
        >
          Send reminder now
        </button>
      </p>
      {p.done ? <p role="status">{p.done}</p> : null}
    </div>
  );
}
