/**
 * The conference form's repetition choices and the RFC 5545 RRULE value (section 3.3.10) they stand for.
 * Pure (luxon only), so the browser's form, the server actions and the unit test share one reading.
 *
 * The form expresses FREQ=DAILY|WEEKLY|MONTHLY with INTERVAL, BYDAY (weekly only) and COUNT or UNTIL. Any
 * other rule is kept verbatim as a custom RRULE, so editing a conference never loses what the API allows.
 */
import { DateTime } from "luxon";

export const WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export const WEEKDAY_NAMES: Record<Weekday, string> = {
  MO: "Monday", TU: "Tuesday", WE: "Wednesday", TH: "Thursday", FR: "Friday", SA: "Saturday", SU: "Sunday",
};

export type Frequency = "NONE" | "DAILY" | "WEEKLY" | "MONTHLY" | "CUSTOM";
export type RecurrenceEnd = "NEVER" | "COUNT" | "UNTIL";

export interface Recurrence {
  freq: Frequency;
  /** "every N" days, weeks or months */
  interval: number;
  /** weekly only */
  byDay: Weekday[];
  end: RecurrenceEnd;
  /** occurrences in all, for end COUNT */
  count: number;
  /** the last day (yyyy-MM-dd, in the conference's zone) that may have an occurrence, for end UNTIL */
  until: string;
  /** the RRULE value itself, for CUSTOM */
  custom: string;
}

/** The wall-clock start of the first occurrence, in the conference's zone: what the form's fields hold. */
export interface LocalStart {
  /** yyyy-MM-dd */
  date: string;
  /** HH:mm */
  time: string;
  timezone: string;
}

/** Counts and intervals the form accepts; the focus expands at most 1000 occurrences per query anyway. */
export const LIMITS = { interval: 99, count: 1000 } as const;

export function noRecurrence(): Recurrence {
  return { freq: "NONE", interval: 1, byDay: [], end: "NEVER", count: 10, until: "", custom: "" };
}

export function weekdayOf(date: string): Weekday | null {
  const d = DateTime.fromISO(date, { zone: "utc" });
  return d.isValid ? WEEKDAYS[d.weekday - 1]! : null;
}

/**
 * UNTIL for "until <day>". RFC 5545 wants UNTIL in UTC when DTSTART has a TZID, and clients of the .ics read
 * it so; the focus, though, expands rules on floating wall-clock times and so compares UNTIL as if it were
 * local. A value half a day after the occurrence time, less half the zone's offset, lies between that day's
 * occurrence and the next day's under both readings (offsets are -12 h to +14 h), so both agree on the last day.
 */
export function untilValue(until: string, start: LocalStart): string {
  const local = DateTime.fromISO(`${until}T${start.time}`, { zone: start.timezone });
  const offset = local.isValid ? local.offset : 0;
  const wall = DateTime.fromISO(`${until}T${start.time}`, { zone: "utc" }).plus({ minutes: 12 * 60 - Math.round(offset / 2) });
  return wall.toFormat("yyyyMMdd'T'HHmmss'Z'");
}

/** The day an UNTIL value stands for: the last day whose occurrence time is not after it (read as wall clock). */
export function untilDay(value: string, start: LocalStart): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z?)?$/.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m;
  if (h === undefined) return `${y}-${mo}-${d}`;
  const wall = DateTime.fromObject({ year: +y!, month: +mo!, day: +d!, hour: +h, minute: +mi!, second: +s! }, { zone: "utc" });
  const [th, tm] = start.time.split(":").map(Number);
  if (!wall.isValid) return null;
  return wall.minus({ hours: th ?? 0, minutes: tm ?? 0 }).toISODate();
}

/** The RRULE value of the form's choices, or null for a one-off conference. Assumes `validateRecurrence` passed. */
export function buildRrule(r: Recurrence, start: LocalStart): string | null {
  if (r.freq === "NONE") return null;
  if (r.freq === "CUSTOM") return r.custom.trim().replace(/^RRULE:/i, "") || null;
  const parts = [`FREQ=${r.freq}`];
  if (r.interval > 1) parts.push(`INTERVAL=${r.interval}`);
  if (r.freq === "WEEKLY") parts.push(`BYDAY=${WEEKDAYS.filter((d) => r.byDay.includes(d)).join(",")}`);
  if (r.end === "COUNT") parts.push(`COUNT=${r.count}`);
  if (r.end === "UNTIL") parts.push(`UNTIL=${untilValue(r.until, start)}`);
  return parts.join(";");
}

/** The form's choices for an RRULE value; a rule the form cannot express comes back as CUSTOM, unchanged. */
export function parseRrule(rrule: string | null | undefined, start: LocalStart): Recurrence {
  const base = noRecurrence();
  const text = (rrule ?? "").trim().replace(/^RRULE:/i, "");
  if (!text) return base;
  const custom: Recurrence = { ...base, freq: "CUSTOM", custom: text };
  const fields = new Map<string, string>();
  for (const part of text.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 1) return custom;
    const key = part.slice(0, eq).toUpperCase();
    if (fields.has(key)) return custom;
    fields.set(key, part.slice(eq + 1).toUpperCase());
  }
  const r: Recurrence = { ...base };
  for (const [key, value] of fields) {
    switch (key) {
      case "FREQ":
        if (value !== "DAILY" && value !== "WEEKLY" && value !== "MONTHLY") return custom;
        r.freq = value;
        break;
      case "INTERVAL":
        if (!/^\d+$/.test(value) || +value < 1 || +value > LIMITS.interval) return custom;
        r.interval = +value;
        break;
      case "BYDAY": {
        const days = value.split(",");
        if (!days.every((d): d is Weekday => (WEEKDAYS as readonly string[]).includes(d))) return custom;
        r.byDay = WEEKDAYS.filter((d) => days.includes(d));
        break;
      }
      case "COUNT":
        if (!/^\d+$/.test(value) || +value < 1 || +value > LIMITS.count) return custom;
        r.end = "COUNT";
        r.count = +value;
        break;
      case "UNTIL": {
        const day = untilDay(value, start);
        if (!day) return custom;
        r.end = "UNTIL";
        r.until = day;
        break;
      }
      case "WKST":
        // Monday is the default week start, so saying so changes nothing the form shows.
        if (value !== "MO") return custom;
        break;
      default:
        return custom;
    }
  }
  if (r.freq === "NONE" || (fields.has("COUNT") && fields.has("UNTIL"))) return custom;
  if (r.byDay.length > 0 && r.freq !== "WEEKLY") return custom;
  if (r.freq === "WEEKLY" && r.byDay.length === 0) {
    // Without BYDAY a weekly rule repeats on the start's weekday (RFC 5545 section 3.3.10), which is what a
    // single ticked day says.
    const day = weekdayOf(start.date);
    if (day) r.byDay = [day];
  }
  return r;
}

/** What is wrong with the choices, in plain words, by form field; empty when they can be saved. */
export function validateRecurrence(r: Recurrence, start: LocalStart): { field: string; message: string }[] {
  const errors: { field: string; message: string }[] = [];
  if (r.freq === "NONE") return errors;
  if (r.freq === "CUSTOM") {
    const text = r.custom.trim().replace(/^RRULE:/i, "");
    if (!text) errors.push({ field: "customRrule", message: "Enter the custom RRULE (e.g. FREQ=WEEKLY;BYDAY=MO) or choose another repetition." });
    else if (!/^FREQ=|;FREQ=/i.test(text)) errors.push({ field: "customRrule", message: "A custom RRULE needs FREQ, e.g. FREQ=MONTHLY;BYDAY=1MO." });
    else if (/(^|;)(DTSTART|TZID)=/i.test(text)) errors.push({ field: "customRrule", message: "Leave DTSTART and TZID out of the RRULE: the start and time zone are fields of their own." });
    return errors;
  }
  if (!Number.isInteger(r.interval) || r.interval < 1 || r.interval > LIMITS.interval) {
    errors.push({ field: "interval", message: `Repeat every 1 to ${LIMITS.interval} ${unit(r.freq)}s.` });
  }
  if (r.freq === "WEEKLY") {
    if (r.byDay.length === 0) errors.push({ field: "byDay", message: "Tick at least one day of the week." });
    else {
      const startDay = weekdayOf(start.date);
      if (startDay && !r.byDay.includes(startDay)) {
        errors.push({ field: "byDay", message: `The first occurrence is on a ${WEEKDAY_NAMES[startDay]}: tick ${WEEKDAY_NAMES[startDay]} too, or move the start to one of the ticked days.` });
      }
    }
  }
  if (r.end === "COUNT" && (!Number.isInteger(r.count) || r.count < 1 || r.count > LIMITS.count)) {
    errors.push({ field: "count", message: `The number of occurrences must be a whole number from 1 to ${LIMITS.count}.` });
  }
  if (r.end === "UNTIL") {
    const until = DateTime.fromISO(r.until, { zone: "utc" });
    if (!r.until || !until.isValid) errors.push({ field: "until", message: "Give the date of the last occurrence." });
    else if (start.date && r.until < start.date) errors.push({ field: "until", message: "The repetition must end on or after the first occurrence's day." });
  }
  return errors;
}

function unit(freq: Frequency): string {
  return freq === "DAILY" ? "day" : freq === "WEEKLY" ? "week" : "month";
}

/** A short description for people, e.g. "Every 2 weeks on Monday and Wednesday, 6 times". */
export function describeRecurrence(r: Recurrence): string {
  if (r.freq === "NONE") return "Does not repeat";
  if (r.freq === "CUSTOM") return `Custom rule ${r.custom}`;
  let s = r.interval === 1 ? `Every ${unit(r.freq)}` : `Every ${r.interval} ${unit(r.freq)}s`;
  if (r.freq === "WEEKLY" && r.byDay.length) {
    const names = r.byDay.map((d) => WEEKDAY_NAMES[d]);
    s += ` on ${names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names.at(-1)}` : names[0]}`;
  }
  if (r.end === "COUNT") s += r.count === 1 ? ", once" : `, ${r.count} times`;
  if (r.end === "UNTIL") s += `, until ${r.until}`;
  return s;
}
