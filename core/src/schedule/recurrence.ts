/**
 * Occurrences of a scheduled conference (RFC 5545 section 3.3.10 RRULE, section 3.8.5.3 recurrence set).
 * `rrule` expands the rule; it is run on "floating" wall-clock times (local time written as UTC) and each
 * occurrence is then placed in the conference's IANA time zone with luxon, so a 09:00 meeting stays at
 * 09:00 local across a daylight-saving change (RFC 5545 section 3.3.5, DATE-TIME with TZID).
 */
import rrule from "rrule";
import { DateTime, IANAZone } from "luxon";
import { badInput } from "../errors.ts";

const { RRule } = rrule;

export interface Schedule {
  startAt: Date;
  durationMin: number;
  rrule: string | null;
  timezone: string;
}

export interface Occurrence {
  start: Date;
  end: Date;
}

/** Expansion stops here whatever the window: a bound against pathological rules (FREQ=SECONDLY). */
export const MAX_OCCURRENCES = 1000;

export function validateTimezone(tz: string): string {
  if (!IANAZone.isValidZone(tz)) throw badInput("timezone", `"${tz}" is not an IANA time zone (e.g. Europe/Rome)`);
  return tz;
}

/** Validates an RRULE value and returns it in normal form (no "RRULE:" prefix, no DTSTART). */
export function normalizeRrule(value: string): string {
  const text = value.trim().replace(/^RRULE:/i, "");
  if (/(^|;)(DTSTART|TZID)=/i.test(text) || /\n/.test(text)) {
    throw badInput("rrule", "give only the RRULE value (e.g. FREQ=WEEKLY;BYDAY=MO); the start and time zone are separate fields");
  }
  let options;
  try {
    options = RRule.parseString(text);
  } catch (err) {
    throw badInput("rrule", `not a valid RFC 5545 RRULE: ${(err as Error).message}`);
  }
  if (options.freq === undefined) throw badInput("rrule", "FREQ is required (RFC 5545 section 3.3.10)");
  if (options.freq > RRule.DAILY) throw badInput("rrule", "a conference recurs at most daily: use FREQ=DAILY, WEEKLY, MONTHLY or YEARLY");
  return new RRule(options).toString().replace(/^RRULE:/, "");
}

function toFloating(instant: Date, tz: string): Date {
  const local = DateTime.fromJSDate(instant, { zone: tz });
  return new Date(Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second));
}

function fromFloating(floating: Date, tz: string): Date {
  const local = DateTime.fromObject(
    {
      year: floating.getUTCFullYear(),
      month: floating.getUTCMonth() + 1,
      day: floating.getUTCDate(),
      hour: floating.getUTCHours(),
      minute: floating.getUTCMinutes(),
      second: floating.getUTCSeconds(),
    },
    { zone: tz },
  );
  // A wall-clock time that happens twice (when DST ends) means its first occurrence (RFC 5545 section 3.3.5).
  return local.getPossibleOffsets().reduce((a, b) => (b.toMillis() < a.toMillis() ? b : a), local).toJSDate();
}

const DAY_MS = 86_400_000;
/** The last instant a JS Date can hold (ECMA-262 section 21.4.1.22). */
const MAX_INSTANT_MS = 8.64e15;

/** Occurrences overlapping [from, to), in start order, at most `limit`. */
export function occurrencesBetween(s: Schedule, from: Date, to: Date, limit = MAX_OCCURRENCES): Occurrence[] {
  const durMs = s.durationMin * 60_000;
  const overlaps = (start: Date) => start.getTime() < to.getTime() && start.getTime() + durMs > from.getTime();
  if (!s.rrule) {
    return overlaps(s.startAt) ? [{ start: s.startAt, end: new Date(s.startAt.getTime() + durMs) }] : [];
  }
  const rule = new RRule({ ...RRule.parseString(s.rrule), dtstart: toFloating(s.startAt, s.timezone) });
  // A day of margin each side covers any UTC offset; the real overlap test is done on instants.
  const lo = toFloating(new Date(from.getTime() - durMs - DAY_MS), s.timezone);
  // `to` may be the last representable instant (a window without end): keep the margin representable.
  const hi = toFloating(new Date(Math.min(to.getTime() + DAY_MS, MAX_INSTANT_MS - DAY_MS)), s.timezone);
  const out: Occurrence[] = [];
  rule.between(lo, hi, true, (floating) => {
    const start = fromFloating(floating, s.timezone);
    if (overlaps(start)) out.push({ start, end: new Date(start.getTime() + durMs) });
    return out.length < limit;
  });
  return out;
}

/** The occurrence in progress at `now`, if any. */
export function currentOccurrence(s: Schedule, now: Date): Occurrence | null {
  return occurrencesBetween(s, now, new Date(now.getTime() + 1), 1)[0] ?? null;
}

/** The first occurrence starting after `now`, if any (searched up to ten years ahead). */
export function nextOccurrence(s: Schedule, now: Date): Occurrence | null {
  if (!s.rrule) return s.startAt > now ? { start: s.startAt, end: new Date(s.startAt.getTime() + s.durationMin * 60_000) } : null;
  const rule = new RRule({ ...RRule.parseString(s.rrule), dtstart: toFloating(s.startAt, s.timezone) });
  const tenYears = new Date(now.getTime() + 3653 * DAY_MS);
  let found: Occurrence | null = null;
  rule.between(toFloating(new Date(now.getTime() - DAY_MS), s.timezone), toFloating(tenYears, s.timezone), true, (floating) => {
    const start = fromFloating(floating, s.timezone);
    if (start > now) {
      found = { start, end: new Date(start.getTime() + s.durationMin * 60_000) };
      return false;
    }
    return true;
  });
  return found;
}
