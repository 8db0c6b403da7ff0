/**
 * Call audio: every call leg has one RTP port and, at any time, one of three modes:
 * - "mixed": its RTP feeds its conference's ConferenceMixer and it hears its N-1 mix;
 * - "cues": outside any mix, it hears cues only (the PIN prompt, the lobby's hold tone) while its keys
 *   are still read (RFC 4733), so nobody hears a caller who is not admitted yet;
 * - "idle": nothing is sent, and what it sends is dropped.
 * One FrameClock (20 ms, monotonic) drives every conference and every leg; each leg keeps its own SSRC,
 * sequence number and timestamp across mode changes, so a caller moving from the PIN prompt into the
 * conference sees one continuous RTP stream (RFC 3550 section 5.1). A leg on hold is not sent to
 * (RFC 3264 section 8.4).
 */
import { randomInt } from "node:crypto";
import { performance } from "node:perf_hooks";
import { ConferenceMixer, CuePlayer, DtmfReceiver, FrameClock, TelephoneEventParseError, encodeG711, type Cue, type DtmfDigitEvent } from "../audio/index.ts";
import { isRtcp, parseRtp, RtpParseError, serializeRtp } from "../rtp/packet.ts";
import type { NegotiatedAudio } from "../sdp/index.ts";
import type { RtpPort } from "./rtp-port.ts";

type LegMode =
  | { kind: "idle" }
  | { kind: "mixed"; conference: ConferenceAudio }
  | { kind: "cues"; player: CuePlayer; dtmf: DtmfReceiver };

interface Leg {
  id: string;
  rtp: RtpPort;
  audio: NegotiatedAudio;
  mode: LegMode;
  ssrc: number;
  seq: number;
  timestamp: number;
  /** the RTP packet we send (12-byte header + one 20 ms G.711 frame), reused */
  out: Buffer;
  /** a cue frame before encoding, reused */
  pcm: Int16Array;
  /** the caller has sent us RTP (it sends early media, RFC 3960) */
  heard: boolean;
  onMessage: (buf: Buffer) => void;
}

interface ConferenceAudio {
  id: string;
  mixer: ConferenceMixer<string>;
  legs: Map<string, Leg>;
}

export interface AudioBridgeOptions {
  /** a caller pressed a key (RFC 4733), reported once per press, in any mode but idle */
  onDtmf?: (legId: string, digit: string) => void;
  /** a mixed leg's talk state changed (the mixer's voice activity detection) */
  onTalkState?: (legId: string, talking: boolean) => void;
  /** the first RTP packet from a leg arrived */
  onMedia?: (legId: string) => void;
  onError?: (err: unknown) => void;
}

/** We send only when the negotiated direction lets us (our side's view: sendrecv or sendonly). */
const sends = (a: NegotiatedAudio) => a.direction === "sendrecv" || a.direction === "sendonly";

const FRAME = 160;

export class AudioBridge {
  private readonly legs = new Map<string, Leg>();
  private readonly conferences = new Map<string, ConferenceAudio>();
  private readonly clock: FrameClock;

  constructor(private readonly o: AudioBridgeOptions = {}) {
    this.clock = new FrameClock({ onTick: () => this.tick(), onError: (err) => o.onError?.(err) });
  }

  /** A new leg, idle until it is mixed or played cues. */
  open(legId: string, rtp: RtpPort, audio: NegotiatedAudio): void {
    if (this.legs.has(legId)) throw new Error(`leg ${legId} is open already`);
    const leg: Leg = {
      id: legId, rtp, audio, mode: { kind: "idle" },
      ssrc: randomInt(1, 0xffffffff), seq: randomInt(0, 0xffff), timestamp: randomInt(0, 0xffffffff),
      // the mixer makes 20 ms frames; a peer asking another ptime still gets 20 ms packets (a=ptime is a preference)
      out: Buffer.alloc(12 + FRAME), pcm: new Int16Array(FRAME), heard: false,
      onMessage: (buf) => this.receive(leg, buf),
    };
    rtp.socket.on("message", leg.onMessage);
    this.legs.set(legId, leg);
  }

  has(legId: string): boolean {
    return this.legs.has(legId);
  }

  /** Whether the leg has sent us any RTP yet. */
  heard(legId: string): boolean {
    return this.legs.get(legId)?.heard ?? false;
  }

  /** The leg joins its conference's mix (hears N-1, is heard unless muted). */
  mix(legId: string, conferenceId: string, opts: { muted: boolean }): void {
    const leg = this.leg(legId);
    if (leg.mode.kind === "mixed" && leg.mode.conference.id === conferenceId) return;
    this.leave(leg);
    let conf = this.conferences.get(conferenceId);
    if (!conf) {
      const mixer = new ConferenceMixer<string>({
        onDtmf: (id: string, e: DtmfDigitEvent) => this.o.onDtmf?.(id, e.digit),
        onTalkState: (id: string, talking: boolean) => this.o.onTalkState?.(id, talking),
      });
      conf = { id: conferenceId, mixer, legs: new Map() };
      this.conferences.set(conferenceId, conf);
    }
    conf.mixer.addParticipant(legId, { codec: leg.audio.codec, telephoneEventPayloadType: leg.audio.telephoneEvent?.payloadType ?? null, muted: opts.muted });
    conf.legs.set(legId, leg);
    leg.mode = { kind: "mixed", conference: conf };
    this.startClock();
  }

  /** The leg leaves any mix and hears `cues` (the last one repeating); its keys are still reported. */
  play(legId: string, ...cues: Cue[]): void {
    const leg = this.leg(legId);
    if (leg.mode.kind === "cues") {
      leg.mode.player.play(...cues);
      return;
    }
    this.leave(leg);
    leg.mode = { kind: "cues", player: new CuePlayer(...cues), dtmf: new DtmfReceiver() };
    this.startClock();
  }

  /** What the leg hears now: "mix", a cue's name, or "nothing". */
  hearing(legId: string): string {
    const mode = this.legs.get(legId)?.mode;
    if (!mode || mode.kind === "idle") return "nothing";
    return mode.kind === "mixed" ? "mix" : mode.player.playing;
  }

  /** A re-INVITE changed the leg's remote address or direction (hold/resume). */
  update(legId: string, audio: NegotiatedAudio): void {
    const leg = this.legs.get(legId);
    if (leg) leg.audio = audio;
  }

  setMuted(legId: string, muted: boolean): void {
    const mode = this.legs.get(legId)?.mode;
    if (mode?.kind === "mixed") mode.conference.mixer.setMuted(legId, muted);
  }

  close(legId: string): void {
    const leg = this.legs.get(legId);
    if (!leg) return;
    this.leave(leg);
    leg.rtp.socket.off("message", leg.onMessage);
    this.legs.delete(legId);
    if (this.legs.size === 0) this.clock.stop();
  }

  get legCount(): number {
    return this.legs.size;
  }

  private leg(legId: string): Leg {
    const leg = this.legs.get(legId);
    if (!leg) throw new Error(`no leg ${legId}`);
    return leg;
  }

  /** Takes the leg out of its mix (if any); it is idle afterwards. */
  private leave(leg: Leg): void {
    if (leg.mode.kind === "mixed") {
      const conf = leg.mode.conference;
      conf.legs.delete(leg.id);
      conf.mixer.removeParticipant(leg.id);
      if (conf.legs.size === 0) this.conferences.delete(conf.id);
    }
    leg.mode = { kind: "idle" };
  }

  private startClock(): void {
    if (!this.clock.running) this.clock.start();
  }

  /** Bad datagrams are dropped here or by the mixer (neither throws on wire data). */
  private receive(leg: Leg, buf: Buffer): void {
    // Only RTP counts as media from the caller: not the STUN or RTCP a phone may send first (RFC 7983:
    // RTP and RTCP start with 128-191; RTCP packet types are 192-223 in the second byte, RFC 5761).
    if (!leg.heard && buf.length >= 12 && buf[0]! >= 128 && buf[0]! <= 191 && !isRtcp(buf)) {
      leg.heard = true;
      this.o.onMedia?.(leg.id);
    }
    const mode = leg.mode;
    if (mode.kind === "mixed") {
      mode.conference.mixer.receiveDatagram(leg.id, buf, performance.now());
      return;
    }
    if (mode.kind !== "cues" || isRtcp(buf)) return;
    const te = leg.audio.telephoneEvent?.payloadType;
    if (te === undefined) return;
    try {
      const packet = parseRtp(buf);
      if (packet.payloadType !== te) return;
      const digit = mode.dtmf.receive(packet);
      if (digit !== null) this.o.onDtmf?.(leg.id, digit.digit);
    } catch (err) {
      if (!(err instanceof RtpParseError) && !(err instanceof TelephoneEventParseError)) throw err;
    }
  }

  private tick(): void {
    for (const conf of this.conferences.values()) {
      for (const frame of conf.mixer.mixFrame()) {
        const leg = conf.legs.get(frame.id);
        if (leg) this.send(leg, frame.payload);
      }
    }
    for (const leg of this.legs.values()) {
      if (leg.mode.kind !== "cues") continue;
      leg.mode.player.fill(leg.pcm);
      // encode straight into the packet's payload area; send() serializes the header in front of it
      encodeG711(leg.audio.codec, leg.pcm, leg.out, FRAME, 0, 12);
      this.send(leg, leg.out.subarray(12));
    }
  }

  private send(leg: Leg, payload: Uint8Array): void {
    // The RTP clock runs whether or not we send (RFC 3550 section 5.1: timestamp reflects sampling time).
    const ts = leg.timestamp;
    leg.timestamp = (leg.timestamp + FRAME) >>> 0;
    if (!sends(leg.audio)) return;
    const n = serializeRtp({ payloadType: leg.audio.payloadType, seq: leg.seq, timestamp: ts, ssrc: leg.ssrc, payload }, leg.out);
    leg.seq = (leg.seq + 1) & 0xffff;
    leg.rtp.socket.send(leg.out.subarray(0, n), leg.audio.remote.port, leg.audio.remote.address, (err) => {
      if (err) this.o.onError?.(err);
    });
  }

  /** Stops every leg. */
  shutdown(): void {
    for (const id of [...this.legs.keys()]) this.close(id);
    this.clock.stop();
  }
}
