import type { Metadata } from "next";
import Link from "next/link";
import { DateTime } from "luxon";
import { gql, plainError } from "@/lib/focus";
import { requireSession } from "@/lib/session";
import { displayZone } from "@/lib/time";
import { daysOf, parseView, periodOf, type ConferenceOccurrences, type Day, type Item, type Period, type View } from "./calendar";

export const metadata: Metadata = { title: "Schedule" };

const LIST = `query ($after: String, $from: DateTime!, $to: DateTime!) {
  conferences(first: 100, after: $after, filter: { from: $from, to: $to }) {
    nodes { id subject status joinHandling occurrences(from: $from, to: $to) { start end } }
    pageInfo { endCursor hasNextPage }
  }
}`;
/** a bound on pages, against a cursor that never ends */
const MAX_PAGES = 50;

interface ListResult {
  conferences: { nodes: ConferenceOccurrences[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } };
}

async function conferencesIn(token: string, from: DateTime, to: DateTime): Promise<ConferenceOccurrences[]> {
  const all: ConferenceOccurrences[] = [];
  let after: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const r: ListResult = await gql<ListResult>(token, LIST, { after, from: from.toUTC().toISO(), to: to.toUTC().toISO() });
    all.push(...r.conferences.nodes);
    if (!r.conferences.pageInfo.hasNextPage || !r.conferences.pageInfo.endCursor) break;
    after = r.conferences.pageInfo.endCursor;
  }
  return all;
}

const JOINING: Record<Item["joinHandling"], string> = { ALLOW: "", PIN: " · PIN needed", LOBBY: " · lobby" };

const href = (view: View, date?: string) => `/schedule?view=${view}${date ? `&date=${date}` : ""}`;
const fullDate = (d: DateTime) => d.toFormat("cccc d LLLL yyyy");

function ItemLink({ item }: { item: Item }) {
  const ended = item.status === "ENDED";
  return (
    <Link href={`/conferences/${encodeURIComponent(item.conferenceId)}`}
      title={`${item.start.toFormat("HH:mm")}–${item.end.toFormat(item.end.hasSame(item.start, "day") ? "HH:mm" : "ccc HH:mm")} ${item.subject}${JOINING[item.joinHandling]}${ended ? " (ended)" : ""}`}
      className={`occurrence${ended ? " ended" : ""}${item.status === "ACTIVE" ? " active" : ""}`}>
      <time dateTime={item.start.toISO()!}>{item.start.toFormat("HH:mm")}</time>{" "}
      <span className="subject">{item.subject}</span>
      {ended && <span className="visually-hidden"> (ended)</span>}
      {item.status === "ACTIVE" && <span className="badge ok">live</span>}
    </Link>
  );
}

function Items({ day }: { day: Day }) {
  if (day.items.length === 0) return null;
  return (
    <ul className="occurrences">
      {day.items.map((it) => <li key={`${it.conferenceId}-${it.start.toMillis()}`}><ItemLink item={it} /></li>)}
    </ul>
  );
}

/** The date as a screen reader should hear it, the number as eyes scan it. */
function DayLabel({ day }: { day: Day }) {
  return (
    <div className="day-label">
      <span aria-hidden="true">{day.date.day === 1 ? day.date.toFormat("d LLL") : day.date.toFormat("d")}</span>
      <span className="visually-hidden">{fullDate(day.date)}{day.isToday ? ", today" : ""}</span>
    </div>
  );
}

function MonthGrid({ period, days }: { period: Period; days: Day[] }) {
  const weeks = Array.from({ length: days.length / 7 }, (_, i) => days.slice(i * 7, i * 7 + 7));
  return (
    <table className="calendar month-grid">
      <caption className="visually-hidden">{period.title}</caption>
      <thead>
        <tr>
          {days.slice(0, 7).map((d) => <th key={d.iso} scope="col"><abbr title={d.date.toFormat("cccc")}>{d.date.toFormat("ccc")}</abbr></th>)}
        </tr>
      </thead>
      <tbody>
        {weeks.map((w) => (
          <tr key={w[0]!.iso}>
            {w.map((d) => (
              <td key={d.iso} className={`${d.inPeriod ? "" : "outside"}${d.isToday ? " today" : ""}`} aria-current={d.isToday ? "date" : undefined}>
                <DayLabel day={d} />
                <Items day={d} />
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function WeekGrid({ period, days }: { period: Period; days: Day[] }) {
  return (
    <table className="calendar week-grid">
      <caption className="visually-hidden">{period.title}</caption>
      <thead>
        <tr>
          {days.map((d) => (
            <th key={d.iso} scope="col" className={d.isToday ? "today" : undefined}>
              <abbr title={fullDate(d.date)}>{d.date.toFormat("ccc d LLL")}</abbr>
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        <tr>
          {days.map((d) => (
            <td key={d.iso} className={d.isToday ? "today" : undefined} aria-current={d.isToday ? "date" : undefined}>
              <span className="visually-hidden">{fullDate(d.date)}{d.isToday ? ", today" : ""}</span>
              <Items day={d} />
              {d.items.length === 0 && <p className="muted nothing" aria-hidden="true">—</p>}
            </td>
          ))}
        </tr>
      </tbody>
    </table>
  );
}

/** What phones show instead of the grid: only the days that have something on them. */
function DayList({ days }: { days: Day[] }) {
  const busy = days.filter((d) => d.items.length > 0);
  if (busy.length === 0) return null;
  return (
    <div className="calendar-list">
      {busy.map((d) => (
        <section key={d.iso} aria-labelledby={`day-${d.iso}`} className={d.inPeriod ? undefined : "outside"}>
          <h3 id={`day-${d.iso}`}>{d.date.toFormat("cccc d LLLL")}{d.isToday ? " (today)" : ""}</h3>
          <Items day={d} />
        </section>
      ))}
    </div>
  );
}

export default async function SchedulePage({ searchParams }: { searchParams: Promise<{ view?: string; date?: string }> }) {
  const [session, zone, sp] = await Promise.all([requireSession(), displayZone(), searchParams]);
  const view = parseView(sp.view);
  const period = periodOf(view, sp.date, zone);
  let conferences: ConferenceOccurrences[] = [];
  let failure: string | null = null;
  try {
    conferences = await conferencesIn(session.token, period.from, period.to);
  } catch (err) {
    failure = plainError(err);
  }
  const days = daysOf(period, conferences, zone);
  const count = days.filter((d) => d.inPeriod).reduce((n, d) => n + d.items.length, 0);
  const unit = view === "month" ? "month" : "week";
  // Switching views keeps today in sight when it is in the period shown, else the period's first day.
  const today = DateTime.now().setZone(zone).toISODate()!;
  const focusDay = days.some((d) => d.inPeriod && d.iso === today) ? today : period.anchor.toISODate()!;
  return (
    <main className="stack schedule">
      <div className="spread">
        <h1>Schedule</h1>
        {!session.conferenceId && <Link href="/conferences/new" className="button">New conference</Link>}
      </div>
      <nav aria-label="Calendar" className="spread calendar-nav">
        <div className="row">
          <Link href={href(view, period.prev)} className="button secondary">Previous {unit}</Link>
          <Link href={href(view)} className="button secondary">Today</Link>
          <Link href={href(view, period.next)} className="button secondary">Next {unit}</Link>
        </div>
        <div className="row" role="group" aria-label="View">
          <Link href={href("month", focusDay)} className={`button${view === "month" ? "" : " secondary"}`} aria-current={view === "month" ? "page" : undefined}>Month</Link>
          <Link href={href("week", focusDay)} className={`button${view === "week" ? "" : " secondary"}`} aria-current={view === "week" ? "page" : undefined}>Week</Link>
        </div>
      </nav>
      <h2 className="period-title">{period.title}</h2>
      <p className="muted zone-note">Times in {zone.replaceAll("_", " ")}.{count > 0 ? ` ${count} occurrence${count === 1 ? "" : "s"} this ${unit}.` : ""}</p>
      {failure && <p role="alert" className="error">The schedule could not be loaded: {failure}</p>}
      {!failure && count === 0 && (
        <p className="empty">
          No conferences in this {unit}.{" "}
          {!session.conferenceId && <Link href="/conferences/new">Schedule one.</Link>}
        </p>
      )}
      <div className="table-wrap calendar-grid">
        {view === "month" ? <MonthGrid period={period} days={days} /> : <WeekGrid period={period} days={days} />}
      </div>
      <DayList days={view === "month" ? days.filter((d) => d.inPeriod) : days} />
    </main>
  );
}
