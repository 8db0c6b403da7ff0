/**
 * The numbers RFC 8855 (BFCP) assigns, as typed const objects: each name is also a type (the union of its
 * values), so `BfcpPrimitive` works both as `BfcpPrimitive.FloorRequest` and as a parameter type.
 */

/**
 * The Ver field of the COMMON-HEADER (RFC 8855 section 5.1): 1 over a reliable transport (TCP, TLS), 2
 * over an unreliable one (UDP, DTLS), where the R and F flags and fragmentation apply.
 */
export const BfcpVersion = {
  Reliable: 1,
  Unreliable: 2,
} as const;
export type BfcpVersion = (typeof BfcpVersion)[keyof typeof BfcpVersion];

/** Primitive values (RFC 8855 section 5.1). */
export const BfcpPrimitive = {
  FloorRequest: 1,
  FloorRelease: 2,
  FloorRequestQuery: 3,
  FloorRequestStatus: 4,
  UserQuery: 5,
  UserStatus: 6,
  FloorQuery: 7,
  FloorStatus: 8,
  ChairAction: 9,
  ChairActionAck: 10,
  Hello: 11,
  HelloAck: 12,
  Error: 13,
  FloorRequestStatusAck: 14,
  FloorStatusAck: 15,
  Goodbye: 16,
  GoodbyeAck: 17,
} as const;
export type BfcpPrimitive = (typeof BfcpPrimitive)[keyof typeof BfcpPrimitive];

/** Attribute types (RFC 8855 section 5.2). Types are 7 bits; the eighth is the M bit. */
export const BfcpAttributeType = {
  BeneficiaryId: 1,
  FloorId: 2,
  FloorRequestId: 3,
  Priority: 4,
  RequestStatus: 5,
  ErrorCode: 6,
  ErrorInfo: 7,
  ParticipantProvidedInfo: 8,
  StatusInfo: 9,
  SupportedAttributes: 10,
  SupportedPrimitives: 11,
  UserDisplayName: 12,
  UserUri: 13,
  BeneficiaryInformation: 14,
  FloorRequestInformation: 15,
  RequestedByInformation: 16,
  FloorRequestStatus: 17,
  OverallRequestStatus: 18,
} as const;
export type BfcpAttributeType = (typeof BfcpAttributeType)[keyof typeof BfcpAttributeType];

/** Request Status values of the REQUEST-STATUS attribute (RFC 8855 section 5.2.5). */
export const BfcpRequestStatus = {
  Pending: 1,
  Accepted: 2,
  Granted: 3,
  Denied: 4,
  Cancelled: 5,
  Released: 6,
  Revoked: 7,
} as const;
export type BfcpRequestStatus = (typeof BfcpRequestStatus)[keyof typeof BfcpRequestStatus];

/**
 * Prio values of the PRIORITY attribute (RFC 8855 section 5.2.4). Normal is the default when the attribute
 * is absent; receivers treat the unassigned values 5-7 as Highest.
 */
export const BfcpPriority = {
  Lowest: 0,
  Low: 1,
  Normal: 2,
  High: 3,
  Highest: 4,
} as const;
export type BfcpPriority = (typeof BfcpPriority)[keyof typeof BfcpPriority];

/** Error Code values of the ERROR-CODE attribute (RFC 8855 section 5.2.6). */
export const BfcpErrorCode = {
  ConferenceDoesNotExist: 1,
  UserDoesNotExist: 2,
  UnknownPrimitive: 3,
  /** The Error Specific Details list the types of the unknown mandatory attributes. */
  UnknownMandatoryAttribute: 4,
  UnauthorizedOperation: 5,
  InvalidFloorId: 6,
  FloorRequestIdDoesNotExist: 7,
  MaxFloorRequestsReached: 8,
  UseTls: 9,
  UnableToParseMessage: 10,
  UseDtls: 11,
  UnsupportedVersion: 12,
  IncorrectMessageLength: 13,
  GenericError: 14,
} as const;
export type BfcpErrorCode = (typeof BfcpErrorCode)[keyof typeof BfcpErrorCode];

/** Size of the COMMON-HEADER without the fragment fields (RFC 8855 section 5.1). */
export const BFCP_HEADER_SIZE = 12;
/** The largest message the 16-bit Payload Length (in 4-octet units) can describe. */
export const BFCP_MAX_MESSAGE_SIZE = BFCP_HEADER_SIZE + 0xffff * 4;

const PRIMITIVE_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(BfcpPrimitive).map(([k, v]) => [v, k]));
const ATTRIBUTE_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(BfcpAttributeType).map(([k, v]) => [v, k.replace(/([a-z])([A-Z])/g, "$1-$2").toUpperCase()]),
);

export function isBfcpPrimitive(n: number): n is BfcpPrimitive {
  return PRIMITIVE_NAMES.has(n);
}

export function isBfcpAttributeType(n: number): n is BfcpAttributeType {
  return ATTRIBUTE_NAMES.has(n);
}

/** "FloorRequest" for 1; "primitive 99" for a number RFC 8855 does not assign. For logs. */
export function bfcpPrimitiveName(n: number): string {
  return PRIMITIVE_NAMES.get(n) ?? `primitive ${n}`;
}

/** "FLOOR-REQUEST-INFORMATION" for 15, as the RFC spells it; "attribute 99" otherwise. For logs. */
export function bfcpAttributeName(n: number): string {
  return ATTRIBUTE_NAMES.get(n) ?? `attribute ${n}`;
}
