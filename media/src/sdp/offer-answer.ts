/**
 * SDP offer/answer (RFC 3264) for the focus's SIP participants: one G.711 audio stream with RFC 4733
 * telephone-events, and optionally one BFCP stream (RFC 8856) with the focus as floor control server.
 *
 * - answerOffer: a participant's INVITE or re-INVITE carried an offer.
 * - createOffer: we make the offer (an INVITE that came without SDP, or a re-INVITE we send).
 * - parseAnswer: the participant answered our offer.
 *
 * The network bodies are validated in parse.ts; everything here works on the typed `SessionSdp`.
 */
import { isIPv4, isIPv6 } from "node:net";
import sdpTransform from "sdp-transform";
import type { MediaDescription, SessionDescription } from "sdp-transform";
import { answerBfcp, bfcpLabel, checkBfcp, isBfcp, reofferBfcp, type BfcpOffer, type NegotiatedBfcp } from "./bfcp.ts";
import { malformed, SdpError, SdpErrorCode } from "./errors.ts";
import { parseSdp, type Direction, type MediaSection } from "./parse.ts";

export type { Direction } from "./parse.ts";
export type G711Codec = "PCMU" | "PCMA";

export interface LocalMedia {
  /** Our media address, an IPv4 or IPv6 literal; goes into o= and c=. */
  address: string;
  /** Our RTP port (even, RFC 3550 section 11); RTCP is expected on port + 1. */
  audioPort: number;
  /** The codecs we accept, in our order of preference (used for our offers); default ["PCMU", "PCMA"]. */
  codecs?: readonly G711Codec[];
  /** Accept an offered BFCP stream with these parameters; without it BFCP streams are rejected. */
  bfcp?: BfcpOffer | null;
}

/** The o= line we write: the id stays for the whole dialog, the version increases with every SDP we
 *  send in it (RFC 3264 section 8); the caller keeps both. */
export interface SessionOrigin {
  id: string;
  version: number;
  username?: string;
}

export interface NegotiatedAudio {
  codec: G711Codec;
  /** The payload type the peer listed for the codec: what we send with (and, since an answerer echoes
   *  the offerer's numbers per RFC 3264 section 6.1, what we receive with). */
  payloadType: number;
  clockRate: 8000;
  /** RFC 4733 events at the codec's clock rate; null when the peer has none at 8000 Hz. */
  telephoneEvent: { payloadType: number; clockRate: number; events: string } | null;
  remote: { address: string; port: number; rtcpPort: number; rtcpMux: boolean };
  /** The direction as seen from OUR side after negotiation ("sendonly" = we send, they do not). */
  direction: Direction;
  /** The peer asked us to stop sending: its side is sendonly or inactive, or it used the RFC 2543
   *  c=0.0.0.0 hold (RFC 3264 section 8.4). */
  onHold: boolean;
  /** Packetization time in ms for what we send. */
  ptime: number;
}

export interface RejectedMedia {
  index: number;
  media: string;
  reason: string;
}

export interface Answer {
  sdp: string;
  audio: NegotiatedAudio;
  /** Every m-line answered with port 0, with why. */
  rejected: RejectedMedia[];
  /** The accepted BFCP stream, when `local.bfcp` was given and one was offered. */
  bfcp: NegotiatedBfcp | null;
}

export interface OfferOptions {
  /** Our direction; "sendonly" puts the peer on hold (RFC 3264 section 8.4). Default "sendrecv". */
  direction?: Direction;
  /** The last SDP we sent in this dialog (offer or answer). A re-offer must keep its m-lines, in order
   *  (RFC 3264 section 8): the audio stream takes its old place, the others stay as they were disabled. */
  previous?: string;
}

const DEFAULT_CODECS: readonly G711Codec[] = ["PCMU", "PCMA"];
/** RFC 3551 section 6, table 4: the static payload types of G.711. */
const STATIC_PAYLOAD_TYPES: ReadonlyMap<number, G711Codec> = new Map([
  [0, "PCMU"],
  [8, "PCMA"],
]);
const G711_CLOCK_RATE = 8000;
/** RFC 3551: plain RTP/AVP. SRTP (RTP/SAVP) and AVPF feedback profiles are not implemented. */
const AUDIO_PROFILE = "RTP/AVP";
/** Our telephone-event payload type in offers (dynamic range, RFC 3551 section 3); the usual choice. */
const OFFER_TELEPHONE_EVENT_PT = 101;
/** RFC 4733 section 3.2: 0-9 * # A-D are 0-15; 16 is flash. */
const OFFER_EVENTS = "0-16";
/** RFC 4733 section 2.4.1: without an fmtp, the events are 0-15. */
const DEFAULT_EVENTS = "0-15";
const DEFAULT_PTIME = 20;

const SENDS: Record<Direction, boolean> = { sendrecv: true, sendonly: true, recvonly: false, inactive: false };
const RECEIVES: Record<Direction, boolean> = { sendrecv: true, sendonly: false, recvonly: true, inactive: false };

// ---------------------------------------------------------------------------------------------------
// answerOffer

/**
 * Answers an offer. Throws SdpError: MALFORMED (400), NO_AUDIO or NO_COMMON_CODEC (488). Throws
 * TypeError when `local` or `session` is invalid (our own mistake, not the peer's).
 */
export function answerOffer(offer: string, local: LocalMedia, session: SessionOrigin): Answer {
  const me = checkLocal(local);
  checkOrigin(session);
  const sdp = parseSdp(offer);

  // RFC 3264 section 6: the answerer picks which streams to accept. We accept the first audio stream we
  // can use; each other audio stream gets the reason it was passed over.
  let audio: { m: MediaSection; codec: G711Codec; payloadType: number } | null = null;
  let audioOffered = false;
  const audioReasons = new Map<number, string>();
  for (const m of sdp.media) {
    if (m.type !== "audio") continue;
    if (audio) {
      audioReasons.set(m.index, "only one audio stream is accepted");
      continue;
    }
    if (m.port === 0) {
      audioReasons.set(m.index, "disabled in the offer (port 0)");
      continue;
    }
    audioOffered = true;
    const choice = chooseCodec(m, me.codecs);
    if (typeof choice === "string") audioReasons.set(m.index, choice);
    else audio = { m, ...choice };
  }
  if (!audio) {
    if (!audioOffered) throw new SdpError(SdpErrorCode.NO_AUDIO, "the offer has no audio stream");
    throw new SdpError(SdpErrorCode.NO_COMMON_CODEC, `no acceptable audio stream: ${[...audioReasons.values()].join("; ")}`);
  }

  const chosen = audio;
  const negotiated = negotiateAudio(chosen.m, chosen, null);
  const audioLine = answerAudioLine(chosen.m, chosen.codec, chosen.payloadType, negotiated, me.audioPort);

  const rejected: RejectedMedia[] = [];
  const reject = (m: MediaSection, reason: string): MediaDescription => {
    rejected.push({ index: m.index, media: m.type, reason });
    return disabledLine(m);
  };
  let bfcp: NegotiatedBfcp | null = null;
  const media: MediaDescription[] = [];
  for (const m of sdp.media) {
    if (m === chosen.m) media.push(audioLine);
    else if (m.type === "audio") media.push(reject(m, audioReasons.get(m.index) ?? "not accepted"));
    else if (m.port === 0) media.push(reject(m, "disabled in the offer (port 0)"));
    else if (!isBfcp(m)) media.push(reject(m, `${m.type} ${m.proto} is not supported`));
    else if (!me.bfcp) media.push(reject(m, "BFCP is not enabled"));
    else if (bfcp) media.push(reject(m, "only one BFCP stream is accepted"));
    else {
      const r = answerBfcp(m, me.bfcp);
      if ("reason" in r) media.push(reject(m, r.reason));
      else {
        bfcp = r.negotiated;
        media.push(r.line);
        // a=floorid's mstrm names the audio stream by its label (RFC 8856 section 5.4, RFC 4574).
        audioLine.label = bfcpLabel(me.bfcp);
      }
    }
  }

  return { sdp: writeSdp(me.address, session, media), audio: negotiated, rejected, bfcp };
}

// ---------------------------------------------------------------------------------------------------
// createOffer

/**
 * Our offer: PCMU and PCMA (in `local.codecs` order), telephone-event/8000 0-16, ptime 20. With
 * `opts.previous`, a re-offer that keeps the previous SDP's m-lines (RFC 3264 section 8); an accepted
 * BFCP stream is kept when `local.bfcp` is still given. Throws TypeError on invalid arguments.
 */
export function createOffer(local: LocalMedia, session: SessionOrigin, opts: OfferOptions = {}): string {
  const me = checkLocal(local);
  checkOrigin(session);
  const direction = opts.direction ?? "sendrecv";
  if (!Object.hasOwn(SENDS, direction)) throw new TypeError(`opts.direction must be sendrecv, sendonly, recvonly or inactive`);

  const audio = offerAudioLine(me.audioPort, me.codecs, direction);
  if (opts.previous === undefined) return writeSdp(me.address, session, [audio]);

  const previous = parseSdp(opts.previous);
  // RFC 3264 section 8: same origin, and the version goes up.
  if (previous.origin.sessionId !== session.id) throw new TypeError(`session.id ${session.id} differs from the previous SDP's ${previous.origin.sessionId}`);
  if (BigInt(session.version) <= BigInt(previous.origin.sessionVersion)) {
    throw new TypeError(`session.version must increase: ${session.version} after ${previous.origin.sessionVersion} (RFC 3264 section 8)`);
  }
  const audioIndex = previous.media.findIndex((m) => m.type === "audio" && m.port !== 0 && isAudioProfile(m.proto));
  const media: MediaDescription[] = [];
  let bfcpKept = false;
  for (const m of previous.media) {
    const bfcpLine = !bfcpKept && me.bfcp && isBfcp(m) ? reofferBfcp(m, me.bfcp) : null;
    if (m.index === audioIndex) media.push(audio);
    else if (bfcpLine && me.bfcp) {
      bfcpKept = true;
      media.push(bfcpLine);
      audio.label = bfcpLabel(me.bfcp);
    } else media.push(disabledLine(m));
  }
  // No audio stream before (all disabled): a new one goes at the end (RFC 3264 section 8.1).
  if (audioIndex < 0) media.push(audio);
  return writeSdp(me.address, session, media);
}

// ---------------------------------------------------------------------------------------------------
// parseAnswer

/**
 * Reads the answer to an offer we sent. Throws SdpError: MALFORMED (not SDP, m-lines not matching the
 * offer's), NO_AUDIO (our audio stream was rejected), NO_COMMON_CODEC (no codec we offered). Throws
 * TypeError when `offerWeSent` has no audio stream.
 */
export function parseAnswer(offerWeSent: string, answer: string): NegotiatedAudio {
  const ours = parseSdp(offerWeSent);
  const offered = ours.media.find((m) => m.type === "audio" && m.port !== 0 && isAudioProfile(m.proto));
  if (!offered) throw new TypeError("the offer we sent has no audio stream");
  const theirs = parseSdp(answer);

  // RFC 3264 section 6: exactly as many m-lines as the offer, each answering the one at its position.
  if (theirs.media.length !== ours.media.length) {
    throw malformed(`the answer has ${theirs.media.length} m-lines for ${ours.media.length} offered (RFC 3264 section 6)`);
  }
  theirs.media.forEach((m, i) => {
    const o = ours.media[i]!;
    if (m.type !== o.type) throw malformed(`m-line ${i} answers ${o.type} with ${m.type} (RFC 3264 section 6)`, m.line);
  });
  const m = theirs.media[offered.index]!;
  if (m.port === 0) throw new SdpError(SdpErrorCode.NO_AUDIO, "the answer rejected the audio stream (port 0)");
  if (m.proto.toUpperCase() !== offered.proto.toUpperCase()) throw malformed(`the answer changed the audio transport to ${m.proto}`, m.line);

  // RFC 3264 section 7: the offerer may send any format of the answer; we take the first one we offered.
  const offeredCodecs = new Set(offered.formats.map((f) => codecOf(offered, payloadTypeOf(f))).filter((c) => c !== null));
  let choice: { codec: G711Codec; payloadType: number } | null = null;
  for (const f of m.formats) {
    const pt = payloadTypeOf(f);
    const codec = codecOf(m, pt);
    if (codec && offeredCodecs.has(codec) && pt !== null) {
      choice = { codec, payloadType: pt };
      break;
    }
  }
  if (!choice) throw new SdpError(SdpErrorCode.NO_COMMON_CODEC, `the answer has no codec we offered (answered formats: ${m.formats.join(" ")})`);
  // Events only when we offered them too (RFC 4733 section 7.1.1: negotiated like any payload format).
  const events = findTelephoneEvent(offered, G711_CLOCK_RATE) !== null;
  return negotiateAudio(m, choice, { direction: offered.direction, events });
}

// ---------------------------------------------------------------------------------------------------
// negotiation rules

/** The offer's first format that we support: the answerer follows the offerer's preference (RFC 3264
 *  section 6.1). Returns why the stream is unacceptable otherwise. */
function chooseCodec(m: MediaSection, supported: readonly G711Codec[]): { codec: G711Codec; payloadType: number } | string {
  if (!isAudioProfile(m.proto)) return `transport ${m.proto} is not supported (${AUDIO_PROFILE} only)`;
  if (m.portCount !== null && m.portCount > 1) return "layered encoding over several ports is not supported";
  for (const f of m.formats) {
    const pt = payloadTypeOf(f);
    const codec = codecOf(m, pt);
    if (codec && pt !== null && supported.includes(codec)) return { codec, payloadType: pt };
  }
  return `no common codec (offered ${describeFormats(m)}; we accept ${supported.join(", ")})`;
}

/**
 * Everything but the codec choice, for the audio stream `m` of the peer's SDP (an offer we answer, or
 * the answer to our offer). `ourOffer` is what our offer said when we made it, null when the peer did.
 */
function negotiateAudio(
  m: MediaSection,
  { codec, payloadType }: { codec: G711Codec; payloadType: number },
  ourOffer: { direction: Direction; events: boolean } | null,
): NegotiatedAudio {
  // RFC 8866 section 5.7 / RFC 3264 section 6: without a connection address the stream cannot be used.
  if (!m.connection) throw malformed("no c= line for the audio stream, at session or media level", m.line);
  const address = m.connection.address;

  // RFC 3605 section 2.1: a=rtcp gives the RTCP port; otherwise RTP port + 1 (RFC 3550 section 11).
  const rtcpPort = m.rtcpPort ?? m.port + 1;
  if (Number.isNaN(rtcpPort)) throw malformed("a=rtcp does not carry a port number (RFC 3605 section 2.1)", m.line);
  if (rtcpPort > 65535) throw malformed("no port left for RTCP after the RTP port", m.line);

  // RFC 3264 section 8.4: c=0.0.0.0 (RFC 2543 hold) means "send neither RTP nor RTCP to me", i.e. the
  // peer does not receive: sendrecv counts as sendonly, recvonly as inactive.
  const declared = m.direction;
  const theirs = isUnspecified(address) ? directionOf(SENDS[declared], false) : declared;
  // RFC 3264 sections 6.1 and 7: we send only where they receive, and receive only where they send; when
  // we made the offer, also only what we offered.
  const ourSend = RECEIVES[theirs] && (ourOffer === null || SENDS[ourOffer.direction]);
  const ourRecv = SENDS[theirs] && (ourOffer === null || RECEIVES[ourOffer.direction]);

  const events = ourOffer === null || ourOffer.events ? findTelephoneEvent(m, G711_CLOCK_RATE) : null;
  return {
    codec,
    payloadType,
    clockRate: G711_CLOCK_RATE,
    telephoneEvent: events && { payloadType: events.payloadType, clockRate: G711_CLOCK_RATE, events: events.events ?? DEFAULT_EVENTS },
    remote: { address, port: m.port, rtcpPort, rtcpMux: m.rtcpMux },
    direction: directionOf(ourSend, ourRecv),
    onHold: !RECEIVES[theirs],
    ptime: negotiatePtime(m.ptime),
  };
}

/**
 * RFC 4733 section 7.1.1 / section 2.1: telephone-event must use the clock rate of the audio codec it
 * goes with, so among several (linphone offers 48000, 16000 and 8000) only the one at `clockRate` fits.
 * `events` is the fmtp event list when present and well-formed.
 */
function findTelephoneEvent(m: MediaSection, clockRate: number): { payloadType: number; events: string | null } | null {
  for (const f of m.formats) {
    const pt = payloadTypeOf(f);
    if (pt === null) continue;
    const map = m.rtpmap.get(pt);
    if (!map || map.name.toLowerCase() !== "telephone-event" || map.clockRate !== clockRate) continue;
    if (map.channels !== null && map.channels !== 1) continue;
    const fmtp = m.fmtp.get(pt)?.replace(/\s+/g, "");
    // RFC 4733 section 7.1.1: a comma-separated list of events and ranges.
    const events = fmtp !== undefined && /^\d{1,3}(?:-\d{1,3})?(?:,\d{1,3}(?:-\d{1,3})?)*$/.test(fmtp) ? fmtp : null;
    return { payloadType: pt, events };
  }
  return null;
}

/** The G.711 codec a payload type stands for in `m`: by its rtpmap when there is one (names are
 *  case-insensitive, RFC 4855 section 3), else by the static assignment (RFC 3551 section 6). */
function codecOf(m: MediaSection, pt: number | null): G711Codec | null {
  if (pt === null) return null;
  const map = m.rtpmap.get(pt);
  if (!map) return STATIC_PAYLOAD_TYPES.get(pt) ?? null;
  const name = map.name.toUpperCase();
  if (name !== "PCMU" && name !== "PCMA") return null;
  if (map.clockRate !== G711_CLOCK_RATE) return null;
  if (map.channels !== null && map.channels !== 1) return null; // we mix mono
  return name;
}

/** RFC 8866 section 6.4: ptime is a hint; we follow it when it is a sane G.711 packetization. */
function negotiatePtime(ptime: number | null): number {
  return ptime !== null && ptime >= 10 && ptime <= 60 && ptime % 10 === 0 ? ptime : DEFAULT_PTIME;
}

function payloadTypeOf(fmt: string): number | null {
  if (!/^\d{1,3}$/.test(fmt)) return null;
  const pt = Number(fmt);
  return pt <= 127 ? pt : null;
}

function isAudioProfile(proto: string): boolean {
  return proto.toUpperCase() === AUDIO_PROFILE;
}

/** 0.0.0.0, or its IPv6 twin "::", which some stacks send for the same old-style hold. */
function isUnspecified(address: string): boolean {
  return address === "0.0.0.0" || (isIPv6(address) && /^[0:]+$/.test(address));
}

function directionOf(send: boolean, recv: boolean): Direction {
  return send ? (recv ? "sendrecv" : "sendonly") : recv ? "recvonly" : "inactive";
}

function describeFormats(m: MediaSection): string {
  return m.formats.map((f) => {
    const pt = payloadTypeOf(f);
    const map = pt === null ? undefined : m.rtpmap.get(pt);
    return map ? `${map.name}/${map.clockRate ?? "?"}` : f;
  }).join(" ");
}

// ---------------------------------------------------------------------------------------------------
// writing

function answerAudioLine(offered: MediaSection, codec: G711Codec, payloadType: number, audio: NegotiatedAudio, port: number): MediaDescription {
  const line: MediaDescription = {
    type: "audio",
    port,
    // RFC 3264 section 6: same media type and transport as the offered stream.
    protocol: offered.proto,
    // Only the chosen codec: the answer's list is what we are ready to receive (RFC 3264 section 6.1),
    // and a single codec keeps the peer from switching codecs mid-call under the mixer.
    payloads: [payloadType, ...(audio.telephoneEvent ? [audio.telephoneEvent.payloadType] : [])].join(" "),
    rtp: [{ payload: payloadType, codec, rate: G711_CLOCK_RATE }],
    fmtp: [],
    ptime: audio.ptime,
    direction: audio.direction,
  };
  if (audio.telephoneEvent) {
    line.rtp.push({ payload: audio.telephoneEvent.payloadType, codec: "telephone-event", rate: G711_CLOCK_RATE });
    // Echo the offered event list; without one, the default 0-15 applies both ways (RFC 4733 section 2.4.1).
    const offeredFmtp = findTelephoneEvent(offered, G711_CLOCK_RATE)?.events;
    if (offeredFmtp) line.fmtp.push({ payload: audio.telephoneEvent.payloadType, config: offeredFmtp });
  }
  return line;
}

function offerAudioLine(port: number, codecs: readonly G711Codec[], direction: Direction): MediaDescription {
  const pts = codecs.map((c) => (c === "PCMU" ? 0 : 8));
  return {
    type: "audio",
    port,
    protocol: AUDIO_PROFILE,
    payloads: [...pts, OFFER_TELEPHONE_EVENT_PT].join(" "),
    rtp: [
      ...codecs.map((codec, i) => ({ payload: pts[i]!, codec, rate: G711_CLOCK_RATE })),
      { payload: OFFER_TELEPHONE_EVENT_PT, codec: "telephone-event", rate: G711_CLOCK_RATE },
    ],
    fmtp: [{ payload: OFFER_TELEPHONE_EVENT_PT, config: OFFER_EVENTS }],
    ptime: DEFAULT_PTIME,
    direction,
  };
}

/** RFC 3264 sections 6 and 8.2: a rejected or disabled stream keeps its media type and transport, has
 *  port 0, and at least one format (its formats are ignored; we repeat the offered ones). */
function disabledLine(m: MediaSection): MediaDescription {
  return { type: m.type, port: 0, protocol: m.proto, payloads: m.formats.join(" "), rtp: [], fmtp: [] };
}

function writeSdp(address: string, session: SessionOrigin, media: MediaDescription[]): string {
  const ipVer = isIPv4(address) ? 4 : 6;
  const description: SessionDescription = {
    version: 0,
    // RFC 8866 section 5.2: o=<username> <sess-id> <sess-version> IN IP4|IP6 <address>.
    origin: { username: session.username ?? "focus", sessionId: session.id, sessionVersion: session.version, netType: "IN", ipVer, address },
    // RFC 8866 section 5.3: "-" when there is no meaningful session name.
    name: "-",
    connection: { version: ipVer, ip: address },
    timing: { start: 0, stop: 0 },
    media,
  };
  return sdpTransform.write(description);
}

// ---------------------------------------------------------------------------------------------------
// our own arguments

function checkLocal(local: LocalMedia): { address: string; audioPort: number; codecs: readonly G711Codec[]; bfcp: BfcpOffer | null } {
  if (!isIPv4(local.address) && !isIPv6(local.address)) throw new TypeError(`local.address must be an IPv4 or IPv6 literal, not ${JSON.stringify(local.address)}`);
  if (!Number.isInteger(local.audioPort) || local.audioPort < 1 || local.audioPort > 65535) throw new TypeError("local.audioPort must be a port number (1-65535)");
  const codecs = local.codecs ?? DEFAULT_CODECS;
  if (codecs.length === 0 || codecs.some((c) => c !== "PCMU" && c !== "PCMA") || new Set(codecs).size !== codecs.length) {
    throw new TypeError("local.codecs must list PCMU and/or PCMA, each once");
  }
  if (local.bfcp) checkBfcp(local.bfcp);
  return { address: local.address, audioPort: local.audioPort, codecs, bfcp: local.bfcp ?? null };
}

function checkOrigin(session: SessionOrigin): void {
  // RFC 8866 section 5.2: sess-id and sess-version are numeric; username has no spaces.
  if (!/^\d{1,20}$/.test(session.id)) throw new TypeError("session.id must be a decimal number");
  if (!Number.isSafeInteger(session.version) || session.version < 0) throw new TypeError("session.version must be a non-negative integer");
  if (session.username !== undefined && !/^[\x21-\x7e]+$/.test(session.username)) throw new TypeError("session.username must be visible ASCII without spaces");
}
