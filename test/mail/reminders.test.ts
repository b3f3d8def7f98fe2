import { suite } from "uvu";
import * as assert from "uvu/assert";
import { dueReminders, type ReminderCandidate } from "../../engine/mail/reminders.js";

// The scheduler alone: a pure function of (deadlines, reminder days, what was sent, now).
const t = suite("reminder scheduler (pure)");
const DAY = 86_400_000;
const since = new Date("2026-03-01T09:00:00Z");
const deadline = new Date(since.getTime() + 10 * DAY);
const at = (days: number) => new Date(since.getTime() + days * DAY);
const one = (sent: string[] = [], over: Partial<ReminderCandidate> = {}): ReminderCandidate[] => [
  { userId: "u", deadline, since, sent, ...over },
];
const steps = (c: ReminderCandidate[], now: Date, days = [7, 3, 1]) => dueReminders(c, days, now).map((r) => r.step);

t("day by day with 7, 3, 1 and a deadline 10 days out: the 7-, 3-, 1-day and overdue mails, each once", () => {
  const sent: string[] = [];
  const log: string[] = [];
  for (let hour = 0; hour <= 12 * 24; hour++) {
    const due = dueReminders(one(sent), [7, 3, 1], new Date(since.getTime() + hour * 3_600_000));
    for (const r of due) {
      sent.push(r.step);
      log.push(`${r.step}@${hour / 24}`);
    }
  }
  assert.equal(log, ["7@3", "3@7", "1@9", "overdue@10"]);
});

t("nothing before the first reminder day, nothing between two", () => {
  assert.equal(steps(one(), at(2.99)), []);
  assert.equal(steps(one(["7"]), at(5)), []);
});

t("a server that was down past several days sends only the latest reminder, not all of them", () => {
  assert.equal(steps(one(), at(9.5)), ["1"]);
  assert.equal(steps(one(["1"]), at(9.6)), []);
  assert.equal(steps(one(["3"]), at(9.6)), ["1"]);
});

t("reminder times before MFA was switched on are not sent (the switched-on mail said it)", () => {
  const late = { since: at(8) };
  assert.equal(steps(one([], late), at(8)), []);
  assert.equal(steps(one([], late), at(9)), ["1"]);
});

t("overdue once, and not for a deadline that was the moment MFA was switched on (delay 0)", () => {
  assert.equal(steps(one(["7", "3", "1"]), at(10)), ["overdue"]);
  assert.equal(steps(one(["overdue"]), at(40)), []);
  assert.equal(steps(one([], { deadline: since }), at(1)), []);
});

t("a moved deadline starts over: what was sent for the old one does not count", () => {
  // The caller passes what was sent for the deadline in force: nothing yet for the new one.
  const moved = new Date(at(9).getTime() + 7 * DAY);
  assert.equal(steps(one([], { deadline: moved }), at(9)), ["7"]);
});

t("a site's own days (any order, day 0 folded into the overdue mail), per candidate", () => {
  assert.equal(steps(one(), at(8), [1, 2, 0]), ["2"]);
  assert.equal(steps(one(["1"]), at(10), [1, 0]), ["overdue"]);
  const two: ReminderCandidate[] = [
    { userId: "a", deadline, since, sent: [] },
    { userId: "b", deadline, since, sent: [] },
  ];
  const due = dueReminders(two, (c) => (c.userId === "a" ? [5] : [2]), at(8));
  assert.equal(due, [
    { userId: "a", deadline, step: "5" },
    { userId: "b", deadline, step: "2" },
  ]);
});

t.run();
