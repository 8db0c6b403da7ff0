/**
 * iCalendar (RFC 5545) export of a conference: one VEVENT with the RRULE, in the conference's time zone
 * with its VTIMEZONE, the dial-in as LOCATION, and the users who have an e-mail address as ATTENDEEs.
 */
import icalGenerator, { ICalAttendeeRole, ICalAttendeeStatus } from "ical-generator";
import { getVtimezoneComponent } from "@touch4it/ical-timezones";
import { DateTime } from "luxon";
import type { ConferenceSummary, Role, UserState } from "@dcon/core";

const ATTENDEE_ROLE: Record<Role, ICalAttendeeRole> = {
  ADMINISTRATOR: ICalAttendeeRole.CHAIR,
  MODERATOR: ICalAttendeeRole.CHAIR,
  PARTICIPANT: ICalAttendeeRole.REQ,
  OBSERVER: ICalAttendeeRole.NON,
};

export function conferenceIcs(c: ConferenceSummary, users: UserState[], opts: { island: string; now?: Date }): string {
  const cal = icalGenerator({
    prodId: { company: "dcon", product: "focus", language: "EN" },
    name: c.subject,
    // No calendar-wide zone: ical-generator would write DTSTAMP in it as a floating time, and DTSTAMP must be
    // UTC (RFC 5545 section 3.8.7.2). The event's zone below still gets its VTIMEZONE from the generator.
    timezone: { name: null, generator: getVtimezoneComponent },
  });
  const start = DateTime.fromISO(c.startAt, { zone: c.timezone });
  cal.createEvent({
    id: c.uri,
    start,
    end: start.plus({ minutes: c.durationMin }),
    timezone: c.timezone,
    stamp: DateTime.fromJSDate(opts.now ?? new Date(), { zone: "utc" }),
    summary: c.subject,
    description: `${c.description ? `${c.description}\n\n` : ""}Dial sip:${c.dialInCode}@${opts.island}${c.joinHandling === "PIN" ? " and enter your PIN" : ""}.`,
    location: `sip:${c.dialInCode}@${opts.island}`,
    ...(c.rrule ? { repeating: `RRULE:${c.rrule}` } : {}),
    attendees: users.filter((u) => u.email).map((u) => ({
      email: u.email!,
      name: u.displayName || u.entity,
      role: ATTENDEE_ROLE[u.role],
      status: ICalAttendeeStatus.NEEDSACTION,
      rsvp: true,
    })),
  });
  return cal.toString();
}
