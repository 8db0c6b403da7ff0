// Peers: baresip and linphone-cli (Debian), real softphones calling the focus
// Two baresips (127.0.0.2 and 127.0.0.4) and one linphonec (127.0.0.3) call the in-process focus (UDP;
// one call over TCP).
// Each phone plays a tone WAV as its microphone and records what it receives; the assertions are on that
// decoded audio (Goertzel), on the phones' own call events, and on the GraphQL roster and event log.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestFocus, type TestFocus } from "../../api/test/support/focus.ts";
import { Baresip } from "./support/baresip.ts";
import { Linphone } from "./support/linphone.ts";
import { dominance, spectrum, writeToneWav } from "./support/wav.ts";
import { PIN_PROMPT, PIN_WRONG } from "../src/audio/index.ts";

interface RosterUser {
  id: string;
  entity: string;
  displayName: string;
  role: string;
  joinState: string;
  via: string | null;
  muted: boolean;
}

const RATE = 8000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let t: TestFocus;
let alice: Baresip; // 440 Hz
let bob: Linphone; // 1000 Hz
let mallory: Baresip; // 440 Hz, keys wrong PINs
let fixtures: string;

beforeAll(async () => {
  t = await startTestFocus();
  fixtures = mkdtempSync(join(tmpdir(), "dcon-softphones-"));
  // longer than this whole file runs: baresip hangs up when its source file ends
  const tone440 = writeToneWav(join(fixtures, "tone440.wav"), [440], 120_000);
  const tone1000 = writeToneWav(join(fixtures, "tone1000.wav"), [1000], 120_000);
  // each one assigned as soon as it runs, so that afterAll stops it even if another failed to start
  const started = await Promise.allSettled([
    Baresip.start({ user: "alice", displayName: "Alice", address: "127.0.0.2", source: tone440 }).then((p) => (alice = p)),
    Linphone.start({ user: "bob", displayName: "Bob", address: "127.0.0.3", source: tone1000 }).then((p) => (bob = p)),
    Baresip.start({ user: "mallory", displayName: "Mallory", address: "127.0.0.4", source: tone440 }).then((p) => (mallory = p)),
  ]);
  for (const r of started) if (r.status === "rejected") throw r.reason;
}, 30_000);

afterAll(async () => {
  await Promise.all([alice?.quit(), bob?.quit(), mallory?.quit()]);
  for (const p of [alice, bob, mallory]) p?.stop();
  await t?.close();
  // the phones' configs, logs and recordings; SOFTPHONE_KEEP_FILES=1 keeps them for a look
  if (!process.env.SOFTPHONE_KEEP_FILES) for (const dir of [fixtures, alice?.dir, bob?.dir, mallory?.dir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

const uri = (dialInCode: string) => `sip:${dialInCode}@127.0.0.1:${t.focus.sip!.port}`;

async function conference(input: Record<string, unknown>): Promise<{ id: string; dialInCode: string }> {
  const { createConference } = await t.admin.must(`mutation($input: ConferenceInput!) { createConference(input: $input) { id dialInCode } }`, { input: { subject: "Softphones", ...input } });
  return createConference;
}

async function roster(conferenceId: string): Promise<RosterUser[]> {
  const { users } = await t.admin.must(`query($id: ID!) { users(conferenceId: $id) { id entity displayName role joinState via muted } }`, { id: conferenceId });
  return users;
}

/** The roster once `pred` holds (polled), or a failure showing the last roster. */
async function rosterUntil(conferenceId: string, pred: (users: RosterUser[]) => boolean, timeoutMs = 10_000): Promise<RosterUser[]> {
  const end = Date.now() + timeoutMs;
  let users = await roster(conferenceId);
  while (!pred(users)) {
    if (Date.now() > end) throw new Error(`roster condition not met in ${timeoutMs} ms: ${JSON.stringify(users)}`);
    await sleep(100);
    users = await roster(conferenceId);
  }
  return users;
}

const connected = (users: RosterUser[], entity: string) => users.find((u) => u.entity === entity && u.joinState === "CONNECTED" && u.via === "sip");

async function events(conferenceId: string): Promise<{ type: string; payload: any }[]> {
  const { events: list } = await t.admin.must(`query($id: ID!) { events(conferenceId: $id, limit: 1000) { type payload } }`, { id: conferenceId });
  return list;
}

/** Polls a phone's recording until it holds `samples`. */
async function recordedAtLeast(read: () => Int16Array, samples: number, timeoutMs = 10_000): Promise<Int16Array> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    let got: Int16Array | null = null;
    try {
      got = read();
    } catch {
      // not created yet
    }
    if (got && got.length >= samples) return got;
    if (Date.now() > end) throw new Error(`recording has ${got?.length ?? 0} samples, waited for ${samples}`);
    await sleep(100);
  }
}

const fmt = (p: Record<number, number>) => Object.entries(p).map(([f, v]) => `${f} Hz ${v.toExponential(1)}`).join(", ");

/** Fails with the measured powers when `ok` is false. */
function expectAudio(ok: boolean, what: string, powers: Record<number, number>): void {
  if (!ok) throw new Error(`${what}: measured ${fmt(powers)}`);
}

describe("an open conference with baresip and linphone", () => {
  let conf: { id: string; dialInCode: string };
  let aliceId: string;

  test("both join over SIP, and each one's recording of what it received holds the other's tone", async () => {
    conf = await conference({ joinHandling: "ALLOW" });
    await alice.dial(uri(conf.dialInCode));
    await alice.waitFor("CALL_ESTABLISHED");
    await bob.call(uri(conf.dialInCode));
    await bob.connected();

    const users = await rosterUntil(conf.id, (u) => !!connected(u, "sip:alice@127.0.0.2") && !!connected(u, "sip:bob@127.0.0.3"));
    expect(users).toHaveLength(2);
    expect(connected(users, "sip:alice@127.0.0.2")).toMatchObject({ displayName: "Alice", role: "PARTICIPANT", muted: false });
    expect(connected(users, "sip:bob@127.0.0.3")).toMatchObject({ displayName: "Bob", role: "PARTICIPANT", muted: false });
    aliceId = connected(users, "sip:alice@127.0.0.2")!.id;

    // 1.5 s of each phone's received audio once both are in (bob joined last: all of his has alice in it)
    const bobHeard = await recordedAtLeast(() => bob.recording().samples, 2 * RATE);
    const aliceStart = alice.recording().samples.length;
    const aliceHeard = await recordedAtLeast(() => alice.recording().samples, aliceStart + 1.5 * RATE);
    const atBob = spectrum(bobHeard, undefined, { start: bobHeard.length - 1.5 * RATE });
    const atAlice = spectrum(aliceHeard, undefined, { start: aliceStart });
    // a sine at 0.25 of full scale measures 0.0625; allow for the mixer's gain and G.711
    expectAudio(atBob[440]! > 0.02 && dominance(atBob, 440) > 1000, "bob's recording: 440 Hz strong, 1000 times any other", atBob);
    expectAudio(atAlice[1000]! > 0.02 && dominance(atAlice, 1000) > 1000, "alice's recording: 1000 Hz strong, 1000 times any other", atAlice);
  });

  test("muting alice through GraphQL silences her in bob's recording; unmuting brings her back", async () => {
    expect(aliceId).toBeDefined();
    const before = bob.recording().samples.length;
    await t.admin.must(`mutation($id: ID!) { muteUser(id: $id) { muted } }`, { id: aliceId });
    // linphonec writes its recording in 4 KiB steps and behind a jitter buffer: skip 0.5 s after the mutation
    const mutedFrom = bob.recording().samples.length + 0.5 * RATE;
    const heard = await recordedAtLeast(() => bob.recording().samples, mutedFrom + RATE);
    const beforeMute = spectrum(heard, undefined, { start: before - RATE, end: before });
    const afterMute = spectrum(heard, undefined, { start: mutedFrom, end: mutedFrom + RATE });
    expectAudio(beforeMute[440]! > 0.02 && dominance(beforeMute, 440) > 1000, "bob's recording before the mute: 440 Hz", beforeMute);
    // at least 40 dB down, and nothing else instead (bob hears nothing of his own tone)
    expectAudio(Object.values(afterMute).every((p) => p < beforeMute[440]! / 1e4), `bob's recording after the mute: silence (440 Hz was ${beforeMute[440]!.toExponential(1)})`, afterMute);
    expect(connected(await roster(conf.id), "sip:alice@127.0.0.2")?.muted).toBe(true);

    await t.admin.must(`mutation($id: ID!) { unmuteUser(id: $id) { muted } }`, { id: aliceId });
    const unmutedFrom = bob.recording().samples.length + 0.5 * RATE;
    const again = await recordedAtLeast(() => bob.recording().samples, unmutedFrom + 0.5 * RATE);
    const afterUnmute = spectrum(again, undefined, { start: unmutedFrom, end: unmutedFrom + 0.5 * RATE });
    expectAudio(afterUnmute[440]! > 0.02 && dominance(afterUnmute, 440) > 1000, "bob's recording after the unmute: 440 Hz again", afterUnmute);
  });

  test("kicking alice through GraphQL hangs her phone up with BYE; bob stays until he hangs up", async () => {
    expect(aliceId).toBeDefined();
    await t.admin.must(`mutation($id: ID!) { kickUser(id: $id) { joinState } }`, { id: aliceId });
    const closed = await alice.waitFor("CALL_CLOSED");
    // baresip's words for a BYE it received (its own hangup is "Connection reset by user")
    expect(closed.param).toBe("Connection reset by peer");
    const users = await rosterUntil(conf.id, (u) => u.find((x) => x.id === aliceId)?.joinState === "DISCONNECTED");
    expect(users.find((x) => x.id === aliceId)).toMatchObject({ joinState: "DISCONNECTED", via: null });
    expect(connected(users, "sip:bob@127.0.0.3")).toBeDefined();
    const kicked = (await events(conf.id)).filter((e) => e.type === "USER_KICKED");
    expect(kicked.map((e) => e.payload.user.id)).toEqual([aliceId]);

    expect(await bob.terminate()).toEqual({ how: "ended", reason: "No error" });
    await rosterUntil(conf.id, (u) => u.every((x) => x.joinState === "DISCONNECTED"));
    await sleep(200);
    expect(t.focus.sip!.service.callCount).toBe(0);
  });
});

describe("a PIN conference: callers key the PIN as RFC 4733 DTMF during early media", () => {
  // Both phones start their media on the 183 and send the tone file at once (linphonec too, without
  // --early-media), so the focus keeps the INVITE pending while they key; its fallback of answering a
  // silent caller after 2 s is not reached by these phones.
  const promptHz = [...new Set(PIN_PROMPT.segments.flatMap((s) => s.hz))];
  const wrongHz = [...new Set(PIN_WRONG.segments.flatMap((s) => s.hz))];
  let conf: { id: string; dialInCode: string };
  let carolId: string;
  beforeAll(async () => {
    conf = await conference({
      joinHandling: "PIN",
      pin: "4321",
      users: [{ entity: "sip:carol@example.com", displayName: "Carol", role: "MODERATOR", pin: "2468" }],
    });
    carolId = (await roster(conf.id)).find((u) => u.entity === "sip:carol@example.com")!.id;
  });

  test("baresip (over TCP) hears the prompt as early media, keys the conference PIN and joins", async () => {
    await alice.dial(`${uri(conf.dialInCode)};transport=tcp`);
    // baresip starts its audio (and can send telephone-events) on a 183 with SDP
    const first = await alice.waitFor(["CALL_PROGRESS", "CALL_ESTABLISHED", "CALL_CLOSED"]);
    expect(first.type).toBe("CALL_PROGRESS");
    // the prompt's beeps, in what the phone received before it keyed anything
    const early = await recordedAtLeast(() => alice.recording().samples, 0.8 * RATE);
    const prompt = spectrum(early, [...promptHz, 440, 2000], { end: 0.8 * RATE, windowMs: 40, reduce: "max" });
    // each beep in its loudest 40 ms window; 440 Hz (alice's own tone) only as the beeps' onset splatter
    expectAudio(promptHz.every((f) => prompt[f]! > 0.01 && prompt[f]! > 1000 * prompt[2000]! && prompt[f]! > 100 * prompt[440]!), `alice's early media: the prompt's beeps (${promptHz.join(", ")} Hz)`, prompt);
    expect(alice.eventTypes()).not.toContain("CALL_ESTABLISHED");

    await alice.sendDigits("4321#");
    await alice.waitFor("CALL_ESTABLISHED");
    const users = await rosterUntil(conf.id, (u) => !!connected(u, "sip:alice@127.0.0.2"));
    expect(connected(users, "sip:alice@127.0.0.2")).toMatchObject({ displayName: "Alice", role: "PARTICIPANT" });
    // the invited user with a PIN of her own is still only invited
    expect(users.find((u) => u.entity === "sip:carol@example.com")?.joinState).toBe("INVITED");
    await alice.hangup();
    await alice.waitFor("CALL_CLOSED");
    await rosterUntil(conf.id, (u) => !connected(u, "sip:alice@127.0.0.2"));
  });

  test("linphone keys a per-user PIN and joins as that invited user, with her role", async () => {
    await bob.call(uri(conf.dialInCode));
    await bob.waitFor(/^Call \d+ with \S+ early media\./);
    await sleep(300);
    expect(bob.saw(/connected\./)).toBe(false);
    await bob.sendDigits("2468#");
    await bob.connected();
    const users = await rosterUntil(conf.id, (u) => !!connected(u, "sip:carol@example.com"));
    // the invited user herself (same id), with her role and the name the moderator gave her
    expect(connected(users, "sip:carol@example.com")).toMatchObject({ id: carolId, role: "MODERATOR", displayName: "Carol" });
    // no user was made from linphone's own From
    expect(users.filter((u) => u.entity === "sip:bob@127.0.0.3")).toEqual([]);
    expect(await bob.terminate()).toEqual({ how: "ended", reason: "No error" });
    await rosterUntil(conf.id, (u) => !connected(u, "sip:carol@example.com"));
  });

  test("three wrong PINs: error tones, then 403 to the pending INVITE; the caller never joins", async () => {
    await mallory.dial(uri(conf.dialInCode));
    await mallory.waitFor("CALL_PROGRESS");
    await sleep(300);
    for (const pin of ["1111#", "2222#"]) {
      await mallory.sendDigits(pin); // queued: baresip sends a key about every 250 ms
      await sleep(1500); // the keys, then into the error tone
      expect(mallory.eventTypes()).not.toContain("CALL_CLOSED"); // two wrong PINs are forgiven
    }
    await mallory.sendDigits("3333#");
    const closed = await mallory.waitFor("CALL_CLOSED");
    expect(mallory.eventTypes()).not.toContain("CALL_ESTABLISHED");
    expect(closed.param).toMatch(/^403 Forbidden/);
    // it heard the reorder tone after its wrong PINs
    const heard = mallory.recording().samples;
    const reorder = spectrum(heard, [...wrongHz, 440, 2000], { windowMs: 40, reduce: "max" });
    expectAudio(wrongHz.every((f) => reorder[f]! > 0.005 && reorder[f]! > 1000 * reorder[2000]!), `mallory's early media: the wrong-PIN tone (${wrongHz.join(" + ")} Hz)`, reorder);

    const joined = (await events(conf.id)).filter((e) => e.type === "USER_JOINED" && e.payload.user.entity === "sip:mallory@127.0.0.4");
    expect(joined).toEqual([]);
    expect((await roster(conf.id)).filter((u) => u.entity === "sip:mallory@127.0.0.4")).toEqual([]);
    await sleep(200);
    expect(t.focus.sip!.service.callCount).toBe(0);
  });
});
