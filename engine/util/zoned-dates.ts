/**
 * Dates and times as people read them, in a site's time zone (DESIGN.md "MFA semantics": each site
 * has a `timeZone`, an IANA name, default "UTC"). Formatters are built once per zone and kept
 * (issue 26: `toLocaleDateString` with options builds a new `Intl.DateTimeFormat` on every call).
 * Machine-readable outputs (CSV exports, the device API) keep ISO 8601 and do not use this.
 */

/** The time zone of a site that has not chosen one. */
export const DEFAULT_TIME_ZONE = "UTC";

interface ZoneFormats {
  weekday: Intl.DateTimeFormat;
  day: Intl.DateTimeFormat;
  minute: Intl.DateTimeFormat;
  ymd: Intl.DateTimeFormat;
}

const formats = new Map<string, ZoneFormats>();

/** The kept formatters of `zone` (an unknown zone falls back to UTC: stored zones were validated). */
function formatsOf(zone: string): ZoneFormats {
  let f = formats.get(zone);
  if (!f) {
    const timeZone = isTimeZone(zone) ? zone : DEFAULT_TIME_ZONE;
    f = {
      weekday: new Intl.DateTimeFormat("en-GB", { weekday: "long", timeZone }),
      day: new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone }),
      minute: new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone }),
      ymd: new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone }),
    };
    formats.set(zone, f);
  }
  return f;
}

/**
 * Whether `name` is an IANA time zone this runtime knows ("Europe/Berlin", "UTC"), checked by
 * building an `Intl.DateTimeFormat` with it (ECMA-402 throws RangeError for an unknown zone).
 * Offsets such as "+02:00" are refused: a site's zone keeps its daylight-saving rules.
 */
export function isTimeZone(name: unknown): name is string {
  if (typeof name !== "string" || name.length === 0 || name.length > 64 || !/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name))
    return false;
  if (formats.has(name)) return true;
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** "9 December 2026": the calendar day of `d` in `zone` (a date where the time does not matter). */
export function dayIn(d: Date, zone: string = DEFAULT_TIME_ZONE): string {
  return formatsOf(zone).day.format(d);
}

/** "Wednesday": the day of the week of `d` in `zone` (mails name it before the date). */
export function weekdayIn(d: Date, zone: string = DEFAULT_TIME_ZONE): string {
  return formatsOf(zone).weekday.format(d);
}

/**
 * "9 December 2026, 17:32 (Europe/Berlin)": the day and the minute of `d` in `zone`, naming the zone
 * (deadlines, lock ends: where the time matters).
 */
export function minuteIn(d: Date, zone: string = DEFAULT_TIME_ZONE): string {
  const f = formatsOf(zone);
  return `${f.day.format(d)}, ${f.minute.format(d)} (${isTimeZone(zone) ? zone : DEFAULT_TIME_ZONE})`;
}

/** "2026-12-09 17:32": the day and minute of `d` in `zone`, sortable (the audit table's time column). */
export function isoMinuteIn(d: Date, zone: string = DEFAULT_TIME_ZONE): string {
  const f = formatsOf(zone);
  return `${f.ymd.format(d)} ${f.minute.format(d)}`;
}

/** "2026-12-09 17:32 Europe/Berlin": isoMinuteIn naming the zone (a time in a sentence or a log table). */
export function isoMinuteWithZone(d: Date, zone: string = DEFAULT_TIME_ZONE): string {
  return `${isoMinuteIn(d, zone)} ${isTimeZone(zone) ? zone : DEFAULT_TIME_ZONE}`;
}

/**
 * The canonical IANA name of a zone this runtime knows (ECMA-402 `resolvedOptions().timeZone`:
 * "utc" → "UTC", "pacific/honolulu" → "Pacific/Honolulu"); DEFAULT_TIME_ZONE for one it does not.
 */
export function canonicalTimeZone(zone: string): string {
  return formatsOf(zone).ymd.resolvedOptions().timeZone;
}

/** "2026-12-09": the calendar day of `d` in `zone` as an ISO date (the value of an `<input type="date">`). */
export function isoDayIn(d: Date, zone: string = DEFAULT_TIME_ZONE): string {
  return formatsOf(zone).ymd.format(d);
}

/**
 * The instant a calendar day `isoDay` ("2026-12-13") starts in `zone` (its 00:00 local time; on a
 * day whose midnight a clock change skips, the first minute that exists). Throws RangeError for a
 * text that is not a real ISO date.
 */
export function startOfDayIn(isoDay: string, zone: string = DEFAULT_TIME_ZONE): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDay);
  if (!m) throw new RangeError(`not an ISO date: ${isoDay}`);
  const utcMidnight = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (isoDayIn(new Date(utcMidnight), "UTC") !== isoDay) throw new RangeError(`no such day: ${isoDay}`);
  // The zone's offset at a guess, corrected once more for a change between the guess and the result.
  let t = utcMidnight - offsetMs(new Date(utcMidnight), zone);
  t = utcMidnight - offsetMs(new Date(t), zone);
  // A skipped midnight (e.g. America/Santiago in September) lands on the previous day: step forward.
  while (isoDayIn(new Date(t), zone) < isoDay) t += 15 * 60_000;
  return new Date(t);
}

/** The offset of `zone` from UTC at `d`, in milliseconds (east positive). */
function offsetMs(d: Date, zone: string): number {
  const parts = offsetFormat(zone).formatToParts(d);
  const n = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const asUtc = Date.UTC(n("year"), n("month") - 1, n("day"), n("hour") % 24, n("minute"), n("second"));
  return asUtc - Math.floor(d.getTime() / 1000) * 1000;
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();
function offsetFormat(zone: string): Intl.DateTimeFormat {
  let f = offsetFormats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: isTimeZone(zone) ? zone : DEFAULT_TIME_ZONE,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    offsetFormats.set(zone, f);
  }
  return f;
}
