import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw, type G711Codec } from "./g711.ts";
import { goertzelPower } from "./goertzel.ts";
import { ConferenceMixer, MixerError, MixerErrorCode, type ConferenceMixerOptions, type MixedFrame } from "./mixer.ts";
import { ToneGenerator } from "./tone.ts";
import { concat, decodePayload, RtpSender } from "./testing.ts";
import { telephoneEventTrain, type DtmfDigitEvent } from "./dtmf.ts";
import { serializeRtp, type RtpPacketLike } from "../rtp/packet.ts";

/** A phone sending a tone (or silence) every 20 ms. */
class Phone {
  readonly sender: RtpSender;
  private readonly tone: ToneGenerator | null;
  private readonly pcm = new Int16Array(160);
  constructor(
    readonly id: string,
    readonly codec: G711Codec,
    frequency: number | null,
    amplitude = 0.25,
  ) {
    this.sender = new RtpSender({ codec, ssrc: id.charCodeAt(0) });
    this.tone = frequency === null ? null : new ToneGenerator([frequency], { amplitude });
  }
  next(): RtpPacketLike {
    if (this.tone) this.tone.fill(this.pcm);
    else this.pcm.fill(0);
    return this.sender.packet(this.pcm);
  }
}

const JITTER_20 = { mode: "fixed", delayMs: 20 } as const; // a frame pushed before a tick plays at that tick

function setup(phones: Phone[], options: ConferenceMixerOptions<string> = {}) {
  const mixer = new ConferenceMixer<string>({ jitter: JITTER_20, ...options });
  for (const p of phones) mixer.addParticipant(p.id, { codec: p.codec });
  return mixer;
}

/** One tick: every phone in `sending` sends its next packet, then the mixer mixes. Returns inputs and outputs. */
function tick(mixer: ConferenceMixer<string>, sending: Phone[], t = 0) {
  const sent = new Map<string, RtpPacketLike>();
  for (const p of sending) {
    const pkt = p.next();
    sent.set(p.id, pkt);
    expect(mixer.receive(p.id, pkt, t * 20)).toBe("accepted");
  }
  const out = new Map<string, MixedFrame<string>>();
  for (const f of mixer.mixFrame()) out.set(f.id, { ...f, payload: Uint8Array.from(f.payload) });
  return { sent, out };
}

function decoded(frame: MixedFrame<string>): Int16Array {
  return decodePayload(frame.codec, frame.payload);
}

/** What the mixer should send: the decoded inputs summed, clipped, encoded in `codec`. */
function expectedMix(codec: G711Codec, inputs: RtpPacketLike[]): Uint8Array {
  const sum = new Int32Array(160);
  for (const p of inputs) {
    const pcm = new Int16Array(160);
    (p.payloadType === 0 ? decodeUlaw : decodeAlaw)(p.payload, pcm);
    for (let i = 0; i < 160; i++) sum[i]! += pcm[i]!;
  }
  const clipped = Int16Array.from(sum, (v) => Math.max(-32768, Math.min(32767, v)));
  const out = new Uint8Array(160);
  (codec === "PCMU" ? encodeUlaw : encodeAlaw)(clipped, out);
  return out;
}

const FREQS = [440, 660, 880];
const powers = (pcm: Int16Array) => Object.fromEntries(FREQS.map((f) => [f, goertzelPower(pcm, f)]));

describe("ConferenceMixer: the N-1 mix", () => {
  test("each of three participants hears the other two tones and not its own", () => {
    const phones = [new Phone("A", "PCMU", 440), new Phone("B", "PCMU", 660), new Phone("C", "PCMU", 880)];
    const mixer = setup(phones);
    const heard = new Map<string, Int16Array[]>(phones.map((p) => [p.id, []]));
    for (let t = 0; t < 10; t++) {
      const { out } = tick(mixer, phones, t);
      for (const [id, f] of out) heard.get(id)!.push(decoded(f));
    }
    for (const [i, p] of phones.entries()) {
      const pw = powers(concat(heard.get(p.id)!));
      const own = FREQS[i]!;
      for (const f of FREQS) {
        if (f === own) expect(pw[f]).toBeLessThan(1e-4);
        else expect(pw[f]).toBeGreaterThan(0.04); // a 0.25 amplitude sine: 0.0625
      }
    }
  });

  test("the output is exactly sum - own, clipped and encoded", () => {
    const phones = [new Phone("A", "PCMU", 440), new Phone("B", "PCMU", 660), new Phone("C", "PCMU", 880)];
    const mixer = setup(phones);
    for (let t = 0; t < 5; t++) {
      const { sent, out } = tick(mixer, phones, t);
      expect(out.get("A")!.payload).toEqual(expectedMix("PCMU", [sent.get("B")!, sent.get("C")!]));
      expect(out.get("B")!.payload).toEqual(expectedMix("PCMU", [sent.get("A")!, sent.get("C")!]));
      expect(out.get("C")!.payload).toEqual(expectedMix("PCMU", [sent.get("A")!, sent.get("B")!]));
    }
  });

  test("muting B removes 660 Hz from A's and C's mix on the next frame; B still hears them", () => {
    const phones = [new Phone("A", "PCMU", 440), new Phone("B", "PCMU", 660), new Phone("C", "PCMU", 880)];
    const mixer = setup(phones);
    for (let t = 0; t < 3; t++) {
      const { out } = tick(mixer, phones, t);
      expect(goertzelPower(decoded(out.get("A")!), 660)).toBeGreaterThan(0.04);
    }
    mixer.setMuted("B", true);
    expect(mixer.isMuted("B")).toBe(true);
    const { sent, out } = tick(mixer, phones, 3);
    expect(out.get("A")!.payload).toEqual(expectedMix("PCMU", [sent.get("C")!]));
    expect(out.get("C")!.payload).toEqual(expectedMix("PCMU", [sent.get("A")!]));
    expect(out.get("B")!.payload).toEqual(expectedMix("PCMU", [sent.get("A")!, sent.get("C")!]));
    for (const id of ["A", "C"]) expect(goertzelPower(decoded(out.get(id)!), 660)).toBeLessThan(0.002);
    expect(goertzelPower(decoded(out.get("A")!), 880)).toBeGreaterThan(0.04);

    mixer.setMuted("B", false);
    const after = tick(mixer, phones, 4);
    expect(after.out.get("A")!.payload).toEqual(expectedMix("PCMU", [after.sent.get("B")!, after.sent.get("C")!]));
  });

  test("a participant with the other law gets its mix encoded in that law", () => {
    const phones = [new Phone("A", "PCMU", 440), new Phone("B", "PCMA", 660), new Phone("C", "PCMU", 880), new Phone("D", "PCMA", null)];
    const mixer = setup(phones);
    const heardByD: Int16Array[] = [];
    for (let t = 0; t < 8; t++) {
      const { sent, out } = tick(mixer, phones.slice(0, 3), t);
      const d = out.get("D")!;
      expect(d.codec).toBe("PCMA");
      expect(d.payload).toEqual(expectedMix("PCMA", [sent.get("A")!, sent.get("B")!, sent.get("C")!]));
      expect(out.get("B")!.payload).toEqual(expectedMix("PCMA", [sent.get("A")!, sent.get("C")!]));
      expect(out.get("A")!.payload).toEqual(expectedMix("PCMU", [sent.get("B")!, sent.get("C")!]));
      heardByD.push(decoded(d));
    }
    const pw = powers(concat(heardByD));
    for (const f of FREQS) expect(pw[f]).toBeGreaterThan(0.04);
  });

  test("a participant with no input contributes silence and hears everyone", () => {
    const phones = [new Phone("A", "PCMU", 440), new Phone("B", "PCMU", 660), new Phone("D", "PCMU", null)];
    const mixer = setup(phones);
    const { sent, out } = tick(mixer, phones.slice(0, 2), 0); // D sends nothing
    expect(out.get("A")!.payload).toEqual(expectedMix("PCMU", [sent.get("B")!]));
    expect(out.get("D")!.payload).toEqual(expectedMix("PCMU", [sent.get("A")!, sent.get("B")!]));

    const alone = setup([new Phone("Z", "PCMU", 440), new Phone("Y", "PCMA", null)].slice(0, 1));
    const only = tick(alone, [], 0).out.get("Z")!;
    expect(Array.from(only.payload).every((c) => c === 0xff)).toBe(true);
  });

  test("clipping saturates instead of wrapping around", () => {
    for (const limiter of ["clip", "soft"] as const) {
      const mixer = new ConferenceMixer<string>({ jitter: JITTER_20, limiter });
      for (const id of ["A", "B", "C", "D"]) mixer.addParticipant(id, { codec: id === "D" ? "PCMA" : "PCMU" });
      const senders = ["A", "B", "C"].map((id) => new RtpSender({ codec: "PCMU", ssrc: id.charCodeAt(0) }));
      for (const [sign, code] of [
        [1, 0x80],
        [-1, 0x00],
      ] as const) {
        senders.forEach((s, i) => mixer.receive("ABC"[i]!, s.packetOf(new Uint8Array(160).fill(code)), 0));
        const out = new Map(mixer.mixFrame().map((f) => [f.id, decodePayload(f.codec, f.payload)]));
        // A hears B + C = 2 x 32124, D hears 3 x 32124: far beyond 16 bits, and must stay at the same sign
        for (const id of ["A", "D"]) {
          for (const v of out.get(id)!) {
            expect(Math.sign(v)).toBe(sign);
            expect(Math.abs(v)).toBeGreaterThan(limiter === "clip" ? 32000 : 24000);
          }
        }
      }
    }
  });
});

describe("ConferenceMixer: talk state", () => {
  test("talking starts after the attack frames and ends after the hangover, reported once each", () => {
    const events: [string, boolean][] = [];
    const a = new Phone("A", "PCMU", 440);
    const b = new Phone("B", "PCMU", null);
    const mixer = setup([a, b], { onTalkState: (id, talking) => events.push([id, talking]), talk: { onFrames: 2, offFrames: 25 } });
    const quiet = new Phone("A", "PCMU", null);
    const log: number[] = [];
    for (let t = 0; t < 80; t++) {
      const talking = t >= 5 && t < 15;
      mixer.receive("A", talking ? a.next() : { ...quiet.next(), ssrc: a.sender.ssrc, seq: a.sender.seq++, timestamp: (a.sender.timestamp += 160) - 160 }, t * 20);
      mixer.receive("B", b.next(), t * 20);
      const before = events.length;
      mixer.mixFrame();
      if (events.length > before) log.push(t);
      expect(mixer.isTalking("A")).toBe(t >= 6 && t < 15 + 25 - 1);
    }
    expect(events).toEqual([
      ["A", true],
      ["A", false],
    ]);
    expect(log).toEqual([6, 15 + 25 - 1]);
  });

  test("a listener may remove participants from the talk-state callback", () => {
    const phones = [new Phone("A", "PCMU", 440), new Phone("B", "PCMU", 660)];
    const seen: string[] = [];
    let mixer: ConferenceMixer<string>;
    mixer = setup(phones, {
      talk: { onFrames: 1 },
      onTalkState: (id) => {
        seen.push(id);
        mixer.removeParticipant("A");
        mixer.removeParticipant("B");
      },
    });
    tick(mixer, phones, 0);
    expect(seen).toHaveLength(1);
    expect(mixer.size).toBe(0);
    expect(mixer.mixFrame()).toEqual([]);
  });

  test("mixOnlyTalkers leaves out open microphones below the talk threshold", () => {
    for (const only of [false, true]) {
      const noisy = new Phone("N", "PCMU", 1000, 0.01); // about -43 dBov: above the silence floor, not talking
      const talker = new Phone("T", "PCMU", 440);
      const listener = new Phone("L", "PCMU", null);
      const mixer = setup([noisy, talker, listener], { mixOnlyTalkers: only, talk: { onFrames: 1 } });
      for (let t = 0; t < 5; t++) {
        const { sent, out } = tick(mixer, [noisy, talker], t);
        const inMix = only ? [sent.get("T")!] : [sent.get("N")!, sent.get("T")!];
        expect(out.get("L")!.payload).toEqual(expectedMix("PCMU", inMix));
      }
      expect(mixer.isTalking("N")).toBe(false);
    }
  });
});

describe("ConferenceMixer: input routing and participants", () => {
  test("telephone-events go to onDtmf, once per key press", () => {
    const digits: [string, DtmfDigitEvent][] = [];
    const mixer = new ConferenceMixer<string>({ onDtmf: (id, ev) => digits.push([id, ev]) });
    mixer.addParticipant("A", { codec: "PCMU", telephoneEventPayloadType: 96 });
    for (const p of telephoneEventTrain({ digit: "7", timestamp: 800, seq: 1, ssrc: 5, payloadType: 96 })) {
      expect(mixer.receive("A", p, p.sendAtMs)).toBe("dtmf");
    }
    expect(digits).toEqual([["A", { digit: "7", timestamp: 800, endOnly: false }]]);
    expect(mixer.receive("A", { payloadType: 96, marker: false, seq: 9, timestamp: 1, ssrc: 5, payload: new Uint8Array(3) }, 0)).toBe("malformed");
    expect(mixer.receive("A", { payloadType: 101, marker: false, seq: 9, timestamp: 1, ssrc: 5, payload: new Uint8Array(4) }, 0)).toBe("ignored");
  });

  test("receiveDatagram parses RTP, recognizes muxed RTCP and malformed datagrams", () => {
    const mixer = new ConferenceMixer<string>();
    mixer.addParticipant("A", { codec: "PCMU" });
    const buf = new Uint8Array(172);
    serializeRtp({ payloadType: 0, marker: true, seq: 1, timestamp: 160, ssrc: 9, payload: new Uint8Array(160).fill(0xff) }, buf);
    expect(mixer.receiveDatagram("A", buf, 0)).toBe("accepted");
    expect(mixer.receiveDatagram("A", Uint8Array.of(0x80, 201, 0, 1, 0, 0, 0, 9), 0)).toBe("rtcp");
    expect(mixer.receiveDatagram("A", Uint8Array.of(0x40, 0, 0, 1), 0)).toBe("malformed");
    expect(mixer.receiveDatagram("nobody", buf, 0)).toBe("unknown-participant");
  });

  test("participants come and go; mistakes are typed errors", () => {
    const mixer = new ConferenceMixer<number>();
    mixer.addParticipant(1, { codec: "PCMU" });
    mixer.addParticipant(2, { codec: "PCMA", muted: true });
    mixer.addParticipant(3, { codec: "PCMU" });
    expect(() => mixer.addParticipant(2, { codec: "PCMU" })).toThrow(expect.objectContaining({ code: MixerErrorCode.DUPLICATE_PARTICIPANT }));
    expect(() => mixer.setMuted(9, true)).toThrow(MixerError);
    expect(mixer.isMuted(2)).toBe(true);
    expect(mixer.removeParticipant(1)).toBe(true);
    expect(mixer.removeParticipant(1)).toBe(false);
    expect(mixer.mixFrame().map((f) => [f.id, f.codec])).toEqual([
      [3, "PCMU"],
      [2, "PCMA"],
    ]);
    expect(mixer.size).toBe(2);
  });
});

describe("ConferenceMixer: steady state allocates nothing", () => {
  test("the same output array, entries and payload buffers every frame; listeners share one buffer", () => {
    const phones = [new Phone("A", "PCMU", 440), new Phone("B", "PCMU", null), new Phone("C", "PCMU", null)];
    const mixer = setup(phones);
    phones.forEach((p) => mixer.receive(p.id, p.next(), 0));
    const first = mixer.mixFrame();
    const entries = [...first];
    const payloads = first.map((f) => f.payload);
    phones.forEach((p) => mixer.receive(p.id, p.next(), 20));
    const second = mixer.mixFrame();
    expect(second).toBe(first);
    second.forEach((f, i) => {
      expect(f).toBe(entries[i]);
      expect(f.payload).toBe(payloads[i]);
    });
    // B and C are not in the mix: they hear the same thing, encoded once
    expect(second[1]!.payload).toBe(second[2]!.payload);
  });

  test("4000 frames of 20 participants grow the heap by less than 32 KiB (8 bytes a frame)", () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const N = 20;
    const mixer = new ConferenceMixer<number>({ onTalkState: () => {} });
    // One packet object per participant, rewritten in place (small timestamps stay small integers), and
    // payloads encoded up front: the loop below runs only the mixer.
    const packets = Array.from({ length: N }, (_, i): RtpPacketLike & { seq: number; timestamp: number; payload: Uint8Array } => {
      mixer.addParticipant(i, { codec: i % 3 === 0 ? "PCMA" : "PCMU" });
      return { payloadType: i % 3 === 0 ? 8 : 0, marker: false, seq: 0, timestamp: 0, ssrc: i + 1, payload: new Uint8Array(160) };
    });
    const payloads = packets.map((p, i) => {
      const phone = new Phone("x", p.payloadType === 8 ? "PCMA" : "PCMU", i % 2 === 0 ? 300 + 50 * i : null);
      return Array.from({ length: 50 }, () => phone.next().payload);
    });
    const silence = payloads[1]![0]!;
    const run = (from: number, to: number) => {
      for (let t = from; t < to; t++) {
        for (let i = 0; i < N; i++) {
          const p = packets[i]!;
          p.seq = t & 0xffff;
          p.timestamp = t * 160;
          // talkers pause now and then, so talk-state changes happen during the measurement too
          p.payload = i % 4 === 0 && t % 200 > 150 ? silence : payloads[i]![t % 50]!;
          mixer.receive(i, p, t * 20);
        }
        mixer.mixFrame();
      }
    };
    // V8 runs the first frames in its interpreter, which boxes doubles, and optimizes the hot functions
    // when it sees fit (later when earlier tests left other type feedback). A per-frame allocation would
    // show in every block of 4000 frames, so the steady state is the best of a few blocks after warming up.
    let t = 0;
    run(t, (t += 2000));
    let growth = Infinity;
    const blocks: number[] = [];
    for (let block = 0; block < 8 && growth >= 32 * 1024; block++) {
      gc();
      const before = process.memoryUsage().heapUsed;
      run(t, (t += 4000));
      blocks.push(process.memoryUsage().heapUsed - before);
      growth = Math.min(growth, blocks[blocks.length - 1]!);
    }
    if (process.env.MIXER_ALLOC_DEBUG) console.log(blocks);
    expect(growth).toBeLessThan(32 * 1024);
  });
});
