/**
 * SIP messages: the strict parser, the serializer and the stream framer (RFC 3261 sections 7, 8.1.1, 18.3).
 *
 * Why our own SIP stack: drachtio-srf is only a client of the C++ drachtio-server, which no package
 * registry here provides, so it cannot open a SIP socket on its own; the pure-JS `sip` package has no
 * dialog layer and known bugs (a self-address check that 404s in-dialog requests). The focus therefore
 * carries its own stack in TypeScript: this message layer, then transports, RFC 3261 section 17
 * transactions (with RFC 6026), dialogs and RFC 6665 subscriptions on top (see DESIGN.md).
 *
 * Validation happens here, at the edge: bytes become a SipRequest / SipResponse whose start line, Via,
 * From, To, Call-ID, CSeq, Max-Forwards, Content-Length, Contact, Route and Record-Route have been checked,
 * or a SipParseError with a stable code. The header section is decoded once (Latin-1, or UTF-8 when it
 * holds non-ASCII bytes that are valid UTF-8) and scanned by index; the body stays bytes.
 */
import { isUtf8 } from "node:buffer";
import { checkNameAddr, parseCSeq, parseVia } from "./address.ts";
import { SipParseError, type SipRequestHead } from "./errors.ts";
import { DIGIT, TOKEN, WORD, clip, fail, is, parseDigits, scan, skipWs, splitList, trimEnd } from "./grammar.ts";
import { SipHeaders, canonicalName, headerKey, kAdopt, kLines } from "./headers.ts";
import { checkAnyUri, parseUri, uriScheme } from "./uri.ts";

export { createResponse, REASON_PHRASES, type CreateResponseOptions } from "./response.ts";
export type { SipRequestHead } from "./errors.ts";

export interface SipRequest {
  kind: "request";
  method: string;
  /** The Request-URI as received (validated; parse it with parseUri for sip, sips and tel). */
  uri: string;
  version: "SIP/2.0";
  headers: SipHeaders;
  body: Buffer;
}

export interface SipResponse {
  kind: "response";
  version: "SIP/2.0";
  status: number;
  reason: string;
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

export interface ParseOptions {
  /** Largest message accepted, header section and body together. Default 64 KiB. */
  maxSize?: number;
}

export const DEFAULT_MAX_SIZE = 64 * 1024;

const CRLFCRLF = Buffer.from("\r\n\r\n");
/** Anything but HTAB, CR, LF and printable ASCII: rare, and only then do the slower checks run. */
const UNUSUAL = /[^\t\r\n\x20-\x7e]/;
const NON_ASCII = /[^\x00-\x7f]/;
/** Control characters other than HTAB, CR and LF (CR and LF are checked where lines are split). */
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
const CTL = /[\x00-\x1f\x7f]/;
const REASON_CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
const VERSION = /^SIP\/[0-9]{1,9}\.[0-9]{1,9}$/i;

/** A message whose start line and header lines were read, before the checks of `validate`. */
interface RawHead {
  response: boolean;
  line: string;
  /** request: method, Request-URI and version split leniently at the first and last SP */
  method: string;
  uri: string;
  version: string;
  /** response: filled in by validate */
  status: number;
  reason: string;
  names: string[];
  keys: string[];
  values: string[];
  headers: SipHeaders;
}

/**
 * Parses one message from a datagram (RFC 3261 section 18.3). Leading CRLFs are skipped (section 7.5).
 * Content-Length is optional here: without it the body is the rest of the datagram; with it, extra
 * octets are dropped and a shorter body is an error. Throws SipParseError, never anything else.
 */
export function parseMessage(buf: Buffer, opts?: ParseOptions): SipMessage {
  const maxSize = opts?.maxSize ?? DEFAULT_MAX_SIZE;
  if (buf.length > maxSize) fail("TOO_LARGE", `message of ${buf.length} bytes exceeds ${maxSize}`);
  const start = skipCrlf(buf, 0, buf.length);
  if (start === buf.length) fail("START_LINE", "empty message");
  const headEnd = buf.indexOf(CRLFCRLF, start);
  if (headEnd < 0) fail("HEADER", "no empty line ends the header section (RFC 3261 section 7)");
  const raw = parseHead(buf, start, headEnd);
  try {
    const contentLength = readContentLength(raw, false);
    validate(raw);
    const bodyStart = headEnd + 4;
    const available = buf.length - bodyStart;
    if (contentLength !== null && contentLength > available) {
      // RFC 3261 section 18.3: a datagram that ends before the body does is an error (400 for a request).
      fail("CONTENT_LENGTH", `Content-Length ${contentLength} but only ${available} body bytes`, "Content-Length");
    }
    const bodyEnd = contentLength === null ? buf.length : bodyStart + contentLength;
    return build(raw, Buffer.from(buf.subarray(bodyStart, bodyEnd)));
  } catch (err) {
    throw withHead(err, raw);
  }
}

/** True for a datagram or stream chunk made only of CRLFs: a keep-alive (RFC 5626 section 4.4.1), not a message. */
export function isKeepAlive(buf: Buffer): boolean {
  return buf.length > 0 && skipCrlf(buf, 0, buf.length) === buf.length && buf[buf.length - 1] === 0x0a;
}

function skipCrlf(buf: Buffer, i: number, end: number): number {
  while (i + 1 < end && buf[i] === 0x0d && buf[i + 1] === 0x0a) i += 2;
  return i;
}

/**
 * Reads the start line and header lines (RFC 3261 section 7.3) of buf[start, end), the header section
 * without its final CRLFCRLF. The errors thrown here leave the message unreadable.
 */
function parseHead(buf: Buffer, start: number, end: number): RawHead {
  let text = buf.toString("latin1", start, end);
  let controls = false;
  if (UNUSUAL.test(text)) {
    controls = CONTROL.test(text);
    // SIP text is UTF-8 (RFC 3261 section 25.1: TEXT-UTF8, UTF8-NONASCII). Bytes that are not valid
    // UTF-8 are kept as Latin-1 rather than refused: some old phones send Latin-1 display names, and the
    // octets survive the parse (serialize writes them back as UTF-8).
    if (NON_ASCII.test(text)) {
      const bytes = buf.subarray(start, end);
      if (isUtf8(bytes)) text = bytes.toString("utf8");
    }
  }
  const n = text.length;
  let lineEnd = lineEndAt(text, 0, n);
  const line = text.slice(0, lineEnd);
  if (controls && CTL.test(line)) fail("START_LINE", "control character in the start line");
  const sp = line.indexOf(" ");
  if (sp <= 0) fail("START_LINE", `not a SIP start line: "${clip(line)}"`);
  const response = line.length > 4 && line.slice(0, 4).toUpperCase() === "SIP/";
  let method = "";
  let uri = "";
  let version = "";
  if (!response) {
    if (scan(line, 0, sp, TOKEN) !== sp) fail("START_LINE", `method is not a token in "${clip(line)}"`);
    method = line.slice(0, sp);
    const last = line.lastIndexOf(" ");
    uri = last > sp ? line.slice(sp + 1, last) : line.slice(sp + 1);
    version = last > sp ? line.slice(last + 1) : "";
  }

  const names: string[] = [];
  const keys: string[] = [];
  const values: string[] = [];
  let name = "";
  let value = "";
  let pos = lineEnd + 2;
  while (pos < n) {
    lineEnd = lineEndAt(text, pos, n);
    const c = text.charCodeAt(pos);
    if (c === 0x20 || c === 0x09) {
      // A line starting with whitespace continues the previous header (LWS, RFC 3261 section 7.3.1):
      // the fold becomes one SP.
      if (name === "") fail("HEADER", "folded line before any header");
      const s = skipWs(text, pos, lineEnd);
      const e = trimEnd(text, s, lineEnd);
      if (s < e) value = value.length > 0 ? `${value} ${text.slice(s, e)}` : text.slice(s, e);
    } else {
      if (name !== "") commit(names, keys, values, name, value, controls);
      // header = field-name HCOLON field-value, HCOLON = *( SP / HTAB ) ":" SWS
      const nameEnd = scan(text, pos, lineEnd, TOKEN);
      if (nameEnd === pos) fail("HEADER", `bad header line "${clip(text.slice(pos, lineEnd))}"`);
      const colon = skipWs(text, nameEnd, lineEnd);
      if (colon >= lineEnd || text.charCodeAt(colon) !== 0x3a) {
        fail("HEADER", `missing ":" in header line "${clip(text.slice(pos, lineEnd))}"`);
      }
      const s = skipWs(text, colon + 1, lineEnd);
      name = text.slice(pos, nameEnd);
      value = text.slice(s, trimEnd(text, s, lineEnd));
    }
    pos = lineEnd + 2;
  }
  if (name !== "") commit(names, keys, values, name, value, controls);

  return {
    response, line, method, uri, version, status: 0, reason: "",
    names, keys, values, headers: SipHeaders[kAdopt](names, keys, values),
  };
}

/**
 * The end of the line starting at `pos`: the next CR, which must begin a CRLF, with no LF before it
 * (RFC 3261 section 7: every line ends with CRLF; a bare CR or LF is not a line end, nor allowed text).
 */
function lineEndAt(text: string, pos: number, n: number): number {
  let cr = text.indexOf("\r", pos);
  if (cr < 0) cr = n;
  else if (text.charCodeAt(cr + 1) !== 0x0a) fail(pos === 0 ? "START_LINE" : "HEADER", "bare CR (lines end with CRLF, RFC 3261 section 7)");
  const lf = text.indexOf("\n", pos);
  if (lf >= 0 && lf !== cr + 1) fail(pos === 0 ? "START_LINE" : "HEADER", "bare LF (lines end with CRLF, RFC 3261 section 7)");
  return cr;
}

function commit(names: string[], keys: string[], values: string[], rawName: string, value: string, controls: boolean): void {
  const key = headerKey(rawName);
  if (controls) checkControls(value, key);
  names.push(canonicalName(key, rawName));
  keys.push(key);
  values.push(value);
}

/**
 * Control characters are not TEXT-UTF8 (RFC 3261 section 25.1); inside a quoted-string a quoted-pair may
 * escape any of them but CR and LF (so RFC 4475 section 3.1.1.2's `"NUL:\<00>"` display name is valid).
 */
function checkControls(v: string, key: string): void {
  let quoted = false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    // (CR and LF never get here: lineEndAt refuses them wherever they stand.)
    if (quoted && c === 0x5c) i++;
    else if (c === 0x22) quoted = !quoted;
    else if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
      fail("HEADER", `control character 0x${c.toString(16).padStart(2, "0")} in a header value`, canonicalName(key, key));
    }
  }
}

/**
 * Content-Length (RFC 3261 section 20.14): at most one, 1*DIGIT. Required on streams (section 18.3),
 * optional on datagrams. Two values make the body's extent unknowable (RFC 4475 section 3.3.9).
 */
function readContentLength(raw: RawHead, required: boolean): number | null {
  let found: number | null = null;
  for (let i = 0; i < raw.keys.length; i++) {
    if (raw.keys[i] !== "content-length") continue;
    if (found !== null) fail("CONTENT_LENGTH", "Content-Length given more than once", "Content-Length");
    const v = raw.values[i]!;
    // Eleven digits is already beyond any size limit; cap so the number stays exact.
    found = parseDigits(v, 0, v.length, 99_999_999_999);
    if (found < 0) fail("CONTENT_LENGTH", `bad Content-Length "${clip(v)}"`, "Content-Length");
  }
  if (found === null && required) {
    fail("CONTENT_LENGTH", "Content-Length is mandatory on stream transports (RFC 3261 section 18.3)", "Content-Length");
  }
  return found;
}

/** The checks that leave framing intact: a request failing them can still be answered. */
function validate(raw: RawHead): void {
  if (raw.response) validateStatusLine(raw);
  else validateRequestLine(raw);
  validateHeaders(raw);
}

function checkVersion(version: string): void {
  // SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT, case-insensitive (RFC 3261 section 7.1)
  if (!VERSION.test(version)) fail("START_LINE", `bad SIP-Version "${clip(version)}"`);
  if (version.toUpperCase() !== "SIP/2.0") fail("VERSION", `unsupported SIP-Version "${clip(version)}"`);
}

function validateStatusLine(raw: RawHead): void {
  // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF (RFC 3261 section 7.2)
  const line = raw.line;
  const sp1 = line.indexOf(" ");
  checkVersion(line.slice(0, sp1));
  const sp2 = line.indexOf(" ", sp1 + 1);
  const codeEnd = sp2 < 0 ? line.length : sp2;
  const status = codeEnd - sp1 - 1 === 3 ? parseDigits(line, sp1 + 1, codeEnd, 999) : -1;
  if (status < 100 || status > 699) {
    fail("STATUS", `status code must be three digits in 100-699: "${clip(line.slice(sp1 + 1, codeEnd))}"`);
  }
  if (sp2 < 0) fail("START_LINE", "missing SP after the status code (RFC 3261 section 7.2)");
  raw.status = status;
  raw.reason = line.slice(sp2 + 1);
}

function validateRequestLine(raw: RawHead): void {
  // Request-Line = Method SP Request-URI SP SIP-Version CRLF, exactly one SP each (RFC 3261 section 7.1;
  // RFC 4475 sections 3.1.2.8-10 reject LWS in the URI, several SP, trailing SP).
  const line = raw.line;
  const sp1 = raw.method.length;
  const last = line.lastIndexOf(" ");
  if (last === sp1 || raw.uri.length === 0 || raw.version.length === 0 || raw.uri.indexOf(" ") >= 0) {
    fail("START_LINE", `Request-Line must be "Method SP Request-URI SP SIP-Version": "${clip(line)}"`);
  }
  checkVersion(raw.version);
  const scheme = uriScheme(raw.uri);
  if (scheme === "sip" || scheme === "sips") {
    const uri = parseUri(raw.uri);
    // RFC 3261 section 19.1.1 (table) does not allow headers in a Request-URI; RFC 4475 section 3.1.2.11.
    if (uri.headers.length > 0) fail("URI", "a Request-URI may not have headers");
  } else {
    // Any other absoluteURI is syntactically fine; the UAS answers 416 (RFC 3261 section 8.2.2.1).
    checkAnyUri(raw.uri);
  }
}

function validateHeaders(raw: RawHead): void {
  const { keys, values, names } = raw;
  let via = 0;
  let from = 0;
  let to = 0;
  let callId = 0;
  let cseq = 0;
  let maxForwards = 0;
  let contentType = 0;
  let cseqMethod: string | null = null;
  for (let i = 0; i < keys.length; i++) {
    const value = values[i]!;
    let count = 0;
    try {
      switch (keys[i]) {
        case "via":
          via += parseVia(value).length;
          break;
        case "from":
          count = ++from;
          checkNameAddr(value, false);
          break;
        case "to":
          count = ++to;
          checkNameAddr(value, false);
          break;
        case "contact":
          // RFC 3261 section 10.2.2: "Contact: *" only in REGISTER (to remove all bindings).
          if (value === "*") {
            if (!raw.response && raw.method === "REGISTER") break;
            fail("NAME_ADDR", "Contact: * is only for REGISTER (RFC 3261 section 10.2.2)");
          }
          for (const element of splitList(value, true)) checkNameAddr(element, false);
          break;
        case "route":
        case "record-route":
          for (const element of splitList(value, true)) checkNameAddr(element, true);
          break;
        case "call-id":
          count = ++callId;
          checkCallId(value);
          break;
        case "cseq":
          count = ++cseq;
          cseqMethod = parseCSeq(value).method;
          break;
        case "max-forwards":
          count = ++maxForwards;
          // RFC 3261 section 20.22: an integer in the range 0-255 (RFC 4475 section 3.1.2.4: 300 is bad)
          if (parseDigits(value, 0, value.length, 255) < 0) fail("MAX_FORWARDS", `bad Max-Forwards "${clip(value)}"`);
          break;
        case "content-type":
          count = ++contentType;
          break;
        default:
          break;
      }
    } catch (err) {
      if (err instanceof SipParseError && err.header === undefined) {
        throw new SipParseError(err.code, `${names[i]}: ${err.message}`, { header: names[i]! });
      }
      throw err;
    }
    // These may appear once (RFC 3261 section 7.3.1 allows repeats only of list headers; RFC 4475
    // section 3.3.8). Content-Length is checked with the framing.
    if (count > 1) fail("DUPLICATE_HEADER", `${names[i]} appears more than once`, names[i]);
  }
  // RFC 3261 section 8.1.1 (requests); section 8.2.6.2 copies the same five into every response.
  if (via === 0) fail("MISSING_HEADER", "no Via", "Via");
  if (from === 0) fail("MISSING_HEADER", "no From", "From");
  if (to === 0) fail("MISSING_HEADER", "no To", "To");
  if (callId === 0) fail("MISSING_HEADER", "no Call-ID", "Call-ID");
  if (cseq === 0) fail("MISSING_HEADER", "no CSeq", "CSeq");
  if (!raw.response && cseqMethod !== raw.method) {
    // RFC 3261 section 8.1.1.5 / 20.16: "The method MUST match that of the request" (RFC 4475 3.1.2.17-18).
    fail("CSEQ", `CSeq method "${cseqMethod}" differs from the request method "${raw.method}"`, "CSeq");
  }
}

function checkCallId(value: string): void {
  // callid = word [ "@" word ] (RFC 3261 section 25.1)
  const n = value.length;
  let i = scan(value, 0, n, WORD);
  if (i === 0) fail("CALL_ID", "empty Call-ID");
  if (i < n && value.charCodeAt(i) === 0x40) {
    const j = scan(value, i + 1, n, WORD);
    if (j === i + 1) fail("CALL_ID", `bad Call-ID "${clip(value)}"`);
    i = j;
  }
  if (i !== n) fail("CALL_ID", `bad Call-ID "${clip(value)}"`);
}

function withHead(err: unknown, raw: RawHead): unknown {
  if (err instanceof SipParseError && !raw.response && err.request === undefined) {
    const head: SipRequestHead = { method: raw.method, uri: raw.uri, version: raw.version, headers: raw.headers };
    err.request = head;
  }
  return err;
}

function build(raw: RawHead, body: Buffer): SipMessage {
  return raw.response
    ? { kind: "response", version: "SIP/2.0", status: raw.status, reason: raw.reason, headers: raw.headers, body }
    : { kind: "request", method: raw.method, uri: raw.uri, version: "SIP/2.0", headers: raw.headers, body };
}

/**
 * The wire form: start line, header lines in order with canonical names (compact forms expanded), CRLF
 * line ends, and a Content-Length computed from the body: written where the first Content-Length line
 * was, else last (RFC 3261 section 18.3 makes it mandatory on streams, so it is always written).
 */
export function serialize(msg: SipMessage): Buffer {
  let head: string;
  if (msg.kind === "request") {
    if (msg.method.length === 0 || scan(msg.method, 0, msg.method.length, TOKEN) !== msg.method.length) {
      throw new TypeError(`SIP method must be a token: ${JSON.stringify(msg.method)}`);
    }
    if (msg.uri.length === 0 || /[\s\x00-\x1f\x7f]/.test(msg.uri)) {
      throw new TypeError(`Request-URI may not be empty or hold whitespace: ${JSON.stringify(msg.uri)}`);
    }
    head = `${msg.method} ${msg.uri} SIP/2.0\r\n`;
  } else {
    if (!Number.isInteger(msg.status) || msg.status < 100 || msg.status > 699) {
      throw new RangeError(`SIP status must be an integer in 100-699: ${msg.status}`);
    }
    // Reason-Phrase = *(reserved / unreserved / escaped / UTF8-NONASCII / UTF8-CONT / SP / HTAB)
    if (REASON_CONTROL.test(msg.reason)) throw new TypeError("SIP reason phrase may not hold control characters");
    head = `SIP/2.0 ${msg.status} ${msg.reason}\r\n`;
  }
  const { names, keys, values } = msg.headers[kLines]();
  let lengthWritten = false;
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] === "content-length") {
      // Where the first one was, with the body's real length; any other is dropped.
      if (!lengthWritten) head += `Content-Length: ${msg.body.length}\r\n`;
      lengthWritten = true;
      continue;
    }
    head += `${names[i]}: ${values[i]}\r\n`;
  }
  head += lengthWritten ? "\r\n" : `Content-Length: ${msg.body.length}\r\n\r\n`;
  const bytes = Buffer.from(head, "utf8");
  return msg.body.length === 0 ? bytes : Buffer.concat([bytes, msg.body], bytes.length + msg.body.length);
}

export interface StreamFramerOptions {
  /** Largest message accepted, header section and body together. Default 64 KiB. */
  maxSize?: number;
  /**
   * Called for each keep-alive between messages (RFC 5626 section 4.4.1): "ping" for a double CRLF
   * (answer it with a single CRLF), "pong" for a single CRLF.
   */
  onKeepAlive?: (kind: "ping" | "pong") => void;
  /**
   * Called for a message that was framed correctly but failed validation (bad version, missing header,
   * CSeq mismatch, ...); framing goes on with the next message. Without it, push throws such errors too.
   * `err.request` is set for requests, so the transport can answer 400 or 505.
   */
  onInvalid?: (err: SipParseError) => void;
}

interface PendingBody {
  raw: RawHead;
  bodyStart: number;
  contentLength: number;
}

/**
 * Frames messages on a stream (TCP, TLS) by Content-Length (RFC 3261 section 18.3). Feed it every chunk;
 * it returns the messages completed so far and keeps the rest. CRLFs between messages are keep-alives
 * (RFC 5626 section 4.4.1; RFC 3261 section 7.5). A SipParseError thrown by push means the stream can no
 * longer be framed (garbage, a bad or missing Content-Length, an oversized message): close the
 * connection. Messages completed earlier in that same chunk are dropped with it. The framer then stays
 * failed and throws the same error again.
 */
export class StreamFramer {
  private readonly maxSize: number;
  private readonly onKeepAlive: ((kind: "ping" | "pong") => void) | undefined;
  private readonly onInvalid: ((err: SipParseError) => void) | undefined;
  // Unconsumed bytes live in store[start, end); the store grows by doubling, so feeding a message one byte
  // at a time costs linear, not quadratic, copying.
  private store: Buffer = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  /** where the search for the end of the header section resumes */
  private scanFrom = 0;
  /** how far the current start line has been checked for garbage */
  private lineChecked = 0;
  private startLineDone = false;
  private pending: PendingBody | null = null;
  private failed: SipParseError | null = null;

  constructor(opts?: StreamFramerOptions) {
    this.maxSize = opts?.maxSize ?? DEFAULT_MAX_SIZE;
    this.onKeepAlive = opts?.onKeepAlive;
    this.onInvalid = opts?.onInvalid;
  }

  /** Bytes received but not yet part of a returned message. */
  get buffered(): number {
    return this.end - this.start;
  }

  push(chunk: Buffer): SipMessage[] {
    if (this.failed) throw this.failed;
    this.append(chunk);
    const out: SipMessage[] = [];
    try {
      this.drain(out);
    } catch (err) {
      if (err instanceof SipParseError) this.failed = err;
      throw err;
    }
    return out;
  }

  private append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.end + chunk.length > this.store.length) {
      const live = this.end - this.start;
      const target = this.store.length >= live + chunk.length && this.start > 0
        ? this.store
        : Buffer.allocUnsafe(Math.max(4096, 2 * this.store.length, live + chunk.length));
      this.store.copy(target, 0, this.start, this.end);
      this.store = target;
      this.shift(-this.start);
    }
    chunk.copy(this.store, this.end);
    this.end += chunk.length;
  }

  private shift(delta: number): void {
    this.start += delta;
    this.end += delta;
    this.scanFrom += delta;
    this.lineChecked += delta;
    if (this.pending) this.pending.bodyStart += delta;
  }

  private drain(out: SipMessage[]): void {
    const store = this.store;
    for (;;) {
      if (this.pending === null) {
        if (!this.skipKeepAlives()) return;
        if (this.start === this.end) {
          this.idle();
          return;
        }
        const view = store.subarray(0, this.end);
        const headEnd = view.indexOf(CRLFCRLF, Math.max(this.scanFrom, this.start));
        if (headEnd < 0) {
          this.checkStartLine();
          if (this.end - this.start > this.maxSize) {
            fail("TOO_LARGE", `header section exceeds ${this.maxSize} bytes`);
          }
          this.scanFrom = Math.max(this.start, this.end - 3);
          return;
        }
        this.checkStartLine();
        const headSize = headEnd + 4 - this.start;
        if (headSize > this.maxSize) fail("TOO_LARGE", `header section exceeds ${this.maxSize} bytes`);
        const raw = parseHead(store, this.start, headEnd);
        let contentLength: number;
        try {
          contentLength = readContentLength(raw, true)!;
          if (headSize + contentLength > this.maxSize) {
            fail("TOO_LARGE", `message of ${headSize + contentLength} bytes exceeds ${this.maxSize}`);
          }
        } catch (err) {
          throw withHead(err, raw);
        }
        this.pending = { raw, bodyStart: headEnd + 4, contentLength };
      }
      const { raw, bodyStart, contentLength } = this.pending;
      if (this.end - bodyStart < contentLength) return;
      const body = Buffer.from(store.subarray(bodyStart, bodyStart + contentLength));
      this.pending = null;
      this.start = bodyStart + contentLength;
      this.scanFrom = this.start;
      this.lineChecked = this.start;
      this.startLineDone = false;
      try {
        validate(raw);
      } catch (err) {
        withHead(err, raw);
        if (err instanceof SipParseError && this.onInvalid) {
          this.onInvalid(err);
          continue;
        }
        throw err;
      }
      out.push(build(raw, body));
    }
  }

  /**
   * Nothing is buffered: start over at offset 0, and let go of a store grown by a large message, so
   * thousands of idle connections hold little memory.
   */
  private idle(): void {
    this.start = this.end = this.scanFrom = this.lineChecked = 0;
    if (this.store.length > 16 * 1024) this.store = Buffer.alloc(0);
  }

  /**
   * Consumes CRLF keep-alives at a message boundary; false when what is there cannot be told apart yet
   * (a lone CRLF might be half a ping).
   */
  private skipKeepAlives(): boolean {
    const store = this.store;
    while (this.start < this.end) {
      const c = store[this.start]!;
      if (c !== 0x0d && c !== 0x0a) break;
      const left = this.end - this.start;
      if (c !== 0x0d || (left >= 2 && store[this.start + 1] !== 0x0a)) {
        fail("START_LINE", "stray CR or LF between messages");
      }
      if (left < 3) return false;
      let kind: "ping" | "pong";
      if (store[this.start + 2] === 0x0d) {
        if (left < 4) return false;
        if (store[this.start + 3] !== 0x0a) fail("START_LINE", "stray CR between messages");
        kind = "ping";
        this.start += 4;
      } else {
        kind = "pong";
        this.start += 2;
      }
      this.scanFrom = this.start;
      this.lineChecked = this.start;
      this.onKeepAlive?.(kind);
    }
    return true;
  }

  /**
   * Garbage detection before the header section is complete, so a peer speaking something else (TLS to
   * the TCP port, HTTP) is cut off at once instead of after 64 KiB: the start line may hold no control
   * character, must begin with a token, and once complete must look like a SIP request or status line.
   */
  private checkStartLine(): void {
    if (this.startLineDone) return;
    const store = this.store;
    if (this.lineChecked < this.start) this.lineChecked = this.start;
    if (this.lineChecked === this.start && this.start < this.end) {
      const first = store[this.start]!;
      if (!is(first, TOKEN)) {
        fail("START_LINE", `a message cannot start with byte 0x${first.toString(16).padStart(2, "0")}`);
      }
    }
    let i = this.lineChecked;
    for (; i < this.end; i++) {
      const c = store[i]!;
      if (c === 0x0d) break;
      if (c < 0x20 || c === 0x7f) fail("START_LINE", `control byte 0x${c.toString(16).padStart(2, "0")} in the start line`);
    }
    this.lineChecked = i;
    if (i + 1 >= this.end) return;
    if (store[i + 1] !== 0x0a) fail("START_LINE", "bare CR in the start line");
    this.startLineDone = true;
    const line = store.toString("latin1", this.start, i);
    const sp = line.indexOf(" ");
    const looksSip = line.slice(0, 4).toUpperCase() === "SIP/"
      ? sp > 4 && scan(line, sp + 1, sp + 4, DIGIT) === sp + 4
      : sp > 0 && line.toUpperCase().indexOf(" SIP/", sp) > 0;
    if (!looksSip) fail("START_LINE", `not a SIP start line: "${clip(line)}"`);
  }
}
