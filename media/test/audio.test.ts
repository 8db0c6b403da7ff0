// Peer: sipp (Debian sip-tester) as two callers: one streams a 440 Hz tone over RTP (rtp_stream), the
// other's SDP points at this test's UDP socket, which decodes what the focus' mixer sends it.
import { startTestFocus, type TestFocus } from "../../api/test/support/focus.ts";
import { expectSippOk, fillScenario, sipp, writeTone440 } from "./support/sipp.ts";
import { pressKeys, rtpEar } from "./support/rtp.ts";

let t: TestFocus;
beforeAll(async () => {
  t = await startTestFocus();
  writeTone440();
});
afterAll(async () => {
  await t?.close();
});

async function sipUser(conferenceId: string, displayName: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const { users } = await t.admin.must(`query($id: ID!) { users(conferenceId: $id) { id displayName joinState } }`, { id: conferenceId });
    const u = users.find((x: { displayName: string; joinState: string }) => x.displayName === displayName && x.joinState === "CONNECTED");
    if (u) return u.id;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${displayName} never joined`);
}

test("a second caller hears the first caller's tone in its mix, not after a moderator mutes the first, and mutes itself with *6", async () => {
  const { createConference: c } = await t.admin.must(`mutation { createConference(input: { subject: "Audio" }) { id dialInCode } }`);
  const ear = await rtpEar([440, 660, 880, 1000]);
  const { socket, heard } = ear;
  try {
    const sipPort = t.focus.sip!.port;
    const listener = sipp(sipPort, fillScenario("listen.xml", { LISTEN_PORT: ear.port, TALK_MS: 5000 }), { service: c.dialInCode });
    await sipUser(c.id, "Listener");
    const talker = sipp(sipPort, fillScenario("talk.xml", { TALK_MS: 4000, LOOPS: -1 }), { service: c.dialInCode });
    const talkerId = await sipUser(c.id, "Talker");

    // wait for ~1 s of tone to reach the listener through the mixer
    for (let i = 0; i < 50 && heard.frames.filter((f) => f === 440).length < 50; i++) await new Promise((r) => setTimeout(r, 100));
    const toneFrames = heard.frames.filter((f) => f === 440).length;
    expect(toneFrames).toBeGreaterThanOrEqual(50);
    expect(heard.frames.filter((f) => f !== null && f !== 440)).toEqual([]); // nothing but the tone

    await t.admin.must(`mutation($id: ID!) { muteUser(id: $id) { muted } }`, { id: talkerId });
    const afterMute = heard.frames.length + 3; // a few frames already queued in the network or the jitter buffer
    await new Promise((r) => setTimeout(r, 1000));
    const later = heard.frames.slice(afterMute);
    expect(later.length).toBeGreaterThanOrEqual(30); // the listener still gets its (silent) mix
    expect(later.filter((f) => f === 440)).toEqual([]);

    // the listener presses *6 (self-mute by DTMF) on its RTP stream
    const { users: before } = await t.admin.must(`query($id: ID!) { users(conferenceId: $id) { displayName muted } }`, { id: c.id });
    expect(before.find((u: { displayName: string }) => u.displayName === "Listener").muted).toBe(false);
    await pressKeys(socket, heard.focus!, "*6");
    let listenerMuted = false;
    for (let i = 0; i < 30 && !listenerMuted; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const { users } = await t.admin.must(`query($id: ID!) { users(conferenceId: $id) { displayName muted } }`, { id: c.id });
      listenerMuted = users.find((u: { displayName: string }) => u.displayName === "Listener").muted;
    }
    expect(listenerMuted).toBe(true);

    expectSippOk(await talker);
    expectSippOk(await listener);
  } finally {
    ear.close();
  }
  expect(t.focus.sip!.service.callCount).toBe(0);
}, 30_000);

test("a floor-controlled conference: a participant is heard only while holding the audio floor (granted and revoked through GraphQL)", async () => {
  const { createConference: c } = await t.admin.must(`mutation { createConference(input: { subject: "Floor", floorControlled: true }) { id dialInCode floors { id label } } }`);
  const audioFloor = c.floors.find((f: { label: string }) => f.label === "audio").id;
  const ear = await rtpEar([440, 660, 880, 1000]);
  const { heard } = ear;
  const tone = () => heard.frames.filter((f) => f === 440).length;
  try {
    const sipPort = t.focus.sip!.port;
    const listener = sipp(sipPort, fillScenario("listen.xml", { LISTEN_PORT: ear.port, TALK_MS: 6000 }), { service: c.dialInCode });
    await sipUser(c.id, "Listener");
    const talker = sipp(sipPort, fillScenario("talk.xml", { TALK_MS: 5000, LOOPS: -1 }), { service: c.dialInCode });
    const talkerId = await sipUser(c.id, "Talker");
    await new Promise((r) => setTimeout(r, 800));
    expect(tone()).toBe(0); // talking without the floor: not heard

    const { requestFloor } = await t.admin.must(`mutation($f: ID!, $u: ID) { requestFloor(floorId: $f, userId: $u) { id status } }`, { f: audioFloor, u: talkerId });
    expect(requestFloor.status).toBe("PENDING"); // MODERATED: a chair decides
    await new Promise((r) => setTimeout(r, 300));
    expect(tone()).toBe(0);
    await t.admin.must(`mutation($id: ID!) { grantFloor(requestId: $id) { status } }`, { id: requestFloor.id });
    for (let i = 0; i < 30 && tone() < 25; i++) await new Promise((r) => setTimeout(r, 100));
    expect(tone()).toBeGreaterThanOrEqual(25);

    await t.admin.must(`mutation($id: ID!) { revokeFloor(requestId: $id) { status } }`, { id: requestFloor.id });
    const afterRevoke = heard.frames.length + 3;
    await new Promise((r) => setTimeout(r, 800));
    expect(heard.frames.slice(afterRevoke).filter((f) => f === 440)).toEqual([]);
    expect(heard.frames.length - afterRevoke).toBeGreaterThanOrEqual(20);

    expectSippOk(await talker);
    expectSippOk(await listener);
  } finally {
    ear.close();
  }
}, 30_000);
