import { DateTime } from "luxon";
import { occurrencesBetween } from "../../core/src/schedule/recurrence.ts";
import { buildRrule, describeRecurrence, noRecurrence, parseRrule, untilValue, validateRecurrence, type LocalStart, type Recurrence } from "./recurrence.ts";

const rome: LocalStart = { date: "2026-12-07", time: "10:00", timezone: "Europe/Rome" };
const weekly = (over: Partial<Recurrence> = {}): Recurrence => ({ ...noRecurrence(), freq: "WEEKLY", byDay: ["MO", "WE"], end: "COUNT", count: 6, ...over });

describe("buildRrule", () => {
  test("a one-off conference has no rule", () => {
    expect(buildRrule(noRecurrence(), rome)).toBeNull();
  });

  test("weekly on chosen days with a count, days in week order", () => {
    expect(buildRrule(weekly({ byDay: ["WE", "MO"] }), rome)).toBe("FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6");
  });

  test("an interval of 1 is left out; larger ones are written", () => {
    expect(buildRrule({ ...noRecurrence(), freq: "DAILY" }, rome)).toBe("FREQ=DAILY");
    expect(buildRrule({ ...noRecurrence(), freq: "MONTHLY", interval: 3 }, rome)).toBe("FREQ=MONTHLY;INTERVAL=3");
  });

  test("a custom rule is passed on verbatim, without an RRULE: prefix", () => {
    expect(buildRrule({ ...noRecurrence(), freq: "CUSTOM", custom: " RRULE:FREQ=MONTHLY;BYDAY=1MO " }, rome)).toBe("FREQ=MONTHLY;BYDAY=1MO");
  });
});

describe("parseRrule", () => {
  test.each([
    "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6",
    "FREQ=DAILY",
    "FREQ=DAILY;INTERVAL=2;COUNT=10",
    "FREQ=MONTHLY;INTERVAL=3",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH,SA",
  ])("%s reads back to the same rule", (rule) => {
    const r = parseRrule(rule, rome);
    expect(r.freq).not.toBe("CUSTOM");
    expect(buildRrule(r, rome)).toBe(rule);
  });

  test("the focus' normal form (any part order, INTERVAL=1, WKST=MO) is understood", () => {
    const r = parseRrule("RRULE:FREQ=WEEKLY;INTERVAL=1;WKST=MO;COUNT=6;BYDAY=WE,MO", rome);
    expect(r).toMatchObject({ freq: "WEEKLY", interval: 1, byDay: ["MO", "WE"], end: "COUNT", count: 6 });
  });

  test("a weekly rule without BYDAY repeats on the start's weekday", () => {
    expect(parseRrule("FREQ=WEEKLY", rome).byDay).toEqual(["MO"]);
  });

  test("no rule is no repetition", () => {
    expect(parseRrule(null, rome).freq).toBe("NONE");
    expect(parseRrule("", rome).freq).toBe("NONE");
  });

  test.each([
    "FREQ=YEARLY",
    "FREQ=MONTHLY;BYDAY=1MO",
    "FREQ=MONTHLY;BYMONTHDAY=15",
    "FREQ=WEEKLY;BYDAY=MO;BYSETPOS=1",
    "FREQ=DAILY;BYDAY=MO,TU",
    "FREQ=WEEKLY;WKST=SU;BYDAY=MO",
    "FREQ=DAILY;COUNT=3;UNTIL=20270101T000000Z",
    "FREQ=DAILY;INTERVAL=0",
    "INTERVAL=2",
    "nonsense",
  ])("%s cannot be expressed by the form and stays as a custom rule", (rule) => {
    const r = parseRrule(rule, rome);
    expect(r.freq).toBe("CUSTOM");
    expect(r.custom).toBe(rule);
    expect(buildRrule(r, rome)).toBe(rule);
  });
});

describe("UNTIL", () => {
  test("round-trips the day in zones east and west of UTC", () => {
    for (const start of [rome, { ...rome, timezone: "America/Los_Angeles", time: "18:30" }, { ...rome, timezone: "Pacific/Kiritimati", time: "23:45" }, { ...rome, timezone: "Pacific/Pago_Pago", time: "00:15" }]) {
      const rule = buildRrule({ ...noRecurrence(), freq: "DAILY", end: "UNTIL", until: "2026-12-20" }, start)!;
      expect(rule).toMatch(/^FREQ=DAILY;UNTIL=\d{8}T\d{6}Z$/);
      expect(parseRrule(rule, start)).toMatchObject({ freq: "DAILY", end: "UNTIL", until: "2026-12-20" });
    }
  });

  test("the last day has its occurrence and the next has none, as the focus expands the rule", () => {
    for (const start of [rome, { ...rome, timezone: "America/New_York", time: "21:00" }, { ...rome, timezone: "Asia/Tokyo", time: "07:00" }]) {
      const rrule = buildRrule({ ...noRecurrence(), freq: "DAILY", end: "UNTIL", until: "2026-12-10" }, start);
      const startAt = DateTime.fromISO(`${start.date}T${start.time}`, { zone: start.timezone }).toJSDate();
      const all = occurrencesBetween({ startAt, durationMin: 30, rrule, timezone: start.timezone }, new Date("2026-11-01T00:00:00Z"), new Date("2027-01-01T00:00:00Z"));
      const days = all.map((o) => DateTime.fromJSDate(o.start, { zone: start.timezone }).toISODate());
      expect(days).toEqual(["2026-12-07", "2026-12-08", "2026-12-09", "2026-12-10"]);
    }
  });

  test("read as UTC, as calendar clients read it, UNTIL lies between the last day's occurrence and the next day's", () => {
    for (const start of [rome, { ...rome, timezone: "America/New_York", time: "21:00" }, { ...rome, timezone: "Pacific/Kiritimati", time: "23:00" }]) {
      const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(untilValue("2026-12-10", start))!;
      const until = DateTime.utc(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
      const last = DateTime.fromISO(`2026-12-10T${start.time}`, { zone: start.timezone });
      expect(until >= last).toBe(true);
      expect(until < last.plus({ days: 1 })).toBe(true);
    }
  });

  test("a date-only or foreign UNTIL still reads as a day", () => {
    expect(parseRrule("FREQ=DAILY;UNTIL=20261231", rome).until).toBe("2026-12-31");
    expect(parseRrule("FREQ=DAILY;UNTIL=20261231T235959Z", rome).until).toBe("2026-12-31");
  });
});

describe("validateRecurrence", () => {
  const fields = (r: Recurrence, start = rome) => validateRecurrence(r, start).map((e) => e.field);

  test("sound choices pass", () => {
    expect(validateRecurrence(weekly(), rome)).toEqual([]);
    expect(validateRecurrence(noRecurrence(), rome)).toEqual([]);
    expect(validateRecurrence({ ...noRecurrence(), freq: "MONTHLY", end: "UNTIL", until: "2027-06-30" }, rome)).toEqual([]);
  });

  test("weekly needs a day, and the start's day among them", () => {
    expect(fields(weekly({ byDay: [] }))).toEqual(["byDay"]);
    const [e] = validateRecurrence(weekly({ byDay: ["TU", "TH"] }), rome);
    expect(e).toEqual({ field: "byDay", message: expect.stringContaining("Monday") });
  });

  test("interval, count and until are checked", () => {
    expect(fields(weekly({ interval: 0 }))).toEqual(["interval"]);
    expect(fields(weekly({ count: 0 }))).toEqual(["count"]);
    expect(fields(weekly({ count: 1.5 }))).toEqual(["count"]);
    expect(fields(weekly({ end: "UNTIL", until: "" }))).toEqual(["until"]);
    expect(fields(weekly({ end: "UNTIL", until: "2026-12-01" }))).toEqual(["until"]);
  });

  test("a custom rule needs FREQ and no DTSTART", () => {
    expect(fields({ ...noRecurrence(), freq: "CUSTOM", custom: "" })).toEqual(["customRrule"]);
    expect(fields({ ...noRecurrence(), freq: "CUSTOM", custom: "BYDAY=MO" })).toEqual(["customRrule"]);
    expect(fields({ ...noRecurrence(), freq: "CUSTOM", custom: "FREQ=DAILY;DTSTART=20261207T100000Z" })).toEqual(["customRrule"]);
    expect(fields({ ...noRecurrence(), freq: "CUSTOM", custom: "FREQ=YEARLY" })).toEqual([]);
  });
});

test("describeRecurrence says it in words", () => {
  expect(describeRecurrence(weekly())).toBe("Every week on Monday and Wednesday, 6 times");
  expect(describeRecurrence({ ...noRecurrence(), freq: "MONTHLY", interval: 2 })).toBe("Every 2 months");
});
