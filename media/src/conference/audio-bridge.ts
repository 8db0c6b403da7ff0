/**
 * Call audio: each call leg's RTP socket feeds its conference's ConferenceMixer, and one FrameClock
 * (20 ms, monotonic) mixes every conference and sends each leg its N-1 mix as RTP (RFC 3550), with the
 * leg's own SSRC, sequence number and timestamp. A leg on hold is not sent to (RFC 3264 section 8.4).
 */
import { randomInt } from "node:crypto";
import { performance } from "node:perf_hooks";
import { ConferenceMixer, FrameClock, type DtmfDigitEvent } from "../audio/index.ts";
import { serializeRtp } from "../rtp/packet.ts";
import type { NegotiatedAudio } from "../sdp/index.ts";
import type { RtpPort } from "./rtp-port.ts";

interface Leg {
  rtp: RtpPort;
  audio: NegotiatedAudio;
  ssrc: number;
  seq: number;
  timestamp: number;
  out: Buffer;
  onMessage: (buf: Buffer) => void;
}

interface ConferenceAudio {
  mixer: ConferenceMixer<string>;
  legs: Map<string, Leg>;
}

export interface AudioBridgeOptions {
  /** a caller pressed a key (RFC 4733), reported once per press */
  onDtmf?: (conferenceId: string, userId: string, digit: string) => void;
  onTalkState?: (conferenceId: string, userId: string, talking: boolean) => void;
  onError?: (err: unknown) => void;
}

/** We send only when the negotiated direction lets us (our side's view: sendrecv or sendonly). */
const sends = (a: NegotiatedAudio) => a.direction === "sendrecv" || a.direction === "sendonly";

export class AudioBridge {
  private readonly conferences = new Map<string, ConferenceAudio>();
  private readonly clock: FrameClock;

  constructor(private readonly o: AudioBridgeOptions = {}) {
    this.clock = new FrameClock({ onTick: () => this.tick(), onError: (err) => o.onError?.(err) });
  }

  attach(conferenceId: string, userId: string, rtp: RtpPort, audio: NegotiatedAudio, opts: { muted: boolean }): void {
    let conf = this.conferences.get(conferenceId);
    if (!conf) {
      const mixer = new ConferenceMixer<string>({
        onDtmf: (id: string, e: DtmfDigitEvent) => this.o.onDtmf?.(conferenceId, id, e.digit),
        onTalkState: (id: string, talking: boolean) => this.o.onTalkState?.(conferenceId, id, talking),
      });
      conf = { mixer, legs: new Map() };
      this.conferences.set(conferenceId, conf);
    }
    conf.mixer.addParticipant(userId, { codec: audio.codec, telephoneEventPayloadType: audio.telephoneEvent?.payloadType ?? null, muted: opts.muted });
    const mixer = conf.mixer;
    const leg: Leg = {
      rtp, audio,
      ssrc: randomInt(1, 0xffffffff), seq: randomInt(0, 0xffff), timestamp: randomInt(0, 0xffffffff),
      // the mixer makes 20 ms frames; a peer asking another ptime still gets 20 ms packets (a=ptime is a preference)
      out: Buffer.alloc(12 + 160),
      // Bad datagrams are the mixer's to reject (it never throws on wire data).
      onMessage: (buf) => mixer.receiveDatagram(userId, buf, performance.now()),
    };
    rtp.socket.on("message", leg.onMessage);
    conf.legs.set(userId, leg);
    if (!this.clock.running) this.clock.start();
  }

  /** A re-INVITE changed the leg's remote address or direction (hold/resume). */
  update(conferenceId: string, userId: string, audio: NegotiatedAudio): void {
    const leg = this.conferences.get(conferenceId)?.legs.get(userId);
    if (leg) leg.audio = audio;
  }

  setMuted(conferenceId: string, userId: string, muted: boolean): void {
    const conf = this.conferences.get(conferenceId);
    if (conf?.mixer.has(userId)) conf.mixer.setMuted(userId, muted);
  }

  detach(conferenceId: string, userId: string): void {
    const conf = this.conferences.get(conferenceId);
    const leg = conf?.legs.get(userId);
    if (!conf || !leg) return;
    leg.rtp.socket.off("message", leg.onMessage);
    conf.legs.delete(userId);
    conf.mixer.removeParticipant(userId);
    if (conf.legs.size === 0) this.conferences.delete(conferenceId);
    if (this.conferences.size === 0) this.clock.stop();
  }

  get legCount(): number {
    let n = 0;
    for (const c of this.conferences.values()) n += c.legs.size;
    return n;
  }

  private tick(): void {
    for (const conf of this.conferences.values()) {
      for (const frame of conf.mixer.mixFrame()) {
        const leg = conf.legs.get(frame.id);
        if (!leg) continue;
        // The RTP clock runs whether or not we send (RFC 3550 section 5.1: timestamp reflects sampling time).
        const ts = leg.timestamp;
        leg.timestamp = (leg.timestamp + 160) >>> 0;
        if (!sends(leg.audio)) continue;
        const n = serializeRtp({ payloadType: leg.audio.payloadType, seq: leg.seq, timestamp: ts, ssrc: leg.ssrc, payload: frame.payload }, leg.out);
        leg.seq = (leg.seq + 1) & 0xffff;
        leg.rtp.socket.send(leg.out.subarray(0, n), leg.audio.remote.port, leg.audio.remote.address, (err) => {
          if (err) this.o.onError?.(err);
        });
      }
    }
  }

  close(): void {
    for (const [conferenceId, conf] of this.conferences) for (const userId of [...conf.legs.keys()]) this.detach(conferenceId, userId);
    this.clock.stop();
  }
}
