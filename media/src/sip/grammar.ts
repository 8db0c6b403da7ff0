/**
 * Internal: the character classes and small scanners of the RFC 3261 section 25.1 grammar, shared by the
 * URI, address and message parsers. Everything scans a string by index with a lookup table, never with a
 * backtracking regular expression, so the cost is linear in the input whatever a peer sends.
 */
import { isIPv6 } from "node:net";
import { SipParseError, type SipParseErrorCode } from "./errors.ts";

export const ALPHA = 1 << 0;
export const DIGIT = 1 << 1;
/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export const TOKEN = 1 << 2;
/** unreserved = alphanum / mark */
export const UNRESERVED = 1 << 3;
/** user = 1*( unreserved / escaped / user-unreserved ), without the escape */
export const USER = 1 << 4;
/** password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ), without the escape */
export const PASSWORD = 1 << 5;
/** paramchar = param-unreserved / unreserved / escaped, without the escape */
export const PARAM = 1 << 6;
/** hname / hvalue = *( hnv-unreserved / unreserved / escaped ), without the escape */
export const HNV = 1 << 7;
/** word = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" / "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}") */
export const WORD = 1 << 8;
/** hostname characters: alphanum / "-" / "." */
export const HOST = 1 << 9;
/** scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
export const SCHEME = 1 << 10;
/** uric of RFC 2396 (reserved / unreserved), for URIs of schemes we do not model; escapes separately */
export const URIC = 1 << 11;
/** SP / HTAB */
export const WSP = 1 << 12;
/** HEXDIG */
export const HEX = 1 << 13;

const TABLE = new Uint16Array(128);
function add(flag: number, chars: string): void {
  for (let i = 0; i < chars.length; i++) TABLE[chars.charCodeAt(i)]! |= flag;
}
const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const digit = "0123456789";
const alphanum = alpha + digit;
const mark = "-_.!~*'()";
const unreserved = alphanum + mark;
add(ALPHA, alpha);
add(DIGIT, digit);
add(TOKEN, alphanum + "-.!%*_+`'~");
add(UNRESERVED, unreserved);
add(USER, unreserved + "&=+$,;?/");
add(PASSWORD, unreserved + "&=+$,");
add(PARAM, unreserved + "[]/:&+$");
add(HNV, unreserved + "[]/?:+$");
add(WORD, alphanum + "-.!%*_+`'~()<>:\\\"/[]?{}");
add(HOST, alphanum + "-.");
add(SCHEME, alphanum + "+-.");
add(URIC, unreserved + ";/?:@&=+$,[]");
add(WSP, " \t");
add(HEX, digit + "ABCDEFabcdef");

export function is(code: number, flag: number): boolean {
  return code < 128 && (TABLE[code]! & flag) !== 0;
}

export function fail(code: SipParseErrorCode, message: string, header?: string): never {
  throw new SipParseError(code, message, header === undefined ? undefined : { header });
}

/** Index of the first character at or after `i` that is not of `flag`. */
export function scan(s: string, i: number, end: number, flag: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c >= 128 || (TABLE[c]! & flag) === 0) break;
    i++;
  }
  return i;
}

/**
 * Like `scan`, but also accepts `escaped = "%" HEXDIG HEXDIG` (RFC 3261 section 25.1); a `%` not followed
 * by two hex digits is an error, not the end of the run.
 */
export function scanEscaped(s: string, i: number, end: number, flag: number, code: SipParseErrorCode): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c === 0x25 /* % */) {
      if (i + 2 >= end || !is(s.charCodeAt(i + 1), HEX) || !is(s.charCodeAt(i + 2), HEX)) fail(code, `bad escape in "${clip(s)}"`);
      i += 3;
      continue;
    }
    if (c >= 128 || (TABLE[c]! & flag) === 0) break;
    i++;
  }
  return i;
}

/** Skips SP and HTAB (what is left of LWS once folds are undone). */
export function skipWs(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) break;
    i++;
  }
  return i;
}

/** End index once trailing SP / HTAB are dropped. (String.prototype.trim would also eat U+FEFF and others.) */
export function trimEnd(s: string, start: number, end: number): number {
  while (end > start) {
    const c = s.charCodeAt(end - 1);
    if (c !== 0x20 && c !== 0x09) break;
    end--;
  }
  return end;
}

export function trimWs(s: string): string {
  const start = skipWs(s, 0, s.length);
  const end = trimEnd(s, start, s.length);
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/**
 * `s[i]` is the opening DQUOTE of a quoted-string; returns the index after the closing one. quoted-pair
 * ("\" %x00-09 / %x0B-0C / %x0E-7F) may escape anything but CR and LF (RFC 3261 section 25.1).
 */
export function scanQuoted(s: string, i: number, end: number, code: SipParseErrorCode): number {
  i++;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c === 0x5c) {
      const n = i + 1 < end ? s.charCodeAt(i + 1) : -1;
      if (n < 0 || n > 0x7f || n === 0x0a || n === 0x0d) fail(code, `bad quoted-pair in "${clip(s)}"`);
      i += 2;
      continue;
    }
    i++;
  }
  return fail(code, `unterminated quoted string in "${clip(s)}"`);
}

/** The content of a quoted-string (with its quotes) with quoted-pairs undone; other strings unchanged. */
export function unquote(s: string): string {
  if (s.length < 2 || s.charCodeAt(0) !== 0x22 || s.charCodeAt(s.length - 1) !== 0x22) return s;
  const inner = s.slice(1, -1);
  if (inner.indexOf("\\") < 0) return inner;
  let out = "";
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (c === "\\" && i + 1 < inner.length) out += inner[++i]!;
    else out += c;
  }
  return out;
}

/** A quoted-string holding `s` (RFC 3261 section 25.1: DQUOTE and backslash become quoted-pairs). */
export function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"' || c === "\\") out += "\\";
    out += c;
  }
  return out + '"';
}

/**
 * Splits a header value at the commas that separate list elements (RFC 3261 section 7.3.1), not at those
 * inside a quoted-string or inside `<...>` (a URI in angle brackets may hold commas). Elements are trimmed;
 * with `keepEmpty` false, empty ones are dropped. Never throws: an unterminated quote or bracket runs to
 * the end, and the element parser reports it.
 */
export function splitList(value: string, keepEmpty: boolean, out: string[] = []): string[] {
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  const end = value.length;
  for (let i = 0; i < end; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inQuote = false;
    } else if (c === 0x22) inQuote = true;
    else if (c === 0x3c) inAngle = true;
    else if (c === 0x3e) inAngle = false;
    else if (c === 0x2c && !inAngle) {
      push(value, start, i, keepEmpty, out);
      start = i + 1;
    }
  }
  push(value, start, end, keepEmpty, out);
  return out;
}

function push(value: string, start: number, end: number, keepEmpty: boolean, out: string[]): void {
  start = skipWs(value, start, end);
  end = trimEnd(value, start, end);
  if (start < end || keepEmpty) out.push(value.slice(start, end));
}

/**
 * host = hostname / IPv4address / IPv6reference (RFC 3261 section 25.1). The IPv6 reference keeps its
 * brackets, as it is written in URIs and Via.
 */
export function isHost(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  if (s.charCodeAt(0) === 0x5b) return n > 2 && s.charCodeAt(n - 1) === 0x5d && isIPv6(s.slice(1, -1));
  // hostname = *( domainlabel "." ) toplabel [ "." ]; domainlabel = alphanum / alphanum *( alphanum / "-" )
  // alphanum; toplabel starts with ALPHA, so a name whose last label starts with a digit can only be an
  // IPv4address. One pass, remembering the first character of the last label.
  let labelStart = 0;
  let prev = 0;
  let lastFirst = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) {
      if (i === labelStart || prev === 0x2d) return false;
      labelStart = i + 1;
    } else if (c < 128 && (TABLE[c]! & (ALPHA | DIGIT)) !== 0) {
      if (i === labelStart) lastFirst = c;
    } else if (c !== 0x2d || i === labelStart) return false;
    prev = c;
  }
  if (prev === 0x2d) return false;
  if ((TABLE[lastFirst]! & DIGIT) !== 0) return isIPv4(s);
  return true;
}

/** IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each at most 255. */
export function isIPv4(s: string): boolean {
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || value > 255) return false;
      parts++;
      digits = 0;
      value = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (++digits > 3) return false;
      value = value * 10 + (c - 0x30);
    } else return false;
  }
  return parts === 4;
}

/** A run of digits as a number, or -1 when it is empty, has a non-digit, or exceeds `max`. */
export function parseDigits(s: string, start: number, end: number, max: number): number {
  if (start >= end) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    value = value * 10 + (c - 0x30);
    if (value > max) return -1;
  }
  return value;
}

/** Percent-decodes to one char per octet (so it never throws, unlike decodeURIComponent); for comparisons. */
export function unescapeOctets(s: string): string {
  if (s.indexOf("%") < 0) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "%" && i + 2 < s.length && is(s.charCodeAt(i + 1), HEX) && is(s.charCodeAt(i + 2), HEX)) {
      out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out += c;
  }
  return out;
}

/**
 * Header parameters: *( SEMI generic-param ), generic-param = token [ EQUAL gen-value ], gen-value = token /
 * host / quoted-string (RFC 3261 section 25.1), where SEMI and EQUAL allow whitespace on both sides.
 * Names are lowercased (they compare case-insensitively); values stay as received, quoted-strings with
 * their quotes. A name given twice is an error: which one a peer meant is unknowable.
 * `colonValues` admits an unbracketed IPv6address as a value (Via received, RFC 3261 section 20.42).
 */
export function parseParams(
  s: string,
  i: number,
  end: number,
  code: SipParseErrorCode,
  colonValues: boolean,
): Map<string, string | null> {
  const params = new Map<string, string | null>();
  i = skipWs(s, i, end);
  while (i < end) {
    if (s.charCodeAt(i) !== 0x3b) fail(code, `expected ";" at "${clip(s.slice(i))}"`);
    i = skipWs(s, i + 1, end);
    const nameStart = i;
    i = scan(s, i, end, TOKEN);
    if (i === nameStart) fail(code, `empty parameter name in "${clip(s)}"`);
    const name = s.slice(nameStart, i).toLowerCase();
    i = skipWs(s, i, end);
    let value: string | null = null;
    if (i < end && s.charCodeAt(i) === 0x3d) {
      i = skipWs(s, i + 1, end);
      const valueStart = i;
      const c = i < end ? s.charCodeAt(i) : -1;
      if (c === 0x22) {
        i = scanQuoted(s, i, end, code);
      } else if (c === 0x5b) {
        const close = s.indexOf("]", i);
        if (close < 0 || close >= end) fail(code, `unterminated IPv6 reference in "${clip(s)}"`);
        i = close + 1;
        if (!isHost(s.slice(valueStart, i))) fail(code, `bad IPv6 reference in "${clip(s)}"`);
      } else {
        i = colonValues ? scanTokenOrColon(s, i, end) : scan(s, i, end, TOKEN);
        if (i === valueStart) fail(code, `empty value of parameter "${name}"`);
      }
      value = s.slice(valueStart, i);
      i = skipWs(s, i, end);
    }
    if (params.has(name)) fail(code, `parameter "${name}" given twice`);
    params.set(name, value);
  }
  return params;
}

function scanTokenOrColon(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c !== 0x3a && (c >= 128 || (TABLE[c]! & TOKEN) === 0)) break;
    i++;
  }
  return i;
}

export function formatParams(params: ReadonlyMap<string, string | null>): string {
  let out = "";
  for (const [name, value] of params) out += value === null ? `;${name}` : `;${name}=${value}`;
  return out;
}

/** Shortens peer-supplied text quoted in an error message. */
export function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
