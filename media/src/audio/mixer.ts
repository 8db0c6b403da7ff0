/**
 * The conference mixer: every participant hears everyone but themselves (the "N-1" mix), in their own
 * G.711 law, one 20 ms frame per `mixFrame()`.
 *
 * Why our own: there is no maintained pure-JS/Node audio conference mixer to build on (npm has PCM helpers
 * and stream mixers for files, not a per-listener N-1 mix with jitter buffers and G.711), and mediasoup, the
 * media server we plan for Opus/WebRTC, is an SFU: it forwards streams and does not mix audio. The mix
 * itself is simple; what matters is that it is allocation-free and cheap per participant, which this file
 * is written for (see bench/mixer.ts and bench/RESULTS.md).
 *
 * Per frame:
 * 1. pop each participant's jitter buffer (decoded 160-sample frame, or null);
 * 2. measure its energy: talk detection with hysteresis, and a silence floor below which a frame is not
 *    mixed (G.711 idle noise, DTX gaps);
 * 3. add every contributing frame (unmuted, above the floor) into one Int32 sum;
 * 4. a participant that contributed hears sum - own, limited to 16 bits and encoded in its law; every
 *    other participant hears the whole sum, which is encoded once per law and shared. In a meeting few
 *    people talk at once, so the per-frame cost is about (contributors x 160) + (listeners x 0) sample
 *    operations plus the jitter buffers; Asterisk's bridge_softmix shares its non-talkers' frames the same
 *    way.
 *
 * The mixer has no clock: `mixFrame()` is driven by `FrameClock` in the focus and called directly by tests.
 */
import { ALAW_ENCODE, g711Silence, ULAW_ENCODE, type G711Codec } from "./g711.ts";
import { ENERGY_SHIFT, FRAME_SAMPLES, JitterBuffer, type JitterBufferOptions, type JitterBufferStats, type JitterPushResult } from "./jitter-buffer.ts";
import { DEFAULT_TELEPHONE_EVENT_PAYLOAD_TYPE, DtmfReceiver, TelephoneEventParseError, type DtmfDigitEvent } from "./dtmf.ts";
import { isRtcp, parseRtp, RtpParseError, type RtpPacketLike } from "../rtp/packet.ts";

export interface ParticipantOptions {
  codec: G711Codec;
  /** the telephone-event payload type negotiated in SDP (RFC 4733); default 101; null: none */
  telephoneEventPayloadType?: number | null;
  /** this participant's jitter buffer (default: the mixer's `jitter` option) */
  jitter?: JitterBufferOptions;
  /** start muted; default false */
  muted?: boolean;
}

/**
 * Talk detection on each participant's input: the frame's mean power in dBov (0 dBov: a full-scale square
 * wave, ITU-T G.100.1). "talking" starts after `onFrames` consecutive frames at or above `onDbov` and ends
 * after `offFrames` consecutive frames below `offDbov` (hysteresis in level and time, so a breath or a
 * syllable gap does not flap the roster).
 */
export interface TalkDetectionOptions {
  /** default -36 dBov (quiet speech is around -30) */
  onDbov?: number;
  /** default -42 dBov */
  offDbov?: number;
  /** default 2 (40 ms) */
  onFrames?: number;
  /** default 25 (500 ms) */
  offFrames?: number;
}

export interface ConferenceMixerOptions<Id> {
  /** a participant's talk state changed (fired after the frame is mixed) */
  onTalkState?: (id: Id, talking: boolean) => void;
  /** a participant pressed a key (RFC 4733 telephone-event), reported once per press */
  onDtmf?: (id: Id, event: DtmfDigitEvent) => void;
  talk?: TalkDetectionOptions;
  /** "clip" (default): saturate at the 16-bit limits; "soft": a soft knee above -3 dBFS, then saturate */
  limiter?: "clip" | "soft";
  /**
   * frames quieter than this are not mixed (they would add only idle-channel noise); default -60 dBov,
   * below any speech. G.711 silence codes decode to -72 dBov or less.
   */
  silenceFloorDbov?: number;
  /**
   * mix only participants whose talk state is "talking" (a noise gate, like Asterisk's dsp_drop_silence):
   * many open microphones then add no background noise, at the cost of the first `onFrames` of each
   * talkspurt. Default false.
   */
  mixOnlyTalkers?: boolean;
  /** default jitter buffer options of every participant */
  jitter?: JitterBufferOptions;
}

/** One participant's output of a frame. Owned by the mixer and rewritten by every `mixFrame()`. */
export interface MixedFrame<Id> {
  readonly id: Id;
  readonly codec: G711Codec;
  /**
   * 160 bytes of G.711 in `codec`: the RTP payload to send. Read-only, and valid until the next
   * `mixFrame()`: participants hearing the same mix in the same law share one array (silence is a shared
   * constant), so copy it (or send it) before mixing again and never encrypt it in place.
   */
  payload: Uint8Array;
}

export type MixerReceiveResult =
  | JitterPushResult
  /** a telephone-event packet (a digit, if new, went to `onDtmf`) */
  | "dtmf"
  /** RTCP on a muxed port (RFC 5761): not for the mixer */
  | "rtcp"
  /** an invalid RTP packet or telephone-event payload */
  | "malformed"
  /** no such participant (packets still in flight after removal) */
  | "unknown-participant";

export const MixerErrorCode = {
  DUPLICATE_PARTICIPANT: "DUPLICATE_PARTICIPANT",
  UNKNOWN_PARTICIPANT: "UNKNOWN_PARTICIPANT",
} as const;
export type MixerErrorCode = (typeof MixerErrorCode)[keyof typeof MixerErrorCode];

export class MixerError extends Error {
  override readonly name = "MixerError";
  constructor(
    readonly code: MixerErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** 0 dBov as a mean square (ITU-T G.100.1: the power of a full-scale square wave). */
const FULL_SCALE_POWER = 32768 * 32768;
/** A level in dBov as a frame energy in the jitter buffer's scale (sum of squares >> ENERGY_SHIFT). */
const dbovToEnergy = (db: number) => (FULL_SCALE_POWER * 10 ** (db / 10) * FRAME_SAMPLES) / 2 ** ENERGY_SHIFT;
/** FRAME_SAMPLES as a module-private const: the loops would reload an imported binding on every use. */
const FRAME: number = FRAME_SAMPLES;
const U_ENCODE = ULAW_ENCODE;
const A_ENCODE = ALAW_ENCODE;
/** Soft limiter knee (-3 dBFS): below it samples pass unchanged. */
const KNEE = 23197;
const HEADROOM = 32767 - KNEE;

class Participant<Id> {
  readonly jb: JitterBuffer;
  readonly dtmf = new DtmfReceiver();
  /** this frame's decoded input when it is part of the mix, else null */
  mixed: Int16Array | null = null;
  talking = false;
  /** consecutive frames past the threshold that would change the talk state */
  run = 0;
  readonly out = new Uint8Array(FRAME);
  readonly entry: MixedFrame<Id>;
  index = 0;

  constructor(
    readonly id: Id,
    readonly codec: G711Codec,
    readonly dtmfPayloadType: number | null,
    public muted: boolean,
    jitter: JitterBufferOptions | undefined,
    silence: Uint8Array,
  ) {
    this.jb = new JitterBuffer(jitter);
    this.entry = { id, codec, payload: silence };
  }
}

export class ConferenceMixer<Id = string> {
  private readonly byId = new Map<Id, Participant<Id>>();
  private readonly list: Participant<Id>[] = [];
  private outputs: MixedFrame<Id>[] = [];
  private readonly sum = new Int32Array(FRAME);
  private readonly fullUlaw = new Uint8Array(FRAME);
  private readonly fullAlaw = new Uint8Array(FRAME);
  private readonly silenceUlaw = new Uint8Array(FRAME).fill(g711Silence("PCMU"));
  private readonly silenceAlaw = new Uint8Array(FRAME).fill(g711Silence("PCMA"));
  /** participants whose talk state changed this frame (preallocated to the largest size seen, `changedCount` used) */
  private changed: (Participant<Id> | undefined)[] = [];
  private changedCount = 0;
  private readonly onPower: number;
  private readonly offPower: number;
  private readonly onFrames: number;
  private readonly offFrames: number;
  private readonly floorPower: number;
  private readonly soft: boolean;
  private readonly onlyTalkers: boolean;
  private mixing = false;
  /** frames mixed so far */
  frames = 0;

  constructor(private readonly options: ConferenceMixerOptions<Id> = {}) {
    const talk = options.talk ?? {};
    const onDb = talk.onDbov ?? -36;
    const offDb = talk.offDbov ?? -42;
    if (offDb > onDb) throw new RangeError(`talk offDbov ${offDb} is above onDbov ${onDb}`);
    this.onPower = dbovToEnergy(onDb);
    this.offPower = dbovToEnergy(offDb);
    this.onFrames = Math.max(1, talk.onFrames ?? 2);
    this.offFrames = Math.max(1, talk.offFrames ?? 25);
    this.floorPower = dbovToEnergy(options.silenceFloorDbov ?? -60);
    this.soft = (options.limiter ?? "clip") === "soft";
    this.onlyTalkers = options.mixOnlyTalkers ?? false;
  }

  get size(): number {
    return this.list.length;
  }

  has(id: Id): boolean {
    return this.byId.has(id);
  }

  addParticipant(id: Id, options: ParticipantOptions): void {
    if (this.byId.has(id)) throw new MixerError(MixerErrorCode.DUPLICATE_PARTICIPANT, `participant ${String(id)} is already mixed`);
    if (options.codec !== "PCMU" && options.codec !== "PCMA") throw new RangeError(`codec ${String(options.codec)} is not PCMU or PCMA`);
    const dtmfPt = options.telephoneEventPayloadType === undefined ? DEFAULT_TELEPHONE_EVENT_PAYLOAD_TYPE : options.telephoneEventPayloadType;
    const p = new Participant<Id>(id, options.codec, dtmfPt, options.muted ?? false, options.jitter ?? this.options.jitter, this.silence(options.codec));
    p.index = this.list.length;
    this.list.push(p);
    this.byId.set(id, p);
    if (this.changed.length < this.list.length) this.changed.push(undefined);
    this.rebuildOutputs();
  }

  /** Returns false when there was no such participant. Its pending talk-state change, if any, is dropped. */
  removeParticipant(id: Id): boolean {
    const p = this.byId.get(id);
    if (!p) return false;
    this.byId.delete(id);
    const last = this.list.pop()!;
    if (last !== p) {
      this.list[p.index] = last;
      last.index = p.index;
    }
    this.rebuildOutputs();
    return true;
  }

  /** A muted participant is not heard by the others from the next frame on, and still hears them. */
  setMuted(id: Id, muted: boolean): void {
    this.get(id).muted = muted;
  }

  isMuted(id: Id): boolean {
    return this.get(id).muted;
  }

  /** The talk state of the participant's input (muted or not: the roster decides what to show). */
  isTalking(id: Id): boolean {
    return this.get(id).talking;
  }

  jitterStats(id: Id): Readonly<JitterBufferStats> {
    return this.get(id).jb.stats;
  }

  /**
   * Feeds one parsed RTP packet of a participant: G.711 audio to its jitter buffer, telephone-events to its
   * DTMF receiver. `arrivalMs` is a monotonic time (performance.now()). Never throws on wire data.
   */
  receive(id: Id, packet: RtpPacketLike, arrivalMs: number): MixerReceiveResult {
    const p = this.byId.get(id);
    if (p === undefined) return "unknown-participant";
    if (packet.payloadType === p.dtmfPayloadType) {
      let digit: DtmfDigitEvent | null;
      try {
        digit = p.dtmf.receive(packet);
      } catch (err) {
        if (err instanceof TelephoneEventParseError) return "malformed";
        throw err;
      }
      if (digit !== null) this.options.onDtmf?.(id, digit);
      return "dtmf";
    }
    return p.jb.push(packet, arrivalMs);
  }

  /** `receive` for a raw datagram from the participant's RTP port (RTCP multiplexed on it is recognized). */
  receiveDatagram(id: Id, datagram: Uint8Array, arrivalMs: number): MixerReceiveResult {
    if (isRtcp(datagram)) return "rtcp";
    let packet: RtpPacketLike;
    try {
      packet = parseRtp(datagram);
    } catch (err) {
      if (err instanceof RtpParseError) return "malformed";
      throw err;
    }
    return this.receive(id, packet, arrivalMs);
  }

  /**
   * Mixes one 20 ms frame for everyone. Returns one entry per participant; the array, its entries and their
   * payloads are the mixer's own, reused by the next call (nothing is allocated per frame).
   */
  mixFrame(): readonly MixedFrame<Id>[] {
    if (this.mixing) throw new Error("mixFrame called from a mixer callback");
    const list = this.list;
    const n = list.length;
    const sum = this.sum;
    sum.fill(0);
    let contributors = 0;
    this.changedCount = 0;

    for (let k = 0; k < n; k++) {
      const p = list[k]!;
      const frame = p.jb.pop();
      const energy = p.jb.energy; // measured by the jitter buffer while decoding
      this.detectTalk(p, energy);
      if (frame !== null && !p.muted && energy >= this.floorPower && (p.talking || !this.onlyTalkers)) {
        for (let i = 0; i < FRAME; i++) sum[i]! += frame[i]!;
        p.mixed = frame;
        contributors++;
      } else {
        p.mixed = null;
      }
    }

    // The whole mix, once per law, for everyone who is not in it; only when someone needs it.
    let fullUlaw: Uint8Array | null = null;
    let fullAlaw: Uint8Array | null = null;
    for (let k = 0; k < n; k++) {
      const p = list[k]!;
      const own = p.mixed;
      if (own === null) {
        if (contributors === 0) {
          p.entry.payload = p.codec === "PCMU" ? this.silenceUlaw : this.silenceAlaw;
        } else if (p.codec === "PCMU") {
          p.entry.payload = fullUlaw ??= this.encodeFull(this.fullUlaw, U_ENCODE, 2, 0x3fff);
        } else {
          p.entry.payload = fullAlaw ??= this.encodeFull(this.fullAlaw, A_ENCODE, 3, 0x1fff);
        }
      } else {
        if (p.codec === "PCMU") this.encodeMinus(own, p.out, U_ENCODE, 2, 0x3fff);
        else this.encodeMinus(own, p.out, A_ENCODE, 3, 0x1fff);
        p.entry.payload = p.out;
      }
    }
    this.frames++;

    if (this.changedCount > 0 && this.options.onTalkState) {
      this.mixing = true;
      try {
        for (let k = 0; k < this.changedCount; k++) {
          const p = this.changed[k]!;
          this.changed[k] = undefined;
          // a listener may have removed it (or others) meanwhile
          if (this.byId.get(p.id) === p) this.options.onTalkState(p.id, p.talking);
        }
      } finally {
        this.mixing = false;
      }
    }
    return this.outputs;
  }

  private detectTalk(p: Participant<Id>, energy: number): void {
    if (!p.talking) {
      if (energy >= this.onPower) {
        if (++p.run >= this.onFrames) {
          p.talking = true;
          p.run = 0;
          this.changed[this.changedCount++] = p;
        }
      } else p.run = 0;
    } else if (energy < this.offPower) {
      if (++p.run >= this.offFrames) {
        p.talking = false;
        p.run = 0;
        this.changed[this.changedCount++] = p;
      }
    } else p.run = 0;
  }

  /** sum - own, limited, encoded: what a contributor hears. */
  private encodeMinus(own: Int16Array, out: Uint8Array, table: Uint8Array, shift: number, mask: number): void {
    const sum = this.sum;
    if (this.soft) {
      for (let i = 0; i < FRAME; i++) out[i] = table[(softLimit(sum[i]! - own[i]!) >> shift) & mask]!;
    } else {
      for (let i = 0; i < FRAME; i++) {
        let v = sum[i]! - own[i]!;
        v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
        out[i] = table[(v >> shift) & mask]!;
      }
    }
  }

  private encodeFull(out: Uint8Array, table: Uint8Array, shift: number, mask: number): Uint8Array {
    const sum = this.sum;
    if (this.soft) {
      for (let i = 0; i < FRAME; i++) out[i] = table[(softLimit(sum[i]!) >> shift) & mask]!;
    } else {
      for (let i = 0; i < FRAME; i++) {
        let v = sum[i]!;
        v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
        out[i] = table[(v >> shift) & mask]!;
      }
    }
    return out;
  }

  private silence(codec: G711Codec): Uint8Array {
    return codec === "PCMU" ? this.silenceUlaw : this.silenceAlaw;
  }

  private get(id: Id): Participant<Id> {
    const p = this.byId.get(id);
    if (!p) throw new MixerError(MixerErrorCode.UNKNOWN_PARTICIPANT, `participant ${String(id)} is not mixed`);
    return p;
  }

  private rebuildOutputs(): void {
    this.outputs = this.list.map((p) => p.entry);
  }
}

/**
 * Identity below the knee; above it the excess is compressed by x / (x + headroom) so the output approaches
 * but never reaches full scale: loud overlaps flatten instead of clipping hard. Returns an integer.
 */
function softLimit(v: number): number {
  if (v > KNEE) {
    const x = v - KNEE;
    return (KNEE + (x * HEADROOM) / (x + HEADROOM)) | 0;
  }
  if (v < -KNEE) {
    const x = -KNEE - v;
    return -(KNEE + (x * HEADROOM) / (x + HEADROOM)) | 0;
  }
  return v;
}
