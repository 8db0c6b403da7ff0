import { ALAW_DECODE, ULAW_DECODE } from "./g711.ts";
import { JitterBuffer, type JitterBufferOptions } from "./jitter-buffer.ts";
import type { RtpPacketLike } from "../rtp/packet.ts";

/** Frame k of a test stream is 160 copies of mu-law code 0x80 + k % 100: its value tells which frame it is. */
const code = (k: number) => 0x80 + (k % 100);
const level = (k: number) => ULAW_DECODE[code(k)]!;

function packet(k: number, options: { seq0?: number; ts0?: number; ssrc?: number; marker?: boolean; pt?: number; samples?: number } = {}): RtpPacketLike {
  const samples = options.samples ?? 160;
  return {
    payloadType: options.pt ?? 0,
    marker: options.marker ?? k === 0,
    seq: ((options.seq0 ?? 100) + k) & 0xffff,
    timestamp: ((options.ts0 ?? 1000) + k * 160) >>> 0,
    ssrc: options.ssrc ?? 42,
    payload: new Uint8Array(samples).fill(code(k)),
  };
}

/** What a pop returned: the frame number (mod 100), "plc" for a half-level repeat of frame k, or null. */
function what(frame: Int16Array | null): number | string | null {
  if (frame === null) return null;
  for (let k = 0; k < 100; k++) {
    if (frame[0] === level(k) && frame.every((v) => v === level(k))) return k;
    if (frame[0] === Math.trunc(level(k) / 2) && frame.every((v) => v === Math.trunc(level(k) / 2))) return `plc${k}`;
  }
  return "?";
}

/**
 * Runs ticks: at tick t the packets scheduled for t are pushed (arrival t * 20 ms), then one frame popped.
 * Returns what each pop gave.
 */
function run(jb: JitterBuffer, ticks: number, schedule: (t: number) => RtpPacketLike[]): (number | string | null)[] {
  const out: (number | string | null)[] = [];
  for (let t = 0; t < ticks; t++) {
    for (const p of schedule(t)) jb.push(p, t * 20);
    out.push(what(jb.pop()));
  }
  return out;
}

const fixed40: JitterBufferOptions = { mode: "fixed", delayMs: 40 };
const seq = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe("JitterBuffer", () => {
  test("in order: every frame comes out once, after the playout delay", () => {
    const jb = new JitterBuffer(fixed40);
    const out = run(jb, 12, (t) => (t < 10 ? [packet(t)] : []));
    // 40 ms: a frame pushed at tick t with one frame of margin is popped at tick t + 1.
    expect(out).toEqual([null, ...seq(0, 10), "plc9"]);
    expect(jb.stats).toMatchObject({ accepted: 10, late: 0, duplicates: 0, lost: 0, delayMs: 40 });
  });

  test("nothing before the first packet; with 20 ms a frame plays at the tick it arrives", () => {
    const jb = new JitterBuffer({ mode: "fixed", delayMs: 20 });
    expect(jb.pop()).toBeNull();
    expect(run(jb, 5, (t) => [packet(t)])).toEqual(seq(0, 5));
  });

  test("reordering: packets swapped in transit still play in order", () => {
    const jb = new JitterBuffer(fixed40);
    const order = [0, 1, 3, 2, 5, 4, 6, 7, 9, 8, 10, 11];
    const out = run(jb, 13, (t) => (t < order.length ? [packet(order[t]!)] : []));
    // frame 3 arrives at tick 2, frame 2 at tick 3 with no margin left: just in time.
    expect(out.slice(1, 12)).toEqual(seq(0, 11));
    expect(jb.stats.late).toBe(0);
  });

  test("duplicates are recognized and play once", () => {
    const jb = new JitterBuffer(fixed40);
    const results: string[] = [];
    const out: (number | string | null)[] = [];
    for (let t = 0; t < 8; t++) {
      results.push(jb.push(packet(t), t * 20));
      results.push(jb.push(packet(t), t * 20 + 1));
      if (t > 0) results.push(jb.push(packet(t - 1), t * 20 + 2)); // a late duplicate of the previous one
      out.push(what(jb.pop()));
    }
    expect(out).toEqual([null, ...seq(0, 7)]);
    expect(results.filter((r) => r === "duplicate")).toHaveLength(8 + 7);
    expect(jb.stats.duplicates).toBe(15);
    expect(jb.stats.accepted).toBe(8);
  });

  test("loss: the first missing frame is the previous one attenuated, then silence", () => {
    const jb = new JitterBuffer(fixed40);
    const lost = new Set([4, 7, 8, 9]);
    const out = run(jb, 13, (t) => (lost.has(t) ? [] : [packet(t)]));
    expect(out).toEqual([null, 0, 1, 2, 3, "plc3", 5, 6, "plc6", null, null, 10, 11]);
    expect(jb.stats).toMatchObject({ concealed: 2, silent: 2, lost: 4 });
  });

  test("late packets are dropped and counted; a fixed delay stays", () => {
    const jb = new JitterBuffer(fixed40);
    // frame 5 is held back 3 ticks
    const out = run(jb, 12, (t) => (t === 5 ? [] : t === 8 ? [packet(8), packet(5)] : t < 11 ? [packet(t)] : []));
    expect(out).toEqual([null, 0, 1, 2, 3, 4, "plc4", 6, 7, 8, 9, 10]);
    expect(jb.stats).toMatchObject({ late: 1, accepted: 10, lost: 0, delayMs: 40 });
  });

  test("adaptive: a late packet grows the delay by its lateness, within the maximum", () => {
    const jb = new JitterBuffer({ mode: "adaptive", delayMs: 40, maxDelayMs: 120 });
    const results: string[] = [];
    for (let t = 0; t < 30; t++) {
      if (t !== 10) results.push(jb.push(packet(t), t * 20));
      if (t === 13) results.push(jb.push(packet(10), t * 20)); // due at tick 11: two frames late
      jb.pop();
    }
    expect(results.filter((r) => r === "late")).toHaveLength(1);
    expect(jb.stats.delayMs).toBe(40 + 40);
    expect(jb.stats.held).toBe(2);

    const capped = new JitterBuffer({ mode: "adaptive", delayMs: 40, maxDelayMs: 120 });
    for (let t = 0; t < 30; t++) {
      if (t !== 5) capped.push(packet(t), t * 20);
      if (t === 25) capped.push(packet(5), t * 20); // 20 frames late
      capped.pop();
    }
    expect(capped.stats.delayMs).toBe(120);
  });

  test("adaptive: on a steady network the delay shrinks to the minimum and stays continuous", () => {
    const jb = new JitterBuffer({ mode: "adaptive", delayMs: 100, minDelayMs: 20 });
    const out = run(jb, 600, (t) => [packet(t)]);
    expect(jb.stats.delayMs).toBe(20);
    expect(jb.stats.skipped).toBe(4);
    // after the 4-frame pre-roll every pop has audio; each shrink step leaves out one frame
    expect(out.slice(0, 4)).toEqual([null, null, null, null]);
    const played = out.slice(4) as number[];
    expect(played.every((x) => typeof x === "number")).toBe(true);
    const jumps = played.filter((x, i) => i > 0 && x !== (played[i - 1]! + 1) % 100);
    expect(jumps).toHaveLength(4);
  });

  test("wrap-around of the 16-bit sequence number and the 32-bit timestamp is seamless", () => {
    const jb = new JitterBuffer(fixed40);
    const opts = { seq0: 65530, ts0: 2 ** 32 - 5 * 160 + 17 };
    const order = [0, 1, 2, 3, 5, 4, 6, 7, 8, 9, 10, 11]; // with a reordering right at the wrap
    const out = run(jb, 13, (t) => (t < order.length ? [packet(order[t]!, opts)] : []));
    expect(out.slice(1, 13)).toEqual(seq(0, 12));
    expect(jb.stats).toMatchObject({ lost: 0, late: 0, accepted: 12 });
  });

  test("an SSRC change resets the buffer and plays the new source", () => {
    const jb = new JitterBuffer(fixed40);
    const out = run(jb, 12, (t) => (t < 5 ? [packet(t)] : [packet(t + 50, { ssrc: 7, seq0: 9, ts0: 123456789 })]));
    // frame 4 of the old source is dropped with it; the new one starts with its own pre-roll
    expect(out).toEqual([null, 0, 1, 2, 3, null, 55, 56, 57, 58, 59, 60]);
    expect(jb.stats.resets).toBe(1);
  });

  test("a timestamp jump without a new SSRC restarts once the next packet in sequence confirms it", () => {
    const jb = new JitterBuffer(fixed40);
    const results: string[] = [];
    for (let t = 0; t < 5; t++) {
      results.push(jb.push(packet(t), t * 20));
      jb.pop();
    }
    const jumped = (k: number) => ({ ...packet(k), timestamp: (1000 + k * 160 + 8000 * 60) >>> 0 });
    results.push(jb.push(jumped(5), 100));
    expect(what(jb.pop())).toBe(4);
    results.push(jb.push(jumped(6), 120));
    expect(results.slice(5)).toEqual(["out-of-range", "accepted"]);
    expect(jb.stats.resets).toBe(1);
    expect(what(jb.pop())).toBeNull(); // the pre-roll of the restarted stream
    jb.push(jumped(7), 140);
    expect(what(jb.pop())).toBe(6);
  });

  test("a talkspurt start (marker) on an empty buffer re-anchors the playout point", () => {
    const jb = new JitterBuffer(fixed40);
    run(jb, 5, (t) => [packet(t)]);
    // silence suppressed for 10 ticks, then the sender resumes with a timestamp 8 frames further than
    // real time would say (its clock ran on differently): without re-anchoring it would wait 8 ticks.
    run(jb, 10, () => []);
    const resumed = (k: number) => packet(k + 10 + 8, { marker: k === 0 });
    const out = run(jb, 4, (t) => [resumed(t)]);
    expect(out).toEqual([null, 18, 19, 20]);
  });

  test("ptime 10, 30 and 40 ms: packets are split and assembled into 20 ms frames", () => {
    // A ramp of codes, one per sample, sent in packets of `ptime` and played back.
    const signal = Uint8Array.from({ length: 160 * 24 }, (_, i) => 0x80 + (i % 127));
    for (const ptime of [10, 20, 30, 40]) {
      const n = ptime * 8;
      const jb = new JitterBuffer(fixed40);
      const frames: Int16Array[] = [];
      let next = 0;
      let started = false;
      for (let t = 0; t < 30; t++) {
        // a packet leaves when its last sample is captured: packet i at (i + 1) * ptime ms
        while ((next + 1) * n <= t * 160 && (next + 1) * n <= signal.length) {
          jb.push({ payloadType: 0, marker: next === 0, seq: next, timestamp: 5000 + next * n, ssrc: 1, payload: signal.subarray(next * n, (next + 1) * n) }, t * 20);
          next++;
        }
        const f = jb.pop();
        if (f) started = true;
        if (started) frames.push(f ? Int16Array.from(f) : new Int16Array(0));
      }
      const played = frames.slice(0, 20);
      expect(played.map((f) => f.length)).toEqual(new Array(20).fill(160));
      const expected = Array.from(signal.subarray(0, 20 * 160), (c) => ULAW_DECODE[c]!);
      expect(played.flatMap((f) => Array.from(f))).toEqual(expected);
    }
  });

  test("a 10 ms half that never arrives plays as zeros in its frame", () => {
    const jb = new JitterBuffer({ mode: "fixed", delayMs: 20 });
    const half = (i: number) => ({ payloadType: 0, marker: false, seq: i, timestamp: i * 80, ssrc: 1, payload: new Uint8Array(80).fill(0x80) });
    jb.push(half(0), 0);
    jb.push(half(1), 0);
    expect(jb.pop()!.every((v) => v === 32124)).toBe(true);
    jb.push(half(3), 20); // half 2 lost
    const f = jb.pop()!;
    expect(Array.from(f.subarray(0, 80)).every((v) => v === 0)).toBe(true);
    expect(Array.from(f.subarray(80)).every((v) => v === 32124)).toBe(true);
  });

  test("decodes PCMA by its payload type and ignores other payload types", () => {
    const jb = new JitterBuffer({ mode: "fixed", delayMs: 20 });
    expect(jb.push({ ...packet(0), payloadType: 101 }, 0)).toBe("ignored");
    expect(jb.push({ ...packet(0), payloadType: 13 }, 0)).toBe("ignored");
    expect(jb.push({ ...packet(0), payloadType: 8, payload: new Uint8Array(160).fill(0xaa) }, 0)).toBe("accepted");
    expect(jb.pop()![0]).toBe(ALAW_DECODE[0xaa]);
    expect(jb.stats.ignored).toBe(2);
  });

  test("reports RFC 3550 interarrival jitter", () => {
    const jb = new JitterBuffer(fixed40);
    for (let t = 0; t < 200; t++) {
      jb.push(packet(t), t * 20 + (t % 2) * 10); // every other packet 10 ms later
      jb.pop();
    }
    // |D| is 10 ms for every pair, so J converges to 10 ms
    expect(jb.stats.jitterMs).toBeCloseTo(10, 1);
  });

  test("refuses inconsistent options", () => {
    expect(() => new JitterBuffer({ mode: "adaptive", delayMs: 200, maxDelayMs: 120 })).toThrow(RangeError);
    expect(() => new JitterBuffer({ minDelayMs: 100, maxDelayMs: 40 })).toThrow(RangeError);
    expect(() => new JitterBuffer({ capacityFrames: 6 })).toThrow(RangeError);
  });
});
