// Peers: Chromium (Debian) driving the built portal through playwright-core, and baresip calling in
// The live room as a moderator meets it: a real softphone dials the focus and shows up in the roster over
// the relayed event stream (no reload); the page's buttons moderate it (mute, kick, lobby, floor, lock, mute
// all, end) and the outcome is checked at the API and at the phone. Also the islands page with federation
// off, and accounts: one created in the portal signs in through the sign-in page.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import { Baresip } from "../../media/test/support/baresip.ts";
import { writeToneWav } from "../../media/test/support/wav.ts";
import { startTestPortal, type TestPortal } from "./support/portal.ts";

/** an address of its own, so the media suites' phones (127.0.0.2 to .4) never share one with it */
const PHONE_ADDRESS = "127.0.0.6";
const ALICE = `sip:alice@${PHONE_ADDRESS}`;

let portal: TestPortal;
let alice: Baresip;
let fixtures: string;

beforeAll(async () => {
  portal = await startTestPortal();
  fixtures = mkdtempSync(join(tmpdir(), "dcon-live-room-"));
  // longer than this file runs: baresip hangs up when its source ends; a steady tone keeps the mixer hearing talk
  const tone = writeToneWav(join(fixtures, "tone440.wav"), [440], 170_000);
  alice = await Baresip.start({ user: "alice", displayName: "Alice", address: PHONE_ADDRESS, source: tone, lifetimeS: 240 });
}, 60_000);

afterAll(async () => {
  await alice?.quit();
  alice?.stop();
  await portal?.close();
  if (!process.env.SOFTPHONE_KEEP_FILES) for (const dir of [fixtures, alice?.dir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

interface ApiUser {
  id: string;
  entity: string;
  displayName: string;
  joinState: string;
  via: string | null;
  muted: boolean;
  talking: boolean;
}

/** what the pages' scripts reported as errors (hydration mismatches, failed requests, exceptions) */
const browserErrors: string[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function conference(input: Record<string, unknown>): Promise<{ id: string; dialInCode: string; floors: { id: string; label: string }[] }> {
  const { createConference } = await portal.focus.admin.must(
    `mutation($input: ConferenceInput!) { createConference(input: $input) { id dialInCode floors { id label } } }`,
    { input: { subject: "Live room", ...input } },
  );
  return createConference;
}

async function users(conferenceId: string): Promise<ApiUser[]> {
  const { users: list } = await portal.focus.admin.must(`query($id: ID!) { users(conferenceId: $id) { id entity displayName joinState via muted talking } }`, { id: conferenceId });
  return list;
}

/** Polls the API until `pred` holds; fails with what it saw last. */
async function until<T>(read: () => Promise<T>, pred: (v: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (pred(v)) return v;
    if (Date.now() > end) throw new Error(`${what}: not so in ${timeoutMs} ms; last: ${JSON.stringify(v)}`);
    await sleep(100);
  }
}

const dialUri = (dialInCode: string) => `sip:${dialInCode}@127.0.0.1:${portal.focus.focus.sip!.port}`;

/**
 * A page whose browser has told the portal its time zone already: otherwise the portal's first page
 * refreshes itself to learn it, and a test's next goto can race that refresh and be aborted.
 */
async function newPage(size?: { width: number; height: number }): Promise<Page> {
  const page = await portal.newPage(size);
  page.on("pageerror", (err) => browserErrors.push(`${page.url()}: ${err.message}`));
  page.on("console", (m) => {
    // the portal has no favicon, and Chromium asks for one
    if (m.type() === "error" && !m.location().url.endsWith("/favicon.ico")) browserErrors.push(`${page.url()}: ${m.text()} (${m.location().url})`);
  });
  return page;
}

/** The admin in a room, with its event stream in step (the connection badge says "live"). */
async function openRoom(conferenceId: string, size?: { width: number; height: number }): Promise<Page> {
  const page = await newPage(size);
  await portal.signIn(page);
  await page.goto(`/conferences/${conferenceId}`);
  await page.locator('[data-connection="live"]').waitFor();
  return page;
}

const row = (page: Page, name: string): Locator => page.locator("table.roster tbody tr").filter({ hasText: name });
/** a badge whose whole text is `text` (so "connected" is not found in "disconnected") */
const badge = (scope: Locator | Page, text: string): Locator => scope.locator(".badge").filter({ hasText: new RegExp(`^${text}$`) });
const button = (scope: Locator | Page, name: string): Locator => scope.getByRole("button", { name, exact: true });

describe("a caller on a real phone", () => {
  let conf: { id: string; dialInCode: string };
  let page: Page;
  let aliceId: string;

  test("joins and appears in the roster live, connected via sip, and the talking badge shows", async () => {
    conf = await conference({ joinHandling: "ALLOW" });
    page = await openRoom(conf.id);
    await page.getByText("Nobody is here yet").waitFor();

    await alice.dial(dialUri(conf.dialInCode));
    await alice.waitFor("CALL_ESTABLISHED");
    const r = row(page, "Alice");
    await badge(r, "connected").waitFor();
    expect((await r.locator('td[data-label="Via"]').textContent())?.trim()).toBe("sip");
    expect(await r.textContent()).toContain(ALICE);
    // the tone is talk to the mixer's voice activity detection
    await badge(r, "talking").waitFor({ timeout: 10_000 });
    expect(await page.locator("p.sr-only[aria-live]").filter({ hasText: "Talking: Alice" }).count()).toBe(1);
    aliceId = (await users(conf.id)).find((u) => u.entity === ALICE)!.id;
    await page.getByRole("list").filter({ hasText: "Joined" }).waitFor();
    await portal.screenshot(page, "live-room");
  }, 40_000);

  test("the moderator mutes the caller from the page: the API says muted and the roster follows", async () => {
    expect(aliceId).toBeDefined();
    await button(page, "Mute Alice").click();
    await until(() => users(conf.id), (u) => u.find((x) => x.id === aliceId)?.muted === true, "alice muted at the API");
    await badge(row(page, "Alice"), "muted").waitFor();
    await button(page, "Unmute Alice").waitFor();
    // the log says so in words
    await page.locator(".event-log li").filter({ hasText: "Muted" }).filter({ hasText: "Alice" }).first().waitFor();
  });

  test("kicking asks first, then the phone's call ends with a BYE", async () => {
    expect(aliceId).toBeDefined();
    await button(page, "Kick Alice").click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain("Kick Alice out of the conference?");
    await button(dialog, "Kick").click();
    const closed = await alice.waitFor("CALL_CLOSED");
    expect(closed.param).toBe("Connection reset by peer");
    await badge(row(page, "Alice"), "disconnected").waitFor();
    expect(await button(page, "Kick Alice").count()).toBe(0);
    await until(() => users(conf.id), (u) => u.find((x) => x.id === aliceId)?.joinState === "DISCONNECTED", "alice disconnected at the API");
  }, 30_000);
});

test("a lobby conference: the caller waits, is announced, and Admit lets them in", async () => {
  const conf = await conference({ joinHandling: "LOBBY", subject: "Lobby room" });
  const page = await openRoom(conf.id);
  await alice.dial(dialUri(conf.dialInCode));
  const r = row(page, "Alice");
  await badge(r, "lobby").waitFor();
  await page.getByRole("status").filter({ hasText: "Alice is waiting in the lobby" }).waitFor();
  await button(page, "Refuse Alice").waitFor();
  await portal.screenshot(page, "live-room-lobby");

  await button(page, "Admit Alice").click();
  await badge(r, "connected").waitFor();
  expect((await users(conf.id)).find((u) => u.entity === ALICE)).toMatchObject({ joinState: "CONNECTED", via: "sip" });
  // the announcement is over once the caller is in
  expect(await page.getByText("Alice is waiting in the lobby").count()).toBe(0);
  await alice.hangup();
  await alice.waitFor("CALL_CLOSED");
  await badge(r, "disconnected").waitFor();
}, 40_000);

test("floor control: a request shows in the audio floor's queue, Grant makes it GRANTED, Revoke ends it", async () => {
  const conf = await conference({ floorControlled: true, subject: "Floor room" });
  const audio = conf.floors.find((f) => f.label === "audio")!;
  const admin = portal.focus.admin;
  const { joinConference: bob } = await admin.must(`mutation($c: ID!) { joinConference(conferenceId: $c, entity: "api:bob", displayName: "Bob") { id } }`, { c: conf.id });
  const page = await openRoom(conf.id);
  await page.getByText("No one is asking for the floor.").waitFor();

  const { requestFloor } = await admin.must(`mutation($f: ID!, $u: ID!) { requestFloor(floorId: $f, userId: $u, priority: 3) { id status } }`, { f: audio.id, u: bob.id });
  expect(requestFloor.status).toBe("PENDING");
  const queued = page.locator(".queue li").filter({ hasText: "Bob" });
  await badge(queued, "pending").waitFor();
  expect(await queued.textContent()).toContain("priority high");
  await button(page, "Deny audio floor to Bob").waitFor();
  await portal.screenshot(page, "live-room-floor");

  await button(page, "Grant audio floor to Bob").click();
  await badge(queued, "holds the floor").waitFor();
  const { floor } = await admin.must(`query($f: ID!) { floor(id: $f) { queue { id status } } }`, { f: audio.id });
  expect(floor.queue).toEqual([{ id: requestFloor.id, status: "GRANTED" }]);

  await button(page, "Revoke audio floor from Bob").click();
  await page.getByText("No one is asking for the floor.").waitFor();
  const after = await admin.must(`query($f: ID!) { floor(id: $f) { queue { id } } }`, { f: audio.id });
  expect(after.floor.queue).toEqual([]);
});

test("lock, unlock, mute all and end show in the page as they happen; at 375 px with the keyboard only", async () => {
  const conf = await conference({ subject: "Controls room" });
  const admin = portal.focus.admin;
  for (const [entity, name] of [["api:carol", "Carol"], ["api:dave", "Dave"]]) {
    await admin.must(`mutation($c: ID!, $e: String!, $n: String!) { joinConference(conferenceId: $c, entity: $e, displayName: $n) { id } }`, { c: conf.id, e: entity, n: name });
  }
  const page = await openRoom(conf.id);
  const header = page.locator("section").filter({ has: page.getByRole("heading", { level: 1 }) });

  await button(page, "Lock the conference").click();
  await badge(header, "locked").waitFor();
  expect((await admin.must(`query($id: ID!) { conference(id: $id) { locked } }`, { id: conf.id })).conference.locked).toBe(true);
  await button(page, "Unlock the conference").click();
  await badge(header, "unlocked").waitFor();
  expect((await admin.must(`query($id: ID!) { conference(id: $id) { locked } }`, { id: conf.id })).conference.locked).toBe(false);
  // a change made elsewhere (the API) shows too
  await admin.must(`mutation($id: ID!) { lockConference(id: $id) { locked } }`, { id: conf.id });
  await badge(header, "locked").waitFor();

  await button(page, "Mute all").click();
  await badge(row(page, "Carol"), "muted").waitFor();
  await badge(row(page, "Dave"), "muted").waitFor();
  expect((await users(conf.id)).map((u) => u.muted)).toEqual([true, true]);

  // a phone: the roster is stacked cards, nothing scrolls sideways, and the keyboard reaches every control
  const phone = await openRoom(conf.id, { width: 375, height: 800 });
  expect(await phone.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375);
  let focused = "";
  for (let i = 0; i < 60 && focused !== "Unmute Carol"; i++) {
    await phone.keyboard.press("Tab");
    focused = await phone.evaluate<string>(`document.activeElement?.getAttribute("aria-label") ?? document.activeElement?.textContent ?? ""`);
  }
  expect(focused).toBe("Unmute Carol");
  await phone.keyboard.press("Enter");
  await until(() => users(conf.id), (u) => u.find((x) => x.displayName === "Carol")?.muted === false, "carol unmuted by the keyboard");
  await button(phone, "Mute Carol").waitFor();
  await portal.screenshot(phone, "live-room-phone");

  await button(page, "End conference").click();
  await button(page.getByRole("dialog"), "End conference").click();
  await badge(header, "ended").waitFor();
  expect(await button(page, "Mute all").count()).toBe(0);
  expect((await admin.must(`query($id: ID!) { conference(id: $id) { status } }`, { id: conf.id })).conference.status).toBe("ENDED");
}, 40_000);

test("a conference deleted elsewhere says so in the room, which stops listening", async () => {
  const conf = await conference({ subject: "Doomed room" });
  const page = await openRoom(conf.id);
  await portal.focus.admin.must(`mutation($id: ID!) { deleteConference(id: $id) }`, { id: conf.id });
  await page.getByRole("alert").filter({ hasText: "This conference has been deleted." }).waitFor();
  await page.locator('[data-connection="closed"]').waitFor();
  expect(await button(page, "Mute all").count()).toBe(0);
});

test("a conference's moderator (a conference token) runs its own room, and no other", async () => {
  const admin = portal.focus.admin;
  const conf = await conference({ subject: "Chaired room", users: [{ entity: "sip:chair@example.com", displayName: "Chair", role: "MODERATOR" }] });
  const other = await conference({ subject: "Someone else's room" });
  const chair = (await users(conf.id))[0]!;
  const { issueConferenceToken } = await admin.must(`mutation($u: ID!) { issueConferenceToken(userId: $u, name: "live room test") { secret } }`, { u: chair.id });
  const page = await newPage();
  await portal.signIn(page, issueConferenceToken.secret);
  await page.waitForURL(`**/conferences/${conf.id}`);
  await page.locator('[data-connection="live"]').waitFor();
  await button(page, "Lock the conference").click();
  await badge(page.locator("section").first(), "locked").waitFor();
  await page.goto(`/conferences/${other.id}`);
  await page.getByRole("heading", { name: "Not yours to moderate" }).waitFor();
});

test("the islands page says federation is off", async () => {
  const page = await newPage();
  await portal.signIn(page);
  await page.goto("/islands");
  await page.getByRole("heading", { name: "Federation is off" }).waitFor();
  expect(await page.getByText("island-a.test").count()).toBeGreaterThan(0);
  await portal.screenshot(page, "islands");
});

test("an admin creates an account in the portal, and it signs in with its user name and password", async () => {
  const page = await newPage();
  await portal.signIn(page);
  await page.goto("/accounts");
  await page.getByRole("heading", { name: "New account" }).waitFor();
  await page.getByLabel("User name").fill("mara.integrator");
  await page.getByLabel("Password", { exact: true }).fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("status").filter({ hasText: "Account mara.integrator created" }).waitFor();
  await page.locator("table tbody tr").filter({ hasText: "mara.integrator" }).filter({ hasText: "integrator" }).waitFor();
  // a taken name is refused in plain words
  await page.getByLabel("User name").fill("mara.integrator");
  await page.getByLabel("Password", { exact: true }).fill("another long password");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("alert").filter({ hasText: "taken" }).waitFor();
  await portal.screenshot(page, "accounts");

  const other = await newPage();
  await other.goto("/sign-in");
  const form = other.locator("form").filter({ has: other.getByRole("heading", { name: "With your account" }) });
  await form.getByLabel("User name").fill("mara.integrator");
  await form.getByLabel("Password").fill("correct horse battery");
  await button(form, "Sign in").click();
  await other.waitForURL((u) => !u.pathname.startsWith("/sign-in"));
  expect(await other.locator(".who").textContent()).toContain("integrator");
  // an integrator may not manage accounts
  await other.goto("/accounts");
  await other.getByText("Only admins manage accounts.").waitFor();

  // a new password ends the account's sessions; deleting it (after a confirmation) takes it off the list
  await page.getByText("Reset password").click();
  await page.getByLabel("New password for mara.integrator").fill("a brand new password");
  await button(page, "Set password for mara.integrator").click();
  await page.getByRole("status").filter({ hasText: "New password set for mara.integrator" }).waitFor();
  await other.goto("/accounts");
  await other.waitForURL("**/sign-in");
  await button(page, "Delete mara.integrator").click();
  await button(page.getByRole("dialog"), "Delete").click();
  await page.getByText("No accounts yet").waitFor();
  const { accounts } = await portal.focus.admin.must(`query { accounts { username } }`);
  expect(accounts).toEqual([]);
});

test("no page reported an error in the browser", () => {
  expect(browserErrors).toEqual([]);
});
