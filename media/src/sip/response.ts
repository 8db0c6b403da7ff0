/**
 * Building a response to a request (RFC 3261 section 8.2.6), and the reason phrases of RFC 3261 section 21
 * and the extensions a focus meets.
 */
import { checkNameAddr } from "./address.ts";
import type { SipRequestHead } from "./errors.ts";
import { TOKEN, scan } from "./grammar.ts";
import { SipHeaders } from "./headers.ts";
import type { SipRequest, SipResponse } from "./message.ts";

export const REASON_PHRASES: Readonly<Record<number, string>> = Object.freeze({
  100: "Trying",
  180: "Ringing",
  181: "Call Is Being Forwarded",
  182: "Queued",
  183: "Session Progress",
  199: "Early Dialog Terminated",
  200: "OK",
  202: "Accepted",
  204: "No Notification",
  300: "Multiple Choices",
  301: "Moved Permanently",
  302: "Moved Temporarily",
  305: "Use Proxy",
  380: "Alternative Service",
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  407: "Proxy Authentication Required",
  408: "Request Timeout",
  410: "Gone",
  412: "Conditional Request Failed",
  413: "Request Entity Too Large",
  414: "Request-URI Too Long",
  415: "Unsupported Media Type",
  416: "Unsupported URI Scheme",
  417: "Unknown Resource-Priority",
  420: "Bad Extension",
  421: "Extension Required",
  422: "Session Interval Too Small",
  423: "Interval Too Brief",
  428: "Use Identity Header",
  429: "Provide Referrer Identity",
  433: "Anonymity Disallowed",
  436: "Bad Identity-Info",
  437: "Unsupported Certificate",
  438: "Invalid Identity Header",
  439: "First Hop Lacks Outbound Support",
  440: "Max-Breadth Exceeded",
  469: "Bad Info Package",
  470: "Consent Needed",
  480: "Temporarily Unavailable",
  481: "Call/Transaction Does Not Exist",
  482: "Loop Detected",
  483: "Too Many Hops",
  484: "Address Incomplete",
  485: "Ambiguous",
  486: "Busy Here",
  487: "Request Terminated",
  488: "Not Acceptable Here",
  489: "Bad Event",
  491: "Request Pending",
  493: "Undecipherable",
  494: "Security Agreement Required",
  500: "Server Internal Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Server Time-out",
  505: "Version Not Supported",
  513: "Message Too Large",
  555: "Push Notification Service Not Supported",
  580: "Precondition Failure",
  600: "Busy Everywhere",
  603: "Decline",
  604: "Does Not Exist Anywhere",
  606: "Not Acceptable",
  607: "Unwanted",
  608: "Rejected",
});

/** For codes without a phrase of their own: the class names of RFC 3261 section 21. */
const CLASS_PHRASES = ["", "Provisional", "Successful", "Redirection", "Request Failure", "Server Failure", "Global Failure"];

export interface CreateResponseOptions {
  /** Added to To when it has no tag yet (RFC 3261 section 8.2.6.2); must be a token. */
  toTag?: string;
  /** Extra header lines, appended in order after the copied ones. */
  headers?: Array<[name: string, value: string]>;
  body?: Buffer;
  /** Content-Type of the body (replaces one given in `headers`). */
  contentType?: string;
}

/**
 * A response to `req` with the headers RFC 3261 section 8.2.6.2 copies: every Via line in order, From,
 * To (with `toTag` added when To has none), Call-ID and CSeq; and Timestamp on a 100 (section 8.2.6.1).
 * It also accepts the SipRequestHead of a SipParseError, to answer a malformed request with 400 / 505;
 * headers missing there are left out. Record-Route copying (section 12.1.1) is the dialog layer's call.
 */
export function createResponse(
  req: SipRequest | SipRequestHead,
  status: number,
  reason?: string,
  opts: CreateResponseOptions = {},
): SipResponse {
  if (!Number.isInteger(status) || status < 100 || status > 699) {
    throw new RangeError(`SIP status must be an integer in 100-699: ${status}`);
  }
  const phrase = reason ?? REASON_PHRASES[status] ?? CLASS_PHRASES[Math.floor(status / 100)]!;
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(phrase)) throw new TypeError("SIP reason phrase may not hold control characters");
  const toTag = opts.toTag;
  if (toTag !== undefined && (toTag.length === 0 || scan(toTag, 0, toTag.length, TOKEN) !== toTag.length)) {
    throw new TypeError(`To tag must be a token: ${JSON.stringify(toTag)}`);
  }

  const headers = new SipHeaders();
  for (const [name, value] of req.headers) if (name === "Via") headers.append("Via", value);
  const from = req.headers.get("From");
  if (from !== undefined) headers.append("From", from);
  let to = req.headers.get("To");
  if (to !== undefined) {
    if (toTag !== undefined && !hasTag(to)) to = `${to};tag=${toTag}`;
    headers.append("To", to);
  }
  const callId = req.headers.get("Call-ID");
  if (callId !== undefined) headers.append("Call-ID", callId);
  const cseq = req.headers.get("CSeq");
  if (cseq !== undefined) headers.append("CSeq", cseq);
  if (status === 100) {
    const timestamp = req.headers.get("Timestamp");
    if (timestamp !== undefined) headers.append("Timestamp", timestamp);
  }
  for (const [name, value] of opts.headers ?? []) headers.append(name, value);
  const body = opts.body ?? Buffer.alloc(0);
  if (opts.contentType !== undefined) headers.set("Content-Type", opts.contentType);
  headers.set("Content-Length", String(body.length));
  return { kind: "response", version: "SIP/2.0", status, reason: phrase, headers, body };
}

function hasTag(to: string): boolean {
  try {
    return checkNameAddr(to, false).params.has("tag");
  } catch {
    // A To we cannot read (answering a malformed request) is echoed as it came.
    return true;
  }
}
