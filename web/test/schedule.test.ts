// Peer: Chromium (Debian) driving the built portal through playwright-core
// The schedule: creating a recurring conference through the form, seeing its occurrences in the month and week
// calendars (against the API's own expansion), editing, invitees, clone, delete, the .ics and the phone layout.
import { DateTime } from "luxon";
import type { Page } from "playwright-core";
import { startTestPortal, type TestPortal } from "./support/portal.ts";

const ZONE = "Europe/Rome";
let portal: TestPortal;

beforeAll(async () => {
  portal = await startTestPortal();
}, 60_000);

afterAll(async () => {
  await portal?.close();
});

/** A signed-in page whose display zone is Rome from the first request (the browser's zone cookie, set ahead). */
async function signedIn(opts: { width?: number; height?: number; token?: string } = {}): Promise<Page> {
  const page = await portal.newPage({ width: opts.width, height: opts.height, timezoneId: ZONE });
  await portal.signIn(page, opts.token);
  return page;
}

const CONFERENCE = `id subject description startAt durationMin rrule timezone joinHandling hasPin maxUsers status icsPath
  users { id entity displayName role hasPin }`;

async function conference(id: string): Promise<any> {
  return (await portal.focus.admin.must(`query ($id: ID!) { conference(id: $id) { ${CONFERENCE} } }`, { id })).conference;
}

async function conferenceCount(): Promise<number> {
  return (await portal.focus.admin.must(`query { conferences(first: 100) { nodes { id } } }`)).conferences.nodes.length;
}

async function occurrences(id: string, from: DateTime, to: DateTime): Promise<DateTime[]> {
  const r = await portal.focus.admin.must(`query ($id: ID!, $from: DateTime!, $to: DateTime!) { conference(id: $id) { occurrences(from: $from, to: $to) { start } } }`,
    { id, from: from.toUTC().toISO(), to: to.toUTC().toISO() });
  return r.conference.occurrences.map((o: { start: string }) => DateTime.fromISO(o.start, { zone: ZONE }));
}

/** Navigates and waits until the page is streamed in and hydrated: typing into a form React has not taken over yet is lost. */
async function open(page: Page, path: string): Promise<void> {
  await page.goto(path, { waitUntil: "networkidle" });
}

const fullDate = (d: DateTime) => d.toFormat("cccc d LLLL yyyy");
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The first Monday of next month, 10:00 in Rome: MO,WE six times all fall in that month. */
const firstMonday = (() => {
  const first = DateTime.now().setZone(ZONE).plus({ months: 1 }).startOf("month");
  return first.plus({ days: (8 - first.weekday) % 7 }).set({ hour: 10, minute: 0 });
})();
const SUBJECT = "Weekly design sync";
let weeklyId = "";

async function weekly(): Promise<string> {
  if (!weeklyId) throw new Error("the weekly conference was not created (the first test failed)");
  return weeklyId;
}

test("a weekly recurring conference is scheduled through the form", async () => {
  const page = await signedIn();
  await open(page, "/conferences/new");
  await page.getByLabel("Subject", { exact: true }).fill(SUBJECT);
  await page.getByLabel("Description").fill("Design review, twice a week.");
  await page.getByLabel("Start").fill(firstMonday.toFormat("yyyy-MM-dd'T'HH:mm"));
  await page.getByLabel("Duration (minutes)").fill("45");
  await page.getByLabel("Time zone").selectOption(ZONE);
  await page.getByLabel("Repetition").selectOption({ label: "Weekly" });
  await page.getByRole("checkbox", { name: "Monday" }).check();
  await page.getByRole("checkbox", { name: "Wednesday" }).check();
  await page.getByRole("radio", { name: "After a number of occurrences" }).check();
  await page.getByLabel("Number of occurrences", { exact: true }).fill("6");
  await page.getByRole("radio", { name: /^PIN/ }).check();
  await page.getByLabel("Conference PIN", { exact: true }).fill("246810");
  await page.getByLabel("Max users").fill("25");
  await page.getByRole("checkbox", { name: /Floor-controlled audio/ }).check();
  await page.getByRole("button", { name: "Add invitee" }).click();
  const first = page.getByRole("group", { name: "Invitee 1" });
  await first.getByLabel("Entity (SIP URI)").fill("sip:alice@example.com");
  await first.getByLabel("Display name").fill("Alice");
  await first.getByLabel("Role").selectOption("MODERATOR");
  await first.getByLabel("PIN (optional)").fill("1111");
  // A row added and removed again leaves nothing behind.
  await page.getByRole("button", { name: "Add invitee" }).click();
  await page.getByRole("group", { name: "Invitee 2" }).getByLabel("Entity (SIP URI)").fill("sip:nobody@example.com");
  await page.getByRole("button", { name: "Remove invitee 2" }).click();
  expect(await page.getByRole("group", { name: "Invitee 2" }).count()).toBe(0);
  await page.getByText("Every week on Monday and Wednesday, 6 times").waitFor();
  await portal.screenshot(page, "conference-new");

  await page.getByRole("button", { name: "Schedule conference" }).click();
  await page.waitForURL(/\/conferences\/[0-9a-f-]{36}$/);
  weeklyId = decodeURIComponent(new URL(page.url()).pathname.split("/")[2]!);
  const c = await conference(weeklyId);
  expect(c).toMatchObject({
    subject: SUBJECT, description: "Design review, twice a week.", durationMin: 45, timezone: ZONE, rrule: "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6",
    joinHandling: "PIN", hasPin: true, maxUsers: 25,
  });
  expect(DateTime.fromISO(c.startAt).toMillis()).toBe(firstMonday.toMillis());
  expect(c.users).toEqual([expect.objectContaining({ entity: "sip:alice@example.com", displayName: "Alice", role: "MODERATOR", hasPin: true })]);
}, 60_000);

test("choosing a blueprint fills in its settings, and the conference is made from it", async () => {
  await portal.focus.admin.must(`mutation { createBlueprint(input: { name: "Board meeting", durationMin: 90, maxUsers: 12, joinHandling: LOBBY,
    floors: [{ label: "audio" }, { label: "video", policy: FCFS, maxHolders: 2 }] }) { id } }`);
  const page = await signedIn();
  await open(page, "/conferences/new");
  await page.getByLabel("Blueprint").selectOption({ label: "Board meeting" });
  expect(await page.getByLabel("Duration (minutes)").inputValue()).toBe("90");
  expect(await page.getByLabel("Max users").inputValue()).toBe("12");
  expect(await page.getByRole("radio", { name: /^Lobby/ }).isChecked()).toBe(true);
  await page.getByLabel("Subject", { exact: true }).fill("Quarterly board");
  await page.getByRole("button", { name: "Schedule conference" }).click();
  await page.waitForURL(/\/conferences\/[0-9a-f-]{36}$/);
  const id = new URL(page.url()).pathname.split("/")[2]!;
  const { conference: c } = await portal.focus.admin.must(`query ($id: ID!) { conference(id: $id) { subject durationMin maxUsers joinHandling rrule blueprint { name } floors { label policy } } }`, { id });
  expect(c).toMatchObject({ subject: "Quarterly board", durationMin: 90, maxUsers: 12, joinHandling: "LOBBY", rrule: null, blueprint: { name: "Board meeting" } });
  expect(c.floors.map((f: any) => f.label).sort()).toEqual(["audio", "video"]);
}, 60_000);

test("the month view shows each occurrence on its day, as the API expands it", async () => {
  const id = await weekly();
  const page = await signedIn();
  await open(page, `/schedule?view=month&date=${firstMonday.toISODate()}`);
  await page.getByRole("heading", { name: firstMonday.toFormat("LLLL yyyy") }).waitFor();
  const grid = page.getByRole("table");
  const monthStart = firstMonday.startOf("month").startOf("week");
  const expected = await occurrences(id, monthStart, monthStart.plus({ weeks: 6 }));
  expect(expected.map((d) => d.toFormat("ccc"))).toEqual(["Mon", "Wed", "Mon", "Wed", "Mon", "Wed"]);
  expect(expected.every((d) => d.toFormat("HH:mm") === "10:00")).toBe(true);
  expect(await grid.getByRole("link", { name: new RegExp(SUBJECT) }).count()).toBe(6);
  for (const day of expected) {
    const cell = grid.getByRole("cell", { name: new RegExp(`^${escape(fullDate(day))}`) });
    const link = cell.getByRole("link", { name: new RegExp(`10:00 ${SUBJECT}`) });
    expect(await link.count()).toBe(1);
    expect(await link.getAttribute("href")).toBe(`/conferences/${id}`);
  }
  // The day after the first occurrence (a Tuesday) has none.
  const tuesday = grid.getByRole("cell", { name: new RegExp(`^${escape(fullDate(firstMonday.plus({ days: 1 })))}`) });
  expect(await tuesday.getByRole("link").count()).toBe(0);
  // Weekday columns are headers, for table navigation with a screen reader.
  expect(await grid.getByRole("columnheader").count()).toBe(7);
  await portal.screenshot(page, "schedule-month");

  // previous / next walk by month
  await page.getByRole("link", { name: "Next month" }).click();
  await page.getByRole("heading", { name: firstMonday.plus({ months: 1 }).toFormat("LLLL yyyy") }).waitFor();
  await page.getByRole("link", { name: "Previous month" }).click();
  await page.getByRole("heading", { name: firstMonday.toFormat("LLLL yyyy") }).waitFor();
  await page.getByRole("link", { name: "Today" }).click();
  await page.getByRole("heading", { name: DateTime.now().setZone(ZONE).toFormat("LLLL yyyy") }).waitFor();
}, 60_000);

test("the week view has seven day columns with the week's occurrences", async () => {
  const id = await weekly();
  const page = await signedIn();
  await open(page, `/schedule?view=week&date=${firstMonday.toISODate()}`);
  const grid = page.getByRole("table");
  await grid.waitFor();
  expect(await grid.getByRole("columnheader").count()).toBe(7);
  const check = async (monday: DateTime) => {
    // the new week is in (navigation streams it)
    await grid.getByRole("cell", { name: new RegExp(`^${escape(fullDate(monday))}`) }).waitFor();
    const expected = await occurrences(id, monday.startOf("day"), monday.startOf("day").plus({ weeks: 1 }));
    expect(expected.map((d) => d.toISODate())).toEqual([monday.toISODate(), monday.plus({ days: 2 }).toISODate()]);
    expect(await grid.getByRole("link", { name: new RegExp(SUBJECT) }).count()).toBe(2);
    for (const day of expected) {
      const cell = grid.getByRole("cell", { name: new RegExp(`^${escape(fullDate(day))}`) });
      expect(await cell.getByRole("link", { name: new RegExp(`10:00 ${SUBJECT}`) }).count()).toBe(1);
    }
  };
  await check(firstMonday);
  await portal.screenshot(page, "schedule-week");
  await page.getByRole("link", { name: "Next week" }).click();
  await page.waitForURL(`**/schedule?view=week&date=${firstMonday.plus({ weeks: 1 }).toISODate()}`);
  await check(firstMonday.plus({ weeks: 1 }));
  // three weeks of MO,WE make six: the fourth week is empty
  await open(page, `/schedule?view=week&date=${firstMonday.plus({ weeks: 3 }).toISODate()}`);
  await page.getByText("No conferences in this week.").waitFor();
  expect(await page.getByRole("table").getByRole("link").count()).toBe(0);
}, 60_000);

test("an empty month says so and offers to schedule one", async () => {
  const page = await signedIn();
  await open(page, "/schedule?view=month&date=2031-02-10");
  await page.getByText("No conferences in this month.").waitFor();
  await page.getByRole("link", { name: "Schedule one." }).click();
  await page.waitForURL("**/conferences/new");
}, 60_000);

test("a busy month shows every page of conferences, and ended ones are marked", async () => {
  // 105 conferences need two pages of `conferences(first: 100)`: the calendar must follow pageInfo.
  const month = DateTime.fromISO("2030-03-01T00:00", { zone: ZONE });
  const create = `mutation ($input: ConferenceInput!) { createConference(input: $input) { id } }`;
  for (let i = 0; i < 105; i++) {
    const start = month.plus({ days: i % 31, hours: 8 + Math.floor(i / 31), minutes: 5 * (i % 12) });
    await portal.focus.admin.must(create, { input: { subject: `Standup ${String(i).padStart(3, "0")}`, startAt: start.toISO(), timezone: ZONE, durationMin: 15 } });
  }
  const ended = (await portal.focus.admin.must(create, { input: { subject: "Cancelled review", startAt: month.plus({ days: 3, hours: 17 }).toISO(), timezone: ZONE } })).createConference.id;
  await portal.focus.admin.must(`mutation ($id: ID!) { endConference(id: $id) { status } }`, { id: ended });
  const page = await signedIn();
  await open(page, "/schedule?view=month&date=2030-03-15");
  const grid = page.getByRole("table");
  await grid.waitFor();
  expect(await grid.getByRole("link", { name: /Standup \d{3}/ }).count()).toBe(105);
  expect(await grid.getByRole("link", { name: /Standup 104/ }).count()).toBe(1);
  const cell = grid.getByRole("cell", { name: /^Monday 4 March 2030/ });
  const link = cell.getByRole("link", { name: "17:00 Cancelled review (ended)" });
  expect(await link.count()).toBe(1);
  // dimmed, not hidden: still readable and still a link to the conference
  expect(Number(await link.evaluate((el: any) => (globalThis as any).getComputedStyle(el).opacity as string))).toBeLessThan(1);
  expect(await link.getAttribute("href")).toBe(`/conferences/${ended}`);
}, 60_000);

test("at phone width the month becomes a list of the days that have occurrences", async () => {
  const id = await weekly();
  const page = await signedIn({ width: 375, height: 800 });
  await open(page, `/schedule?view=month&date=${firstMonday.toISODate()}`);
  await page.getByRole("heading", { name: firstMonday.toFormat("LLLL yyyy") }).waitFor();
  // The seven-column grid is gone (not merely squeezed), and nothing scrolls sideways.
  expect(await page.getByRole("table").count()).toBe(0);
  expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375);
  const expected = await occurrences(id, firstMonday.startOf("month"), firstMonday.startOf("month").plus({ months: 1 }));
  for (const day of expected) {
    const heading = page.getByRole("heading", { name: day.toFormat("cccc d LLLL") });
    expect(await heading.isVisible()).toBe(true);
    const section = page.getByRole("region", { name: day.toFormat("cccc d LLLL") });
    const link = section.getByRole("link", { name: new RegExp(`10:00 ${SUBJECT}`) });
    expect(await link.isVisible()).toBe(true);
    const box = (await link.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(375);
    expect(box.height).toBeGreaterThanOrEqual(24);
  }
  // only busy days are listed
  expect(await page.getByRole("link", { name: new RegExp(SUBJECT) }).count()).toBe(expected.length);
  await portal.screenshot(page, "schedule-phone");
  // the forms fit too
  for (const path of ["/conferences/new", `/conferences/${id}/edit`]) {
    await open(page, path);
    await page.getByLabel("Subject", { exact: true }).waitFor();
    expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375);
  }
}, 60_000);

test("invalid input is refused in plain words and creates nothing", async () => {
  const page = await signedIn();
  const before = await conferenceCount();
  await open(page, "/conferences/new");
  await page.getByLabel("Subject", { exact: true }).fill("");
  await page.getByRole("radio", { name: /^PIN/ }).check();
  await page.getByLabel("Conference PIN", { exact: true }).fill("12");
  await page.getByRole("button", { name: "Schedule conference" }).click();
  const alert = page.getByRole("alert").filter({ hasText: "need fixing" });
  await alert.waitFor();
  const text = await alert.textContent();
  expect(text).toContain("Give the conference a subject.");
  expect(text).toContain("The conference PIN must be 4 to 12 digits");
  expect(await page.getByLabel("Subject", { exact: true }).getAttribute("aria-invalid")).toBe("true");
  expect(await page.getByLabel("Conference PIN", { exact: true }).getAttribute("aria-invalid")).toBe("true");
  // what was typed stays, to be corrected
  expect(await page.getByLabel("Conference PIN", { exact: true }).inputValue()).toBe("12");

  // A rule only the focus can judge: its BAD_USER_INPUT message comes through in its own words.
  await page.getByLabel("Subject", { exact: true }).fill("Hourly chaos");
  await page.getByRole("radio", { name: /^Open/ }).check();
  await page.getByLabel("Repetition").selectOption({ label: "Custom rule (RRULE)" });
  await page.getByLabel("Custom RRULE", { exact: true }).fill("FREQ=HOURLY");
  await page.getByRole("button", { name: "Schedule conference" }).click();
  await page.getByRole("alert").filter({ hasText: "at most daily" }).waitFor();
  expect(page.url()).toMatch(/\/conferences\/new$/);
  expect(await page.getByLabel("Subject", { exact: true }).inputValue()).toBe("Hourly chaos");
  expect(await conferenceCount()).toBe(before);
}, 60_000);

test("editing shows the saved rule back and changes only the subject", async () => {
  const id = await weekly();
  const page = await signedIn();
  await open(page, `/conferences/${id}/edit`);
  expect(await page.getByLabel("Subject", { exact: true }).inputValue()).toBe(SUBJECT);
  expect(await page.getByLabel("Repetition").inputValue()).toBe("WEEKLY");
  expect(await page.getByRole("checkbox", { name: "Monday" }).isChecked()).toBe(true);
  expect(await page.getByRole("checkbox", { name: "Tuesday" }).isChecked()).toBe(false);
  expect(await page.getByRole("checkbox", { name: "Wednesday" }).isChecked()).toBe(true);
  expect(await page.getByLabel("Number of occurrences", { exact: true }).inputValue()).toBe("6");
  expect(await page.getByLabel("Start", { exact: true }).inputValue()).toBe(firstMonday.toFormat("yyyy-MM-dd'T'HH:mm"));
  expect(await page.getByLabel("Time zone").inputValue()).toBe(ZONE);
  await portal.screenshot(page, "conference-edit");
  const before = await conference(id);

  await page.getByLabel("Subject", { exact: true }).fill(`${SUBJECT} (moved)`);
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  const after = await conference(id);
  expect(after.subject).toBe(`${SUBJECT} (moved)`);
  // untouched: the schedule, the PIN, the rest
  expect({ ...after, subject: before.subject }).toEqual(before);
  const events = await portal.focus.admin.must(`query ($id: ID!) { events(conferenceId: $id) { type payload } }`, { id });
  const updated = events.events.filter((e: any) => e.type === "CONFERENCE_UPDATED");
  expect(updated.at(-1).payload.changed).toEqual(["subject"]);
}, 60_000);

test("a daily repetition until a date ends on that day, in the conference's own zone", async () => {
  const zone = "America/New_York";
  const start = DateTime.fromObject({ year: firstMonday.year, month: firstMonday.month, day: firstMonday.day, hour: 21, minute: 30 }, { zone });
  const last = start.plus({ days: 4 });
  const page = await signedIn();
  await open(page, "/conferences/new");
  await page.getByLabel("Subject", { exact: true }).fill("Late-night ops");
  await page.getByLabel("Start").fill(start.toFormat("yyyy-MM-dd'T'HH:mm"));
  await page.getByLabel("Time zone").selectOption(zone);
  await page.getByLabel("Repetition").selectOption({ label: "Daily" });
  await page.getByRole("radio", { name: "On a date" }).check();
  await page.getByLabel("Last day").fill(last.toISODate()!);
  await page.getByRole("button", { name: "Schedule conference" }).click();
  await page.waitForURL(/\/conferences\/[0-9a-f-]{36}$/);
  const id = new URL(page.url()).pathname.split("/")[2]!;
  const c = await conference(id);
  expect(c.rrule).toMatch(/^FREQ=DAILY;UNTIL=\d{8}T\d{6}Z$/);
  const all = await occurrences(id, start.minus({ days: 1 }), start.plus({ days: 30 }));
  expect(all.map((d) => d.setZone(zone).toFormat("yyyy-MM-dd HH:mm"))).toEqual(
    [0, 1, 2, 3, 4].map((n) => start.plus({ days: n }).toFormat("yyyy-MM-dd HH:mm")));
  // and the form reads it back as the same day
  await open(page, `/conferences/${id}/edit`);
  expect(await page.getByLabel("Last day").inputValue()).toBe(last.toISODate());
  expect(await page.getByRole("radio", { name: "On a date" }).isChecked()).toBe(true);
}, 60_000);

test("a rule the form cannot express is kept as a custom RRULE", async () => {
  const { createConference } = await portal.focus.admin.must(`mutation ($input: ConferenceInput!) { createConference(input: $input) { id rrule } }`, {
    input: { subject: "First Monday", startAt: firstMonday.toISO(), timezone: ZONE, rrule: "FREQ=MONTHLY;BYDAY=1MO" },
  });
  const page = await signedIn();
  await open(page, `/conferences/${createConference.id}/edit`);
  expect(await page.getByLabel("Repetition").inputValue()).toBe("CUSTOM");
  expect(await page.getByLabel("Custom RRULE", { exact: true }).inputValue()).toBe(createConference.rrule);
  await page.getByLabel("Description").fill("Monthly all-hands");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  expect(await conference(createConference.id)).toMatchObject({ description: "Monthly all-hands", rrule: createConference.rrule });
}, 60_000);

test("invitees are added with a PIN and role, changed and removed with confirmation", async () => {
  const id = await weekly();
  const page = await signedIn();
  await open(page, `/conferences/${id}/edit`);
  const add = page.getByRole("form", { name: "Add an invitee" });
  await add.getByLabel("Entity (SIP URI)").fill("sip:bob@example.com");
  await add.getByLabel("Display name").fill("Bob");
  await add.getByLabel("Role").selectOption("OBSERVER");
  await add.getByLabel("PIN (optional)").fill("4321");
  await add.getByRole("button", { name: "Add invitee" }).click();
  await page.getByRole("status").filter({ hasText: "Added Bob." }).waitFor();
  let users = (await conference(id)).users;
  expect(users).toContainEqual(expect.objectContaining({ entity: "sip:bob@example.com", displayName: "Bob", role: "OBSERVER", hasPin: true }));

  // a bad PIN is refused in words, and nothing is added
  await add.getByLabel("Entity (SIP URI)").fill("sip:carol@example.com");
  await add.getByLabel("PIN (optional)").fill("12");
  await add.getByRole("button", { name: "Add invitee" }).click();
  await add.getByRole("alert").filter({ hasText: "4 to 12 digits" }).waitFor();
  expect((await conference(id)).users.some((u: any) => u.entity === "sip:carol@example.com")).toBe(false);

  const bob = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: "Bob" }) });
  await bob.getByLabel("Role").selectOption("PARTICIPANT");
  await bob.getByRole("button", { name: "Save Bob" }).click();
  await bob.getByText("participant", { exact: true }).waitFor();
  users = (await conference(id)).users;
  expect(users.find((u: any) => u.entity === "sip:bob@example.com")).toMatchObject({ role: "PARTICIPANT", hasPin: true });

  const alice = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: "Alice" }) });
  await alice.getByRole("button", { name: "Remove Alice" }).click();
  const dialog = page.getByRole("dialog", { name: /Remove Alice \(sip:alice@example.com\)/ });
  await dialog.getByRole("button", { name: "Cancel" }).click();
  expect((await conference(id)).users.some((u: any) => u.entity === "sip:alice@example.com")).toBe(true);
  await alice.getByRole("button", { name: "Remove Alice" }).click();
  await dialog.getByRole("button", { name: "Remove" }).click();
  await page.getByRole("heading", { name: "Alice" }).waitFor({ state: "detached" });
  expect((await conference(id)).users.map((u: any) => u.entity)).toEqual(["sip:bob@example.com"]);
}, 60_000);

test("the .ics download has the calendar and its RRULE; signed out it is refused", async () => {
  const id = await weekly();
  const page = await signedIn();
  await open(page, `/conferences/${id}/edit`);
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download .ics" }).click()]);
  expect(download.suggestedFilename()).toMatch(/^conference-\d+\.ics$/);
  const res = await page.request.get(`/conferences/${id}/ics`);
  expect(res.status()).toBe(200);
  expect(res.headers()["content-type"]).toMatch(/^text\/calendar/);
  expect(res.headers()["content-disposition"]).toMatch(/^attachment; filename="conference-\d+\.ics"$/);
  const body = await res.text();
  expect(body).toMatch(/^BEGIN:VCALENDAR/);
  expect(body).toContain("RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6");
  expect(body).toContain(`TZID=${ZONE}`);
  // Signed out, nothing of the calendar is served: the portal's proxy refuses cookie-less downloads,
  // and a session whose token no longer works is refused by the route itself.
  const anonymous = await fetch(`${portal.url}/conferences/${id}/ics`, { redirect: "manual" });
  expect(anonymous.status).toBe(401);
  const stale = await fetch(`${portal.url}/conferences/${id}/ics`, { redirect: "manual", headers: { cookie: "dcon_session=dcon_revoked-or-unknown-token-000000000000000" } });
  expect(stale.status).toBe(401);
  expect(await stale.text()).not.toContain("BEGIN:VCALENDAR");
  expect((await page.request.get(`/conferences/00000000-0000-4000-8000-000000000000/ics`)).status()).toBe(404);
}, 60_000);

test("a conference token's moderator edits only their own conference", async () => {
  const id = await weekly();
  const { createConference } = await portal.focus.admin.must(`mutation { createConference(input: { subject: "Their own", users: [{ entity: "sip:mod@example.com", role: MODERATOR }] }) { id users { id } } }`);
  const { issueConferenceToken } = await portal.focus.admin.must(`mutation ($u: ID!) { issueConferenceToken(userId: $u, name: "schedule test") { secret } }`, { u: createConference.users[0].id });
  const page = await signedIn({ token: issueConferenceToken.secret });
  await open(page, `/conferences/${id}/edit`);
  await page.getByRole("alert").filter({ hasText: "this token belongs to another conference" }).waitFor();
  expect(await page.getByRole("button", { name: "Save changes" }).count()).toBe(0);
  await open(page, `/conferences/${createConference.id}/edit`);
  expect(await page.getByLabel("Subject", { exact: true }).inputValue()).toBe("Their own");
  // cloning and deleting take an admin or integrator
  expect(await page.getByRole("button", { name: "Clone" }).count()).toBe(0);
  expect(await page.getByRole("button", { name: /Delete conference/ }).count()).toBe(0);
  await open(page, "/conferences/new");
  await page.getByRole("alert").filter({ hasText: "a conference token may not do this" }).waitFor();
}, 60_000);

test("clone makes a copy with a new subject and start; delete asks first, then removes it", async () => {
  const id = await weekly();
  const page = await signedIn();
  await open(page, `/conferences/${id}/edit`);
  const newStart = firstMonday.plus({ months: 2 }).set({ hour: 15 });
  await page.getByLabel("Subject of the copy").fill("Design sync, spring");
  await page.getByLabel(/Start of the copy/).fill(newStart.toFormat("yyyy-MM-dd'T'HH:mm"));
  await page.getByRole("button", { name: "Clone" }).click();
  await page.waitForURL((u) => /^\/conferences\/[0-9a-f-]{36}$/.test(u.pathname) && !u.pathname.includes(id));
  const cloneId = new URL(page.url()).pathname.split("/")[2]!;
  const clone = await conference(cloneId);
  const original = await conference(id);
  expect(clone).toMatchObject({ subject: "Design sync, spring", rrule: original.rrule, timezone: ZONE, durationMin: 45, hasPin: true });
  expect(DateTime.fromISO(clone.startAt).toMillis()).toBe(newStart.toMillis());
  expect(clone.users.map((u: any) => u.entity)).toEqual(original.users.map((u: any) => u.entity));

  await open(page, `/conferences/${cloneId}/edit`);
  await page.getByRole("button", { name: "Delete conference…" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete the conference “Design sync, spring”? This cannot be undone." });
  await dialog.waitFor();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  expect((await conference(cloneId)).subject).toBe("Design sync, spring");
  await page.getByRole("button", { name: "Delete conference…" }).click();
  await dialog.getByRole("button", { name: "Delete conference" }).click();
  await page.waitForURL("**/schedule");
  const gone = await portal.focus.admin.errorCode(`query ($id: ID!) { conference(id: $id) { id } }`, { id: cloneId });
  expect(gone).toBe("NOT_FOUND");
  expect((await conference(id)).subject).toBe(`${SUBJECT} (moved)`);
}, 60_000);
