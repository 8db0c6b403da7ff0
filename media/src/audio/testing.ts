/**
 * Helpers for tests and benchmarks: a phone-like RTP sender of G.711 frames. Not part of the public API.
 */
import { decodeG711, encodeG711, g711PayloadType, type G711Codec } from "./g711.ts";
import type { RtpPacketLike } from "../rtp/packet.ts";

export interface SenderOptions {
  codec: G711Codec;
  ssrc?: number;
  seq?: number;
  timestamp?: number;
}

/** Numbers packets like a phone: sequence +1 per packet, timestamp + samples per packet (RFC 3550 5.1). */
export class RtpSender {
  readonly codec: G711Codec;
  ssrc: number;
  seq: number;
  timestamp: number;
  private first = true;

  constructor(options: SenderOptions) {
    this.codec = options.codec;
    this.ssrc = options.ssrc ?? 0x1234;
    this.seq = options.seq ?? 1000;
    this.timestamp = options.timestamp ?? 8000;
  }

  /** The next packet carrying `samples` (encoded into a new payload); the first has the marker bit. */
  packet(samples: Int16Array): RtpPacketLike {
    const payload = new Uint8Array(samples.length);
    encodeG711(this.codec, samples, payload);
    return this.packetOf(payload);
  }

  /** The next packet carrying an already encoded payload. */
  packetOf(payload: Uint8Array): RtpPacketLike {
    const p: RtpPacketLike = { payloadType: g711PayloadType(this.codec), marker: this.first, seq: this.seq, timestamp: this.timestamp, ssrc: this.ssrc, payload };
    this.first = false;
    this.seq = (this.seq + 1) & 0xffff;
    this.timestamp = (this.timestamp + payload.length) >>> 0;
    return p;
  }

  /** Skips `samples` of time without sending (DTX, or a lost packet). */
  skip(samples: number, packets = 1): void {
    this.seq = (this.seq + packets) & 0xffff;
    this.timestamp = (this.timestamp + samples) >>> 0;
  }
}

export function decodePayload(codec: G711Codec, payload: Uint8Array): Int16Array {
  const out = new Int16Array(payload.length);
  decodeG711(codec, payload, out);
  return out;
}

/** Concatenates frames. */
export function concat(frames: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}
