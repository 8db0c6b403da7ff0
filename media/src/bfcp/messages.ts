/**
 * The typed model of BFCP messages: one interface per primitive, following the grammar of RFC 8855
 * section 5.3, and one per grouped attribute (section 5.2.14-5.2.18). `BfcpMessage` is their union,
 * discriminated by `primitive`.
 *
 * Conventions: optional attributes are optional properties, absent (not `undefined`) in decoded messages;
 * repeated attributes are arrays, always present (possibly empty where the grammar allows none). The
 * codec accepts attributes in any order and writes them in the order of the grammar.
 */
import type { BfcpPrimitive, BfcpPriority, BfcpRequestStatus, BfcpVersion } from "./constants.ts";

/** An attribute type RFC 8855 does not define, with the M bit clear: kept, so it round-trips. */
export interface BfcpExtensionAttribute {
  /** 7-bit type, not one of `BfcpAttributeType`. */
  type: number;
  /** The M bit. A decoded message never has it set (such a message is refused); encoding may set it. */
  mandatory: boolean;
  /** The attribute contents, without Type, M, Length and padding; at most 253 octets. */
  contents: Buffer;
}

/** Where an attribute list may carry extension attributes (the grammar's `*[EXTENSION-ATTRIBUTE]`). */
export interface BfcpExtensible {
  extensions?: BfcpExtensionAttribute[];
}

/** The fields of the COMMON-HEADER (RFC 8855 section 5.1) that a message carries. */
export interface BfcpHeader {
  /** 1 over TCP/TLS, 2 over UDP/DTLS. */
  version: BfcpVersion;
  /** The R (Transaction Responder) flag: set on responses over an unreliable transport. */
  responder: boolean;
  /** 32-bit Conference ID. */
  conferenceId: number;
  /** 16-bit Transaction ID; 0 in server-initiated notifications over a reliable transport. */
  transactionId: number;
  /** 16-bit User ID. */
  userId: number;
}

/** REQUEST-STATUS (RFC 8855 section 5.2.5). */
export interface BfcpRequestStatusValue {
  status: BfcpRequestStatus;
  /** 8-bit Queue Position; 0 when the server does not give one. */
  queuePosition: number;
}

/** ERROR-CODE (RFC 8855 section 5.2.6). */
export interface BfcpErrorCodeValue {
  /** 8-bit Error Code, see `BfcpErrorCode` (other values are kept as they are). */
  code: number;
  /**
   * For code 4 (Unknown Mandatory Attribute): the 7-bit types the Error Specific Details list. Decoding
   * sets it (possibly empty) exactly when code is 4.
   */
  unknownAttributes?: number[];
  /** For other codes: the Error Specific Details octets, when there are any. */
  details?: Buffer;
}

/** BENEFICIARY-INFORMATION (RFC 8855 section 5.2.14). */
export interface BfcpBeneficiaryInformation extends BfcpExtensible {
  beneficiaryId: number;
  userDisplayName?: string;
  userUri?: string;
}

/** REQUESTED-BY-INFORMATION (RFC 8855 section 5.2.16). */
export interface BfcpRequestedByInformation extends BfcpExtensible {
  requestedById: number;
  userDisplayName?: string;
  userUri?: string;
}

/** FLOOR-REQUEST-STATUS (RFC 8855 section 5.2.17): the status of one floor of a request. */
export interface BfcpFloorRequestStatus extends BfcpExtensible {
  floorId: number;
  requestStatus?: BfcpRequestStatusValue;
  statusInfo?: string;
}

/** OVERALL-REQUEST-STATUS (RFC 8855 section 5.2.18). */
export interface BfcpOverallRequestStatus extends BfcpExtensible {
  floorRequestId: number;
  requestStatus?: BfcpRequestStatusValue;
  statusInfo?: string;
}

/** FLOOR-REQUEST-INFORMATION (RFC 8855 section 5.2.15). */
export interface BfcpFloorRequestInformation extends BfcpExtensible {
  floorRequestId: number;
  overallRequestStatus?: BfcpOverallRequestStatus;
  /** One or more. */
  floorRequestStatus: BfcpFloorRequestStatus[];
  beneficiaryInformation?: BfcpBeneficiaryInformation;
  requestedByInformation?: BfcpRequestedByInformation;
  priority?: BfcpPriority;
  participantProvidedInfo?: string;
}

interface Base<P extends BfcpPrimitive> extends BfcpHeader, BfcpExtensible {
  primitive: P;
}

/** FloorRequest (RFC 8855 section 5.3.1). */
export interface BfcpFloorRequest extends Base<1> {
  /** One or more. */
  floorIds: number[];
  beneficiaryId?: number;
  participantProvidedInfo?: string;
  priority?: BfcpPriority;
}

/** FloorRelease (RFC 8855 section 5.3.2). */
export interface BfcpFloorRelease extends Base<2> {
  floorRequestId: number;
}

/** FloorRequestQuery (RFC 8855 section 5.3.3). */
export interface BfcpFloorRequestQuery extends Base<3> {
  floorRequestId: number;
}

/** FloorRequestStatus (RFC 8855 section 5.3.4). */
export interface BfcpFloorRequestStatusMessage extends Base<4> {
  floorRequestInformation: BfcpFloorRequestInformation;
}

/** UserQuery (RFC 8855 section 5.3.5). */
export interface BfcpUserQuery extends Base<5> {
  beneficiaryId?: number;
}

/** UserStatus (RFC 8855 section 5.3.6). */
export interface BfcpUserStatus extends Base<6> {
  beneficiaryInformation?: BfcpBeneficiaryInformation;
  floorRequestInformation: BfcpFloorRequestInformation[];
}

/** FloorQuery (RFC 8855 section 5.3.7). */
export interface BfcpFloorQuery extends Base<7> {
  floorIds: number[];
}

/** FloorStatus (RFC 8855 section 5.3.8). */
export interface BfcpFloorStatus extends Base<8> {
  floorId?: number;
  floorRequestInformation: BfcpFloorRequestInformation[];
}

/** ChairAction (RFC 8855 section 5.3.9). */
export interface BfcpChairAction extends Base<9> {
  floorRequestInformation: BfcpFloorRequestInformation;
}

/** ChairActionAck (RFC 8855 section 5.3.10). */
export type BfcpChairActionAck = Base<10>;

/** Hello (RFC 8855 section 5.3.11). */
export type BfcpHello = Base<11>;

/** HelloAck (RFC 8855 section 5.3.12). */
export interface BfcpHelloAck extends Base<12> {
  /** 8-bit primitive values, as listed (unknown ones kept). */
  supportedPrimitives: number[];
  /** 7-bit attribute types, as listed (unknown ones kept). */
  supportedAttributes: number[];
}

/** Error (RFC 8855 section 5.3.13). */
export interface BfcpErrorMessage extends Base<13> {
  errorCode: BfcpErrorCodeValue;
  errorInfo?: string;
}

/** FloorRequestStatusAck (RFC 8855 section 5.3.14). */
export type BfcpFloorRequestStatusAck = Base<14>;

/** FloorStatusAck (RFC 8855 section 5.3.15). */
export type BfcpFloorStatusAck = Base<15>;

/** Goodbye (RFC 8855 section 5.3.16). */
export type BfcpGoodbye = Base<16>;

/** GoodbyeAck (RFC 8855 section 5.3.17). */
export type BfcpGoodbyeAck = Base<17>;

export type BfcpMessage =
  | BfcpFloorRequest
  | BfcpFloorRelease
  | BfcpFloorRequestQuery
  | BfcpFloorRequestStatusMessage
  | BfcpUserQuery
  | BfcpUserStatus
  | BfcpFloorQuery
  | BfcpFloorStatus
  | BfcpChairAction
  | BfcpChairActionAck
  | BfcpHello
  | BfcpHelloAck
  | BfcpErrorMessage
  | BfcpFloorRequestStatusAck
  | BfcpFloorStatusAck
  | BfcpGoodbye
  | BfcpGoodbyeAck;

/** The message of a given primitive: `BfcpMessageOf<typeof BfcpPrimitive.Hello>`. */
export type BfcpMessageOf<P extends BfcpPrimitive> = Extract<BfcpMessage, { primitive: P }>;
