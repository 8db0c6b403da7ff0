/**
 * BFCP attributes on the wire (RFC 8855 section 5.2): writing them into a growing buffer, and reading
 * them back in two passes. Internal to the codec; `codec.ts` applies the per-primitive grammar.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |    Type     |M|    Length     |                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *   /                       Attribute Contents                      /
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Length counts Type, M, Length and the contents, not the padding that aligns each attribute to 4
 * octets. A grouped attribute's Length also counts its nested attributes with their padding, so it is
 * itself a multiple of 4.
 */
import { isUtf8 } from "node:buffer";
import {
  BFCP_MAX_MESSAGE_SIZE,
  BfcpAttributeType as T,
  type BfcpAttributeType,
  BfcpErrorCode,
  BfcpPriority,
  bfcpAttributeName,
  isBfcpAttributeType,
  type BfcpRequestStatus,
} from "./constants.ts";
import { BfcpEncodeError, BfcpEncodeErrorCode, BfcpParseError, BfcpParseErrorCode, type BfcpHeaderInfo } from "./errors.ts";
import type {
  BfcpBeneficiaryInformation,
  BfcpErrorCodeValue,
  BfcpExtensionAttribute,
  BfcpFloorRequestInformation,
  BfcpFloorRequestStatus,
  BfcpOverallRequestStatus,
  BfcpRequestStatusValue,
  BfcpRequestedByInformation,
} from "./messages.ts";

/** The largest Length an attribute can have, and the most text or opaque octets it can then carry. */
const MAX_ATTRIBUTE_LENGTH = 255;
const MAX_ATTRIBUTE_CONTENTS = MAX_ATTRIBUTE_LENGTH - 2;

// ---------------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------------

function outOfRange(what: string, value: unknown): never {
  throw new BfcpEncodeError(BfcpEncodeErrorCode.VALUE_OUT_OF_RANGE, `${what} out of range: ${String(value)}`);
}

export function checkUint(value: number, bits: 8 | 16 | 32, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 2 ** bits - 1) outOfRange(what, value);
  return value;
}

/**
 * A buffer that grows by doubling, written front to back. The codec keeps one and copies each finished
 * message out of it, so encoding allocates once per message, whatever its number of attributes.
 */
export class BfcpWriter {
  private buf: Buffer = Buffer.allocUnsafe(1024);
  off = 0;

  reset(): void {
    this.off = 0;
  }

  /** The bytes written so far, copied. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.off);
    this.buf.copy(out, 0, 0, this.off);
    return out;
  }

  private ensure(n: number): void {
    const need = this.off + n;
    if (need <= this.buf.length) return;
    // Slack of one padded attribute past the limit, so the caller's length check reports the overflow.
    if (need > BFCP_MAX_MESSAGE_SIZE + 256) {
      throw new BfcpEncodeError(BfcpEncodeErrorCode.MESSAGE_TOO_LONG, "message longer than the 16-bit Payload Length allows");
    }
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  /** Makes room for n octets written with u8/u16/u32 (which do not check). */
  reserve(n: number): void {
    this.ensure(n);
  }

  u8(v: number): void {
    this.buf[this.off++] = v;
  }

  u16(v: number): void {
    this.buf.writeUInt16BE(v, this.off);
    this.off += 2;
  }

  u32(v: number): void {
    this.buf.writeUInt32BE(v, this.off);
    this.off += 4;
  }

  setU16(at: number, v: number): void {
    this.buf.writeUInt16BE(v, at);
  }

  /** UTF-8 text of at most `max` octets. */
  text(s: string, max: number, what: string): void {
    const n = Buffer.byteLength(s, "utf8");
    if (n > max) throw new BfcpEncodeError(BfcpEncodeErrorCode.ATTRIBUTE_TOO_LONG, `${what} is ${n} octets, at most ${max} fit`);
    this.off += this.buf.write(s, this.off, n, "utf8");
  }

  bytes(b: Uint8Array): void {
    this.buf.set(b, this.off);
    this.off += b.length;
  }

  /**
   * Starts an attribute: Type, M and a Length filled in by `end`. Reserves room for the largest
   * non-grouped attribute (255 octets and padding), so its contents need no further checks.
   */
  begin(type: number, mandatory: boolean): number {
    this.ensure(MAX_ATTRIBUTE_LENGTH + 1);
    const start = this.off;
    this.buf[start] = (type << 1) | (mandatory ? 1 : 0);
    this.buf[start + 1] = 0;
    this.off += 2;
    return start;
  }

  /** Ends the attribute begun at `start`: sets its Length and pads it with zeros to 4 octets (section 5.2). */
  end(start: number): void {
    const length = this.off - start;
    if (length > MAX_ATTRIBUTE_LENGTH) {
      const name = bfcpAttributeName((this.buf[start] ?? 0) >> 1);
      throw new BfcpEncodeError(BfcpEncodeErrorCode.ATTRIBUTE_TOO_LONG, `${name} is ${length} octets, at most ${MAX_ATTRIBUTE_LENGTH} fit its Length`);
    }
    this.buf[start + 1] = length;
    while ((this.off & 3) !== 0) this.buf[this.off++] = 0;
  }
}

/**
 * The M bit on the attributes RFC 8855 defines. Section 5.2 makes it irrelevant for them (every receiver
 * must understand them); we set it, as deployed implementations do, so a receiver that somehow did not
 * know one would refuse the message rather than quietly drop the attribute.
 */
const M = true;

/** BENEFICIARY-ID, FLOOR-ID, FLOOR-REQUEST-ID (sections 5.2.1-5.2.3): Unsigned16. */
export function writeUnsigned16(w: BfcpWriter, type: number, value: number): void {
  checkUint(value, 16, bfcpAttributeName(type));
  const s = w.begin(type, M);
  w.u16(value);
  w.end(s);
}

/** PRIORITY (section 5.2.4): Prio in the top 3 bits, 13 reserved bits zero. */
export function writePriority(w: BfcpWriter, prio: number): void {
  if (!Number.isInteger(prio) || prio < BfcpPriority.Lowest || prio > BfcpPriority.Highest) outOfRange("PRIORITY", prio);
  const s = w.begin(T.Priority, M);
  w.u8(prio << 5);
  w.u8(0);
  w.end(s);
}

/** REQUEST-STATUS (section 5.2.5): Request Status and Queue Position octets. */
export function writeRequestStatus(w: BfcpWriter, v: BfcpRequestStatusValue): void {
  if (!Number.isInteger(v.status) || v.status < 1 || v.status > 7) outOfRange("Request Status", v.status);
  checkUint(v.queuePosition, 8, "Queue Position");
  const s = w.begin(T.RequestStatus, M);
  w.u8(v.status);
  w.u8(v.queuePosition);
  w.end(s);
}

/**
 * ERROR-CODE (section 5.2.6): the Error Code octet and the Error Specific Details; for code 4 the details
 * are the unknown attribute types, one octet each, the type in the top 7 bits and the reserved bit zero.
 */
export function writeErrorCode(w: BfcpWriter, v: BfcpErrorCodeValue): void {
  checkUint(v.code, 8, "Error Code");
  const details = v.code === BfcpErrorCode.UnknownMandatoryAttribute ? (v.unknownAttributes ?? []) : undefined;
  const raw = details === undefined ? v.details : undefined;
  const n = details?.length ?? raw?.length ?? 0;
  if (n > MAX_ATTRIBUTE_CONTENTS - 1) {
    throw new BfcpEncodeError(BfcpEncodeErrorCode.ATTRIBUTE_TOO_LONG, `ERROR-CODE details are ${n} octets, at most ${MAX_ATTRIBUTE_CONTENTS - 1} fit`);
  }
  if (details) for (const t of details) if (!Number.isInteger(t) || t < 0 || t > 127) outOfRange("unknown attribute type", t);
  const s = w.begin(T.ErrorCode, M);
  w.u8(v.code);
  if (details) for (const t of details) w.u8(t << 1);
  else if (raw) w.bytes(raw);
  w.end(s);
}

/** ERROR-INFO, PARTICIPANT-PROVIDED-INFO, STATUS-INFO, USER-DISPLAY-NAME, USER-URI: UTF-8 text. */
export function writeText(w: BfcpWriter, type: number, text: string): void {
  const s = w.begin(type, M);
  w.text(text, MAX_ATTRIBUTE_CONTENTS, bfcpAttributeName(type));
  w.end(s);
}

/**
 * SUPPORTED-ATTRIBUTES (section 5.2.10: 7-bit types, each followed by a reserved bit) and
 * SUPPORTED-PRIMITIVES (section 5.2.11: one octet each).
 */
export function writeSupported(w: BfcpWriter, type: typeof T.SupportedAttributes | typeof T.SupportedPrimitives, values: readonly number[]): void {
  const attrs = type === T.SupportedAttributes;
  if (values.length > MAX_ATTRIBUTE_CONTENTS) {
    throw new BfcpEncodeError(BfcpEncodeErrorCode.ATTRIBUTE_TOO_LONG, `${bfcpAttributeName(type)} lists ${values.length} values, at most ${MAX_ATTRIBUTE_CONTENTS} fit`);
  }
  for (const v of values) {
    if (!Number.isInteger(v) || v < 0 || v > (attrs ? 127 : 255)) outOfRange(bfcpAttributeName(type), v);
  }
  const s = w.begin(type, M);
  for (const v of values) w.u8(attrs ? v << 1 : v);
  w.end(s);
}

/** Extension attributes (the grammar's `*[EXTENSION-ATTRIBUTE]`), written as given at the end of their list. */
export function writeExtensions(w: BfcpWriter, extensions: readonly BfcpExtensionAttribute[] | undefined): void {
  if (!extensions) return;
  for (const ext of extensions) {
    if (!Number.isInteger(ext.type) || ext.type < 0 || ext.type > 127) outOfRange("extension attribute type", ext.type);
    if (isBfcpAttributeType(ext.type)) {
      throw new BfcpEncodeError(BfcpEncodeErrorCode.BAD_EXTENSION, `extension attribute type ${ext.type} is ${bfcpAttributeName(ext.type)}`);
    }
    if (ext.contents.length > MAX_ATTRIBUTE_CONTENTS) {
      throw new BfcpEncodeError(BfcpEncodeErrorCode.ATTRIBUTE_TOO_LONG, `extension attribute ${ext.type} is ${ext.contents.length + 2} octets`);
    }
    const s = w.begin(ext.type, ext.mandatory);
    w.bytes(ext.contents);
    w.end(s);
  }
}

function writeUserInfo(w: BfcpWriter, type: number, id: number, v: BfcpBeneficiaryInformation | BfcpRequestedByInformation): void {
  checkUint(id, 16, bfcpAttributeName(type));
  const s = w.begin(type, M);
  w.u16(id);
  if (v.userDisplayName !== undefined) writeText(w, T.UserDisplayName, v.userDisplayName);
  if (v.userUri !== undefined) writeText(w, T.UserUri, v.userUri);
  writeExtensions(w, v.extensions);
  w.end(s);
}

/** BENEFICIARY-INFORMATION (section 5.2.14). */
export function writeBeneficiaryInformation(w: BfcpWriter, v: BfcpBeneficiaryInformation): void {
  writeUserInfo(w, T.BeneficiaryInformation, v.beneficiaryId, v);
}

/** REQUESTED-BY-INFORMATION (section 5.2.16). */
export function writeRequestedByInformation(w: BfcpWriter, v: BfcpRequestedByInformation): void {
  writeUserInfo(w, T.RequestedByInformation, v.requestedById, v);
}

function writeStatus(w: BfcpWriter, type: number, id: number, v: BfcpFloorRequestStatus | BfcpOverallRequestStatus): void {
  checkUint(id, 16, bfcpAttributeName(type));
  const s = w.begin(type, M);
  w.u16(id);
  if (v.requestStatus !== undefined) writeRequestStatus(w, v.requestStatus);
  if (v.statusInfo !== undefined) writeText(w, T.StatusInfo, v.statusInfo);
  writeExtensions(w, v.extensions);
  w.end(s);
}

/** FLOOR-REQUEST-INFORMATION (section 5.2.15), in the order of its grammar. */
export function writeFloorRequestInformation(w: BfcpWriter, v: BfcpFloorRequestInformation): void {
  checkUint(v.floorRequestId, 16, "FLOOR-REQUEST-INFORMATION Floor Request ID");
  if (v.floorRequestStatus.length === 0) {
    throw new BfcpEncodeError(BfcpEncodeErrorCode.MISSING_ATTRIBUTE, "FLOOR-REQUEST-INFORMATION needs at least one FLOOR-REQUEST-STATUS");
  }
  const s = w.begin(T.FloorRequestInformation, M);
  w.u16(v.floorRequestId);
  if (v.overallRequestStatus) writeStatus(w, T.OverallRequestStatus, v.overallRequestStatus.floorRequestId, v.overallRequestStatus);
  for (const frs of v.floorRequestStatus) writeStatus(w, T.FloorRequestStatus, frs.floorId, frs);
  if (v.beneficiaryInformation) writeBeneficiaryInformation(w, v.beneficiaryInformation);
  if (v.requestedByInformation) writeRequestedByInformation(w, v.requestedByInformation);
  if (v.priority !== undefined) writePriority(w, v.priority);
  if (v.participantProvidedInfo !== undefined) writeText(w, T.ParticipantProvidedInfo, v.participantProvidedInfo);
  writeExtensions(w, v.extensions);
  w.end(s);
}

// ---------------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------------

/** Where an attribute may appear in a list: not at all (0), at most once (1), any number of times (2). */
export type Rules = Uint8Array;
export const ONCE = 1;
export const MANY = 2;

export function rules(allowed: ReadonlyArray<readonly [BfcpAttributeType, typeof ONCE | typeof MANY]>): Rules {
  const r = new Uint8Array(19);
  for (const [type, n] of allowed) r[type] = n;
  return r;
}

/** Every attribute RFC 8855 defines that may stand in one list, gathered before the grammar is applied. */
export interface AttributeBag {
  floorIds: number[];
  floorRequestInformation: BfcpFloorRequestInformation[];
  floorRequestStatus: BfcpFloorRequestStatus[];
  extensions: BfcpExtensionAttribute[];
  beneficiaryId?: number;
  floorRequestId?: number;
  priority?: BfcpPriority;
  requestStatus?: BfcpRequestStatusValue;
  errorCode?: BfcpErrorCodeValue;
  errorInfo?: string;
  participantProvidedInfo?: string;
  statusInfo?: string;
  supportedAttributes?: number[];
  supportedPrimitives?: number[];
  userDisplayName?: string;
  userUri?: string;
  beneficiaryInformation?: BfcpBeneficiaryInformation;
  requestedByInformation?: BfcpRequestedByInformation;
  overallRequestStatus?: BfcpOverallRequestStatus;
}

const USER_INFO_RULES = rules([[T.UserDisplayName, ONCE], [T.UserUri, ONCE]]);
const STATUS_RULES = rules([[T.RequestStatus, ONCE], [T.StatusInfo, ONCE]]);
const FLOOR_REQUEST_INFORMATION_RULES = rules([
  [T.OverallRequestStatus, ONCE],
  [T.FloorRequestStatus, MANY],
  [T.BeneficiaryInformation, ONCE],
  [T.RequestedByInformation, ONCE],
  [T.Priority, ONCE],
  [T.ParticipantProvidedInfo, ONCE],
]);

/**
 * Reads the attributes of one message, whose bytes `buf` holds. Two passes: `scan` checks every Length
 * (recursing into grouped attributes) and collects unknown mandatory attributes, so that a message with
 * both an unknown mandatory attribute and a grammar error gets the Error code 4 RFC 8855 section 5.2
 * asks for; `collect` then reads the values of one list and applies its rules.
 */
export class AttributeReader {
  private readonly unknown: number[] = [];

  constructor(
    private readonly buf: Buffer,
    private readonly header: BfcpHeaderInfo,
  ) {}

  fail(code: BfcpParseErrorCode, message: string, at?: { type?: number; offset?: number }): never {
    throw new BfcpParseError(code, message, {
      header: this.header,
      ...(at?.type !== undefined ? { attributeType: at.type } : {}),
      ...(at?.offset !== undefined ? { offset: at.offset } : {}),
    });
  }

  /** Unknown attribute types with the M bit set that `scan` met, in order, without duplicates. */
  get unknownMandatory(): readonly number[] {
    return this.unknown;
  }

  /** Pass one over the attributes in [start, end): lengths, padding, nesting. */
  scan(start: number, end: number): void {
    const buf = this.buf;
    let p = start;
    while (p < end) {
      if (end - p < 2) this.fail(BfcpParseErrorCode.ATTRIBUTE_OVERFLOW, `${end - p} stray octet(s) where an attribute should start`, { offset: p });
      const b0 = buf[p]!;
      const type = b0 >> 1;
      const length = buf[p + 1]!;
      const at = { type, offset: p };
      if (length < 2) this.fail(BfcpParseErrorCode.BAD_ATTRIBUTE_LENGTH, `${bfcpAttributeName(type)} has Length ${length}`, at);
      const next = p + ((length + 3) & ~3);
      if (next > end) {
        this.fail(BfcpParseErrorCode.ATTRIBUTE_OVERFLOW, `${bfcpAttributeName(type)} (Length ${length}, padded to 4) runs ${next - end} octet(s) past its container`, at);
      }
      switch (type) {
        case T.BeneficiaryId:
        case T.FloorId:
        case T.FloorRequestId:
        case T.Priority:
        case T.RequestStatus:
          if (length !== 4) this.fail(BfcpParseErrorCode.BAD_ATTRIBUTE_LENGTH, `${bfcpAttributeName(type)} has Length ${length}, not 4`, at);
          break;
        case T.ErrorCode:
          if (length < 3) this.fail(BfcpParseErrorCode.BAD_ATTRIBUTE_LENGTH, `ERROR-CODE has Length ${length}, below 3`, at);
          break;
        case T.ErrorInfo:
        case T.ParticipantProvidedInfo:
        case T.StatusInfo:
        case T.SupportedAttributes:
        case T.SupportedPrimitives:
        case T.UserDisplayName:
        case T.UserUri:
          break;
        case T.BeneficiaryInformation:
        case T.FloorRequestInformation:
        case T.RequestedByInformation:
        case T.FloorRequestStatus:
        case T.OverallRequestStatus:
          if (length < 4) this.fail(BfcpParseErrorCode.BAD_ATTRIBUTE_LENGTH, `${bfcpAttributeName(type)} has Length ${length}, below 4`, at);
          // The nested attributes, padding included, fill the rest of the Length (section 5.2).
          this.scan(p + 4, p + length);
          break;
        default:
          // Section 5.2: an unrecognised attribute with M set rejects the message; without M it is ignored.
          if ((b0 & 1) === 1 && !this.unknown.includes(type)) this.unknown.push(type);
      }
      p = next;
    }
  }

  /** Pass two over one list of attributes [start, end), already scanned: values, and where each may appear. */
  collect(start: number, end: number, allowed: Rules, where: string): AttributeBag {
    const buf = this.buf;
    const bag: AttributeBag = { floorIds: [], floorRequestInformation: [], floorRequestStatus: [], extensions: [] };
    let seen = 0;
    let p = start;
    while (p < end) {
      const b0 = buf[p]!;
      const type = b0 >> 1;
      const length = buf[p + 1]!;
      const next = p + ((length + 3) & ~3);
      if (!isBfcpAttributeType(type)) {
        bag.extensions.push({ type, mandatory: (b0 & 1) === 1, contents: Buffer.from(buf.subarray(p + 2, p + length)) });
        p = next;
        continue;
      }
      const at = { type, offset: p };
      const rule = allowed[type];
      if (rule === 0) this.fail(BfcpParseErrorCode.UNEXPECTED_ATTRIBUTE, `${bfcpAttributeName(type)} is not allowed in ${where}`, at);
      if (rule === ONCE && (seen & (1 << type)) !== 0) this.fail(BfcpParseErrorCode.UNEXPECTED_ATTRIBUTE, `${bfcpAttributeName(type)} repeated in ${where}`, at);
      seen |= 1 << type;
      const c = p + 2; // contents
      const e = p + length; // end of contents
      switch (type) {
        case T.BeneficiaryId:
          bag.beneficiaryId = buf.readUInt16BE(c);
          break;
        case T.FloorId:
          bag.floorIds.push(buf.readUInt16BE(c));
          break;
        case T.FloorRequestId:
          bag.floorRequestId = buf.readUInt16BE(c);
          break;
        case T.Priority:
          // Section 5.2.4: receivers treat the values above 4 as 4 (Highest); the 13 reserved bits are ignored.
          bag.priority = Math.min(buf[c]! >> 5, BfcpPriority.Highest) as BfcpPriority;
          break;
        case T.RequestStatus: {
          const status = buf[c]!;
          if (status < 1 || status > 7) this.fail(BfcpParseErrorCode.BAD_ATTRIBUTE, `REQUEST-STATUS has Request Status ${status}, not 1-7`, at);
          bag.requestStatus = { status: status as BfcpRequestStatus, queuePosition: buf[c + 1]! };
          break;
        }
        case T.ErrorCode: {
          const code = buf[c]!;
          const value: BfcpErrorCodeValue = { code };
          if (code === BfcpErrorCode.UnknownMandatoryAttribute) {
            const types: number[] = [];
            for (let i = c + 1; i < e; i++) types.push(buf[i]! >> 1);
            value.unknownAttributes = types;
          } else if (e > c + 1) {
            value.details = Buffer.from(buf.subarray(c + 1, e));
          }
          bag.errorCode = value;
          break;
        }
        case T.ErrorInfo:
          bag.errorInfo = this.text(c, e, type);
          break;
        case T.ParticipantProvidedInfo:
          bag.participantProvidedInfo = this.text(c, e, type);
          break;
        case T.StatusInfo:
          bag.statusInfo = this.text(c, e, type);
          break;
        case T.UserDisplayName:
          bag.userDisplayName = this.text(c, e, type);
          break;
        case T.UserUri:
          bag.userUri = this.text(c, e, type);
          break;
        case T.SupportedAttributes: {
          const list: number[] = [];
          for (let i = c; i < e; i++) list.push(buf[i]! >> 1);
          bag.supportedAttributes = list;
          break;
        }
        case T.SupportedPrimitives: {
          const list: number[] = [];
          for (let i = c; i < e; i++) list.push(buf[i]!);
          bag.supportedPrimitives = list;
          break;
        }
        case T.BeneficiaryInformation:
          bag.beneficiaryInformation = this.userInfo(p, e, "BENEFICIARY-INFORMATION", (id) => ({ beneficiaryId: id }));
          break;
        case T.RequestedByInformation:
          bag.requestedByInformation = this.userInfo(p, e, "REQUESTED-BY-INFORMATION", (id) => ({ requestedById: id }));
          break;
        case T.FloorRequestStatus:
          bag.floorRequestStatus.push(this.status(p, e, "FLOOR-REQUEST-STATUS", (id) => ({ floorId: id })));
          break;
        case T.OverallRequestStatus:
          bag.overallRequestStatus = this.status(p, e, "OVERALL-REQUEST-STATUS", (id) => ({ floorRequestId: id }));
          break;
        case T.FloorRequestInformation:
          bag.floorRequestInformation.push(this.floorRequestInformation(p, e));
          break;
      }
      p = next;
    }
    return bag;
  }

  /** Text attributes are UTF-8 (sections 5.2.7-5.2.9, 5.2.12, 5.2.13); anything else is refused, not repaired. */
  private text(start: number, end: number, type: number): string {
    const bytes = this.buf.subarray(start, end);
    if (!isUtf8(bytes)) this.fail(BfcpParseErrorCode.BAD_ATTRIBUTE, `${bfcpAttributeName(type)} is not UTF-8`, { type, offset: start - 2 });
    return bytes.toString("utf8");
  }

  private userInfo<V extends BfcpBeneficiaryInformation | BfcpRequestedByInformation>(p: number, end: number, where: string, make: (id: number) => V): V {
    const bag = this.collect(p + 4, end, USER_INFO_RULES, where);
    const v = make(this.buf.readUInt16BE(p + 2));
    if (bag.userDisplayName !== undefined) v.userDisplayName = bag.userDisplayName;
    if (bag.userUri !== undefined) v.userUri = bag.userUri;
    if (bag.extensions.length > 0) v.extensions = bag.extensions;
    return v;
  }

  private status<V extends BfcpFloorRequestStatus | BfcpOverallRequestStatus>(p: number, end: number, where: string, make: (id: number) => V): V {
    const bag = this.collect(p + 4, end, STATUS_RULES, where);
    const v = make(this.buf.readUInt16BE(p + 2));
    if (bag.requestStatus !== undefined) v.requestStatus = bag.requestStatus;
    if (bag.statusInfo !== undefined) v.statusInfo = bag.statusInfo;
    if (bag.extensions.length > 0) v.extensions = bag.extensions;
    return v;
  }

  private floorRequestInformation(p: number, end: number): BfcpFloorRequestInformation {
    const bag = this.collect(p + 4, end, FLOOR_REQUEST_INFORMATION_RULES, "FLOOR-REQUEST-INFORMATION");
    if (bag.floorRequestStatus.length === 0) {
      this.fail(BfcpParseErrorCode.MISSING_ATTRIBUTE, "FLOOR-REQUEST-INFORMATION without FLOOR-REQUEST-STATUS", { type: T.FloorRequestInformation, offset: p });
    }
    const v: BfcpFloorRequestInformation = { floorRequestId: this.buf.readUInt16BE(p + 2), floorRequestStatus: bag.floorRequestStatus };
    if (bag.overallRequestStatus !== undefined) v.overallRequestStatus = bag.overallRequestStatus;
    if (bag.beneficiaryInformation !== undefined) v.beneficiaryInformation = bag.beneficiaryInformation;
    if (bag.requestedByInformation !== undefined) v.requestedByInformation = bag.requestedByInformation;
    if (bag.priority !== undefined) v.priority = bag.priority;
    if (bag.participantProvidedInfo !== undefined) v.participantProvidedInfo = bag.participantProvidedInfo;
    if (bag.extensions.length > 0) v.extensions = bag.extensions;
    return v;
  }
}
