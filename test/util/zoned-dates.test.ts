// Dates in a site's time zone (issue 25): the words, the validation of a zone, and the start of a day
// for a rollout by date, also across daylight-saving changes.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { dayIn, isoDayIn, isTimeZone, minuteIn, startOfDayIn, weekdayIn } from "../../engine/util/zoned-dates.js";

const t = suite("zoned dates");

t("the same instant is a different local day in Honolulu and Tokyo", () => {
  const d = new Date("2026-12-09T20:30:00Z");
  assert.is(minuteIn(d, "Pacific/Honolulu"), "9 December 2026, 10:30 (Pacific/Honolulu)");
  assert.is(minuteIn(d, "Asia/Tokyo"), "10 December 2026, 05:30 (Asia/Tokyo)");
  assert.is(dayIn(d, "UTC"), "9 December 2026");
  assert.is(weekdayIn(d, "Asia/Tokyo"), "Thursday");
  assert.is(isoDayIn(d, "Asia/Tokyo"), "2026-12-10");
  assert.is(minuteIn(d), "9 December 2026, 20:30 (UTC)", "UTC without a zone");
});

t("only zones Intl knows are zones", () => {
  for (const z of ["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+10"]) assert.ok(isTimeZone(z), z);
  for (const z of ["", "Mars/Olympus_Mons", "+02:00", "Europe/Berlin ", "x".repeat(65), null, 3]) {
    assert.not.ok(isTimeZone(z), String(z));
  }
});

t("the start of a day in a zone, also on the days the clocks change", () => {
  assert.is(startOfDayIn("2026-12-13", "Asia/Tokyo").toISOString(), "2026-12-12T15:00:00.000Z");
  assert.is(startOfDayIn("2026-12-13", "Pacific/Honolulu").toISOString(), "2026-12-13T10:00:00.000Z");
  assert.is(startOfDayIn("2026-12-13").toISOString(), "2026-12-13T00:00:00.000Z");
  // Berlin: summer time starts at 02:00 on 29 March 2026 (midnight exists, UTC+1), ends on 25 October.
  assert.is(startOfDayIn("2026-03-29", "Europe/Berlin").toISOString(), "2026-03-28T23:00:00.000Z");
  assert.is(startOfDayIn("2026-03-30", "Europe/Berlin").toISOString(), "2026-03-29T22:00:00.000Z");
  assert.is(startOfDayIn("2026-10-26", "Europe/Berlin").toISOString(), "2026-10-25T23:00:00.000Z");
  // Santiago skips midnight when summer time starts (6 September 2026): the day starts at 01:00.
  assert.is(isoDayIn(startOfDayIn("2026-09-06", "America/Santiago"), "America/Santiago"), "2026-09-06");
  for (const bad of ["2026-02-30", "2026-13-01", "13.12.2026", ""]) {
    assert.throws(() => startOfDayIn(bad, "UTC"), RangeError, bad);
  }
});

t.run();
