// Peers: Prosody (Debian prosody 0.12) federating two islands, and sipp callers on each island; audio checked on decoded RTP
//
// A conference homed on island A is linked into island B; B's focus then calls A's focus (the cascade
// leg, a SIP call between the two mixers). A sipp caller streaming 440 Hz on one island is heard, through
// the leg, by a caller on the other island, whose SDP points at this test's RTP socket; both directions.
// Ending the conference on A takes the leg down on both sides.
import { startTestFocus, type TestFocus } from "../../api/test/support/focus.ts";
import { expectSippOk, fillScenario, sipp, writeTone440 } from "../../media/test/support/sipp.ts";
import { rtpEar, type RtpEar } from "../../media/test/support/rtp.ts";
import { startIslands, type Island, type Islands } from "./support/prosody.ts";
import { until } from "./support/until.ts";

const SECRET = "island a and island b share this";

let islands: Islands;
let ia: Island;
let ib: Island;
let a: TestFocus;
let b: TestFocus;

function federationEnv(me: Island, peer: Island, peerSip?: number): Record<string, string> {
  return {
    ISLAND: me.domain, SIP_ENABLED: "true", SIP_PORT: "0", XMPP_SERVICE: me.componentService, XMPP_COMPONENT_JID: me.componentJid, XMPP_COMPONENT_SECRET: me.secret,
    FEDERATION_PEERS: JSON.stringify([{ island: peer.domain, component: peer.componentJid, secret: SECRET, ...(peerSip ? { sip: `127.0.0.1:${peerSip}` } : {}) }]),
  };
}

/** B's environment: its peer entry for A names A's SIP address. */
const envB = () => federationEnv(ib, ia, a.focus.sip!.port);


beforeAll(async () => {
  islands = await startIslands(["island-a.test", "island-b.test"]);
  [ia, ib] = islands.islands as [Island, Island];
  // A (the home) first: B calls A, so B's peer entry for A carries A's SIP port.
  a = await startTestFocus({ env: federationEnv(ia, ib) });
  b = await startTestFocus({ env: envB() });
  await until("both components online", () => a.focus.federation!.link.isOnline && b.focus.federation!.link.isOnline);
  writeTone440();
}, 60_000);

afterAll(async () => {
  await b?.close();
  await a?.close();
  await islands?.stop();
});

async function connected(t: TestFocus, conferenceId: string, displayName: string): Promise<void> {
  await until(`${displayName} connected`, async () => {
    const { users } = await t.admin.must(`query($id: ID!) { users(conferenceId: $id) { displayName joinState } }`, { id: conferenceId });
    return users.some((u: { displayName: string; joinState: string }) => u.displayName === displayName && u.joinState === "CONNECTED");
  });
}

/** A talker on `from` streams 440 Hz; a listener on `to` must hear it through the cascade leg. */
async function heardAcross(conferenceId: string, from: { t: TestFocus; code: string }, to: { t: TestFocus; code: string }): Promise<number> {
  const ear: RtpEar = await rtpEar([440, 660, 880, 1000]);
  try {
    const listener = sipp(to.t.focus.sip!.port, fillScenario("listen.xml", { LISTEN_PORT: ear.port, TALK_MS: 5000 }), { service: to.code });
    await connected(to.t, conferenceId, "Listener");
    const talker = sipp(from.t.focus.sip!.port, fillScenario("talk.xml", { TALK_MS: 3500, LOOPS: -1 }), { service: from.code });
    const tone = () => ear.heard.frames.filter((f) => f === 440).length;
    for (let i = 0; i < 40 && tone() < 25; i++) await new Promise((r) => setTimeout(r, 100));
    const frames = tone();
    expect(ear.heard.frames.filter((f) => f !== null && f !== 440)).toEqual([]); // the tone, nothing else
    expectSippOk(await talker);
    expectSippOk(await listener);
    return frames;
  } finally {
    ear.close();
  }
}

test("callers on island A hear callers on island B and the reverse through one focus-to-focus leg; ending the conference takes it down on both sides", async () => {
  const { createConference: c } = await a.admin.must(`mutation { createConference(input: { subject: "Cascade" }) { id dialInCode } }`);
  await a.admin.must(`mutation($id: ID!, $i: String!) { linkConference(id: $id, island: $i) { islands } }`, { id: c.id, i: ib.domain });
  await until("the replica on B", async () => (await b.focus.domain.federation.islandsOf(c.id)).includes(ib.domain));
  const { conference: replica } = await b.admin.must(`query($id: ID!) { conference(id: $id) { dialInCode homeIsland } }`, { id: c.id });
  expect(replica.homeIsland).toBe(ia.domain);
  expect(replica.dialInCode).not.toBe(c.dialInCode); // B's own code; the leg dials A's

  // B's focus calls A's: on A it is a user (entity sip:focus@island-b.test), on B a leg without a user.
  await until("the cascade leg up on B", () => b.focus.sip!.cascade!.phase(c.id) === "up");
  await connected(a, c.id, ib.domain);
  const { users: onA } = await a.admin.must(`query($id: ID!) { users(conferenceId: $id) { entity island via } }`, { id: c.id });
  expect(onA).toEqual([{ entity: "sip:focus@island-b.test", island: ia.domain, via: "sip" }]);
  expect(a.focus.sip!.service.callCount).toBe(1);
  expect(b.focus.sip!.service.callCount).toBe(1);

  const aToB = await heardAcross(c.id, { t: a, code: c.dialInCode }, { t: b, code: replica.dialInCode });
  expect(aToB).toBeGreaterThanOrEqual(25);
  const bToA = await heardAcross(c.id, { t: b, code: replica.dialInCode }, { t: a, code: c.dialInCode });
  expect(bToA).toBeGreaterThanOrEqual(25);

  // the sipp callers are gone; only the leg is left, once on each side
  await until("only the leg left", () => a.focus.sip!.service.callCount === 1 && b.focus.sip!.service.callCount === 1);
  await a.admin.must(`mutation($id: ID!) { endConference(id: $id) { status } }`, { id: c.id });
  await until("the leg gone on B", () => b.focus.sip!.cascade!.phase(c.id) === "none" && b.focus.sip!.service.callCount === 0);
  await until("the leg gone on A", () => a.focus.sip!.service.callCount === 0);
  await new Promise((r) => setTimeout(r, 1500)); // no retry brings it back
  expect(b.focus.sip!.cascade!.phase(c.id)).toBe("none");
  expect(a.focus.sip!.service.callCount).toBe(0);
  expect(b.focus.sip!.service.callCount).toBe(0);
  expect(b.focus.sip!.service.mixer.legCount).toBe(0);
}, 60_000);

async function linked(subject: string, opts: { locked?: boolean } = {}): Promise<string> {
  const { createConference: c } = await a.admin.must(`mutation($s: String!) { createConference(input: { subject: $s }) { id } }`, { s: subject });
  if (opts.locked) await a.admin.must(`mutation($id: ID!) { lockConference(id: $id) { locked } }`, { id: c.id });
  await a.admin.must(`mutation($id: ID!, $i: String!) { linkConference(id: $id, island: $i) { islands } }`, { id: c.id, i: ib.domain });
  await until("the replica on B", async () => (await b.focus.domain.federation.islandsOf(c.id)).includes(ib.domain));
  return c.id;
}

test("while the home refuses the leg (conference locked: 480) B keeps retrying with backoff; once unlocked the leg comes up", async () => {
  const id = await linked("Locked at first", { locked: true });
  const phases = new Set<string>();
  const watch = setInterval(() => phases.add(b.focus.sip!.cascade!.phase(id)), 10);
  try {
    // the first attempt and a retry 1 s later, both refused
    await until("two refused attempts", () => b.focus.sip!.cascade!.failures(id) >= 2, 5_000);
    expect(phases.has("up")).toBe(false);
    expect(a.focus.sip!.service.callCount).toBe(0);
    await a.admin.must(`mutation($id: ID!) { unlockConference(id: $id) { locked } }`, { id });
    await until("the leg up after the unlock", () => b.focus.sip!.cascade!.phase(id) === "up", 10_000);
    await connected(a, id, ib.domain);
  } finally {
    clearInterval(watch);
  }
  await a.admin.must(`mutation($id: ID!) { endConference(id: $id) { status } }`, { id });
  await until("no calls left", () => a.focus.sip!.service.callCount === 0 && b.focus.sip!.service.callCount === 0);
}, 30_000);

test("B's focus restarts: its leg is hung up on the way down and placed again at start, dialling A's code found in the event log", async () => {
  const id = await linked("Restart");
  await until("the leg up", () => b.focus.sip!.cascade!.phase(id) === "up");
  await connected(a, id, ib.domain);
  const databaseUrl = b.databaseUrl;
  await b.close();
  await until("the leg gone on A (B's BYE)", () => a.focus.sip!.service.callCount === 0);
  b = await startTestFocus({ databaseUrl, env: envB() });
  await until("the leg up again", () => b.focus.sip!.cascade?.phase(id) === "up");
  await connected(a, id, ib.domain);
  expect(a.focus.sip!.service.callCount).toBe(1);
  await a.admin.must(`mutation($id: ID!) { endConference(id: $id) { status } }`, { id });
  await until("no calls left", () => a.focus.sip!.service.callCount === 0 && b.focus.sip!.service.callCount === 0);
}, 40_000);

test("the leg proves itself with the islands' secret: it joins a PIN conference without a PIN and is always heard in a floor-controlled one, where B's talker speaks with a floor granted on A", async () => {
  const { createConference: c } = await a.admin.must(`mutation { createConference(input: { subject: "PIN and floor", joinHandling: PIN, pin: "4321", floorControlled: true }) { id dialInCode floors { id } } }`);
  await a.admin.must(`mutation($id: ID!, $i: String!) { linkConference(id: $id, island: $i) { islands } }`, { id: c.id, i: ib.domain });
  await until("the replica on B", async () => (await b.focus.domain.federation.islandsOf(c.id)).includes(ib.domain));
  await until("the cascade leg up on B", () => b.focus.sip!.cascade!.phase(c.id) === "up");
  await connected(a, c.id, ib.domain); // no PIN asked of the peer focus
  const { conference: replica } = await b.admin.must(`query($id: ID!) { conference(id: $id) { dialInCode floorControlled } }`, { id: c.id });
  expect(replica.floorControlled).toBe(true);

  const ear: RtpEar = await rtpEar([440, 660, 880, 1000]);
  try {
    // PINs are checked on the home island only (they never travel): B refuses joins to its replica
    expect(await b.admin.errorCode(`mutation($id: ID!) { joinConference(conferenceId: $id, entity: "sip:someone@island-b.test", pin: "4321") { id } }`, { id: c.id })).toBe("FORBIDDEN");
    // the PIN has done its part (the leg joined without one): open the conference for the sipp callers
    await a.admin.must(`mutation($id: ID!) { updateConference(id: $id, patch: { joinHandling: ALLOW }) { id } }`, { id: c.id });
    await until("the replica open too", async () => (await b.focus.domain.conferences.get(c.id)).joinHandling === "ALLOW");
    const listener = sipp(a.focus.sip!.port, fillScenario("listen.xml", { LISTEN_PORT: ear.port, TALK_MS: 6000 }), { service: c.dialInCode });
    await connected(a, c.id, "Listener");
    const talker = sipp(b.focus.sip!.port, fillScenario("talk.xml", { TALK_MS: 5000, LOOPS: -1 }), { service: replica.dialInCode });
    await connected(b, c.id, "Talker");
    const tone = () => ear.heard.frames.filter((f) => f === 440).length;
    await new Promise((r) => setTimeout(r, 800));
    expect(tone()).toBe(0); // B's talker holds no floor: B's mixer does not mix it
    const { users } = await a.admin.must(`query($id: ID!) { users(conferenceId: $id) { id displayName island } }`, { id: c.id });
    const talkerId = users.find((u: { displayName: string }) => u.displayName === "Talker").id;
    const { requestFloor } = await a.admin.must(`mutation($f: ID!, $u: ID) { requestFloor(floorId: $f, userId: $u) { id } }`, { f: c.floors[0].id, u: talkerId });
    await a.admin.must(`mutation($r: ID!) { grantFloor(requestId: $r) { status } }`, { r: requestFloor.id });
    for (let i = 0; i < 40 && tone() < 25; i++) await new Promise((r) => setTimeout(r, 100));
    expect(tone()).toBeGreaterThanOrEqual(25); // granted on A, replicated to B, mixed on B, carried by the leg to A
    expectSippOk(await talker);
    expectSippOk(await listener);
  } finally {
    ear.close();
  }
  await a.admin.must(`mutation($id: ID!) { endConference(id: $id) { status } }`, { id: c.id });
  await until("no calls left", () => a.focus.sip!.service.callCount === 0 && b.focus.sip!.service.callCount === 0);
}, 60_000);
