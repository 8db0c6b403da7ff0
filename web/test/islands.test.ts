// Peers: Chromium (Debian) driving the built portal through playwright-core, and Prosody (Debian) islands
// The islands page and the live room's "Link to island" with federation on: the portal's focus is island A,
// federated over real Prosody s2s with island B (a second focus in this process) and island C (Prosody
// only: its focus never runs, so asking it fails). Checked at the page and at both foci's APIs.
import type { Page } from "playwright-core";
import { startTestFocus, type TestFocus } from "../../api/test/support/focus.ts";
import { startIslands, type Island, type Islands } from "../../federation/test/support/prosody.ts";
import { until } from "../../federation/test/support/until.ts";
import { startTestPortal, type TestPortal } from "./support/portal.ts";

const SECRET = { ab: "island a and island b share this", ac: "island a and island c share that" };

let islands: Islands;
let portal: TestPortal;
let b: TestFocus;

function federationEnv(me: Island, peers: { island: Island; secret: string }[]): Record<string, string> {
  return {
    ISLAND: me.domain, SIP_ENABLED: "false", XMPP_SERVICE: me.componentService, XMPP_COMPONENT_JID: me.componentJid, XMPP_COMPONENT_SECRET: me.secret,
    FEDERATION_PEERS: JSON.stringify(peers.map((p) => ({ island: p.island.domain, component: p.island.componentJid, secret: p.secret }))),
  };
}

beforeAll(async () => {
  islands = await startIslands(["island-a.test", "island-b.test", "island-c.test"]);
  const [ia, ib, ic] = islands.islands as [Island, Island, Island];
  // each one assigned as soon as it runs, so that afterAll stops it even if the other failed to start
  const started = await Promise.allSettled([
    startTestPortal({ focusEnv: federationEnv(ia, [{ island: ib, secret: SECRET.ab }, { island: ic, secret: SECRET.ac }]) }).then((p) => (portal = p)),
    startTestFocus({ env: federationEnv(ib, [{ island: ia, secret: SECRET.ab }]) }).then((f) => (b = f)),
  ]);
  for (const r of started) if (r.status === "rejected") throw r.reason;
  await until("both components online", () => portal.focus.focus.federation!.link.isOnline && b.focus.federation!.link.isOnline);
}, 90_000);

afterAll(async () => {
  await Promise.all([portal?.close(), b?.close()]);
  await islands?.stop();
});

/** an admin's page that has told the portal its time zone already (no self-refresh to race a goto) */
async function adminPage(): Promise<Page> {
  const page = await portal.newPage();
  await portal.signIn(page);
  return page;
}

async function createOn(focus: TestFocus, subject: string): Promise<string> {
  const { createConference } = await focus.admin.must(`mutation($s: String!) { createConference(input: { subject: $s }) { id } }`, { s: subject });
  return createConference.id;
}

async function islandsOf(focus: TestFocus, id: string): Promise<string[]> {
  return (await focus.admin.must(`query($id: ID!) { conference(id: $id) { islands } }`, { id })).conference.islands;
}

test("the peers' link state, and discovery of what each offers (a silent island in plain words)", async () => {
  await createOn(b, "Offered by B");
  const page = await adminPage();
  await page.goto("/islands");
  await page.getByText("connected to its XMPP server").waitFor();
  const rowB = page.locator("tbody tr").filter({ hasText: "island-b.test" });
  const rowC = page.locator("tbody tr").filter({ hasText: "island-c.test" });
  expect(await rowB.textContent()).toContain("focus.island-b.test");
  expect(await rowB.locator('td[data-label="Link"]').textContent()).toMatch(/online|catching up/);

  await rowB.getByRole("button", { name: "Show its conferences (island-b.test)" }).click();
  await rowB.getByText("Offered by B").waitFor();
  await rowC.getByRole("button", { name: "Show its conferences (island-c.test)" }).click();
  await rowC.locator(".error").filter({ hasText: "island-c.test did not answer" }).waitFor({ timeout: 20_000 });
  await portal.screenshot(page, "islands-federated");
}, 40_000);

test("linking a home conference to a peer from the islands page", async () => {
  const id = await createOn(portal.focus, "Spanning from the islands page");
  const page = await adminPage();
  await page.goto("/islands");
  // (a select's accessible name also holds its chosen option's words)
  await page.getByRole("combobox", { name: /^Conference/ }).selectOption({ label: "Spanning from the islands page" });
  await page.getByRole("combobox", { name: /^Peer island/ }).selectOption("island-b.test");
  await page.getByRole("button", { name: "Link", exact: true }).click();
  await page.getByRole("status").filter({ hasText: "now spans island-a.test, island-b.test" }).waitFor({ timeout: 20_000 });
  expect(await islandsOf(portal.focus, id)).toEqual(["island-a.test", "island-b.test"]);
  await until("B's replica", async () => (await b.focus.domain.federation.islandsOf(id)).includes("island-b.test"));
}, 40_000);

test("the live room's header links its conference, and the new island shows live", async () => {
  const id = await createOn(portal.focus, "Spanning from the room");
  const page = await adminPage();
  await page.goto(`/conferences/${id}`);
  await page.locator('[data-connection="live"]').waitFor();
  const link = page.getByRole("form", { name: "Link this conference to another island" });
  await link.getByLabel("Link to island").selectOption("island-b.test");
  await link.getByRole("button", { name: "Link", exact: true }).click();
  await page.locator(".facts").getByText("island-b.test").waitFor({ timeout: 20_000 });
  expect(await islandsOf(portal.focus, id)).toEqual(["island-a.test", "island-b.test"]);
  // linked to every peer that answers: C is still offered, B no longer is
  expect(await link.getByLabel("Link to island").locator("option").allTextContents()).toEqual(["Choose an island", "island-c.test"]);
}, 40_000);
