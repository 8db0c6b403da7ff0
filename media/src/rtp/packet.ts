/**
 * RTP fixed header, CSRC list, header extension and padding (RFC 3550 section 5.1 and 5.3.1), and the
 * RTP/RTCP demultiplexing test of RFC 5761 section 4 for a muxed port.
 *
 * Parsing is strict: anything that is not a well-formed RTP version 2 packet becomes an `RtpParseError`
 * with a code, never a half-parsed object (validate at the edge). The payload is a view into the
 * caller's buffer (no copy): it is valid as long as the caller keeps that buffer unchanged.
 */

/** Why a datagram is not an RTP packet. Public and stable: the transport counts drops by code. */
export const RtpErrorCode = {
  /** fewer than the 12 bytes of the fixed header */
  TOO_SHORT: "TOO_SHORT",
  /** V is not 2 (RFC 3550 section 5.1) */
  BAD_VERSION: "BAD_VERSION",
  /** the CC field announces more CSRC identifiers than the datagram holds */
  CSRC_OVERRUN: "CSRC_OVERRUN",
  /** X is set but the extension header or its announced length runs past the end */
  EXTENSION_OVERRUN: "EXTENSION_OVERRUN",
  /** P is set but the padding count is 0 or larger than what follows the header */
  BAD_PADDING: "BAD_PADDING",
} as const;
export type RtpErrorCode = (typeof RtpErrorCode)[keyof typeof RtpErrorCode];

export class RtpParseError extends Error {
  override readonly name = "RtpParseError";
  constructor(
    readonly code: RtpErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** RFC 3550 section 5.3.1: 16 bits defined by profile, then the data (a whole number of 32-bit words). */
export interface RtpHeaderExtension {
  profile: number;
  /** a view into the parsed buffer (no copy) */
  data: Uint8Array;
}

export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  /** 16-bit sequence number */
  seq: number;
  /** 32-bit timestamp, unsigned */
  timestamp: number;
  /** 32-bit synchronization source, unsigned */
  ssrc: number;
  /** contributing sources, unsigned 32-bit each (empty for a packet from an end system) */
  csrc: readonly number[];
  extension: RtpHeaderExtension | null;
  /** number of padding bytes removed from the end, including the count byte (0 when P is clear) */
  paddingLength: number;
  /** a view into the parsed buffer: the bytes between the header (and extension) and the padding */
  payload: Uint8Array;
}

/** What `serializeRtp` needs: the packet fields, with the rarely used ones optional. */
export interface RtpPacketInit {
  payloadType: number;
  marker?: boolean;
  seq: number;
  timestamp: number;
  ssrc: number;
  csrc?: readonly number[];
  extension?: RtpHeaderExtension | null;
  /** pad the packet to this many extra bytes (1..255), RFC 3550 section 5.1 "P" (for encryption block sizes) */
  paddingLength?: number;
  payload: Uint8Array;
}

/** The fields the media core reads from a packet: what the socket layer hands to the jitter buffer. */
export type RtpPacketLike = Pick<RtpPacket, "payloadType" | "marker" | "seq" | "timestamp" | "ssrc" | "payload">;

export const RTP_VERSION = 2;
export const RTP_HEADER_SIZE = 12;
const NO_CSRC: readonly number[] = Object.freeze([]);

/** Parses one RTP packet (RFC 3550 section 5.1), or throws `RtpParseError`. */
export function parseRtp(buf: Uint8Array): RtpPacket {
  const len = buf.length;
  if (len < RTP_HEADER_SIZE) throw new RtpParseError(RtpErrorCode.TOO_SHORT, `RTP packet of ${len} bytes is shorter than the 12-byte fixed header`);
  const b0 = buf[0]!;
  const version = b0 >>> 6;
  if (version !== RTP_VERSION) throw new RtpParseError(RtpErrorCode.BAD_VERSION, `RTP version ${version}, expected 2`);
  const hasPadding = (b0 & 0x20) !== 0;
  const hasExtension = (b0 & 0x10) !== 0;
  const cc = b0 & 0x0f;
  const b1 = buf[1]!;
  let offset = RTP_HEADER_SIZE + cc * 4;
  if (offset > len) throw new RtpParseError(RtpErrorCode.CSRC_OVERRUN, `CC=${cc} needs ${offset} header bytes, packet has ${len}`);

  let csrc = NO_CSRC;
  if (cc > 0) {
    const list: number[] = new Array<number>(cc);
    for (let i = 0; i < cc; i++) list[i] = readU32(buf, RTP_HEADER_SIZE + i * 4);
    csrc = list;
  }

  let extension: RtpHeaderExtension | null = null;
  if (hasExtension) {
    // RFC 3550 section 5.3.1: a 4-byte extension header whose length counts 32-bit words after it.
    if (offset + 4 > len) throw new RtpParseError(RtpErrorCode.EXTENSION_OVERRUN, "X is set but the extension header is truncated");
    const profile = (buf[offset]! << 8) | buf[offset + 1]!;
    const words = (buf[offset + 2]! << 8) | buf[offset + 3]!;
    const end = offset + 4 + words * 4;
    if (end > len) throw new RtpParseError(RtpErrorCode.EXTENSION_OVERRUN, `extension of ${words} words runs past the end of the packet`);
    extension = { profile, data: buf.subarray(offset + 4, end) };
    offset = end;
  }

  let paddingLength = 0;
  if (hasPadding) {
    // RFC 3550 section 5.1: the last octet counts the padding octets, itself included, so 0 is invalid
    // and the padding cannot reach into the header.
    paddingLength = buf[len - 1]!;
    if (paddingLength === 0 || paddingLength > len - offset) {
      throw new RtpParseError(RtpErrorCode.BAD_PADDING, `padding count ${paddingLength} with ${len - offset} bytes after the header`);
    }
  }

  return {
    payloadType: b1 & 0x7f,
    marker: (b1 & 0x80) !== 0,
    seq: (buf[2]! << 8) | buf[3]!,
    timestamp: readU32(buf, 4),
    ssrc: readU32(buf, 8),
    csrc,
    extension,
    paddingLength,
    payload: buf.subarray(offset, len - paddingLength),
  };
}

/**
 * RFC 5761 section 4: on a port shared by RTP and RTCP, a packet whose second octet, read as an RTP
 * marker bit and payload type, has a payload type in 64-95 is RTCP (RTCP packet types 192-223 land
 * there; that is why those RTP payload types must not be used with rtcp-mux). The version must be 2 as
 * well, so STUN or DTLS on the same port (RFC 7983) is neither. The RTCP header is at least 4 bytes.
 */
export function isRtcp(buf: Uint8Array): boolean {
  if (buf.length < 4 || buf[0]! >>> 6 !== RTP_VERSION) return false;
  const pt = buf[1]! & 0x7f;
  return pt >= 64 && pt <= 95;
}

/** Bytes `serializeRtp` writes for these fields. */
export function rtpPacketSize(p: RtpPacketInit): number {
  const cc = p.csrc?.length ?? 0;
  const ext = p.extension ? 4 + p.extension.data.length : 0;
  return RTP_HEADER_SIZE + cc * 4 + ext + p.payload.length + (p.paddingLength ?? 0);
}

/**
 * Writes the packet into `out` at `offset` (no allocation: the sender keeps one buffer per stream) and
 * returns the number of bytes written. Throws `RangeError` when a field is out of range or `out` is too
 * small: those are programming errors, not wire errors.
 */
export function serializeRtp(p: RtpPacketInit, out: Uint8Array, offset = 0): number {
  const cc = p.csrc?.length ?? 0;
  const pad = p.paddingLength ?? 0;
  const ext = p.extension ?? null;
  if (!(p.payloadType >= 0 && p.payloadType <= 127 && Number.isInteger(p.payloadType))) throw new RangeError(`payload type ${p.payloadType} is not 0-127`);
  if (cc > 15) throw new RangeError(`${cc} CSRCs: at most 15 (RFC 3550 section 5.1, CC is 4 bits)`);
  if (!(pad >= 0 && pad <= 255 && Number.isInteger(pad))) throw new RangeError(`padding ${pad} is not 0-255`);
  if (ext && (ext.data.length % 4 !== 0 || ext.data.length / 4 > 0xffff)) throw new RangeError("extension data must be a whole number of 32-bit words (RFC 3550 section 5.3.1)");
  const size = rtpPacketSize(p);
  if (offset < 0 || offset + size > out.length) throw new RangeError(`RTP packet of ${size} bytes does not fit in ${out.length - offset} bytes`);

  out[offset] = (RTP_VERSION << 6) | (pad > 0 ? 0x20 : 0) | (ext ? 0x10 : 0) | cc;
  out[offset + 1] = (p.marker ? 0x80 : 0) | p.payloadType;
  out[offset + 2] = (p.seq >>> 8) & 0xff;
  out[offset + 3] = p.seq & 0xff;
  writeU32(out, offset + 4, p.timestamp);
  writeU32(out, offset + 8, p.ssrc);
  let at = offset + RTP_HEADER_SIZE;
  for (let i = 0; i < cc; i++, at += 4) writeU32(out, at, p.csrc![i]!);
  if (ext) {
    out[at] = (ext.profile >>> 8) & 0xff;
    out[at + 1] = ext.profile & 0xff;
    const words = ext.data.length / 4;
    out[at + 2] = (words >>> 8) & 0xff;
    out[at + 3] = words & 0xff;
    out.set(ext.data, at + 4);
    at += 4 + ext.data.length;
  }
  out.set(p.payload, at);
  at += p.payload.length;
  if (pad > 0) {
    out.fill(0, at, at + pad - 1);
    out[at + pad - 1] = pad;
    at += pad;
  }
  return at - offset;
}

function readU32(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

function writeU32(b: Uint8Array, i: number, v: number): void {
  b[i] = (v >>> 24) & 0xff;
  b[i + 1] = (v >>> 16) & 0xff;
  b[i + 2] = (v >>> 8) & 0xff;
  b[i + 3] = v & 0xff;
}
