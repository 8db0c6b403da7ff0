/**
 * A per-participant jitter buffer for G.711 at 8 kHz: packets go in as they arrive, one 20 ms frame
 * (160 samples) comes out per mixer tick.
 *
 * Design:
 * - A fixed ring of `capacityFrames` decoded frames indexed by RTP timestamp (RFC 3550 section 5.1: the
 *   timestamp counts samples, so sample position = timestamp and frame = floor(position / 160)). Packets of
 *   10, 20, 30 or 40 ms (any whole number of samples, in fact) are split across or assembled into frames by
 *   position; a frame that is only partly filled plays zeros where its part is missing.
 * - Timestamps are unwrapped from 32 bits into a relative sample position (a float64 integer), sequence
 *   numbers from 16 bits with a cycle count (RFC 3550 appendix A.1), so wrap-around is invisible.
 * - The playout point (`cursor`, the next frame to pop) advances by one frame per `pop()`: the buffer lives
 *   in the mixer's clock domain, so a sender's clock that runs fast or slow shows up as margins that creep,
 *   and arrival timestamps from another clock are only used for the RFC 3550 section 6.4.1 jitter figure.
 * - Delay: a packet arriving on schedule waits `delay` (20 ms steps). Each packet's margin (frames before
 *   its first frame is popped) is recorded. Adaptive mode grows the delay at once by the lateness of a late
 *   packet and shrinks it by one frame after seconds in which every packet had a frame to spare; fixed
 *   mode keeps the delay and only re-centres the margin when the sender's clock drifts. Both stay within
 *   [minDelayMs, maxDelayMs]. Growing repeats/silences a frame, shrinking drops one: there is no time
 *   stretching. A talkspurt start (marker bit, RFC 3551 section 4.1) on an empty buffer re-anchors the
 *   playout point at the target delay, which is where most adjustments happen in practice.
 * - Loss concealment: a missing frame after audio repeats the last frame once, attenuated (G.711 appendix I
 *   does better; a repeat is what most phones do), then silence (`null`).
 * - SSRC change: reset (RFC 3550 section 8.2, a new source). A packet too far from the playout point (a jump
 *   of the timestamp without a new SSRC) is dropped unless the next packet in sequence confirms the jump
 *   (the probation of RFC 3550 appendix A.1), after which the buffer restarts on it.
 */
import { ALAW_DECODE, g711CodecOf, ULAW_DECODE } from "./g711.ts";
import type { RtpPacketLike } from "../rtp/packet.ts";

// Module-private constants for the loops: V8 loads an exported (or imported) binding from its module cell,
// with a TDZ check, on every use, which made the decode loop 50 % slower; a private const folds.
const FRAME = 160;
const HALF = FRAME / 2;
const SHIFT = 8;
const U_DECODE = ULAW_DECODE;
const A_DECODE = ALAW_DECODE;
export const FRAME_SAMPLES = FRAME;
export const FRAME_MS = 20;
/** `energy` is the sum of squares scaled down by 2^ENERGY_SHIFT. */
export const ENERGY_SHIFT = SHIFT;
/** A packet later than this is not late but a jump backwards (RFC 3550 A.1's MAX_MISORDER, in time). */
const MAX_LATE_FRAMES = 50;
/** RFC 3550 appendix A.1. */
const MAX_DROPOUT = 3000;
/** Frames per adaptation window (1 s). */
const WINDOW_FRAMES = 50;

export interface JitterBufferOptions {
  /** "adaptive" (default): the delay follows the network within [minDelayMs, maxDelayMs]; "fixed": `delayMs`. */
  mode?: "adaptive" | "fixed";
  /** initial (adaptive) or constant (fixed) playout delay, rounded up to 20 ms; default 40 */
  delayMs?: number;
  /** default 20 */
  minDelayMs?: number;
  /** default 120 */
  maxDelayMs?: number;
  /** ring size in 20 ms frames, a power of two; default 16 (320 ms); must exceed the maximum delay by 2 */
  capacityFrames?: number;
  /** gain of the one repeated frame that conceals a loss; default 0.5 (-6 dB) */
  concealmentGain?: number;
}

/** What `push` did with a packet. */
export type JitterPushResult =
  /** stored (possibly after a reset or resync) */
  | "accepted"
  /** every sample of it is already buffered */
  | "duplicate"
  /** its frames were already played: dropped */
  | "late"
  /** too far from the playout point; dropped until the next packet in sequence confirms the jump */
  | "out-of-range"
  /** not G.711 (payload type other than 0 or 8) or empty */
  | "ignored";

export interface JitterBufferStats {
  /** packets stored */
  accepted: number;
  duplicates: number;
  late: number;
  outOfRange: number;
  ignored: number;
  /** restarts: SSRC changes and confirmed timestamp jumps */
  resets: number;
  /** network loss after RFC 3550 A.3: expected (from sequence numbers) minus received (stored or late) */
  lost: number;
  /** frames filled by repeating the previous one */
  concealed: number;
  /** pops that returned null while the stream was playing (silence after a concealed loss, DTX) */
  silent: number;
  /** frames dropped to shrink the delay */
  skipped: number;
  /** frames inserted to grow the delay */
  held: number;
  /** current target playout delay */
  delayMs: number;
  /** RFC 3550 section 6.4.1 interarrival jitter, in ms */
  jitterMs: number;
}

export class JitterBuffer {
  readonly mode: "adaptive" | "fixed";
  readonly capacityFrames: number;
  /**
   * capacityFrames - 1: a frame number's slot is `frame & indexMask`. Frame numbers are float64 integers;
   * `&` takes them modulo 2^32 (ToInt32), which keeps the low bits, so this is a modulo that needs neither a
   * division nor fmod, and is right for negative frame numbers too.
   */
  private readonly indexMask: number;
  private readonly minFrames: number;
  private readonly maxFrames: number;
  private readonly gain: number;
  private readonly ring: Int16Array;
  private readonly views: Int16Array[];
  /** frame number held by each slot (-Infinity: none) */
  private readonly slotFrame: Float64Array;
  /** which 10 ms halves of the slot's frame were written (bit 0: first, bit 1: second) */
  private readonly slotMask: Uint8Array;
  /** each slot's `energy`, computed while decoding (NaN: not known yet) */
  private readonly slotEnergy: Float64Array;
  private readonly plc = new Int16Array(FRAME);
  private readonly counters: JitterBufferStats;

  /**
   * Energy of the frame the last `pop()` returned (0 after null): the sum over its samples of
   * `s * s >> ENERGY_SHIFT`. The talk detector's input, measured while decoding so the mixer need not read
   * the frame again; integer, so the sum is a chain of int32 additions (at most 160 * 2^22 < 2^31).
   */
  energy = 0;
  private ssrc = -1;
  /** the highest timestamp seen and its relative sample position: the unwrapping reference */
  private refTs = 0;
  private refPos = 0;
  private cursor = 0;
  private newestFrame = -Infinity;
  private targetFrames: number;
  private holdPending = 0;
  private skipPending = 0;
  private played = false;
  private lastPlayedFrame = -Infinity;
  private concealRun = 0;
  private badSeq = -1;
  // adaptation window
  private windowPops = 0;
  private windowMin = Infinity;
  private windowMax = -Infinity;
  private quietWindows = 0;
  private grewRecently = false;
  // RFC 3550 A.1 / A.3 / A.8
  private baseSeq = 0;
  private maxSeq = 0;
  private cycles = 0;
  private received = 0;
  private prevTransit = Number.NaN;
  private jitter = 0;

  constructor(options: JitterBufferOptions = {}) {
    this.mode = options.mode ?? "adaptive";
    const minMs = options.minDelayMs ?? 20;
    const maxMs = options.maxDelayMs ?? 120;
    const delayMs = options.delayMs ?? 40;
    this.minFrames = Math.max(1, Math.ceil(minMs / FRAME_MS));
    this.maxFrames = Math.ceil(maxMs / FRAME_MS);
    const initial = Math.max(1, Math.ceil(delayMs / FRAME_MS));
    if (this.maxFrames < this.minFrames) throw new RangeError(`maxDelayMs ${maxMs} is below minDelayMs ${minMs}`);
    if (this.mode === "adaptive" && (initial < this.minFrames || initial > this.maxFrames)) {
      throw new RangeError(`delayMs ${delayMs} is outside [${minMs}, ${maxMs}]`);
    }
    this.targetFrames = initial;
    this.capacityFrames = options.capacityFrames ?? 16;
    const largest = Math.max(initial, this.maxFrames);
    const cap = this.capacityFrames;
    if (!Number.isInteger(cap) || cap < largest + 2 || (cap & (cap - 1)) !== 0) {
      throw new RangeError(`capacityFrames ${cap} must be a power of two of at least ${largest + 2}`);
    }
    this.indexMask = cap - 1;
    this.gain = options.concealmentGain ?? 0.5;
    if (!(this.gain >= 0 && this.gain <= 1)) throw new RangeError(`concealmentGain ${this.gain} is not within [0, 1]`);
    this.ring = new Int16Array(this.capacityFrames * FRAME);
    this.views = [];
    for (let i = 0; i < this.capacityFrames; i++) this.views.push(this.ring.subarray(i * FRAME, (i + 1) * FRAME));
    this.slotFrame = new Float64Array(this.capacityFrames).fill(-Infinity);
    this.slotMask = new Uint8Array(this.capacityFrames);
    this.slotEnergy = new Float64Array(this.capacityFrames);
    this.counters = {
      accepted: 0,
      duplicates: 0,
      late: 0,
      outOfRange: 0,
      ignored: 0,
      resets: 0,
      lost: 0,
      concealed: 0,
      silent: 0,
      skipped: 0,
      held: 0,
      delayMs: initial * FRAME_MS,
      jitterMs: 0,
    };
  }

  /** Live counters (one object, updated in place). */
  get stats(): Readonly<JitterBufferStats> {
    const expected = this.ssrc < 0 ? 0 : this.cycles + this.maxSeq - this.baseSeq + 1;
    this.counters.lost = Math.max(0, expected - this.received);
    this.counters.delayMs = this.targetFrames * FRAME_MS;
    this.counters.jitterMs = this.jitter / 8;
    return this.counters;
  }

  get delayMs(): number {
    return this.targetFrames * FRAME_MS;
  }

  /** Forgets the stream (the counters stay): the next packet starts a new one. */
  reset(): void {
    this.ssrc = -1;
    this.slotFrame.fill(-Infinity);
    this.newestFrame = -Infinity;
    this.holdPending = 0;
    this.skipPending = 0;
    this.played = false;
    this.lastPlayedFrame = -Infinity;
    this.concealRun = 0;
    this.badSeq = -1;
    this.resetWindow();
    this.prevTransit = Number.NaN;
    this.jitter = 0;
    this.received = 0;
    this.cycles = 0;
  }

  /**
   * Stores a packet's audio. `arrivalMs` is a monotonic arrival time (only used for the jitter figure).
   * The payload is decoded here, so the caller may reuse its buffer afterwards.
   */
  push(packet: RtpPacketLike, arrivalMs: number): JitterPushResult {
    const codec = g711CodecOf(packet.payloadType);
    const n = packet.payload.length;
    if (codec === null || n === 0) {
      this.counters.ignored++;
      return "ignored";
    }
    if (packet.ssrc !== this.ssrc) {
      if (this.ssrc >= 0) {
        this.reset();
        this.counters.resets++;
      }
      this.begin(packet);
    }

    let pos = this.refPos + ((packet.timestamp - this.refTs) | 0); // signed 32-bit difference: wrap-safe
    let first = Math.floor(pos / FRAME);
    let last = Math.floor((pos + n - 1) / FRAME);

    if (last - this.cursor >= this.capacityFrames - 1 || first - this.cursor < -MAX_LATE_FRAMES) {
      // Not storable: the sender jumped. Restart on it only when the next packet in sequence agrees.
      if (packet.seq !== this.badSeq) {
        this.badSeq = (packet.seq + 1) & 0xffff;
        this.counters.outOfRange++;
        return "out-of-range";
      }
      const seq = packet.seq;
      this.reset();
      this.counters.resets++;
      this.begin(packet);
      this.maxSeq = this.baseSeq = (seq - 1) & 0xffff; // the packet before it was the confirming one
      this.received = 1;
      pos = 0;
      first = 0;
      last = Math.floor((n - 1) / FRAME);
    }
    this.badSeq = -1;
    if (pos > this.refPos) {
      this.refPos = pos;
      this.refTs = packet.timestamp;
    }

    if (last < this.cursor) {
      this.counters.late++;
      this.countReceived(packet.seq, pos, arrivalMs);
      this.observe(first - this.cursor);
      if (this.mode === "adaptive") this.grow(this.cursor - first);
      return "late";
    }

    const table = codec === "PCMU" ? U_DECODE : A_DECODE;
    const payload = packet.payload;
    if (n === FRAME && pos === first * FRAME) {
      // The common case, one aligned 20 ms packet: one slot, decoded and measured in a single pass.
      const slot = first & this.indexMask;
      if (this.slotFrame[slot] === first && this.slotMask[slot] === 3) {
        this.counters.duplicates++;
        return "duplicate";
      }
      if (packet.marker && this.newestFrame < this.cursor) this.anchor(first);
      this.slotEnergy[slot] = decodeFrame(table, payload, this.views[slot]!);
      this.slotFrame[slot] = first;
      this.slotMask[slot] = 3;
    } else if (!this.pushPieces(table, payload, pos, first, packet.marker)) {
      this.counters.duplicates++;
      return "duplicate";
    }
    if (last > this.newestFrame) this.newestFrame = last;
    this.counters.accepted++;
    this.countReceived(packet.seq, pos, arrivalMs);
    this.observe(first - this.cursor);
    return "accepted";
  }

  /**
   * Any other packet: split into, or assembled from, pieces of 20 ms frames by sample position. Returns
   * false when every 10 ms half it touches (from the playout point on) is already written: a duplicate.
   */
  private pushPieces(table: Int16Array, payload: Uint8Array, pos: number, first: number, marker: boolean): boolean {
    const n = payload.length;
    let fresh = false;
    for (let p = Math.max(pos, this.cursor * FRAME), end = pos + n; p < end; ) {
      const f = Math.floor(p / FRAME);
      const off = p - f * FRAME;
      const take = Math.min(FRAME - off, end - p);
      const slot = f & this.indexMask;
      if (this.slotFrame[slot] !== f || (this.slotMask[slot]! & halves(off, take)) !== halves(off, take)) {
        fresh = true;
        break;
      }
      p += take;
    }
    if (!fresh) return false;

    if (marker && this.newestFrame < this.cursor) this.anchor(first);
    let src = 0;
    for (let p = pos, end = pos + n; p < end; ) {
      const f = Math.floor(p / FRAME);
      const off = p - f * FRAME;
      const take = Math.min(FRAME - off, end - p);
      if (f >= this.cursor) {
        const slot = f & this.indexMask;
        const base = slot * FRAME;
        if (this.slotFrame[slot] !== f) {
          this.slotFrame[slot] = f;
          this.slotMask[slot] = 0;
          if (take < FRAME) this.ring.fill(0, base, base + FRAME);
        }
        const ring = this.ring;
        for (let i = 0, d = base + off; i < take; i++, d++) ring[d] = table[payload[src + i]!]!;
        this.slotMask[slot]! |= halves(off, take);
        this.slotEnergy[slot] = Number.NaN; // measured when popped
      }
      src += take;
      p += take;
    }
    return true;
  }

  /**
   * The next 20 ms frame (160 samples) or null for silence (nothing received yet, or a loss after its one
   * concealment frame). The array is the buffer's own and is valid until the next `push` or `pop`.
   */
  pop(): Int16Array | null {
    this.energy = 0;
    if (this.ssrc < 0) return null;
    if (this.holdPending > 0) {
      // Growing the delay: play a concealment frame instead of advancing.
      this.holdPending--;
      this.counters.held++;
      return this.conceal();
    }
    if (this.skipPending > 0) {
      this.skipPending--;
      this.counters.skipped++;
      this.cursor++;
    }
    const f = this.cursor++;
    if (++this.windowPops >= WINDOW_FRAMES) this.adapt();
    const slot = f & this.indexMask;
    if (this.slotFrame[slot] === f) {
      this.played = true;
      this.lastPlayedFrame = f;
      this.concealRun = 0;
      const view = this.views[slot]!;
      let energy = this.slotEnergy[slot]!;
      if (energy !== energy) energy = this.slotEnergy[slot] = energyOf(view); // NaN: assembled from pieces
      this.energy = energy;
      return view;
    }
    return this.conceal();
  }

  private begin(packet: RtpPacketLike): void {
    this.ssrc = packet.ssrc;
    this.refTs = packet.timestamp;
    this.refPos = 0;
    this.cursor = -(this.targetFrames - 1);
    this.baseSeq = this.maxSeq = packet.seq;
    this.cycles = 0;
    this.received = 0;
  }

  private anchor(first: number): void {
    const want = first - (this.targetFrames - 1);
    this.skipPending = 0;
    if (want >= this.cursor) {
      this.holdPending = 0;
      this.cursor = want; // the frames passed over are empty
    } else {
      // Moving back would replay old slots: hold instead (the buffer is empty, so this plays silence).
      this.holdPending = this.cursor - want;
    }
    this.resetWindow();
  }

  private conceal(): Int16Array | null {
    if (!this.played || this.concealRun++ > 0) {
      if (this.played) this.counters.silent++;
      return null;
    }
    const slot = this.lastPlayedFrame & this.indexMask;
    if (this.slotFrame[slot] !== this.lastPlayedFrame) {
      this.counters.silent++;
      return null;
    }
    const src = this.views[slot]!;
    const out = this.plc;
    const g = this.gain;
    for (let i = 0; i < FRAME; i++) out[i] = src[i]! * g;
    this.counters.concealed++;
    this.energy = energyOf(out);
    return out;
  }

  private observe(margin: number): void {
    if (margin < this.windowMin) this.windowMin = margin;
    if (margin > this.windowMax) this.windowMax = margin;
  }

  /** Adaptive: a packet `lateness` frames late asks for that much more delay, up to the maximum. */
  private grow(lateness: number): void {
    const more = Math.min(lateness - this.holdPending, this.maxFrames - this.targetFrames);
    if (more <= 0) return;
    this.targetFrames += more;
    this.holdPending += more;
    this.skipPending = 0;
    this.quietWindows = 0;
    this.grewRecently = true;
    this.resetWindow();
  }

  /**
   * End of a window. Adaptive: after enough windows in which every packet had a frame to spare, drop one
   * frame of delay (two quiet seconds normally, ten after the delay had to grow, so a periodic late packet
   * does not make the delay oscillate). Fixed: re-centre the margin when the sender's clock drifts.
   */
  private adapt(): void {
    const min = this.windowMin;
    const max = this.windowMax;
    this.resetWindow();
    if (min === Infinity || this.holdPending > 0) return; // nothing arrived, or growing already
    if (this.mode === "adaptive") {
      if (min < 1) {
        this.quietWindows = 0;
        return;
      }
      if (++this.quietWindows < (this.grewRecently ? 10 : 2)) return;
      this.quietWindows = 0;
      this.grewRecently = false;
      // Above the minimum this shrinks the delay; at the minimum it re-centres a sender that runs fast.
      if (this.targetFrames > this.minFrames) this.targetFrames--;
      this.skipPending = 1;
    } else if (min > this.targetFrames - 1) {
      this.skipPending = 1; // the sender's clock runs fast
    } else if (max < this.targetFrames - 1) {
      this.holdPending = 1; // ... or slow
    }
  }

  private resetWindow(): void {
    this.windowPops = 0;
    this.windowMin = Infinity;
    this.windowMax = -Infinity;
  }

  /** RFC 3550 A.1 (extended highest sequence number) and A.8 (interarrival jitter). */
  private countReceived(seq: number, pos: number, arrivalMs: number): void {
    this.received++;
    const delta = (seq - this.maxSeq) & 0xffff;
    if (delta > 0 && delta < MAX_DROPOUT) {
      if (seq < this.maxSeq) this.cycles += 0x10000;
      this.maxSeq = seq;
    }
    const transit = arrivalMs * 8 - pos;
    if (!Number.isNaN(this.prevTransit)) {
      const d = Math.abs(transit - this.prevTransit);
      this.jitter += (d - this.jitter) / 16;
    }
    this.prevTransit = transit;
  }
}

/**
 * Decodes one 160-byte G.711 frame into `out` and returns its energy (see `energy`). A small function of
 * its own: V8 compiles this loop tighter than the same loop inside `push` (measured: about 40 % faster).
 */
function decodeFrame(table: Int16Array, payload: Uint8Array, out: Int16Array): number {
  let energy = 0;
  for (let i = 0; i < FRAME; i++) {
    const v = table[payload[i]!]!;
    out[i] = v;
    energy = (energy + ((v * v) >> SHIFT)) | 0; // int32 adds: no float latency chain
  }
  return energy;
}

function energyOf(frame: Int16Array): number {
  let e = 0;
  for (let i = 0; i < frame.length; i++) e = (e + ((frame[i]! * frame[i]!) >> SHIFT)) | 0;
  return e;
}

/** The 10 ms halves a write of `take` samples at `off` within a frame touches. */
function halves(off: number, take: number): number {
  return (off < HALF ? 1 : 0) | (off + take > HALF ? 2 : 0);
}
