/**
 * DTMF over RTP as telephone-events (RFC 4733): the payload codec, a per-participant receiver that turns
 * the packet train of each key press into one digit, and a sender's packet train.
 *
 * RFC 4733 section 2.3, the payload (4 bytes, network order):
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    |     event     |E|R| volume    |          duration             |
 *
 * One key press is sent as a start packet (marker bit set), updates with a growing duration, and an end
 * packet (E set) sent three times (section 2.5.1.4), all with the same RTP timestamp: the event's start
 * (section 2.5.1.2). So the receiver reports a digit when it first sees a timestamp and ignores the rest.
 */
import type { RtpPacketLike } from "../rtp/packet.ts";

export type DtmfDigit = "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "*" | "#" | "A" | "B" | "C" | "D";

/** RFC 4733 section 3.2, table 1: events 0-15 are the DTMF keys in this order. */
export const DTMF_DIGITS: readonly DtmfDigit[] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#", "A", "B", "C", "D"];

/** The dynamic payload type phones use most for telephone-event (the SDP says which one). */
export const DEFAULT_TELEPHONE_EVENT_PAYLOAD_TYPE = 101;

export function dtmfEventCode(digit: DtmfDigit): number {
  const code = DTMF_DIGITS.indexOf(digit);
  if (code < 0) throw new RangeError(`not a DTMF digit: ${JSON.stringify(digit)}`);
  return code;
}

/** The key of an event code, or null for the other telephone events (flash, tones, ...). */
export function dtmfDigitOf(event: number): DtmfDigit | null {
  return DTMF_DIGITS[event] ?? null;
}

export const TelephoneEventErrorCode = {
  /** not a positive multiple of the 4-byte event block */
  BAD_LENGTH: "BAD_LENGTH",
} as const;
export type TelephoneEventErrorCode = (typeof TelephoneEventErrorCode)[keyof typeof TelephoneEventErrorCode];

export class TelephoneEventParseError extends Error {
  override readonly name = "TelephoneEventParseError";
  constructor(
    readonly code: TelephoneEventErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface TelephoneEvent {
  /** 0-255; 0-15 are DTMF keys */
  event: number;
  /** E: the last packet(s) of the event */
  end: boolean;
  /** power level in -dBm0, 0-63 (section 2.3.4) */
  volume: number;
  /** in timestamp units (samples at 8 kHz) since the event's timestamp, 0-65535 (section 2.3.5) */
  duration: number;
}

/**
 * Parses a telephone-event payload. RFC 4733 defines one 4-byte block; packets carrying several blocks
 * (RFC 2833 senders that stacked events) are accepted and their last block, the newest event, is returned.
 * The R bit is ignored, as section 2.3.3 asks of receivers.
 */
export function parseTelephoneEvent(payload: Uint8Array): TelephoneEvent {
  const n = payload.length;
  if (n === 0 || n % 4 !== 0) throw new TelephoneEventParseError(TelephoneEventErrorCode.BAD_LENGTH, `telephone-event payload of ${n} bytes: expected 4`);
  const i = n - 4;
  const flags = payload[i + 1]!;
  return {
    event: payload[i]!,
    end: (flags & 0x80) !== 0,
    volume: flags & 0x3f,
    duration: (payload[i + 2]! << 8) | payload[i + 3]!,
  };
}

/** Writes the 4-byte payload into `out` at `offset` (a new array by default) and returns `out`. */
export function encodeTelephoneEvent(ev: TelephoneEvent, out: Uint8Array = new Uint8Array(4), offset = 0): Uint8Array {
  if (!(Number.isInteger(ev.event) && ev.event >= 0 && ev.event <= 255)) throw new RangeError(`event ${ev.event} is not 0-255`);
  if (!(Number.isInteger(ev.volume) && ev.volume >= 0 && ev.volume <= 63)) throw new RangeError(`volume ${ev.volume} is not 0-63`);
  if (!(Number.isInteger(ev.duration) && ev.duration >= 0 && ev.duration <= 0xffff)) throw new RangeError(`duration ${ev.duration} is not 0-65535`);
  if (offset < 0 || offset + 4 > out.length) throw new RangeError("telephone-event does not fit");
  out[offset] = ev.event;
  out[offset + 1] = (ev.end ? 0x80 : 0) | ev.volume;
  out[offset + 2] = ev.duration >>> 8;
  out[offset + 3] = ev.duration & 0xff;
  return out;
}

/** A key press as the receiver reports it. */
export interface DtmfDigitEvent {
  digit: DtmfDigit;
  /** RTP timestamp of the event start */
  timestamp: number;
  /** true when the first packet seen was already an end packet (the rest of the train was lost) */
  endOnly: boolean;
}

/** Timestamps of recent events remembered to recognize late retransmissions. */
const RECENT = 8;
/** A segment this long is the first part of a long event (section 2.5.1.3), not a key press of its own. */
const LONG_SEGMENT = 0xffff - 1600;

/**
 * One participant's telephone-event stream -> digits, each key press reported once: every packet of an
 * event shares its RTP timestamp, so a timestamp seen before is a repeat (updates, the three end packets,
 * late duplicates). Two presses of the same key have two timestamps and are both reported. A new SSRC starts
 * afresh. Events other than the 16 DTMF keys are ignored.
 */
export class DtmfReceiver {
  private ssrc = -1;
  private readonly recent = new Float64Array(RECENT).fill(-1);
  private next = 0;
  private current = { timestamp: -1, event: -1, ended: true, duration: 0 };

  /**
   * Feeds one telephone-event packet. Returns the digit when this packet starts a new key press, else
   * null. Throws `TelephoneEventParseError` on a malformed payload.
   */
  receive(packet: Pick<RtpPacketLike, "timestamp" | "ssrc" | "payload">): DtmfDigitEvent | null {
    const ev = parseTelephoneEvent(packet.payload);
    if (packet.ssrc !== this.ssrc) {
      this.ssrc = packet.ssrc;
      this.recent.fill(-1);
      this.current = { timestamp: -1, event: -1, ended: true, duration: 0 };
    }
    const ts = packet.timestamp;
    const cur = this.current;
    if (ts === cur.timestamp) {
      if (ev.duration > cur.duration) cur.duration = ev.duration;
      if (ev.end) cur.ended = true;
      return null;
    }
    if (this.recent.includes(ts)) return null; // a late packet of an earlier event
    this.remember(ts);
    // Section 2.5.1.3: an event longer than the 16-bit duration continues in a new segment whose timestamp
    // follows the previous segment; it is the same key press.
    const continued = !cur.ended && ev.event === cur.event && cur.duration >= LONG_SEGMENT && ((ts - cur.timestamp) >>> 0) <= 0x10000;
    this.current = { timestamp: ts, event: ev.event, ended: ev.end, duration: ev.duration };
    if (continued) return null;
    const digit = dtmfDigitOf(ev.event);
    return digit === null ? null : { digit, timestamp: ts, endOnly: ev.end };
  }

  private remember(ts: number): void {
    this.recent[this.next] = ts;
    this.next = (this.next + 1) % RECENT;
  }
}

export interface TelephoneEventTrainOptions {
  digit: DtmfDigit;
  /** RTP timestamp of the event start (shared by every packet of the train) */
  timestamp: number;
  /** sequence number of the first packet; the others follow (mod 2^16) */
  seq: number;
  ssrc: number;
  /** default 101 */
  payloadType?: number;
  /** how long the key is held; default 100 ms */
  durationMs?: number;
  /** interval between updates; default 50 ms (section 2.5.1.2's suggestion) */
  intervalMs?: number;
  /** -dBm0, default 10 */
  volume?: number;
  /** times the end packet is sent; default 3 (section 2.5.1.4) */
  endRepeats?: number;
  /** default 8000 */
  clockRate?: number;
}

/** One packet of a train, with when to send it (ms after the first). */
export interface TelephoneEventPacket {
  payloadType: number;
  marker: boolean;
  seq: number;
  timestamp: number;
  ssrc: number;
  payload: Uint8Array;
  sendAtMs: number;
}

/**
 * The packets of one key press as a phone sends them: a start packet with the marker bit (section 2.5.1.2),
 * an update every `intervalMs` with the cumulative duration, then the end packet `endRepeats` times. Durations
 * longer than 16 bits are cut to 0xFFFF (no long-event segments: key presses are short).
 */
export function telephoneEventTrain(options: TelephoneEventTrainOptions): TelephoneEventPacket[] {
  const rate = options.clockRate ?? 8000;
  const interval = options.intervalMs ?? 50;
  const durationMs = options.durationMs ?? 100;
  const repeats = options.endRepeats ?? 3;
  if (!(interval > 0 && durationMs > 0 && repeats >= 1)) throw new RangeError("intervalMs and durationMs must be positive, endRepeats at least 1");
  const event = dtmfEventCode(options.digit);
  const volume = options.volume ?? 10;
  const payloadType = options.payloadType ?? DEFAULT_TELEPHONE_EVENT_PAYLOAD_TYPE;
  const total = Math.min(0xffff, Math.round((durationMs * rate) / 1000));
  const packets: TelephoneEventPacket[] = [];
  const push = (end: boolean, duration: number, sendAtMs: number) =>
    packets.push({
      payloadType,
      marker: packets.length === 0,
      seq: (options.seq + packets.length) & 0xffff,
      timestamp: options.timestamp >>> 0,
      ssrc: options.ssrc >>> 0,
      payload: encodeTelephoneEvent({ event, end, volume, duration }),
      sendAtMs,
    });
  let t = 0;
  for (; t < durationMs; t += interval) push(false, Math.min(total, Math.round((t * rate) / 1000)), t);
  for (let i = 0; i < repeats; i++) push(true, total, durationMs + i * interval);
  return packets;
}
