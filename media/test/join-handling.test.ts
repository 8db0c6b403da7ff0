// Peer: sipp (Debian sip-tester) as callers whose SDP names this test's RTP socket: the test hears what
// the focus plays them (PIN prompt, wrong-PIN tone, lobby hold tone, the mix) and keys DTMF (RFC 4733).
// Covers PIN entry by DTMF (early media and in-call), the lobby, offerless INVITEs and talk-state events.
import { startTestFocus, type TestFocus } from "../../api/test/support/focus.ts";
import { expectSippOk, fillScenario, sipp, writeTone440, type SippRun } from "./support/sipp.ts";
import { pressKeys, rtpEar, sendSilence, until, type RtpEar } from "./support/rtp.ts";

/** The PIN prompt's beeps, the wrong-PIN pair, the lobby tone and the talker's tone. */
const TONES = [425, 440, 480, 600, 620, 800, 1000];

let t: TestFocus;
let sipPort: number;
beforeAll(async () => {
  t = await startTestFocus();
  sipPort = t.focus.sip!.port;
  writeTone440();
});
afterAll(async () => {
  await t?.close();
});

const ears: RtpEar[] = [];
afterEach(() => {
  for (const e of ears.splice(0)) e.close();
});
async function ear(): Promise<RtpEar> {
  const e = await rtpEar(TONES);
  ears.push(e);
  return e;
}

async function conference(input: Record<string, unknown>): Promise<{ id: string; dialInCode: string }> {
  const { createConference } = await t.admin.must(`mutation($input: ConferenceInput!) { createConference(input: $input) { id dialInCode } }`, { input: { subject: "Join handling", ...input } });
  return createConference;
}

interface RosterUser { id: string; entity: string; role: string; joinState: string; via: string | null; talking: boolean }
async function users(conferenceId: string): Promise<RosterUser[]> {
  const { users } = await t.admin.must(`query($id: ID!) { users(conferenceId: $id) { id entity role joinState via talking } }`, { id: conferenceId });
  return users;
}
async function eventTypes(conferenceId: string): Promise<string[]> {
  const { events } = await t.admin.must(`query($id: ID!) { events(conferenceId: $id, limit: 1000) { type } }`, { id: conferenceId });
  return events.map((e: { type: string }) => e.type);
}

/** Frames heard from index `from` on. */
const since = (e: RtpEar, from: number) => e.heard.frames.slice(from);
const count = (frames: (number | null)[], hz: number) => frames.filter((f) => f === hz).length;

const EARLY = `<recv response="183"><action><ereg regexp="m=audio [1-9][0-9]* RTP/AVP 0" search_in="body" check_it="true" assign_to="sdp"/></action></recv><Reference variables="sdp"/>`;

describe("PIN join handling", () => {
  test("early media: the caller hears the prompt, a wrong PIN gets the wrong-PIN tone, the right PIN answers and joins", async () => {
    const c = await conference({ joinHandling: "PIN", pin: "4321" });
    const e = await ear();
    const call = sipp(sipPort, fillScenario("pin-answered.xml", { LISTEN_PORT: e.port, PROGRESS: EARLY, HOLD_MS: 1000 }), { service: c.dialInCode });
    await until(() => e.heard.focus !== null, "the prompt's RTP");
    sendSilence(e.socket, e.heard.focus!); // this caller sends early media: the focus keeps the INVITE pending
    await until(() => count(e.heard.frames, 1000) >= 3, "the prompt's third beep");
    expect(count(e.heard.frames, 600)).toBeGreaterThanOrEqual(3);
    expect(count(e.heard.frames, 800)).toBeGreaterThanOrEqual(3);
    expect(await users(c.id)).toEqual([]); // nobody joins before the PIN

    const beforeWrong = e.heard.frames.length;
    await pressKeys(e.socket, e.heard.focus!, "1111#");
    await until(() => count(since(e, beforeWrong), 480) + count(since(e, beforeWrong), 620) >= 5, "the wrong-PIN tone");
    expect(await users(c.id)).toEqual([]);

    await pressKeys(e.socket, e.heard.focus!, "4321#");
    expectSippOk(await call);
    // the BYE is answered before the roster is written
    await until(async () => (await users(c.id)).every((x) => x.joinState === "DISCONNECTED"), "the caller gone");
    const [u] = await users(c.id);
    expect(u).toMatchObject({ entity: "sip:pin-caller@127.0.0.1", role: "PARTICIPANT", joinState: "DISCONNECTED" });
    const types = await eventTypes(c.id);
    expect(types).toEqual(expect.arrayContaining(["USER_ADDED", "USER_JOINED", "USER_LEFT"]));
    expect(t.focus.sip!.service.callCount).toBe(0);
  }, 30_000);

  test("a per-user PIN joins the caller as that user, with its role", async () => {
    const c = await conference({ joinHandling: "PIN", pin: "4321", users: [{ entity: "sip:alice@example.com", role: "MODERATOR", pin: "2468" }] });
    const e = await ear();
    const call = sipp(sipPort, fillScenario("pin-answered.xml", { LISTEN_PORT: e.port, PROGRESS: EARLY, HOLD_MS: 2500 }), { service: c.dialInCode });
    await until(() => e.heard.focus !== null, "the prompt's RTP");
    sendSilence(e.socket, e.heard.focus!);
    await pressKeys(e.socket, e.heard.focus!, "2468#");
    await until(async () => (await users(c.id)).some((u) => u.joinState === "CONNECTED"), "alice connected");
    const roster = await users(c.id);
    expect(roster).toEqual([expect.objectContaining({ entity: "sip:alice@example.com", role: "MODERATOR", joinState: "CONNECTED", via: "sip" })]);
    expect(t.focus.sip!.service.hearing(roster[0]!.id)).toBe("mix");
    expectSippOk(await call);
  }, 30_000);

  test("three wrong PINs during early media end the INVITE with 403, and nobody joins", async () => {
    const c = await conference({ joinHandling: "PIN", pin: "4321" });
    const e = await ear();
    const call = sipp(sipPort, fillScenario("pin-refused.xml", { LISTEN_PORT: e.port }), { service: c.dialInCode });
    await until(() => e.heard.focus !== null, "the prompt's RTP");
    sendSilence(e.socket, e.heard.focus!);
    for (const wrong of ["1#", "12#", "123#"]) await pressKeys(e.socket, e.heard.focus!, wrong);
    expectSippOk(await call);
    expect(await users(c.id)).toEqual([]);
    expect(await eventTypes(c.id)).not.toContain("USER_JOINED");
    await until(() => t.focus.sip!.service.callCount === 0, "the call forgotten");
  }, 30_000);

  test("a caller without early media is answered after the wait and keys the PIN in the call; three wrong PINs get BYE with Reason 403", async () => {
    const c = await conference({ joinHandling: "PIN", pin: "4321" });
    const ok = await ear();
    const answered = sipp(sipPort, fillScenario("pin-answered.xml", { LISTEN_PORT: ok.port, PROGRESS: `<recv response="183" optional="true"/>`, HOLD_MS: 6000 }), { service: c.dialInCode });
    const bad = await ear();
    const hungUp = sipp(sipPort, fillScenario("pin-hungup.xml", { LISTEN_PORT: bad.port }), { service: c.dialInCode });
    await until(() => ok.heard.focus !== null && bad.heard.focus !== null, "both prompts");
    await new Promise((r) => setTimeout(r, 2500)); // past the focus' wait for early media: both calls are answered now
    await pressKeys(ok.socket, ok.heard.focus!, "4321#");
    for (const wrong of ["9#", "98#", "987#"]) await pressKeys(bad.socket, bad.heard.focus!, wrong);
    await until(async () => (await users(c.id)).some((x) => x.joinState === "CONNECTED"), "the right PIN's caller joined");
    const runs: SippRun[] = await Promise.all([answered, hungUp]);
    runs.forEach(expectSippOk);
    await until(async () => (await users(c.id)).every((x) => x.joinState === "DISCONNECTED"), "the caller gone");
    const roster = await users(c.id);
    expect(roster).toEqual([expect.objectContaining({ entity: "sip:pin-caller@127.0.0.1", joinState: "DISCONNECTED" })]);
    expect((await eventTypes(c.id)).filter((x) => x === "USER_JOINED")).toHaveLength(1);
  }, 30_000);
});

test("lobby: the caller hears the hold tone and is not mixed until admitted, then hears the mix", async () => {
  const c = await conference({ joinHandling: "LOBBY" });
  const e = await ear();
  const call = sipp(sipPort, fillScenario("listen.xml", { LISTEN_PORT: e.port, TALK_MS: 6000 }), { service: c.dialInCode });
  await until(async () => (await users(c.id)).some((u) => u.joinState === "LOBBY"), "the caller in the lobby");
  const [u] = await users(c.id);
  expect(t.focus.sip!.service.hearing(u!.id)).toBe("lobby-hold");
  await until(() => count(e.heard.frames, 425) >= 20, "the hold tone");

  await t.admin.must(`mutation($id: ID!) { admitUser(id: $id) { joinState } }`, { id: u!.id });
  expect(t.focus.sip!.service.hearing(u!.id)).toBe("mix");
  const afterAdmit = e.heard.frames.length + 3;
  await new Promise((r) => setTimeout(r, 1000));
  const later = since(e, afterAdmit);
  expect(later.length).toBeGreaterThanOrEqual(30); // still sent to: its (silent) mix
  expect(later.filter((f) => f !== null)).toEqual([]);
  expectSippOk(await call);
}, 30_000);

describe("an INVITE without an offer", () => {
  test("gets our offer in the 200 and joins the mix with the answer in the ACK", async () => {
    const c = await conference({});
    const e = await ear();
    const answer = [
      "Content-Type: application/sdp", "Content-Length: [len]", "",
      "v=0", "o=sipp 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0",
      `m=audio ${e.port} RTP/AVP 0 101`, "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15",
    ].join("\n      ");
    const bye = `<pause milliseconds="1500"/><send retrans="500"><![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: "Late Offer" <sip:late@[local_ip]:[local_port]>;tag=[pid]O[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0
  ]]></send><recv response="200" crlf="true"/>`;
    const call = sipp(sipPort, fillScenario("offerless.xml", { ACK_BODY: answer, AFTER_ACK: bye }), { service: c.dialInCode });
    await until(async () => (await users(c.id)).some((u) => u.joinState === "CONNECTED"), "the caller connected");
    await until(() => e.heard.packets >= 20, "the mix sent to the ACK's address");
    const [u] = await users(c.id);
    expect(t.focus.sip!.service.hearing(u!.id)).toBe("mix");
    expectSippOk(await call);
  }, 30_000);

  test("with no answer in the ACK, the focus hangs up with BYE and Reason 488", async () => {
    const c = await conference({});
    const byeWith488 = `<recv request="BYE" timeout="10000"><action><ereg regexp="cause=488" search_in="hdr" header="Reason:" check_it="true" assign_to="r"/></action></recv>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
  ]]></send><Reference variables="r"/>`;
    expectSippOk(await sipp(sipPort, fillScenario("offerless.xml", { ACK_BODY: "Content-Length: 0", AFTER_ACK: byeWith488 }), { service: c.dialInCode }));
    await until(async () => (await users(c.id)).every((u) => u.joinState === "DISCONNECTED"), "the caller gone");
    await until(() => t.focus.sip!.service.callCount === 0, "the call forgotten");
  }, 30_000);
});

test("talk state: a caller's tone makes USER_TALKING and its end USER_STOPPED_TALKING, in the GraphQL roster and log", async () => {
  const c = await conference({});
  const call = sipp(sipPort, fillScenario("talk.xml", { TALK_MS: 5000, LOOPS: 1 }), { service: c.dialInCode });
  await until(async () => (await users(c.id)).some((u) => u.talking), "the talker talking", 10_000);
  await until(async () => (await eventTypes(c.id)).includes("USER_STOPPED_TALKING"), "the talkspurt's end", 10_000);
  expect((await users(c.id))[0]).toMatchObject({ joinState: "CONNECTED", talking: false });
  expectSippOk(await call);
  await until(async () => (await eventTypes(c.id)).includes("USER_LEFT"), "the caller gone");
  const types = await eventTypes(c.id);
  expect(types.indexOf("USER_JOINED")).toBeLessThan(types.indexOf("USER_TALKING"));
  expect(types.indexOf("USER_TALKING")).toBeLessThan(types.indexOf("USER_STOPPED_TALKING"));
  expect(types.indexOf("USER_STOPPED_TALKING")).toBeLessThan(types.indexOf("USER_LEFT"));
}, 30_000);
