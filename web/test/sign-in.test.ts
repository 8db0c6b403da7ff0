// Peer: Chromium (Debian) driving the built portal through playwright-core
// Signing in and out with tokens: who may use the portal, the http-only session cookie, and plain errors.
import type { Page } from "playwright-core";
import { ADMIN_TOKEN } from "../../api/test/support/focus.ts";
import { startTestPortal, type TestPortal } from "./support/portal.ts";

let portal: TestPortal;

beforeAll(async () => {
  portal = await startTestPortal();
}, 60_000);

afterAll(async () => {
  await portal?.close();
});

async function conferenceToken(role: string): Promise<string> {
  const admin = portal.focus.admin;
  const { createConference } = await admin.must(
    `mutation($input: ConferenceInput!) { createConference(input: $input) { id users { id role } } }`,
    { input: { subject: `Sign-in ${role}`, users: [{ entity: `sip:${role.toLowerCase()}@example.com`, role }] } },
  );
  const user = createConference.users[0];
  const { issueConferenceToken } = await admin.must(`mutation($u: ID!) { issueConferenceToken(userId: $u, name: "portal test") { secret } }`, { u: user.id });
  return issueConferenceToken.secret;
}

async function tokenForm(page: Page, token: string): Promise<void> {
  await page.goto("/sign-in");
  await page.getByLabel("Token", { exact: true }).fill(token);
  await page.getByRole("button", { name: "Sign in with token" }).click();
}

test("a signed-out visitor is sent to the sign-in page", async () => {
  const page = await portal.newPage();
  await page.goto("/schedule");
  await page.waitForURL("**/sign-in");
  expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Sign in");
  await portal.screenshot(page, "sign-in");
});

test("an admin token signs in; the session cookie is http-only and same-site; sign-out ends it", async () => {
  const page = await portal.newPage();
  await tokenForm(page, ADMIN_TOKEN);
  await page.waitForURL("**/schedule**");
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === "dcon_session");
  expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict", value: ADMIN_TOKEN });
  // scripts in the page cannot read it
  expect(await page.evaluate<string>("document.cookie")).not.toContain("dcon_session");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL("**/sign-in");
  expect((await page.context().cookies()).some((c) => c.name === "dcon_session")).toBe(false);
  await page.goto("/schedule");
  await page.waitForURL("**/sign-in");
});

test("an unknown token is refused in plain words and sets no cookie", async () => {
  const page = await portal.newPage();
  await tokenForm(page, "dcon_not-a-real-token-0000000000000000000000");
  // (Next's route announcer is an empty alert region too)
  await page.getByRole("alert").filter({ hasText: "That token is not valid" }).waitFor();
  expect((await page.context().cookies()).some((c) => c.name === "dcon_session")).toBe(false);
});

test("a participant's conference token is turned away; a moderator's lands in its conference", async () => {
  const page = await portal.newPage();
  await tokenForm(page, await conferenceToken("PARTICIPANT"));
  await page.getByRole("alert").filter({ hasText: "The portal is for moderators" }).waitFor();
  expect((await page.context().cookies()).some((c) => c.name === "dcon_session")).toBe(false);

  await tokenForm(page, await conferenceToken("MODERATOR"));
  await page.waitForURL(/\/conferences\/[0-9a-f-]+$/);
  // a conference moderator has no global schedule in the menu
  expect(await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Schedule" }).count()).toBe(0);
});

test("the portal fetches nothing from anywhere but itself (no fonts, no telemetry)", async () => {
  const page = await portal.newPage();
  const elsewhere: string[] = [];
  page.on("request", (r) => {
    if (!r.url().startsWith(portal.url) && !r.url().startsWith("data:")) elsewhere.push(r.url());
  });
  await portal.signIn(page);
  for (const path of ["/schedule", "/schedule?view=week", "/conferences/new", "/islands"]) {
    await page.goto(path);
    await page.waitForLoadState("networkidle");
  }
  expect(elsewhere).toEqual([]);
});
