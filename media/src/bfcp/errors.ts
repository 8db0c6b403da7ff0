import { BfcpErrorCode } from "./constants.ts";

/**
 * Why bytes were refused as a BFCP message. The codes are public and stable: the transport logs them
 * and answers from them. Each maps to the Error primitive's error code (RFC 8855 section 5.2.6) that
 * answers it, see `BFCP_PARSE_ERROR_REPLY`.
 */
export const BfcpParseErrorCode = {
  /** Fewer bytes than the 12-octet COMMON-HEADER or than its Payload Length announces. */
  TRUNCATED: "TRUNCATED",
  /** More bytes than the Payload Length announces (a datagram with trailing bytes). */
  BAD_LENGTH: "BAD_LENGTH",
  /** The Payload Length announces a message larger than the configured limit. */
  TOO_LARGE: "TOO_LARGE",
  /** Ver is neither 1 nor 2, or not the one the transport uses (RFC 8855 section 5.1). */
  UNSUPPORTED_VERSION: "UNSUPPORTED_VERSION",
  /** The F flag is set: this codec does not reassemble fragments (RFC 8855 sections 5.1 and 6.2). */
  FRAGMENTED: "FRAGMENTED",
  /** A Primitive value RFC 8855 section 5.1 does not define. */
  UNKNOWN_PRIMITIVE: "UNKNOWN_PRIMITIVE",
  /** Unrecognised attributes with the M bit set (RFC 8855 section 5.2); their types are in `unknownAttributes`. */
  UNKNOWN_MANDATORY_ATTRIBUTE: "UNKNOWN_MANDATORY_ATTRIBUTE",
  /** An attribute's Length is below its minimum, or wrong for a fixed-size attribute (RFC 8855 section 5.2.x). */
  BAD_ATTRIBUTE_LENGTH: "BAD_ATTRIBUTE_LENGTH",
  /** An attribute, with its padding to 4 octets, runs past the message or the grouped attribute holding it. */
  ATTRIBUTE_OVERFLOW: "ATTRIBUTE_OVERFLOW",
  /** An attribute's contents are invalid: text not UTF-8, a Request Status outside 1-7. */
  BAD_ATTRIBUTE: "BAD_ATTRIBUTE",
  /** An attribute the message (or grouped attribute) requires is absent (RFC 8855 section 5.3). */
  MISSING_ATTRIBUTE: "MISSING_ATTRIBUTE",
  /** A known attribute where RFC 8855 section 5.3's grammar does not allow it, or repeated where it allows one. */
  UNEXPECTED_ATTRIBUTE: "UNEXPECTED_ATTRIBUTE",
} as const;
export type BfcpParseErrorCode = (typeof BfcpParseErrorCode)[keyof typeof BfcpParseErrorCode];

/** The Error primitive error code that answers each parse failure. */
export const BFCP_PARSE_ERROR_REPLY: Readonly<Record<BfcpParseErrorCode, BfcpErrorCode>> = {
  TRUNCATED: BfcpErrorCode.IncorrectMessageLength,
  BAD_LENGTH: BfcpErrorCode.IncorrectMessageLength,
  TOO_LARGE: BfcpErrorCode.IncorrectMessageLength,
  UNSUPPORTED_VERSION: BfcpErrorCode.UnsupportedVersion,
  FRAGMENTED: BfcpErrorCode.GenericError,
  UNKNOWN_PRIMITIVE: BfcpErrorCode.UnknownPrimitive,
  UNKNOWN_MANDATORY_ATTRIBUTE: BfcpErrorCode.UnknownMandatoryAttribute,
  BAD_ATTRIBUTE_LENGTH: BfcpErrorCode.UnableToParseMessage,
  ATTRIBUTE_OVERFLOW: BfcpErrorCode.UnableToParseMessage,
  BAD_ATTRIBUTE: BfcpErrorCode.UnableToParseMessage,
  MISSING_ATTRIBUTE: BfcpErrorCode.UnableToParseMessage,
  UNEXPECTED_ATTRIBUTE: BfcpErrorCode.UnableToParseMessage,
};

/**
 * The COMMON-HEADER fields of a refused message, read as they were (the version and primitive may be the
 * very reason for the refusal). Enough to address an Error reply: RFC 8855 section 13 has the server copy
 * the Conference ID, Transaction ID and User ID of the message it answers.
 */
export interface BfcpHeaderInfo {
  version: number;
  responder: boolean;
  fragmented: boolean;
  primitive: number;
  /** Payload Length in octets (the field counts 4-octet units). */
  payloadLength: number;
  conferenceId: number;
  transactionId: number;
  userId: number;
}

export class BfcpParseError extends Error {
  override readonly name = "BfcpParseError";
  /** The error code of the Error primitive that answers this failure. */
  readonly replyCode: BfcpErrorCode;
  /** Set when the 12 octets of the COMMON-HEADER could be read. */
  readonly header: BfcpHeaderInfo | undefined;
  /**
   * For UNKNOWN_MANDATORY_ATTRIBUTE: the 7-bit types of the unrecognised attributes with the M bit set,
   * in order of appearance, without duplicates; the Error reply lists them (RFC 8855 section 5.2.6).
   * Empty for other codes.
   */
  readonly unknownAttributes: readonly number[];
  /** The attribute at fault, when there is one. */
  readonly attributeType: number | undefined;
  /** Offset of the fault in the message, when known. */
  readonly offset: number | undefined;

  constructor(
    readonly code: BfcpParseErrorCode,
    message: string,
    opts?: { header?: BfcpHeaderInfo; unknownAttributes?: readonly number[]; attributeType?: number; offset?: number },
  ) {
    super(message);
    this.replyCode = BFCP_PARSE_ERROR_REPLY[code];
    this.header = opts?.header;
    this.unknownAttributes = opts?.unknownAttributes ?? [];
    this.attributeType = opts?.attributeType;
    this.offset = opts?.offset;
  }
}

export function isBfcpParseError(err: unknown): err is BfcpParseError {
  return err instanceof BfcpParseError;
}

/** Why a message model could not be encoded: a value out of its field's range, or too long for its field. */
export const BfcpEncodeErrorCode = {
  /** A number outside its field (a 16-bit ID, a Request Status outside 1-7, a Priority outside 0-4, ...). */
  VALUE_OUT_OF_RANGE: "VALUE_OUT_OF_RANGE",
  /** An attribute longer than the 255 octets its 8-bit Length can describe. */
  ATTRIBUTE_TOO_LONG: "ATTRIBUTE_TOO_LONG",
  /** A message longer than its 16-bit Payload Length can describe. */
  MESSAGE_TOO_LONG: "MESSAGE_TOO_LONG",
  /** A list the grammar requires non-empty is empty (FloorRequest FLOOR-IDs, FLOOR-REQUEST-STATUS). */
  MISSING_ATTRIBUTE: "MISSING_ATTRIBUTE",
  /** An extension attribute whose type RFC 8855 already assigns (it would decode as that attribute). */
  BAD_EXTENSION: "BAD_EXTENSION",
} as const;
export type BfcpEncodeErrorCode = (typeof BfcpEncodeErrorCode)[keyof typeof BfcpEncodeErrorCode];

export class BfcpEncodeError extends Error {
  override readonly name = "BfcpEncodeError";
  constructor(
    readonly code: BfcpEncodeErrorCode,
    message: string,
  ) {
    super(message);
  }
}
