// Peer: sipp (Debian sip-tester) against the focus' SIP face over real UDP and TCP sockets.
import { join } from "node:path";
import { startTestFocus, type TestFocus } from "../../api/test/support/focus.ts";
import { expectSippOk as expectOk, fillScenario, scenarios, sipp as runSipp, type SippOptions } from "./support/sipp.ts";

let t: TestFocus;
let sipPort: number;
beforeAll(async () => {
  t = await startTestFocus();
  sipPort = t.focus.sip!.port;
});
afterAll(async () => {
  await t?.close();
});

const sipp = (scenario: string, opts: SippOptions = {}) => runSipp(sipPort, scenario, opts);

function refusedScenario(expect: number, codecs = "0", rtpmaps = "a=rtpmap:0 PCMU/8000"): string {
  return fillScenario("refused.xml", { EXPECT: expect, CODECS: codecs, RTPMAPS: rtpmaps });
}

async function conference(input: Record<string, unknown> = {}): Promise<{ id: string; dialInCode: string }> {
  const { createConference } = await t.admin.must(`mutation($input: ConferenceInput!) { createConference(input: $input) { id dialInCode } }`, { input: { subject: "SIP", ...input } });
  return createConference;
}

/** The conference's event types once `last` is among them: a BYE is answered before the roster is updated. */
async function eventTypesUntil(conferenceId: string, last: string): Promise<string[]> {
  for (let i = 0; i < 100; i++) {
    const types = await eventTypes(conferenceId);
    if (types.includes(last)) return types;
    await new Promise((r) => setTimeout(r, 50));
  }
  return eventTypes(conferenceId);
}

async function eventTypes(conferenceId: string): Promise<string[]> {
  const { events } = await t.admin.must(`query($id: ID!) { events(conferenceId: $id, limit: 1000) { type payload } }`, { id: conferenceId });
  return events.map((e: { type: string }) => e.type);
}

test("OPTIONS is answered 200 with Allow, over UDP and over TCP", async () => {
  expectOk(await sipp(join(scenarios, "options.xml")));
  expectOk(await sipp(join(scenarios, "options.xml"), { transport: "t1" }));
});

test("a malformed request gets 400 and the focus keeps answering", async () => {
  expectOk(await sipp(join(scenarios, "malformed.xml")));
  expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
});

test("a caller joins by dial-in code, holds by re-INVITE, and hangs up: the roster follows", async () => {
  const c = await conference();
  expectOk(await sipp(join(scenarios, "call.xml"), { service: c.dialInCode }));
  const types = await eventTypesUntil(c.id, "USER_LEFT");
  expect(types).toEqual(expect.arrayContaining(["USER_ADDED", "USER_JOINED", "USER_LEFT"]));
  expect(types.indexOf("USER_JOINED")).toBeLessThan(types.indexOf("USER_LEFT"));
  const { users } = await t.admin.must(`query($id: ID!) { users(conferenceId: $id) { entity joinState via } }`, { id: c.id });
  expect(users).toEqual([expect.objectContaining({ entity: expect.stringMatching(/^sip:sipp-1@127\.0\.0\.1$/), joinState: "DISCONNECTED", via: null })]);
  expect(t.focus.sip!.service.callCount).toBe(0);
});

test("the same call over TCP", async () => {
  const c = await conference();
  expectOk(await sipp(join(scenarios, "call.xml"), { service: c.dialInCode, transport: "t1" }));
  expect(await eventTypesUntil(c.id, "USER_LEFT")).toEqual(expect.arrayContaining(["USER_JOINED", "USER_LEFT"]));
});

test("refusals: 404 unknown number, 488 no common codec, 480 locked, 486 full", async () => {
  expectOk(await sipp(refusedScenario(404), { service: "999999999" }));
  const open = await conference();
  expectOk(await sipp(refusedScenario(488, "18", "a=rtpmap:18 G729/8000"), { service: open.dialInCode }));
  const locked = await conference();
  await t.admin.must(`mutation($id: ID!) { lockConference(id: $id) { locked } }`, { id: locked.id });
  expectOk(await sipp(refusedScenario(480), { service: locked.dialInCode }));
  const full = await conference({ maxUsers: 1 });
  await t.admin.must(`mutation($id: ID!) { joinConference(conferenceId: $id, entity: "api:someone") { id } }`, { id: full.id });
  expectOk(await sipp(refusedScenario(486), { service: full.dialInCode }));
  // nobody was added by the refused calls
  expect((await eventTypes(open.id)).filter((x) => x === "USER_JOINED")).toEqual([]);
});

test("a moderator's kick through GraphQL hangs the SIP call up with BYE", async () => {
  const c = await conference();
  const run = sipp(join(scenarios, "kicked.xml"), { service: c.dialInCode });
  let userId: string | undefined;
  for (let i = 0; i < 100 && !userId; i++) {
    const { users } = await t.admin.must(`query($id: ID!) { users(conferenceId: $id) { id displayName joinState via } }`, { id: c.id });
    userId = users.find((u: { joinState: string; via: string }) => u.joinState === "CONNECTED" && u.via === "sip")?.id;
    if (!userId) await new Promise((r) => setTimeout(r, 100));
  }
  expect(userId).toBeDefined();
  const { users } = await t.admin.must(`query($id: ID!) { users(conferenceId: $id) { displayName } }`, { id: c.id });
  expect(users[0].displayName).toBe("Kicked Caller");
  await t.admin.must(`mutation($id: ID!) { kickUser(id: $id) { joinState } }`, { id: userId });
  expectOk(await run);
  expect(await eventTypesUntil(c.id, "USER_KICKED")).toContain("USER_KICKED");
});

test("retransmissions carry OPTIONS through 20% packet loss (UDP)", async () => {
  expectOk(await sipp(join(scenarios, "options.xml"), { calls: 20, extra: ["-lost", "20", "-r", "10"] }));
});
