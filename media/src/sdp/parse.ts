/**
 * The edge of the SDP module: a body from the network becomes a typed `SessionSdp` or an SdpError.
 *
 * sdp-transform is deliberately lenient (it drops lines it cannot read and accepts empty ports), so the
 * structure is checked here line by line first (RFC 8866 sections 5 and 9): v= first, exactly one o= and
 * s=, at least one t=, well-formed o=/c=/t=/m= lines, no unknown type letters. Only then is the (same,
 * normalised) text handed to sdp-transform for the attributes (rtpmap, fmtp, ptime, direction, rtcp).
 * The offer/answer rules (which stream needs a c=, what is acceptable) live in offer-answer.ts.
 */
import { isIPv4, isIPv6 } from "node:net";
import sdpTransform from "sdp-transform";
import type { MediaDescription } from "sdp-transform";
import { malformed } from "./errors.ts";

export type Direction = "sendrecv" | "sendonly" | "recvonly" | "inactive";
export type AddrType = "IP4" | "IP6";

export interface Connection {
  addrType: AddrType;
  /** The address without a multicast TTL or count suffix; an IP literal or a domain name. */
  address: string;
}

export interface RtpMap {
  /** Encoding name as written; compare case-insensitively (RFC 4855 section 3). */
  name: string;
  clockRate: number | null;
  channels: number | null;
}

export interface MediaSection {
  /** 0-based position among the m-lines. */
  index: number;
  /** 1-based line of the m= line in the body. */
  line: number;
  type: string;
  port: number;
  /** The `/<number of ports>` of the m= line, null when absent (RFC 8866 section 5.14). */
  portCount: number | null;
  proto: string;
  formats: string[];
  /** The media-level c=, else the session-level one (RFC 8866 section 5.7); null when neither exists. */
  connection: Connection | null;
  /** The media-level direction, else the session-level one, else sendrecv (RFC 8866 section 6.7). */
  direction: Direction;
  rtpmap: Map<number, RtpMap>;
  /** fmtp parameters by payload type, as written. */
  fmtp: Map<number, string>;
  /** a=ptime in ms when present and numeric (RFC 8866 section 6.4). */
  ptime: number | null;
  /** a=rtcp port (RFC 3605 section 2.1): null when absent, NaN when present but not a number. */
  rtcpPort: number | null;
  /** a=rtcp-mux present (RFC 5761 section 5.1.1). */
  rtcpMux: boolean;
  /** Every a= line of the section, split at the first ':' (value "" for property attributes). */
  attributes: { name: string; value: string }[];
}

export interface SessionSdp {
  origin: { username: string; sessionId: string; sessionVersion: string; addrType: AddrType; address: string };
  connection: Connection | null;
  /** Session-level a= lines, split as in MediaSection. */
  attributes: MediaSection["attributes"];
  media: MediaSection[];
}

/** Far above any real offer (a few hundred bytes to a few KiB); bounds the work done on hostile input. */
export const MAX_SDP_LENGTH = 65_536;

/** The type letters RFC 8866 section 5 defines (k= is obsolete but still "understood"). */
const KNOWN_TYPES = new Set("vosiuepcbtrzkam");
/** token of RFC 8866 section 9 (RFC 4566 grammar): media types, fmts, attribute names. */
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;
const PROTO = /^[A-Za-z0-9\-_.]+(?:\/[A-Za-z0-9\-_.]+)*$/;
const FQDN = /^(?=.*[A-Za-z])[A-Za-z0-9](?:[A-Za-z0-9\-.]*[A-Za-z0-9])?$/;
// Any C0 control (CR included: a lone CR inside a line is not a line break we accept) or DEL.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

const DIRECTIONS: ReadonlySet<string> = new Set(["sendrecv", "sendonly", "recvonly", "inactive"]);

export function parseSdp(text: string): SessionSdp {
  if (typeof text !== "string") throw malformed("the SDP body is not text");
  if (text.length > MAX_SDP_LENGTH) throw malformed(`the SDP body is longer than ${MAX_SDP_LENGTH} characters`);

  // RFC 8866 section 5: lines end with CRLF, but parsers should also accept a bare LF. Blank lines (a
  // trailing one is common, e.g. from sipp) carry nothing and are skipped; trailing blanks are trimmed.
  const kept: string[] = [];
  const lineNo: number[] = [];
  const rawLines = text.split(/\r?\n/);
  for (let i = 0; i < rawLines.length; i++) {
    const line = rawLines[i]!.replace(/[ \t]+$/, "");
    if (line === "") continue;
    if (CONTROL.test(line)) throw malformed("control character in a line", i + 1);
    const m = /^([a-z])=/.exec(line);
    if (!m) throw malformed(`not a <type>=<value> line: ${JSON.stringify(line.slice(0, 40))}`, i + 1);
    // RFC 8866 section 5: a description with a type letter the parser does not understand is ignored
    // as a whole; for offer/answer that means it cannot be answered.
    if (!KNOWN_TYPES.has(m[1]!)) throw malformed(`unknown type letter "${m[1]}="`, i + 1);
    kept.push(line);
    lineNo.push(i + 1);
  }
  if (kept.length === 0) throw malformed("empty SDP body");
  if (kept[0] !== "v=0") throw malformed("the first line must be v=0 (RFC 8866 section 5.1)", lineNo[0]);

  let origin: SessionSdp["origin"] | null = null;
  let sessionName = false;
  let timing = 0;
  let sessionConnection: Connection | null = null;
  const sections: { line: number; m: ReturnType<typeof parseMediaLine>; connection: Connection | null; attributes: MediaSection["attributes"] }[] = [];
  const sessionAttributes: MediaSection["attributes"] = [];

  for (let i = 0; i < kept.length; i++) {
    const line = kept[i]!;
    const n = lineNo[i]!;
    const type = line[0]!;
    const value = line.slice(2);
    const current = sections.at(-1);
    if (i > 0 && type === "v") throw malformed("more than one v= line", n);
    if (current && "vost".includes(type)) throw malformed(`${type}= is a session-level line but appears after an m= line`, n);
    switch (type) {
      case "o":
        if (origin) throw malformed("more than one o= line", n);
        origin = parseOrigin(value, n);
        break;
      case "s":
        if (sessionName) throw malformed("more than one s= line", n);
        sessionName = true;
        break;
      case "t":
        if (!/^\d+ \d+$/.test(value)) throw malformed("t= must be two decimal times", n);
        timing++;
        break;
      case "c": {
        const c = parseConnection(value, n);
        if (current) {
          if (current.connection) throw malformed("more than one c= line in a media section", n);
          current.connection = c;
        } else {
          if (sessionConnection) throw malformed("more than one session-level c= line", n);
          sessionConnection = c;
        }
        break;
      }
      case "m":
        sections.push({ line: n, m: parseMediaLine(value, n), connection: null, attributes: [] });
        break;
      case "a": {
        const colon = value.indexOf(":");
        const attr = colon < 0 ? { name: value, value: "" } : { name: value.slice(0, colon), value: value.slice(colon + 1) };
        (current ? current.attributes : sessionAttributes).push(attr);
        break;
      }
      default:
        // i=, u=, e=, p=, b=, r=, z=, k=: nothing the offer/answer of one audio stream depends on.
        break;
    }
  }
  // RFC 8866 section 5: v=, o=, s= and at least one t= are required.
  if (!origin) throw malformed("missing o= line (RFC 8866 section 5.2)");
  if (!sessionName) throw malformed("missing s= line (RFC 8866 section 5.3)");
  if (timing === 0) throw malformed("missing t= line (RFC 8866 section 5.9)");

  // The structure is sound; let sdp-transform read the attributes of the same lines. Feeding it the
  // normalised lines keeps its media[] aligned with our sections one to one.
  const parsed = sdpTransform.parse(kept.join("\r\n") + "\r\n");
  if (parsed.media.length !== sections.length) throw malformed("m= lines could not be read consistently");
  const sessionDirection = readDirection(parsed.direction);

  const media = sections.map((s, index): MediaSection => {
    const d = parsed.media[index]!;
    return {
      index,
      line: s.line,
      type: s.m.type,
      port: s.m.port,
      portCount: s.m.portCount,
      proto: s.m.proto,
      formats: s.m.formats,
      connection: s.connection ?? sessionConnection,
      direction: readDirection(d.direction) ?? sessionDirection ?? "sendrecv",
      rtpmap: readRtpMaps(d),
      fmtp: readFmtps(d),
      ptime: readNumber(d.ptime),
      rtcpPort: d.rtcp === undefined ? null : readPort(d.rtcp.port),
      rtcpMux: d.rtcpMux !== undefined,
      attributes: s.attributes,
    };
  });
  return { origin, connection: sessionConnection, attributes: sessionAttributes, media };
}

/** o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> (RFC 8866 section 5.2). */
function parseOrigin(value: string, line: number): SessionSdp["origin"] {
  const f = value.trim().split(/ +/);
  if (f.length !== 6) throw malformed("o= must have six fields", line);
  const [username, sessionId, sessionVersion, netType, addrType, address] = f as [string, string, string, string, string, string];
  if (!/^\d+$/.test(sessionId) || !/^\d+$/.test(sessionVersion)) throw malformed("o= session id and version must be decimal numbers", line);
  if (netType !== "IN") throw malformed(`o= network type must be IN, not ${netType}`, line);
  if (addrType !== "IP4" && addrType !== "IP6") throw malformed(`o= address type must be IP4 or IP6, not ${addrType}`, line);
  return { username, sessionId, sessionVersion, addrType, address };
}

/** c=<nettype> <addrtype> <connection-address> (RFC 8866 section 5.7). */
function parseConnection(value: string, line: number): Connection {
  const f = value.trim().split(/ +/);
  if (f.length !== 3) throw malformed("c= must have three fields", line);
  const [netType, addrType, full] = f as [string, string, string];
  if (netType !== "IN") throw malformed(`c= network type must be IN, not ${netType}`, line);
  if (addrType !== "IP4" && addrType !== "IP6") throw malformed(`c= address type must be IP4 or IP6, not ${addrType}`, line);
  // A multicast address may carry /ttl (IPv4) and /count suffixes; the address is what precedes them.
  const address = full.split("/")[0]!;
  const literalOk = addrType === "IP4" ? isIPv4(address) : isIPv6(address);
  if (!literalOk && !(FQDN.test(address) && address.length <= 253)) throw malformed(`c= address ${JSON.stringify(address)} is not an ${addrType} address`, line);
  return { addrType, address };
}

/** m=<media> <port>[/<number of ports>] <proto> <fmt> ... (RFC 8866 section 5.14). */
function parseMediaLine(value: string, line: number) {
  const f = value.trim().split(/ +/);
  if (f.length < 4) throw malformed("m= must have a media type, a port, a transport and at least one format", line);
  const [type, portField, proto, ...formats] = f as [string, string, string, ...string[]];
  if (!TOKEN.test(type)) throw malformed("m= media type is not a token", line);
  const p = /^(\d{1,5})(?:\/(\d{1,5}))?$/.exec(portField);
  if (!p || Number(p[1]) > 65535) throw malformed(`m= port ${JSON.stringify(portField)} is not a port number`, line);
  const portCount = p[2] === undefined ? null : Number(p[2]);
  if (portCount === 0) throw malformed("m= number of ports must be at least 1", line);
  if (!PROTO.test(proto)) throw malformed("m= transport is not a token", line);
  if (!formats.every((fmt) => TOKEN.test(fmt))) throw malformed("m= format is not a token", line);
  return { type, port: Number(p[1]), portCount, proto, formats };
}

function readDirection(d: unknown): Direction | null {
  return typeof d === "string" && DIRECTIONS.has(d) ? (d as Direction) : null;
}

/** sdp-transform turns numeric-looking values into numbers and leaves the rest as strings. */
function readNumber(v: unknown): number | null {
  if (v === undefined || v === null || v === "") return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

function readPort(v: unknown): number {
  const n = readNumber(v);
  return n !== null && Number.isInteger(n) && n >= 1 && n <= 65535 ? n : Number.NaN;
}

function readPayloadType(v: unknown): number | null {
  const n = readNumber(v);
  // RTP payload types are 7 bits (RFC 3550 section 5.1).
  return n !== null && Number.isInteger(n) && n >= 0 && n <= 127 ? n : null;
}

function readRtpMaps(d: MediaDescription): Map<number, RtpMap> {
  const out = new Map<number, RtpMap>();
  for (const r of d.rtp ?? []) {
    const pt = readPayloadType(r.payload);
    // The first rtpmap of a payload type wins; a second one is a peer bug, not a reason to fail.
    if (pt === null || out.has(pt) || r.codec === undefined || String(r.codec) === "") continue;
    out.set(pt, { name: String(r.codec), clockRate: readNumber(r.rate), channels: readNumber(r.encoding) });
  }
  return out;
}

function readFmtps(d: MediaDescription): Map<number, string> {
  const out = new Map<number, string>();
  for (const f of d.fmtp ?? []) {
    const pt = readPayloadType(f.payload);
    if (pt === null || out.has(pt)) continue;
    out.set(pt, String(f.config).trim());
  }
  return out;
}
