// Peer: sipp (Debian sip-tester) as two callers: one streams a 440 Hz tone over RTP (rtp_stream), the
// other's SDP points at this test's UDP socket, which decodes what the focus' mixer sends it.
import dgram from "node:dgram";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestFocus, type TestFocus } from "../../api/test/support/focus.ts";
import { expectSippOk, fillScenario, sipp, sippWork } from "./support/sipp.ts";
import { decodeUlaw, encodeUlaw, dominantFrequency, telephoneEventTrain, ToneGenerator, type DtmfDigit } from "../src/audio/index.ts";
import { parseRtp, serializeRtp } from "../src/rtp/packet.ts";

let t: TestFocus;
beforeAll(async () => {
  t = await startTestFocus();
  // 3 s of 440 Hz as raw u-law (rtp_stream needs a raw file, relative to sipp's working directory)
  const pcm = new ToneGenerator([440]).fill(new Int16Array(8000 * 3));
  const ulaw = new Uint8Array(pcm.length);
  encodeUlaw(pcm, ulaw);
  writeFileSync(join(sippWork, "tone440.ul"), ulaw);
});
afterAll(async () => {
  await t?.close();
});

interface Heard {
  packets: number;
  /** where the focus sends this leg's RTP from: its RTP port for the call */
  focus: { address: string; port: number } | null;
  /** per 20 ms frame: the dominant candidate frequency, or null for silence */
  frames: (number | null)[];
}

function listen(socket: dgram.Socket): Heard {
  const heard: Heard = { packets: 0, focus: null, frames: [] };
  const pcm = new Int16Array(160);
  socket.on("message", (buf, rinfo) => {
    heard.focus = { address: rinfo.address, port: rinfo.port };
    const p = parseRtp(buf);
    if (p.payloadType !== 0 || p.payload.length !== 160) return;
    heard.packets++;
    decodeUlaw(p.payload, pcm);
    heard.frames.push(dominantFrequency(pcm, [440, 660, 880, 1000]));
  });
  return heard;
}

/** Presses keys as RFC 4733 telephone-event packet trains (payload type 101, as the listener's SDP offers). */
async function pressKeys(socket: dgram.Socket, to: { address: string; port: number }, keys: DtmfDigit[]): Promise<void> {
  let seq = 1000;
  let timestamp = 50_000;
  const out = new Uint8Array(64);
  for (const digit of keys) {
    const start = Date.now();
    for (const p of telephoneEventTrain({ digit, timestamp, seq, ssrc: 0x1234 })) {
      await new Promise((r) => setTimeout(r, Math.max(0, start + p.sendAtMs - Date.now())));
      const n = serializeRtp(p, out);
      socket.send(out.subarray(0, n), to.port, to.address);
      seq = (p.seq + 1) & 0xffff;
    }
    timestamp += 8000;
  }
}

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
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
  const heard = listen(socket);
  try {
    const sipPort = t.focus.sip!.port;
    const listener = sipp(sipPort, fillScenario("listen.xml", { LISTEN_PORT: socket.address().port, TALK_MS: 5000 }), { service: c.dialInCode });
    await sipUser(c.id, "Listener");
    const talker = sipp(sipPort, fillScenario("talk.xml", { TALK_MS: 4000 }), { service: c.dialInCode });
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
    await pressKeys(socket, heard.focus!, ["*", "6"]);
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
    socket.close();
  }
  expect(t.focus.sip!.service.callCount).toBe(0);
}, 30_000);
