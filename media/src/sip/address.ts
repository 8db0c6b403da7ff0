/**
 * Header values with structure: name-addr / addr-spec (From, To, Contact, Route, Record-Route: RFC 3261
 * section 20.10 and 25.1), Via (section 20.42, RFC 3581 rport) and CSeq (section 20.16).
 *
 * Parameter names are lowercased (they compare case-insensitively); values are kept as received, a
 * quoted-string with its quotes (use `unquote`), so that formatting gives back an equivalent value.
 */
import {
  DIGIT, HOST, TOKEN, WSP, clip, fail, formatParams, isHost, isIPv4, parseDigits, parseParams, quote, scan,
  scanQuoted, skipWs, splitList, trimEnd,
} from "./grammar.ts";
import type { SipParseErrorCode } from "./errors.ts";
import { checkAnyUri, formatUri, parseUri, type SipUri } from "./uri.ts";
import { isIPv6 } from "node:net";

export { quote, unquote } from "./grammar.ts";

export interface NameAddr {
  /** Unquoted display name; null when there is none (`<sip:a@b>` or a bare addr-spec). */
  displayName: string | null;
  uri: SipUri;
  /** header parameters (tag, expires, q, ...): lowercase name -> value as received, null when valueless */
  params: Map<string, string | null>;
}

export interface Via {
  protocol: "SIP/2.0";
  /** upper-cased: UDP, TCP, TLS, SCTP, WS, WSS or any other token (RFC 4475 section 3.1.1.10) */
  transport: string;
  /** sent-by host; an IPv6 reference keeps its brackets */
  host: string;
  port: number | null;
  /** branch, received, rport (null: asked for, RFC 3581), maddr, ttl and extensions */
  params: Map<string, string | null>;
}

export interface CSeq {
  seq: number;
  method: string;
}

interface ScannedNameAddr {
  displayName: string | null;
  uriText: string;
  params: Map<string, string | null>;
}

/**
 * The shared scanner. A name-addr's URI runs to ">"; an addr-spec's to the first ";" or whitespace,
 * since "if the URI is not enclosed in angle brackets, any semicolon-delimited parameters are
 * header-parameters, not URI parameters" (RFC 3261 section 20.10).
 */
function scanNameAddr(value: string, requireBrackets: boolean, code: SipParseErrorCode): ScannedNameAddr {
  let i = skipWs(value, 0, value.length);
  const end = trimEnd(value, i, value.length);
  if (i === end) fail(code, "empty address");
  let displayName: string | null = null;
  let bracketed = false;
  const first = value.charCodeAt(i);
  if (first === 0x22) {
    // quoted-string display name, then LAQUOT (RFC 3261 section 25.1: LAQUOT = SWS "<")
    const close = scanQuoted(value, i, end, code);
    displayName = unquoteRaw(value.slice(i + 1, close - 1));
    i = skipWs(value, close, end);
    if (value.charCodeAt(i) !== 0x3c) fail(code, `expected "<" after the display name in "${clip(value)}"`);
    bracketed = true;
  } else {
    // display-name = *(token LWS): scan tokens and whitespace; stopping at "<" means we had one.
    const stop = scan(value, i, end, TOKEN | WSP);
    const c = stop < end ? value.charCodeAt(stop) : -1;
    if (c === 0x3c) {
      if (stop > i) displayName = value.slice(i, trimEnd(value, i, stop));
      i = stop;
      bracketed = true;
    } else if (c !== 0x3a && value.indexOf("<", stop) >= 0) {
      // Not an addr-spec (whose scheme would stop the scan at ":") and a "<" follows:
      // RFC 4475 section 3.1.2.15: `Bell, Alexander <sip:...>` is not a token list.
      fail(code, `display name must be tokens or a quoted string in "${clip(value)}"`);
    }
  }

  let uriText: string;
  if (bracketed) {
    // RAQUOT = ">" SWS: no whitespace inside the brackets (RFC 4475 section 3.1.2.14).
    const close = value.indexOf(">", i + 1);
    if (close < 0 || close >= end) fail(code, `missing ">" in "${clip(value)}"`);
    uriText = value.slice(i + 1, close);
    i = close + 1;
  } else {
    if (requireBrackets) fail(code, `URI must be in <> here: "${clip(value)}"`);
    const start = i;
    while (i < end) {
      const c = value.charCodeAt(i);
      if (c === 0x3b || c === 0x20 || c === 0x09) break;
      // RFC 3261 section 20.10: a URI with a comma, question mark or semicolon must be in angle brackets
      // (RFC 4475 section 3.1.2.13).
      if (c === 0x2c || c === 0x3f || c === 0x3c || c === 0x3e || c === 0x22) {
        fail(code, `"${value[i]}" in a URI outside <> in "${clip(value)}"`);
      }
      i++;
    }
    uriText = value.slice(start, i);
  }
  const params = parseParams(value, i, end, code, false);
  return { displayName, uriText, params };
}

function unquoteRaw(inner: string): string {
  if (inner.indexOf("\\") < 0) return inner;
  let out = "";
  for (let k = 0; k < inner.length; k++) out += inner[k] === "\\" ? inner[++k]! : inner[k]!;
  return out;
}

/**
 * Parses a From, To, Contact, Route or Record-Route value (one list element; use `headers.getAll` to
 * split lists): `"Display" <sip:a@b;lr>;tag=x`, `Display <sip:a@b>`, `<tel:+123>`, or an addr-spec
 * `sip:a@b;tag=x` whose parameters are header parameters. Throws SipParseError ("NAME_ADDR", or "URI"
 * for a malformed URI or a scheme other than sip, sips, tel).
 */
export function parseNameAddr(value: string): NameAddr {
  const s = scanNameAddr(value, false, "NAME_ADDR");
  return { displayName: s.displayName, uri: parseUri(s.uriText), params: s.params };
}

/**
 * Internal: validates a name-addr / addr-spec for the message parser, accepting URIs of any scheme (RFC
 * 4475 section 3.3.4) and, for Route and Record-Route, only the bracketed form (section 25.1: route-param
 * = name-addr *( SEMI rr-param )).
 */
export function checkNameAddr(value: string, requireBrackets: boolean): ScannedNameAddr {
  const s = scanNameAddr(value, requireBrackets, "NAME_ADDR");
  checkAnyUri(s.uriText);
  return s;
}

/** Always writes the bracketed form, which is valid for every URI (RFC 3261 section 20.10). */
export function formatNameAddr(addr: NameAddr): string {
  const name = addr.displayName === null ? "" : `${quote(addr.displayName)} `;
  return `${name}<${formatUri(addr.uri)}>${formatParams(addr.params)}`;
}

/**
 * Parses a Via header value, one `Via` per comma-separated via-parm, in order. Whitespace is allowed
 * around "/" (SLASH), ":" (COLON), ";" and "=" (RFC 3261 section 25.1; RFC 4475 section 3.1.1.1).
 * Throws SipParseError("VIA").
 */
export function parseVia(value: string): Via[] {
  const parts = splitList(value, true);
  const out: Via[] = [];
  for (const part of parts) out.push(parseViaParm(part));
  return out;
}

function parseViaParm(s: string): Via {
  const end = s.length;
  if (end === 0) fail("VIA", "empty Via value");
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport
  let i = 0;
  const nameEnd = scan(s, i, end, TOKEN);
  if (s.slice(i, nameEnd).toUpperCase() !== "SIP") fail("VIA", `protocol is not SIP in "${clip(s)}"`);
  i = expectSlash(s, nameEnd, end);
  const versionEnd = scan(s, i, end, TOKEN);
  if (s.slice(i, versionEnd) !== "2.0") fail("VIA", `protocol version is not 2.0 in "${clip(s)}"`);
  i = expectSlash(s, versionEnd, end);
  const transportEnd = scan(s, i, end, TOKEN);
  if (transportEnd === i) fail("VIA", `missing transport in "${clip(s)}"`);
  const transport = s.slice(i, transportEnd).toUpperCase();
  // LWS sent-by
  i = skipWs(s, transportEnd, end);
  if (i === transportEnd) fail("VIA", `missing space before sent-by in "${clip(s)}"`);
  let hostEnd: number;
  if (s.charCodeAt(i) === 0x5b) {
    hostEnd = s.indexOf("]", i) + 1;
    if (hostEnd === 0) fail("VIA", `unterminated IPv6 reference in "${clip(s)}"`);
  } else {
    hostEnd = scan(s, i, end, HOST);
  }
  const host = s.slice(i, hostEnd);
  if (!isHost(host)) fail("VIA", `bad sent-by host "${clip(host)}"`);
  i = skipWs(s, hostEnd, end);
  let port: number | null = null;
  if (i < end && s.charCodeAt(i) === 0x3a) {
    const portStart = skipWs(s, i + 1, end);
    const portEnd = scan(s, portStart, end, DIGIT);
    port = parseDigits(s, portStart, portEnd, 65535);
    if (port < 0) fail("VIA", `bad sent-by port in "${clip(s)}"`);
    i = portEnd;
  }
  const params = parseParams(s, i, end, "VIA", true);
  checkViaParams(params);
  return { protocol: "SIP/2.0", transport, host, port, params };
}

function expectSlash(s: string, i: number, end: number): number {
  i = skipWs(s, i, end);
  if (s.charCodeAt(i) !== 0x2f) fail("VIA", `expected "/" in "${clip(s)}"`);
  return skipWs(s, i + 1, end);
}

function checkViaParams(params: Map<string, string | null>): void {
  for (const [name, value] of params) {
    switch (name) {
      case "branch":
        // via-branch = "branch" EQUAL token (the magic cookie is the transaction layer's business:
        // RFC 2543 peers send none, RFC 4475 section 3.2.1)
        if (value === null || value.charCodeAt(0) === 0x22 || scan(value, 0, value.length, TOKEN) !== value.length) {
          fail("VIA", "branch must be a token");
        }
        break;
      case "received":
        // via-received = "received" EQUAL (IPv4address / IPv6address); bracketed IPv6 accepted too
        if (value === null || !(isIPv4(value) || isIPv6(value) || (value.charCodeAt(0) === 0x5b && isHost(value)))) {
          fail("VIA", `received must be an IP address, got ${JSON.stringify(value)}`);
        }
        break;
      case "rport":
        // RFC 3581 section 3: response-port = "rport" [EQUAL 1*DIGIT]
        if (value !== null && parseDigits(value, 0, value.length, 65535) < 0) fail("VIA", "rport must be a port");
        break;
      case "ttl":
        // ttl = 1*3DIGIT ; 0 to 255
        if (value === null || value.length > 3 || parseDigits(value, 0, value.length, 255) < 0) {
          fail("VIA", "ttl must be 0-255");
        }
        break;
      case "maddr":
        if (value === null || !isHost(value)) fail("VIA", "maddr must be a host");
        break;
      default:
        break;
    }
  }
}

export function formatVia(via: Via): string {
  const port = via.port === null ? "" : `:${via.port}`;
  return `${via.protocol}/${via.transport} ${via.host}${port}${formatParams(via.params)}`;
}

/** The largest CSeq sequence number: "MUST be less than 2**31" (RFC 3261 section 8.1.1.5). */
const MAX_CSEQ = 2 ** 31 - 1;

/** CSeq = 1*DIGIT LWS Method (RFC 3261 section 20.16). Throws SipParseError("CSEQ"). */
export function parseCSeq(value: string): CSeq {
  let i = skipWs(value, 0, value.length);
  const end = trimEnd(value, i, value.length);
  const digitsEnd = scan(value, i, end, DIGIT);
  const seq = parseDigits(value, i, digitsEnd, MAX_CSEQ);
  if (seq < 0) fail("CSEQ", `bad CSeq number in "${clip(value)}" (1*DIGIT below 2**31)`);
  i = skipWs(value, digitsEnd, end);
  if (i === digitsEnd) fail("CSEQ", `missing method in CSeq "${clip(value)}"`);
  if (scan(value, i, end, TOKEN) !== end) fail("CSEQ", `bad method in CSeq "${clip(value)}"`);
  return { seq, method: value.slice(i, end) };
}

export function formatCSeq(cseq: CSeq): string {
  return `${cseq.seq} ${cseq.method}`;
}
