/** The calendar's days and what falls on them, in the display zone; pure, so the page only renders. */
import { DateTime } from "luxon";

export type View = "month" | "week";

export interface Occurrence {
  start: string;
  end: string;
}

export interface ConferenceOccurrences {
  id: string;
  subject: string;
  status: "SCHEDULED" | "ACTIVE" | "ENDED";
  joinHandling: "ALLOW" | "LOBBY" | "PIN";
  occurrences: Occurrence[];
}

export interface Item {
  conferenceId: string;
  subject: string;
  status: ConferenceOccurrences["status"];
  joinHandling: ConferenceOccurrences["joinHandling"];
  start: DateTime;
  end: DateTime;
}

export interface Day {
  /** yyyy-MM-dd */
  iso: string;
  date: DateTime;
  /** false for the leading and trailing days of a month grid */
  inPeriod: boolean;
  isToday: boolean;
  items: Item[];
}

export interface Period {
  view: View;
  /** the day the page is about (a day of the month or week shown) */
  anchor: DateTime;
  /** the grid's first day, 00:00 in the zone */
  from: DateTime;
  /** the day after the grid's last, 00:00 in the zone */
  to: DateTime;
  title: string;
  prev: string;
  next: string;
}

export function parseView(v: string | undefined): View {
  return v === "week" ? "week" : "month";
}

/** The period to show: `date` (yyyy-MM-dd) or today, where the moderator is. */
export function periodOf(view: View, date: string | undefined, zone: string, now = DateTime.now()): Period {
  const today = now.setZone(zone).startOf("day");
  const given = date && /^\d{4}-\d{2}-\d{2}$/.test(date) ? DateTime.fromISO(date, { zone }) : null;
  const anchor = given?.isValid ? given.startOf("day") : today;
  if (view === "week") {
    // luxon's week is the ISO week: Monday first, as RFC 5545's default WKST.
    const from = anchor.startOf("week");
    const to = from.plus({ weeks: 1 });
    const last = to.minus({ days: 1 });
    const title = from.month === last.month
      ? `${from.toFormat("d")}–${last.toFormat("d LLLL yyyy")}`
      : from.year === last.year ? `${from.toFormat("d LLLL")} – ${last.toFormat("d LLLL yyyy")}` : `${from.toFormat("d LLLL yyyy")} – ${last.toFormat("d LLLL yyyy")}`;
    return { view, anchor, from, to, title: `Week of ${title}`, prev: from.minus({ weeks: 1 }).toISODate()!, next: to.toISODate()! };
  }
  const first = anchor.startOf("month");
  // Six weeks always: the grid does not jump in height from month to month.
  const from = first.startOf("week");
  const to = from.plus({ weeks: 6 });
  return { view, anchor: first, from, to, title: first.toFormat("LLLL yyyy"), prev: first.minus({ months: 1 }).toISODate()!, next: first.plus({ months: 1 }).toISODate()! };
}

/** The period's days with the occurrences that start on them, in start order. */
export function daysOf(period: Period, conferences: ConferenceOccurrences[], zone: string, now = DateTime.now()): Day[] {
  const today = now.setZone(zone).toISODate();
  const byDay = new Map<string, Item[]>();
  for (const c of conferences) {
    for (const o of c.occurrences) {
      const start = DateTime.fromISO(o.start, { zone });
      const key = start.toISODate()!;
      const list = byDay.get(key) ?? [];
      list.push({ conferenceId: c.id, subject: c.subject, status: c.status, joinHandling: c.joinHandling, start, end: DateTime.fromISO(o.end, { zone }) });
      byDay.set(key, list);
    }
  }
  const days: Day[] = [];
  for (let d = period.from; d < period.to; d = d.plus({ days: 1 })) {
    const iso = d.toISODate()!;
    const items = (byDay.get(iso) ?? []).sort((a, b) => a.start.toMillis() - b.start.toMillis() || a.subject.localeCompare(b.subject));
    days.push({ iso, date: d, inPeriod: period.view === "week" || d.month === period.anchor.month, isToday: iso === today, items });
  }
  return days;
}
