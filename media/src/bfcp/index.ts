/**
 * The BFCP (RFC 8855) message layer: the public API, picked by hand. The floor control server builds on
 * this; the attribute writer and reader stay internal.
 */
export {
  BfcpVersion, BfcpPrimitive, BfcpAttributeType, BfcpRequestStatus, BfcpPriority, BfcpErrorCode,
  BFCP_HEADER_SIZE, BFCP_MAX_MESSAGE_SIZE,
  isBfcpPrimitive, isBfcpAttributeType, bfcpPrimitiveName, bfcpAttributeName,
} from "./constants.ts";
export {
  BfcpParseError, BfcpParseErrorCode, BFCP_PARSE_ERROR_REPLY, isBfcpParseError, BfcpEncodeError, BfcpEncodeErrorCode,
  type BfcpHeaderInfo,
} from "./errors.ts";
export {
  encodeBfcp, decodeBfcp, readBfcpHeader, checkBfcpFraming, bfcpErrorReply,
  type BfcpDecodeOptions, type BfcpErrorReplyOptions,
} from "./codec.ts";
export { BfcpStreamFramer, BFCP_DEFAULT_MAX_MESSAGE_SIZE, type BfcpStreamFramerOptions } from "./framer.ts";
export type {
  BfcpMessage, BfcpMessageOf, BfcpHeader, BfcpExtensible, BfcpExtensionAttribute,
  BfcpRequestStatusValue, BfcpErrorCodeValue,
  BfcpBeneficiaryInformation, BfcpRequestedByInformation, BfcpFloorRequestStatus, BfcpOverallRequestStatus,
  BfcpFloorRequestInformation,
  BfcpFloorRequest, BfcpFloorRelease, BfcpFloorRequestQuery, BfcpFloorRequestStatusMessage, BfcpUserQuery,
  BfcpUserStatus, BfcpFloorQuery, BfcpFloorStatus, BfcpChairAction, BfcpChairActionAck, BfcpHello, BfcpHelloAck,
  BfcpErrorMessage, BfcpFloorRequestStatusAck, BfcpFloorStatusAck, BfcpGoodbye, BfcpGoodbyeAck,
} from "./messages.ts";
export { FloorControlServer, type BfcpLink, type FloorServerLogger } from "./floor-server.ts";
export { BfcpTransport, type BfcpTimers, type BfcpTransportOptions } from "./transport.ts";
export { BfcpIdentities, type BfcpParticipant } from "./identities.ts";
