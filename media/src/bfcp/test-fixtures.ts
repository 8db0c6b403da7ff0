/** Sample BFCP messages and byte helpers shared by the BFCP unit tests. */
import { BfcpPrimitive as P, BfcpPriority, BfcpRequestStatus as RS, BfcpErrorCode } from "./constants.ts";
import { BfcpParseError } from "./errors.ts";
import type { BfcpFloorRequestInformation, BfcpHeader, BfcpMessage } from "./messages.ts";

/** Over TCP: version 1, no R flag. */
export const TCP: BfcpHeader = { version: 1, responder: false, conferenceId: 0x01020304, transactionId: 7, userId: 42 };
/** Over UDP, a response: version 2, R flag set. */
export const UDP_RESPONSE: BfcpHeader = { version: 2, responder: true, conferenceId: 0xfedcba98, transactionId: 0xffff, userId: 0 };

export const FRI: BfcpFloorRequestInformation = {
  floorRequestId: 3,
  overallRequestStatus: { floorRequestId: 3, requestStatus: { status: RS.Granted, queuePosition: 0 }, statusInfo: "granted by chair" },
  floorRequestStatus: [{ floorId: 1 }, { floorId: 2, requestStatus: { status: RS.Pending, queuePosition: 2 } }],
  beneficiaryInformation: { beneficiaryId: 42, userDisplayName: "Zoë", userUri: "sip:zoe@example.com" },
  requestedByInformation: { requestedById: 9, userDisplayName: "Chair" },
  priority: BfcpPriority.High,
  participantProvidedInfo: "slides",
};

const FRI_MINIMAL: BfcpFloorRequestInformation = { floorRequestId: 4, floorRequestStatus: [{ floorId: 1, requestStatus: { status: RS.Accepted, queuePosition: 1 } }] };

/** One message of each of the 17 primitives (RFC 8855 section 5.3), with the attributes they typically carry. */
export const EVERY_PRIMITIVE: BfcpMessage[] = [
  { ...TCP, primitive: P.FloorRequest, floorIds: [1, 2], beneficiaryId: 43, participantProvidedInfo: "may I present?", priority: BfcpPriority.Normal },
  { ...TCP, primitive: P.FloorRelease, floorRequestId: 3 },
  { ...TCP, primitive: P.FloorRequestQuery, floorRequestId: 3 },
  { ...TCP, primitive: P.FloorRequestStatus, floorRequestInformation: FRI },
  { ...TCP, primitive: P.UserQuery, beneficiaryId: 43 },
  {
    ...TCP,
    primitive: P.UserStatus,
    beneficiaryInformation: { beneficiaryId: 43, userDisplayName: "Bob", userUri: "sip:bob@example.com" },
    floorRequestInformation: [FRI, FRI_MINIMAL],
  },
  { ...TCP, primitive: P.FloorQuery, floorIds: [1, 2, 3] },
  { ...TCP, primitive: P.FloorStatus, floorId: 1, floorRequestInformation: [FRI_MINIMAL] },
  {
    ...TCP,
    primitive: P.ChairAction,
    floorRequestInformation: { floorRequestId: 3, floorRequestStatus: [{ floorId: 1, requestStatus: { status: RS.Denied, queuePosition: 0 }, statusInfo: "not now" }] },
  },
  { ...TCP, primitive: P.ChairActionAck },
  { ...TCP, primitive: P.Hello },
  {
    ...TCP,
    primitive: P.HelloAck,
    supportedPrimitives: Array.from({ length: 17 }, (_, i) => i + 1),
    supportedAttributes: Array.from({ length: 18 }, (_, i) => i + 1),
  },
  { ...TCP, primitive: P.Error, errorCode: { code: BfcpErrorCode.UnknownMandatoryAttribute, unknownAttributes: [19, 100] }, errorInfo: "what is 19?" },
  { ...TCP, primitive: P.FloorRequestStatusAck },
  { ...TCP, primitive: P.FloorStatusAck },
  { ...TCP, primitive: P.Goodbye },
  { ...TCP, primitive: P.GoodbyeAck },
];

/** Variants: UDP with R set, empty lists, an Error with raw details, extension attributes at two levels. */
export const VARIANTS: BfcpMessage[] = [
  { ...UDP_RESPONSE, primitive: P.FloorRequestStatusAck },
  { ...UDP_RESPONSE, primitive: P.FloorQuery, floorIds: [] },
  { ...UDP_RESPONSE, primitive: P.FloorStatus, floorRequestInformation: [] },
  { ...UDP_RESPONSE, primitive: P.UserStatus, floorRequestInformation: [] },
  { ...UDP_RESPONSE, primitive: P.UserQuery },
  { ...UDP_RESPONSE, primitive: P.HelloAck, supportedPrimitives: [], supportedAttributes: [] },
  { ...UDP_RESPONSE, primitive: P.Error, errorCode: { code: BfcpErrorCode.GenericError, details: Buffer.from([1, 2, 3]) } },
  { ...UDP_RESPONSE, primitive: P.Error, errorCode: { code: 200 } },
  {
    ...TCP,
    primitive: P.FloorRequest,
    floorIds: [7],
    extensions: [{ type: 100, mandatory: false, contents: Buffer.from("x-ext") }],
  },
  {
    ...TCP,
    primitive: P.FloorRequestStatus,
    floorRequestInformation: {
      floorRequestId: 1,
      floorRequestStatus: [{ floorId: 1, extensions: [{ type: 127, mandatory: false, contents: Buffer.alloc(0) }] }],
      extensions: [{ type: 19, mandatory: false, contents: Buffer.from([0, 1, 2, 3]) }],
    },
  },
];

/** "20 01 00 01" -> bytes (whitespace ignored). */
export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ""), "hex");
}

/**
 * A message from a COMMON-HEADER description and raw attribute bytes; the Payload Length is computed
 * from the payload unless given.
 */
export function raw(
  h: { version?: number; r?: boolean; f?: boolean; res?: number; primitive: number; payloadWords?: number; conferenceId?: number; transactionId?: number; userId?: number },
  payload: Buffer | string = Buffer.alloc(0),
): Buffer {
  const body = typeof payload === "string" ? hex(payload) : payload;
  const head = Buffer.alloc(12);
  head[0] = ((h.version ?? 1) << 5) | (h.r ? 0x10 : 0) | (h.f ? 0x08 : 0) | (h.res ?? 0);
  head[1] = h.primitive;
  head.writeUInt16BE(h.payloadWords ?? Math.ceil(body.length / 4), 2);
  head.writeUInt32BE(h.conferenceId ?? 1, 4);
  head.writeUInt16BE(h.transactionId ?? 2, 8);
  head.writeUInt16BE(h.userId ?? 3, 10);
  return Buffer.concat([head, body]);
}

/** The BfcpParseError f throws; fails the test if it throws something else or nothing. */
export function refusal(f: () => unknown): BfcpParseError {
  try {
    f();
  } catch (err) {
    if (err instanceof BfcpParseError) return err;
    throw err;
  }
  throw new Error("no BfcpParseError thrown");
}
