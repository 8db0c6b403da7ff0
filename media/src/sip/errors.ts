import type { SipHeaders } from "./headers.ts";

/**
 * Why a SIP message (or one of its header values) was refused. The codes are public and stable: the
 * transport logs them and picks its answer from them (RFC 3261 section 8.2 and 18.3: a request that can
 * still be answered gets a 400, or a 505 for VERSION; a broken response is dropped; on a stream any
 * error closes the connection, because framing is lost).
 */
export const SipParseErrorCode = {
  /** Request-Line or Status-Line not of the RFC 3261 section 7.1 / 7.2 grammar (spacing, method token). */
  START_LINE: "START_LINE",
  /** SIP-Version other than SIP/2.0 (RFC 3261 section 8.2.2: answer 505). */
  VERSION: "VERSION",
  /** Status-Code not three digits in 100-699 (RFC 3261 section 7.2, 21). */
  STATUS: "STATUS",
  /** A header line that is not `name: value`, a stray control character, a fold before any header. */
  HEADER: "HEADER",
  /** A header that may appear only once appears more than once (RFC 4475 section 3.3.8). */
  DUPLICATE_HEADER: "DUPLICATE_HEADER",
  /** To, From, CSeq, Call-ID or Via missing (RFC 3261 section 8.1.1). */
  MISSING_HEADER: "MISSING_HEADER",
  /** CSeq malformed, too large (section 8.1.1.5), or its method differs from the Request-Line's. */
  CSEQ: "CSEQ",
  /** Call-ID not `word [ "@" word ]` (RFC 3261 section 25.1). */
  CALL_ID: "CALL_ID",
  /** Max-Forwards not an integer in 0-255 (RFC 3261 section 20.22). */
  MAX_FORWARDS: "MAX_FORWARDS",
  /** Content-Length malformed, repeated, missing on a stream, or larger than the body (section 18.3). */
  CONTENT_LENGTH: "CONTENT_LENGTH",
  /** A SIP, SIPS or tel URI (or the Request-URI) that does not follow RFC 3261 section 19.1 / RFC 3966. */
  URI: "URI",
  /** A From, To, Contact, Route or Record-Route value that is not name-addr / addr-spec (section 20.10). */
  NAME_ADDR: "NAME_ADDR",
  /** A Via value that does not follow RFC 3261 section 20.42 (with RFC 3581 rport). */
  VIA: "VIA",
  /** The message is larger than the configured limit. */
  TOO_LARGE: "TOO_LARGE",
} as const;
export type SipParseErrorCode = (typeof SipParseErrorCode)[keyof typeof SipParseErrorCode];

/**
 * The start line and headers of a request that parsed line by line but failed a later check. It is
 * enough to answer the request (RFC 3261 section 8.2.6 needs only the request's headers) when it carries
 * Via, From, To, Call-ID and CSeq; the transport checks that before answering 400 or 505.
 */
export interface SipRequestHead {
  method: string;
  /** The Request-URI text as received (possibly the reason for the error). */
  uri: string;
  /** The SIP-Version text as received (possibly the reason for the error). */
  version: string;
  headers: SipHeaders;
}

export class SipParseError extends Error {
  override readonly name = "SipParseError";
  /** Canonical name of the header at fault, when one is. */
  readonly header: string | undefined;
  /**
   * Set when the message is a request whose start line and header lines could be read, so the transport
   * may answer it (RFC 3261 section 18.3: "the element SHOULD generate a 400 (Bad Request) response").
   */
  request: SipRequestHead | undefined;

  constructor(
    readonly code: SipParseErrorCode,
    message: string,
    opts?: { header?: string },
  ) {
    super(message);
    this.header = opts?.header;
    this.request = undefined;
  }
}

export function isSipParseError(err: unknown): err is SipParseError {
  return err instanceof SipParseError;
}
