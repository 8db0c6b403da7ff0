/**
 * The SIP message layer: the public API, picked by hand. Transports and transactions build on this;
 * internal hooks (grammar scanners, SipHeaders' adoption symbol) stay unexported.
 */
export { SipParseError, SipParseErrorCode, isSipParseError, type SipRequestHead } from "./errors.ts";
export { SipHeaders, isListHeader } from "./headers.ts";
export { parseUri, formatUri, uriEquals, type SipUri } from "./uri.ts";
export {
  parseNameAddr, formatNameAddr, parseVia, formatVia, parseCSeq, formatCSeq, quote, unquote,
  type NameAddr, type Via, type CSeq,
} from "./address.ts";
export {
  parseMessage, serialize, isKeepAlive, StreamFramer, DEFAULT_MAX_SIZE,
  type SipMessage, type SipRequest, type SipResponse, type ParseOptions, type StreamFramerOptions,
} from "./message.ts";
export { createResponse, REASON_PHRASES, type CreateResponseOptions } from "./response.ts";
