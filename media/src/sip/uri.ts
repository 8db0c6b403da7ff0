/**
 * SIP and SIPS URIs (RFC 3261 section 19.1, grammar in section 25.1) and tel URIs (RFC 3966, the parts a
 * focus meets: global and local numbers with parameters).
 *
 * Fields hold the text as written, escapes included (`user: "I%20have%20spaces"`), so formatting gives
 * back what was parsed and nothing is decoded that would need re-escaping; `uriEquals` unescapes for the
 * comparison rules of section 19.1.4. Parameter names are lowercased (they compare case-insensitively);
 * their values keep their case. An IPv6 host keeps its brackets (`host: "[2001:db8::1]"`).
 */
import { isIPv6 } from "node:net";
import {
  ALPHA, DIGIT, HEX, HNV, HOST, PARAM, PASSWORD, SCHEME, URIC, USER,
  clip, fail, formatParams, is, isHost, parseDigits, scan, scanEscaped, unescapeOctets,
} from "./grammar.ts";

/**
 * One shape for the three schemes, so callers read `user`, `host`, `params` without narrowing. For tel:
 * `user` is the telephone number (global `+1-212-555-0100` with its visual separators, or local),
 * `host` is "", `password` and `port` are null and `headers` is empty.
 */
export interface SipUri {
  scheme: "sip" | "sips" | "tel";
  /** user or telephone-subscriber, escaped as received; null when the URI has no userinfo */
  user: string | null;
  /** null when absent; "" for `sip:user:@host` */
  password: string | null;
  /** hostname, IPv4 address, or IPv6 reference with its brackets ("" for tel) */
  host: string;
  port: number | null;
  /** uri-parameters: lowercase name -> value, null for a parameter without value (`;lr`) */
  params: Map<string, string | null>;
  /** `?name=value&...` in order; names and values escaped as received (a name may repeat) */
  headers: Array<[name: string, value: string]>;
}

/** Parses a sip:, sips: or tel: URI; throws SipParseError("URI") for anything else or anything malformed. */
export function parseUri(text: string): SipUri {
  const colon = schemeEnd(text);
  const scheme = text.slice(0, colon).toLowerCase();
  if (scheme === "sip" || scheme === "sips") return parseSipUri(text, scheme, colon + 1);
  if (scheme === "tel") return parseTelUri(text, colon + 1);
  return fail("URI", `unsupported URI scheme "${clip(scheme)}" (sip, sips and tel are understood)`);
}

/**
 * Checks that `text` is a URI we could carry: sip/sips/tel fully, any other scheme as an RFC 2396
 * absoluteURI (RFC 3261 section 25.1 allows those in the Request-URI and in name-addr values; RFC 4475
 * sections 3.3.2 and 3.3.4 require them to parse, leaving 416 or 400 to the layer above).
 */
export function checkAnyUri(text: string): void {
  const colon = schemeEnd(text);
  const scheme = text.slice(0, colon).toLowerCase();
  if (scheme === "sip" || scheme === "sips" || scheme === "tel") {
    parseUri(text);
    return;
  }
  if (colon + 1 >= text.length || scanEscaped(text, colon + 1, text.length, URIC, "URI") !== text.length) {
    fail("URI", `malformed URI "${clip(text)}"`);
  }
}

/** The scheme of a URI we may not model, lowercased, or throws SipParseError("URI"). */
export function uriScheme(text: string): string {
  return text.slice(0, schemeEnd(text)).toLowerCase();
}

function schemeEnd(text: string): number {
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  const end = scan(text, 0, text.length, SCHEME);
  if (end === 0 || end >= text.length || text.charCodeAt(end) !== 0x3a || !is(text.charCodeAt(0), ALPHA)) {
    fail("URI", `not a URI: "${clip(text)}"`);
  }
  return end;
}

function parseSipUri(text: string, scheme: "sip" | "sips", i: number): SipUri {
  const end = text.length;
  let user: string | null = null;
  let password: string | null = null;
  // userinfo = ( user / telephone-subscriber ) [ ":" password ] "@". Neither user nor password may hold an
  // unescaped "@", so the first "@" ends the userinfo (RFC 4475 section 3.1.1.9: "user;par=u%40example.net").
  const at = text.indexOf("@", i);
  if (at >= 0) {
    const userEnd = scanEscaped(text, i, at, USER, "URI");
    if (userEnd === i) fail("URI", `empty user in "${clip(text)}"`);
    user = text.slice(i, userEnd);
    if (userEnd < at) {
      if (text.charCodeAt(userEnd) !== 0x3a) fail("URI", `bad character in the user of "${clip(text)}"`);
      if (scanEscaped(text, userEnd + 1, at, PASSWORD, "URI") !== at) {
        fail("URI", `bad character in the password of "${clip(text)}"`);
      }
      password = text.slice(userEnd + 1, at);
    }
    i = at + 1;
  }

  let host: string;
  if (text.charCodeAt(i) === 0x5b) {
    const close = text.indexOf("]", i);
    if (close < 0) fail("URI", `unterminated IPv6 reference in "${clip(text)}"`);
    host = text.slice(i, close + 1);
    i = close + 1;
  } else {
    const hostEnd = scan(text, i, end, HOST);
    host = text.slice(i, hostEnd);
    i = hostEnd;
  }
  if (!isHost(host)) fail("URI", `bad host "${clip(host)}" in "${clip(text)}"`);

  let port: number | null = null;
  if (i < end && text.charCodeAt(i) === 0x3a) {
    const portEnd = scan(text, i + 1, end, DIGIT);
    port = parseDigits(text, i + 1, portEnd, 65535);
    if (port < 0) fail("URI", `bad port in "${clip(text)}"`);
    i = portEnd;
  }

  const params = new Map<string, string | null>();
  i = parseUriParams(text, i, params);

  const headers: Array<[string, string]> = [];
  if (i < end && text.charCodeAt(i) === 0x3f) {
    // headers = "?" header *( "&" header ), header = hname "=" hvalue, hvalue may be empty
    do {
      const nameStart = i + 1;
      const nameEnd = scanEscaped(text, nameStart, end, HNV, "URI");
      if (nameEnd === nameStart || text.charCodeAt(nameEnd) !== 0x3d) fail("URI", `bad header in "${clip(text)}"`);
      const valueEnd = scanEscaped(text, nameEnd + 1, end, HNV, "URI");
      headers.push([text.slice(nameStart, nameEnd), text.slice(nameEnd + 1, valueEnd)]);
      i = valueEnd;
    } while (i < end && text.charCodeAt(i) === 0x26);
  }
  if (i !== end) fail("URI", `unexpected "${text[i]}" in "${clip(text)}"`);
  return { scheme, user, password, host, port, params, headers };
}

/** uri-parameters = *( ";" pname [ "=" pvalue ] ), pname and pvalue 1*paramchar. Returns the end. */
function parseUriParams(text: string, i: number, params: Map<string, string | null>): number {
  const end = text.length;
  while (i < end && text.charCodeAt(i) === 0x3b) {
    const nameStart = i + 1;
    const nameEnd = scanEscaped(text, nameStart, end, PARAM, "URI");
    if (nameEnd === nameStart) fail("URI", `empty parameter in "${clip(text)}"`);
    const name = text.slice(nameStart, nameEnd).toLowerCase();
    let value: string | null = null;
    i = nameEnd;
    if (i < end && text.charCodeAt(i) === 0x3d) {
      const valueEnd = scanEscaped(text, i + 1, end, PARAM, "URI");
      if (valueEnd === i + 1) fail("URI", `empty value of parameter "${name}" in "${clip(text)}"`);
      value = text.slice(i + 1, valueEnd);
      i = valueEnd;
    }
    if (params.has(name)) fail("URI", `parameter "${name}" given twice in "${clip(text)}"`);
    params.set(name, value);
  }
  return i;
}

function parseTelUri(text: string, i: number): SipUri {
  // RFC 3966 section 3: global-number-digits = "+" *phonedigit DIGIT *phonedigit;
  // local-number-digits = *phonedigit-hex (HEXDIG / "*" / "#") *phonedigit-hex, with a phone-context.
  let numberEnd = text.indexOf(";", i);
  if (numberEnd < 0) numberEnd = text.length;
  const number = text.slice(i, numberEnd);
  const global = number.charCodeAt(0) === 0x2b;
  let significant = 0;
  for (let k = global ? 1 : 0; k < number.length; k++) {
    const c = number.charCodeAt(k);
    if (c === 0x2d || c === 0x2e || c === 0x28 || c === 0x29) continue; // visual separators - . ( )
    if (global ? is(c, DIGIT) : is(c, HEX) || c === 0x2a || c === 0x23) significant++;
    else fail("URI", `bad character in telephone number "${clip(number)}"`);
  }
  if (significant === 0) fail("URI", `no digits in telephone number "${clip(text)}"`);
  const params = new Map<string, string | null>();
  const end = parseUriParams(text, numberEnd, params);
  if (end !== text.length) fail("URI", `unexpected "${text[end]}" in "${clip(text)}"`);
  if (!global && !params.has("phone-context")) {
    fail("URI", `local number without phone-context (RFC 3966 section 5.1.5): "${clip(text)}"`);
  }
  return { scheme: "tel", user: number, password: null, host: "", port: null, params, headers: [] };
}

export function formatUri(uri: SipUri): string {
  if (uri.scheme === "tel") return `tel:${uri.user ?? ""}${formatParams(uri.params)}`;
  let out = `${uri.scheme}:`;
  if (uri.user !== null) out += uri.password === null ? `${uri.user}@` : `${uri.user}:${uri.password}@`;
  out += uri.host;
  if (uri.port !== null) out += `:${uri.port}`;
  out += formatParams(uri.params);
  for (let k = 0; k < uri.headers.length; k++) {
    const [name, value] = uri.headers[k]!;
    out += `${k === 0 ? "?" : "&"}${name}=${value}`;
  }
  return out;
}

/** Parameters that, present in either URI, must be present in both (RFC 3261 section 19.1.4). */
const MUST_MATCH = ["user", "ttl", "method", "maddr", "transport"];

/**
 * URI equivalence of RFC 3261 section 19.1.4 (tel: RFC 3966 section 4): escapes are undone before
 * comparing; scheme, host and parameter names and values compare case-insensitively, user and password
 * case-sensitively; a default left out (no port) differs from the default written out (`:5060`).
 */
export function uriEquals(a: SipUri, b: SipUri): boolean {
  if (a.scheme === "tel" || b.scheme === "tel") {
    if (a.scheme !== "tel" || b.scheme !== "tel") return false;
    const digits = (n: string) => n.replace(/[-.()]/g, "").toLowerCase();
    if (digits(a.user ?? "") !== digits(b.user ?? "") || a.params.size !== b.params.size) return false;
    for (const [name, value] of a.params) {
      if (!b.params.has(name) || !sameParam(value, b.params.get(name)!)) return false;
    }
    return true;
  }
  if (a.scheme !== b.scheme || a.port !== b.port) return false;
  if (a.host.toLowerCase() !== b.host.toLowerCase() && !sameIPv6(a.host, b.host)) return false;
  if (!sameOptional(a.user, b.user) || !sameOptional(a.password, b.password)) return false;
  for (const name of MUST_MATCH) {
    if ((a.params.has(name) || b.params.has(name)) && !(a.params.has(name) && b.params.has(name))) return false;
  }
  for (const [name, value] of a.params) {
    if (b.params.has(name) && !sameParam(value, b.params.get(name)!)) return false;
  }
  // "URI header components are never ignored": same headers, in any order.
  if (a.headers.length !== b.headers.length) return false;
  const key = ([n, v]: [string, string]) => `${unescapeOctets(n).toLowerCase()}=${unescapeOctets(v)}`;
  const left = a.headers.map(key).sort();
  const right = b.headers.map(key).sort();
  return left.every((h, k) => h === right[k]);
}

function sameOptional(a: string | null, b: string | null): boolean {
  return a === null || b === null ? a === b : unescapeOctets(a) === unescapeOctets(b);
}

function sameParam(a: string | null, b: string | null): boolean {
  return a === null || b === null ? a === b : unescapeOctets(a).toLowerCase() === unescapeOctets(b).toLowerCase();
}

function sameIPv6(a: string, b: string): boolean {
  // [2001:DB8::1] and [2001:db8:0::1] name the same host; compare the 16 octets.
  if (a.charCodeAt(0) !== 0x5b || b.charCodeAt(0) !== 0x5b) return false;
  const x = expandIPv6(a.slice(1, -1));
  return x !== null && x === expandIPv6(b.slice(1, -1));
}

function expandIPv6(text: string): string | null {
  if (!isIPv6(text)) return null;
  let groups = text.toLowerCase();
  const v4 = groups.lastIndexOf(":");
  const tail = groups.slice(v4 + 1);
  if (tail.indexOf(".") >= 0) {
    const o = tail.split(".").map(Number);
    groups = `${groups.slice(0, v4 + 1)}${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head, rest] = groups.split("::") as [string, string | undefined];
  const h = head === "" ? [] : head.split(":");
  const r = rest === undefined ? [] : rest === "" ? [] : rest.split(":");
  const fill = rest === undefined ? [] : Array<string>(8 - h.length - r.length).fill("0");
  return [...h, ...fill, ...r].map((g) => parseInt(g, 16)).join(":");
}
