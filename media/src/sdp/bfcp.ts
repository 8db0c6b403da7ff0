/**
 * The BFCP m-line of an offer (RFC 8856), answered with the focus as floor control server. Deliberately
 * small: one BFCP stream, one floor bound to the audio stream, TCP setup roles after RFC 4145. The BFCP
 * server itself (RFC 8855) is built elsewhere and only needs `NegotiatedBfcp` from here.
 */
import type { MediaDescription } from "sdp-transform";
import { malformed } from "./errors.ts";
import type { MediaSection } from "./parse.ts";

export type BfcpTransport = "TCP/BFCP" | "UDP/BFCP" | "TCP/TLS/BFCP";

/** What the focus puts in an accepted BFCP stream. */
export interface BfcpOffer {
  /** Where our floor control server listens (TCP) or receives (UDP). */
  port: number;
  /** a=confid, the BFCP conference ID: 32-bit unsigned (RFC 8856 section 5.2, RFC 8855 section 5.1). */
  confId: number;
  /** a=userid, the participant's BFCP user ID: 16-bit unsigned (RFC 8856 section 5.3). */
  userId: number;
  /** The floor bound to the audio stream in a=floorid (RFC 8856 section 5.4): 16-bit unsigned. */
  floorId: number;
  /** a=label put on our audio m-line (RFC 4574) that a=floorid's mstrm points at; default "audio". */
  label?: string;
  /** Transports the BFCP server runs; default TCP/BFCP and UDP/BFCP. TCP/TLS/BFCP also needs `tls`. */
  transports?: readonly BfcpTransport[];
  /** The TLS listener for TCP/TLS/BFCP (RFC 8856 section 4): its port and the SHA-256 fingerprint of our
   *  certificate, written as a=fingerprint (RFC 8122) so the client can check whom it talks to. */
  tls?: { port: number; fingerprint: string } | null;
}

export interface NegotiatedBfcp {
  /** Position of the BFCP m-line. */
  index: number;
  transport: BfcpTransport;
  /** Our TCP role (RFC 4145 section 4): "passive" = we listen on `port`, "active" = we connect to the
   *  remote. null for UDP/BFCP. */
  setup: "active" | "passive" | null;
  remote: { address: string; port: number };
}

const DEFAULT_TRANSPORTS: readonly BfcpTransport[] = ["TCP/BFCP", "UDP/BFCP"];
const ALL_TRANSPORTS: ReadonlySet<string> = new Set<BfcpTransport>(["TCP/BFCP", "UDP/BFCP", "TCP/TLS/BFCP"]);
/** RFC 4145 section 4.1: an active endpoint has no port to listen on and SHOULD put the discard port, 9. */
const DISCARD_PORT = 9;

/** RFC 8856 section 4: BFCP streams are m=application with a BFCP transport (TCP/BFCP, TCP/TLS/BFCP,
 *  UDP/BFCP, UDP/TLS/BFCP, ...); all are recognised so that the ones we cannot run are rejected by name. */
export function isBfcp(m: MediaSection): boolean {
  return m.type === "application" && /\/BFCP$/i.test(m.proto);
}

export function bfcpLabel(bfcp: BfcpOffer): string {
  return bfcp.label ?? "audio";
}

/** Programming errors in our own configuration are TypeErrors, not SdpErrors (those are the peer's). */
export function checkBfcp(bfcp: BfcpOffer): void {
  const uint = (v: unknown, max: number) => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= max;
  if (!uint(bfcp.port, 65535) || bfcp.port === 0) throw new TypeError("bfcp.port must be a port number (1-65535)");
  if (!uint(bfcp.confId, 0xffff_ffff)) throw new TypeError("bfcp.confId must be a 32-bit unsigned integer");
  if (!uint(bfcp.userId, 0xffff)) throw new TypeError("bfcp.userId must be a 16-bit unsigned integer");
  if (!uint(bfcp.floorId, 0xffff)) throw new TypeError("bfcp.floorId must be a 16-bit unsigned integer");
  if (!/^[A-Za-z0-9_.-]+$/.test(bfcpLabel(bfcp))) throw new TypeError("bfcp.label must be a token (RFC 4574)");
  for (const t of bfcp.transports ?? []) if (!ALL_TRANSPORTS.has(t)) throw new TypeError(`bfcp.transports: unknown transport ${t}`);
  if (bfcp.transports?.includes("TCP/TLS/BFCP") && !bfcp.tls) throw new TypeError("TCP/TLS/BFCP needs bfcp.tls (port and certificate fingerprint)");
  if (bfcp.tls) {
    if (!uint(bfcp.tls.port, 65535) || bfcp.tls.port === 0) throw new TypeError("bfcp.tls.port must be a port number (1-65535)");
    if (!/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/.test(bfcp.tls.fingerprint)) throw new TypeError("bfcp.tls.fingerprint must be a SHA-256 fingerprint (RFC 8122: uppercase hex pairs joined by colons)");
  }
}

/**
 * Answers one offered BFCP stream, or says why it is rejected. Throws MALFORMED when the stream would be
 * accepted but has no c= (we would not know where the floor control client is).
 */
export function answerBfcp(m: MediaSection, bfcp: BfcpOffer): { line: MediaDescription; negotiated: NegotiatedBfcp } | { reason: string } {
  const transport = m.proto.toUpperCase();
  if (!(bfcp.transports ?? DEFAULT_TRANSPORTS).includes(transport as BfcpTransport)) return { reason: `BFCP over ${m.proto} is not supported` };
  if (m.port === 0) return { reason: "disabled in the offer (port 0)" };

  // RFC 8856 section 5.1: the offer lists the roles the offerer can take; we are a floor control server
  // only, so the offerer must be able to be a client (c-only or c-s). Without the attribute the offerer
  // is the client and the answerer the server (the RFC 4583 default).
  const floorctrl = attribute(m, "floorctrl");
  if (floorctrl !== undefined) {
    const roles = floorctrl.trim().split(/ +/);
    if (!roles.includes("c-only") && !roles.includes("c-s")) return { reason: `the offerer cannot be a floor control client (floorctrl:${floorctrl})` };
  }

  // RFC 4145 sections 4.1 and 5 (used by RFC 8856 for TCP): the answer takes the role the offer leaves.
  // No a=setup in the offer means "active". holdconn asks for no connection now; we do not hold BFCP.
  let setup: NegotiatedBfcp["setup"] = null;
  if (transport.startsWith("TCP/")) {
    const offered = attribute(m, "setup") ?? "active";
    if (offered === "active" || offered === "actpass") setup = "passive";
    else if (offered === "passive") setup = "active";
    else return { reason: `a=setup:${offered} is not supported for BFCP` };
  }
  if (!m.connection) throw malformed("no c= line for the accepted BFCP stream (RFC 8866 section 5.7)", m.line);

  const line = bfcpLine(m, bfcp, setup, "new");
  return { line, negotiated: { index: m.index, transport: transport as BfcpTransport, setup, remote: { address: m.connection.address, port: m.port } } };
}

/**
 * The BFCP stream of a re-offer, from the same stream in our previous SDP (RFC 3264 section 8): same
 * transport and TCP role, `a=connection:existing` so the floor control connection survives a hold or a
 * refresh (RFC 4145 section 5). null when that stream cannot be kept (disabled or no longer supported).
 */
export function reofferBfcp(previous: MediaSection, bfcp: BfcpOffer): MediaDescription | null {
  const transport = previous.proto.toUpperCase() as BfcpTransport;
  if (previous.port === 0 || !(bfcp.transports ?? DEFAULT_TRANSPORTS).includes(transport)) return null;
  let setup: NegotiatedBfcp["setup"] = null;
  if (transport.startsWith("TCP/")) {
    const was = attribute(previous, "setup");
    setup = was === "active" ? "active" : "passive";
  }
  return bfcpLine(previous, bfcp, setup, "existing");
}

function bfcpLine(m: MediaSection, bfcp: BfcpOffer, setup: NegotiatedBfcp["setup"], connection: "new" | "existing"): MediaDescription {
  const tls = m.proto.toUpperCase() === "TCP/TLS/BFCP" ? bfcp.tls : null;
  const line: MediaDescription = {
    type: "application",
    port: setup === "active" ? DISCARD_PORT : (tls?.port ?? bfcp.port),
    protocol: m.proto,
    // RFC 8856 section 4: the fmt of a BFCP m-line is "*".
    payloads: "*",
    rtp: [],
    fmtp: [],
    bfcpFloorCtrl: "s-only",
    bfcpConfId: String(bfcp.confId),
    bfcpUserId: String(bfcp.userId),
    bfcpFloorId: floorIdAttribute(bfcp.floorId, bfcpLabel(bfcp)),
  };
  if (setup) {
    line.setup = setup;
    line.connectionType = connection;
  }
  // RFC 8122 section 5: the certificate the TLS connection will present.
  if (tls) line.fingerprint = { type: "sha-256", hash: tls.fingerprint };
  return line;
}

/**
 * sdp-transform's grammar reads and writes a=floorid as `{ id, mStream }` ("floorid:%s mstrm:%s"), but
 * @types/sdp-transform 3.0 declares the field as a string; this is the one place that bridges the two.
 */
function floorIdAttribute(id: number, label: string): string {
  return { id: String(id), mStream: label } as unknown as string;
}

function attribute(m: MediaSection, name: string): string | undefined {
  return m.attributes.find((a) => a.name === name)?.value.trim();
}
