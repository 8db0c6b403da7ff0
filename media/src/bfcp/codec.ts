/**
 * The BFCP (RFC 8855) binary codec: typed messages to bytes and back.
 *
 * Why our own: there is no maintained BFCP library on npm. The JavaScript code around follows RFC 4582
 * (no version 2, no R/F flags, the pre-RFC 8855 numbering of primitives 14-18) and validates loosely; the
 * maintained implementations are C (libre, libbfcp), whose binding would cost a native build for what is
 * ~1k lines of plain TLV code. Owning it also lets refusals carry what the server needs to answer with
 * an Error primitive (RFC 8855 section 13).
 *
 * Decoding is strict: every Length is checked against its container before any value is read, the
 * grammar of section 5.3 is applied (required attributes present, each attribute where it is allowed,
 * at most once unless repeated), text must be UTF-8. Failures throw `BfcpParseError` with a stable code
 * and, once the 12-octet COMMON-HEADER was readable, the header fields to address the Error reply.
 * Encoding writes attributes in the order of the grammar; decoding accepts any order.
 *
 * Fragmentation (the F flag, used over UDP only) is refused with FRAGMENTED rather than reassembled.
 */
import {
  AttributeReader,
  BfcpWriter,
  MANY,
  ONCE,
  checkUint,
  rules,
  writeBeneficiaryInformation,
  writeErrorCode,
  writeExtensions,
  writeFloorRequestInformation,
  writePriority,
  writeSupported,
  writeText,
  writeUnsigned16,
  type AttributeBag,
  type Rules,
} from "./attributes.ts";
import {
  BFCP_HEADER_SIZE,
  BFCP_MAX_MESSAGE_SIZE,
  BfcpAttributeType as T,
  BfcpErrorCode,
  BfcpPrimitive as P,
  bfcpAttributeName,
  bfcpPrimitiveName,
  isBfcpPrimitive,
  type BfcpPrimitive,
  type BfcpVersion,
} from "./constants.ts";
import { BfcpEncodeError, BfcpEncodeErrorCode, BfcpParseError, BfcpParseErrorCode, type BfcpHeaderInfo } from "./errors.ts";
import type { BfcpErrorMessage, BfcpHeader, BfcpMessage } from "./messages.ts";

export interface BfcpDecodeOptions {
  /**
   * The version the transport uses (RFC 8855 section 5.1: 1 over TCP/TLS, 2 over UDP/DTLS); any other is
   * refused with UNSUPPORTED_VERSION. Without it, both are accepted.
   */
  version?: BfcpVersion;
  /** Largest message accepted, header included; TOO_LARGE beyond. Default: what Payload Length allows. */
  maxMessageSize?: number;
}

/**
 * The COMMON-HEADER at `offset` (RFC 8855 section 5.1), as read, without judging it. The caller has
 * checked that 12 octets are there.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | Ver |R|F| Res |  Primitive    |        Payload Length         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                         Conference ID                         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Transaction ID        |            User ID            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | Fragment Offset (if F is set) | Fragment Length (if F is set) |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The 3 Res bits are ignored (zero when sent).
 */
export function readBfcpHeader(buf: Buffer, offset = 0): BfcpHeaderInfo {
  const b0 = buf[offset]!;
  return {
    version: b0 >> 5,
    responder: (b0 & 0x10) !== 0,
    fragmented: (b0 & 0x08) !== 0,
    primitive: buf[offset + 1]!,
    payloadLength: buf.readUInt16BE(offset + 2) * 4,
    conferenceId: buf.readUInt32BE(offset + 4),
    transactionId: buf.readUInt16BE(offset + 8),
    userId: buf.readUInt16BE(offset + 10),
  };
}

/**
 * The checks that decide how long a message is, shared with the stream framer: on a stream, failing one
 * of them loses the framing. Returns the total length (header and payload) or the error.
 */
export function checkBfcpFraming(header: BfcpHeaderInfo, opts?: BfcpDecodeOptions): number | BfcpParseError {
  const want = opts?.version;
  if (want !== undefined ? header.version !== want : header.version !== 1 && header.version !== 2) {
    const expected = want !== undefined ? `${want}` : "1 or 2";
    return new BfcpParseError(BfcpParseErrorCode.UNSUPPORTED_VERSION, `BFCP version ${header.version}, expected ${expected}`, { header });
  }
  if (header.fragmented) {
    return new BfcpParseError(BfcpParseErrorCode.FRAGMENTED, "fragmented message (F flag set): reassembly is not supported", { header });
  }
  const total = BFCP_HEADER_SIZE + header.payloadLength;
  const max = Math.min(opts?.maxMessageSize ?? BFCP_MAX_MESSAGE_SIZE, BFCP_MAX_MESSAGE_SIZE);
  if (total > max) {
    return new BfcpParseError(BfcpParseErrorCode.TOO_LARGE, `message of ${total} octets, the limit is ${max}`, { header });
  }
  return total;
}

// The grammar of each primitive (RFC 8855 section 5.3): which attributes may appear, and how often.
const NONE = rules([]);
const PRIMITIVE_RULES: readonly Rules[] = [
  NONE, // 0 is no primitive
  rules([[T.FloorId, MANY], [T.BeneficiaryId, ONCE], [T.ParticipantProvidedInfo, ONCE], [T.Priority, ONCE]]), // 5.3.1 FloorRequest
  rules([[T.FloorRequestId, ONCE]]), // 5.3.2 FloorRelease
  rules([[T.FloorRequestId, ONCE]]), // 5.3.3 FloorRequestQuery
  rules([[T.FloorRequestInformation, ONCE]]), // 5.3.4 FloorRequestStatus
  rules([[T.BeneficiaryId, ONCE]]), // 5.3.5 UserQuery
  rules([[T.BeneficiaryInformation, ONCE], [T.FloorRequestInformation, MANY]]), // 5.3.6 UserStatus
  rules([[T.FloorId, MANY]]), // 5.3.7 FloorQuery
  rules([[T.FloorId, ONCE], [T.FloorRequestInformation, MANY]]), // 5.3.8 FloorStatus
  rules([[T.FloorRequestInformation, ONCE]]), // 5.3.9 ChairAction
  NONE, // 5.3.10 ChairActionAck
  NONE, // 5.3.11 Hello
  rules([[T.SupportedPrimitives, ONCE], [T.SupportedAttributes, ONCE]]), // 5.3.12 HelloAck
  rules([[T.ErrorCode, ONCE], [T.ErrorInfo, ONCE]]), // 5.3.13 Error
  NONE, // 5.3.14 FloorRequestStatusAck
  NONE, // 5.3.15 FloorStatusAck
  NONE, // 5.3.16 Goodbye
  NONE, // 5.3.17 GoodbyeAck
];

/**
 * Decodes one whole BFCP message: a datagram, or a frame `BfcpStreamFramer` cut from a stream. `buf` must
 * hold exactly the message (TRUNCATED if shorter than its Payload Length says, BAD_LENGTH if longer).
 * Throws only `BfcpParseError`. The message keeps no reference to `buf`.
 */
export function decodeBfcp(buf: Buffer, opts?: BfcpDecodeOptions): BfcpMessage {
  if (buf.length < BFCP_HEADER_SIZE) {
    throw new BfcpParseError(BfcpParseErrorCode.TRUNCATED, `${buf.length} octets, shorter than the ${BFCP_HEADER_SIZE}-octet COMMON-HEADER`);
  }
  const header = readBfcpHeader(buf);
  const total = checkBfcpFraming(header, opts);
  if (typeof total !== "number") throw total;
  if (buf.length < total) {
    throw new BfcpParseError(BfcpParseErrorCode.TRUNCATED, `Payload Length announces ${total} octets, ${buf.length} arrived`, { header });
  }
  if (buf.length > total) {
    throw new BfcpParseError(BfcpParseErrorCode.BAD_LENGTH, `Payload Length announces ${total} octets, ${buf.length} arrived`, { header });
  }
  const primitive = header.primitive;
  if (!isBfcpPrimitive(primitive)) {
    throw new BfcpParseError(BfcpParseErrorCode.UNKNOWN_PRIMITIVE, `unknown primitive ${primitive}`, { header });
  }
  const reader = new AttributeReader(buf, header);
  reader.scan(BFCP_HEADER_SIZE, total);
  const unknown = reader.unknownMandatory;
  if (unknown.length > 0) {
    throw new BfcpParseError(
      BfcpParseErrorCode.UNKNOWN_MANDATORY_ATTRIBUTE,
      `unknown mandatory attribute(s) ${unknown.join(", ")}`,
      { header, unknownAttributes: unknown },
    );
  }
  const bag = reader.collect(BFCP_HEADER_SIZE, total, PRIMITIVE_RULES[primitive]!, bfcpPrimitiveName(primitive));
  const base: BfcpHeader = {
    version: header.version as BfcpVersion,
    responder: header.responder,
    conferenceId: header.conferenceId,
    transactionId: header.transactionId,
    userId: header.userId,
  };
  const msg = build(primitive, base, bag, reader);
  if (bag.extensions.length > 0) msg.extensions = bag.extensions;
  return msg;
}

function build(primitive: BfcpPrimitive, h: BfcpHeader, bag: AttributeBag, reader: AttributeReader): BfcpMessage {
  const need = <V>(v: V | undefined, type: number): V => {
    if (v === undefined) reader.fail(BfcpParseErrorCode.MISSING_ATTRIBUTE, `${bfcpPrimitiveName(primitive)} without ${bfcpAttributeName(type)}`, { type });
    return v;
  };
  switch (primitive) {
    case P.FloorRequest: {
      if (bag.floorIds.length === 0) reader.fail(BfcpParseErrorCode.MISSING_ATTRIBUTE, "FloorRequest without FLOOR-ID", { type: T.FloorId });
      const m: BfcpMessage = { ...h, primitive, floorIds: bag.floorIds };
      if (bag.beneficiaryId !== undefined) m.beneficiaryId = bag.beneficiaryId;
      if (bag.participantProvidedInfo !== undefined) m.participantProvidedInfo = bag.participantProvidedInfo;
      if (bag.priority !== undefined) m.priority = bag.priority;
      return m;
    }
    case P.FloorRelease:
    case P.FloorRequestQuery:
      return { ...h, primitive, floorRequestId: need(bag.floorRequestId, T.FloorRequestId) };
    case P.FloorRequestStatus:
    case P.ChairAction:
      return { ...h, primitive, floorRequestInformation: need(bag.floorRequestInformation[0], T.FloorRequestInformation) };
    case P.UserQuery: {
      const m: BfcpMessage = { ...h, primitive };
      if (bag.beneficiaryId !== undefined) m.beneficiaryId = bag.beneficiaryId;
      return m;
    }
    case P.UserStatus: {
      const m: BfcpMessage = { ...h, primitive, floorRequestInformation: bag.floorRequestInformation };
      if (bag.beneficiaryInformation !== undefined) m.beneficiaryInformation = bag.beneficiaryInformation;
      return m;
    }
    case P.FloorQuery:
      return { ...h, primitive, floorIds: bag.floorIds };
    case P.FloorStatus: {
      const m: BfcpMessage = { ...h, primitive, floorRequestInformation: bag.floorRequestInformation };
      if (bag.floorIds[0] !== undefined) m.floorId = bag.floorIds[0];
      return m;
    }
    case P.HelloAck:
      return {
        ...h,
        primitive,
        supportedPrimitives: need(bag.supportedPrimitives, T.SupportedPrimitives),
        supportedAttributes: need(bag.supportedAttributes, T.SupportedAttributes),
      };
    case P.Error: {
      const m: BfcpMessage = { ...h, primitive, errorCode: need(bag.errorCode, T.ErrorCode) };
      if (bag.errorInfo !== undefined) m.errorInfo = bag.errorInfo;
      return m;
    }
    case P.ChairActionAck:
    case P.Hello:
    case P.FloorRequestStatusAck:
    case P.FloorStatusAck:
    case P.Goodbye:
    case P.GoodbyeAck:
      return { ...h, primitive };
  }
}

const writer = new BfcpWriter();

/**
 * Encodes a message (RFC 8855 section 5): the COMMON-HEADER without fragment fields, then the attributes
 * in the order of the primitive's grammar (section 5.3), extension attributes last. Throws
 * `BfcpEncodeError` for a value outside its field or a message too long for its Length fields.
 */
export function encodeBfcp(msg: BfcpMessage): Buffer {
  if (msg.version !== 1 && msg.version !== 2) {
    throw new BfcpEncodeError(BfcpEncodeErrorCode.VALUE_OUT_OF_RANGE, `version out of range: ${String(msg.version)}`);
  }
  checkUint(msg.conferenceId, 32, "Conference ID");
  checkUint(msg.transactionId, 16, "Transaction ID");
  checkUint(msg.userId, 16, "User ID");
  const w = writer;
  w.reset();
  w.reserve(BFCP_HEADER_SIZE);
  w.u8((msg.version << 5) | (msg.responder ? 0x10 : 0));
  w.u8(msg.primitive);
  w.u16(0); // Payload Length, set below
  w.u32(msg.conferenceId);
  w.u16(msg.transactionId);
  w.u16(msg.userId);
  writeBody(w, msg);
  writeExtensions(w, msg.extensions);
  const payload = w.off - BFCP_HEADER_SIZE;
  if (payload > 0xffff * 4) {
    throw new BfcpEncodeError(BfcpEncodeErrorCode.MESSAGE_TOO_LONG, `payload of ${payload} octets exceeds the 16-bit Payload Length`);
  }
  w.setU16(2, payload / 4);
  return w.take();
}

function writeBody(w: BfcpWriter, msg: BfcpMessage): void {
  switch (msg.primitive) {
    case P.FloorRequest:
      if (msg.floorIds.length === 0) throw new BfcpEncodeError(BfcpEncodeErrorCode.MISSING_ATTRIBUTE, "FloorRequest needs at least one FLOOR-ID");
      for (const id of msg.floorIds) writeUnsigned16(w, T.FloorId, id);
      if (msg.beneficiaryId !== undefined) writeUnsigned16(w, T.BeneficiaryId, msg.beneficiaryId);
      if (msg.participantProvidedInfo !== undefined) writeText(w, T.ParticipantProvidedInfo, msg.participantProvidedInfo);
      if (msg.priority !== undefined) writePriority(w, msg.priority);
      return;
    case P.FloorRelease:
    case P.FloorRequestQuery:
      writeUnsigned16(w, T.FloorRequestId, msg.floorRequestId);
      return;
    case P.FloorRequestStatus:
    case P.ChairAction:
      writeFloorRequestInformation(w, msg.floorRequestInformation);
      return;
    case P.UserQuery:
      if (msg.beneficiaryId !== undefined) writeUnsigned16(w, T.BeneficiaryId, msg.beneficiaryId);
      return;
    case P.UserStatus:
      if (msg.beneficiaryInformation !== undefined) writeBeneficiaryInformation(w, msg.beneficiaryInformation);
      for (const fri of msg.floorRequestInformation) writeFloorRequestInformation(w, fri);
      return;
    case P.FloorQuery:
      for (const id of msg.floorIds) writeUnsigned16(w, T.FloorId, id);
      return;
    case P.FloorStatus:
      if (msg.floorId !== undefined) writeUnsigned16(w, T.FloorId, msg.floorId);
      for (const fri of msg.floorRequestInformation) writeFloorRequestInformation(w, fri);
      return;
    case P.HelloAck:
      writeSupported(w, T.SupportedPrimitives, msg.supportedPrimitives);
      writeSupported(w, T.SupportedAttributes, msg.supportedAttributes);
      return;
    case P.Error:
      writeErrorCode(w, msg.errorCode);
      if (msg.errorInfo !== undefined) writeText(w, T.ErrorInfo, msg.errorInfo);
      return;
    case P.ChairActionAck:
    case P.Hello:
    case P.FloorRequestStatusAck:
    case P.FloorStatusAck:
    case P.Goodbye:
    case P.GoodbyeAck:
      return;
    default:
      return unknownPrimitive(msg);
  }
}

function unknownPrimitive(msg: never): never {
  const p: unknown = (msg as { primitive?: unknown }).primitive;
  throw new BfcpEncodeError(BfcpEncodeErrorCode.VALUE_OUT_OF_RANGE, `unknown primitive ${String(p)}`);
}

export interface BfcpErrorReplyOptions {
  /** The version of the transport the reply goes out on (the refused message's may be the problem). */
  version: BfcpVersion;
  /** ERROR-INFO text; defaults to the error's message, cut to fit. Pass "" to leave ERROR-INFO out. */
  errorInfo?: string;
}

/**
 * The Error message (RFC 8855 section 5.3.13) that answers a refused message, addressed with the
 * Conference ID, Transaction ID and User ID of its header (section 13); undefined when the header was
 * unreadable (fewer than 12 octets), as nothing can then be addressed. For UNKNOWN_MANDATORY_ATTRIBUTE
 * the ERROR-CODE lists the unknown types (section 5.2.6). Over an unreliable transport the reply is a
 * response, so its R flag is set. Whether to answer at all (a refused response, say) is the caller's call.
 */
export function bfcpErrorReply(err: BfcpParseError, opts: BfcpErrorReplyOptions): BfcpErrorMessage | undefined {
  const h = err.header;
  if (!h) return undefined;
  const code = err.replyCode;
  const reply: BfcpErrorMessage = {
    version: opts.version,
    responder: opts.version === 2,
    conferenceId: h.conferenceId,
    transactionId: h.transactionId,
    userId: h.userId,
    primitive: P.Error,
    errorCode: code === BfcpErrorCode.UnknownMandatoryAttribute ? { code, unknownAttributes: err.unknownAttributes.slice(0, 252) } : { code },
  };
  const info = fitText(opts.errorInfo ?? err.message, 253);
  if (info !== "") reply.errorInfo = info;
  return reply;
}

function fitText(s: string, max: number): string {
  if (Buffer.byteLength(s, "utf8") <= max) return s;
  let out = s.slice(0, max);
  while (Buffer.byteLength(out, "utf8") > max - 3) out = out.slice(0, -1);
  // Do not leave half a surrogate pair behind.
  if (/[\ud800-\udbff]$/.test(out)) out = out.slice(0, -1);
  return `${out}...`;
}
