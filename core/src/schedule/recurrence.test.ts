import { currentOccurrence, nextOccurrence, normalizeRrule, occurrencesBetween, validateTimezone } from "./recurrence.ts";
import { DomainError } from "../errors.ts";

describe("recurrence (RFC 5545 RRULE in an IANA zone)", () => {
  // 2026-03-29 is the EU spring-forward Sunday: Europe/Berlin goes from UTC+1 to UTC+2.
  const weekly = { startAt: new Date("2026-03-16T08:00:00Z"), durationMin: 60, rrule: "FREQ=WEEKLY;BYDAY=MO", timezone: "Europe/Berlin" };

  it("keeps the local wall-clock time across a DST change", () => {
    const occ = occurrencesBetween(weekly, new Date("2026-03-01T00:00:00Z"), new Date("2026-04-15T00:00:00Z"));
    expect(occ.map((o) => o.start.toISOString())).toEqual([
      "2026-03-16T08:00:00.000Z",
      "2026-03-23T08:00:00.000Z",
      "2026-03-30T07:00:00.000Z",
      "2026-04-06T07:00:00.000Z",
      "2026-04-13T07:00:00.000Z",
    ]);
    expect(occ[2]!.end.toISOString()).toBe("2026-03-30T08:00:00.000Z");
  });

  it("honours COUNT and includes an occurrence already in progress at the window start", () => {
    const s = { ...weekly, rrule: "FREQ=DAILY;COUNT=3" };
    expect(occurrencesBetween(s, new Date("2026-01-01T00:00:00Z"), new Date("2027-01-01T00:00:00Z"))).toHaveLength(3);
    const inProgress = occurrencesBetween(s, new Date("2026-03-17T08:30:00Z"), new Date("2026-03-17T08:31:00Z"));
    expect(inProgress.map((o) => o.start.toISOString())).toEqual(["2026-03-17T08:00:00.000Z"]);
  });

  it("finds the current and the next occurrence", () => {
    expect(currentOccurrence(weekly, new Date("2026-03-30T07:30:00Z"))?.start.toISOString()).toBe("2026-03-30T07:00:00.000Z");
    expect(currentOccurrence(weekly, new Date("2026-03-30T08:30:00Z"))).toBeNull();
    expect(nextOccurrence(weekly, new Date("2026-03-24T00:00:00Z"))?.start.toISOString()).toBe("2026-03-30T07:00:00.000Z");
    const once = { ...weekly, rrule: null };
    expect(nextOccurrence(once, new Date("2026-03-17T00:00:00Z"))).toBeNull();
  });

  it("rejects bad rules and zones with BAD_USER_INPUT", () => {
    for (const bad of ["BYDAY=MO", "FREQ=SECONDLY", "FREQ=WEEKLY;DTSTART=20260101T000000Z", "FREQ=NOPE"]) {
      expect(() => normalizeRrule(bad)).toThrow(DomainError);
    }
    expect(normalizeRrule("RRULE:FREQ=WEEKLY;BYDAY=MO,WE")).toBe("FREQ=WEEKLY;BYDAY=MO,WE");
    expect(() => validateTimezone("Mars/Olympus")).toThrow(/IANA/);
  });
});
