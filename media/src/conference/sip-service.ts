/**
 * The focus' SIP face: callers dial sip:<dial-in code>@<focus> and become users of that conference.
 * A transport adapter of the conference domain: it calls roster commands (join, leave, talk state) and
 * acts on the domain's events (a kick, a refusal or the end of the conference hangs the call up with BYE;
 * an admission moves a caller from the lobby's hold tone into the mix).
 *
 * Status codes (RFC 3261 section 21): 404 no such conference, 480 locked or not in progress, 486 full,
 * 403 refused or a wrong PIN three times, 488 no common codec (RFC 3264 section 6), 400 malformed SDP,
 * 481 unknown dialog.
 *
 * PIN conferences (join handling PIN): the caller gets 183 Session Progress with the SDP answer and hears
 * the PIN prompt as early media (RFC 3960, the "gateway model"); the keys it sends (RFC 4733) are the
 * PIN, ended by '#'. A right PIN answers the call (200) and joins; a per-user PIN joins as that user.
 * Three wrong PINs end the INVITE with 403. Many phones send no media before the 200: when nothing has
 * arrived EARLY_MEDIA_WAIT_MS after the 183, the call is answered and the prompt goes on in the call;
 * three wrong PINs then end it with BYE carrying `Reason: SIP ;cause=403` (RFC 3326).
 *
 * An INVITE without an offer gets our offer in the 200 and must carry the answer in its ACK
 * (RFC 3261 section 13.2.1, RFC 3264 section 5).
 *
 * Wrong PINs across calls are limited per source address (`pinAttempts`, the focus' policy): an address
 * over its limit gets 403 to new INVITEs for PIN conferences, and a caller keying a PIN when its address
 * goes over is refused like after three wrong PINs. See pinLimitedRefusal for the choice of status.
 */
import { isIPv6 } from "node:net";
import type { Actor, ConferenceDomain, ConferenceEvent, ConferenceSummary, UserState } from "@dcon/core";
import { CHAIR_ROLES, DomainError, ErrorReason } from "@dcon/core";
import type { SipEndpoint, ResponseHandle } from "../sip/endpoint.ts";
import { createResponse, type SipRequest } from "../sip/message.ts";
import { newTag } from "../sip/endpoint.ts";
import type { InviteServerTransaction } from "../sip/transaction.ts";
import type { Peer } from "../sip/transport.ts";
import { parseNameAddr } from "../sip/address.ts";
import { parseUri } from "../sip/uri.ts";
import { UasDialog, uasDialogKeyOf } from "../sip/dialog.ts";
import { answerOffer, createOffer, parseAnswer, SdpError, type BfcpOffer, type NegotiatedAudio } from "../sdp/index.ts";
import type { FloorControlServer } from "../bfcp/index.ts";
import { LOBBY_HOLD, PIN_PROMPT, PIN_WRONG } from "../audio/index.ts";
import { RtpPort, type RtpPortRange } from "./rtp-port.ts";
import { ConferenceEventPackage } from "./event-package.ts";
import { AudioBridge } from "./audio-bridge.ts";
import { PinEntry } from "./pin-entry.ts";
import type { DialogJournal } from "./dialog-journal.ts";

export interface SipServiceLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface SipServiceOptions {
  endpoint: SipEndpoint;
  domain: ConferenceDomain;
  /** the address put in SDP and Contact (where RTP and in-dialog requests reach the focus) */
  advertisedHost: string;
  /** the local address RTP sockets bind to (the SIP listening address; may be 0.0.0.0) */
  rtpHost: string;
  rtpPorts: RtpPortRange;
  log: SipServiceLogger;
  /** how long a PIN caller may take, from the INVITE to a right PIN (default 60 s: under the 3 minutes of a proxy's Timer C) */
  pinTimeoutMs?: number;
  /** how long to wait for early media from a PIN caller before answering (default 2 s) */
  earlyMediaWaitMs?: number;
  /**
   * Whether an INVITE comes from a peer island's focus (its audio leg, authenticated by the federation
   * layer): it joins without PIN or lobby and is always heard, so the islands hear each other.
   */
  peerFocus?: (invite: SipRequest) => boolean;
  /** BFCP floor control (RFC 8855): the server and the port its TCP and UDP transports listen on */
  floorControl?: { server: FloorControlServer; port: number; tls?: { port: number; fingerprint: string } | null };
  /** wrong PINs across calls, by the caller's source address (none: only the three tries of each call) */
  pinAttempts?: PinAttemptLimit;
  /**
   * Seconds to put in Retry-After when a request failed because the focus' store is unavailable (the focus
   * classifies its database's errors), else null: such a request gets 503 Service Unavailable (RFC 3261
   * section 21.5.4) instead of 500, so the caller or its proxy tries again later or elsewhere.
   */
  unavailable?: (err: unknown) => number | null;
  /** where answered calls are kept until they end, so a focus restarted after a crash can hang them up (none: not kept) */
  journal?: DialogJournal;
}

/**
 * The focus' limit on PIN guessing by source address (the focus owns the policy and its configuration;
 * the SIP face only asks). An attempt is taken before a PIN is checked, so parallel calls from one
 * address cannot check more PINs than the limit, and given back unless the PIN was wrong.
 */
export interface PinAttemptLimit {
  /** null when `address` may key a PIN now, else the seconds until it may (nothing is taken) */
  blocked(address: string): number | null;
  /** takes one attempt before a PIN is checked: null when allowed, else the seconds until one is */
  take(address: string): number | null;
  /** the attempt was not a wrong PIN (right, or refused for another reason): it does not count */
  refund(address: string): void;
}

/**
 * The refusal for an address over its wrong-PIN limit. 403 (RFC 3261 section 21.4.4: the server
 * understood the request and refuses it; it SHOULD NOT be repeated), without Retry-After: section 20.33
 * defines Retry-After for 404, 413, 480, 486, 500, 503, 600 and 603 only. The alternatives that do carry
 * it say something false and have side effects: 503 tells proxies the server is out of service (section
 * 21.5.4: they SHOULD try another server; RFC 3263 and a Kamailio dispatcher would fail over or mark the
 * focus down because of one guesser), 486/600 tell the phone the line is busy (many redial), 480 that the
 * callee is away. So the wait is given as text: a Warning header (section 20.43, code 399 "miscellaneous").
 */
export function pinLimitedRefusal(retryAfterS: number): { status: number; reason: string; warning: string } {
  return { status: 403, reason: PIN_LIMITED, warning: `399 focus "too many wrong PINs from this address: try again in ${retryAfterS} s"` };
}
export const PIN_LIMITED = "Forbidden (too many wrong PINs)";

/**
 * A call leg: one SIP dialog and one RTP port; one user of one conference once admitted by the domain.
 * States: "early" (183 sent, INVITE pending: PIN entry), "answered" (2xx sent), "established" (ACK
 * received), "ending" (our BYE sent), "ended".
 */
/** What offer/answer settled for a new call. */
interface MediaSetup {
  sessionId: string;
  audio: NegotiatedAudio | null;
  localSdp: string;
  bfcp: BfcpOffer | null;
}

interface Call {
  /** the dialog key; also the call's leg id in the audio bridge */
  key: string;
  dialog: UasDialog;
  from: Peer;
  /** the INVITE and its transaction while no final response is sent */
  invite: { req: SipRequest; res: ResponseHandle } | null;
  conferenceId: string;
  caller: { entity: string; displayName: string | null };
  userId: string | null;
  rtp: RtpPort;
  /** negotiated media; null until the ACK's answer when the INVITE had no offer */
  audio: NegotiatedAudio | null;
  /** the SDP we sent last (answer, or our offer in a 200 to an offerless INVITE) */
  localSdp: string;
  /** the accepted BFCP stream's parameters, kept for re-INVITEs (RFC 3264 section 8: keep the m-line) */
  bfcp: BfcpOffer | null;
  offerInAck: boolean;
  sdpVersion: number;
  sessionId: string;
  state: "early" | "answered" | "established" | "ending" | "ended";
  /** PIN entry in progress (PIN conferences) */
  pin: PinEntry | null;
  timers: NodeJS.Timeout[];
  /** the last DTMF key, for two-key commands (*6) */
  lastKey: string | null;
  /** talk-state writes, one after the other so the log keeps their order */
  talk: Promise<unknown>;
  /** a BYE waiting for the ACK of our 2xx (RFC 3261 section 15) */
  byeAfterAck: { why: string; headers: [string, string][] } | null;
  /** what decides whether the mixer hears this caller (see `heard`) */
  voice: { muted: boolean; chair: boolean; floorControlled: boolean; holdsAudioFloor: boolean };
  /** the journal entry's write, once the 2xx is sent: its removal waits for it (see journalCall) */
  journaled: Promise<void> | null;
}

/** The floor whose holder is heard in a floor-controlled conference (RFC 8856: the floor bound to the audio stream). */
export const AUDIO_FLOOR_LABEL = "audio";

/**
 * Whether the mixer lets a caller be heard: not muted by a moderator or by *6, and in a floor-controlled
 * conference a chair or the holder of the audio floor (RFC 8855 section 3: a granted floor is the right
 * to use the resource; a release or a revocation takes it away).
 */
function heard(v: Call["voice"]): boolean {
  return !v.muted && (!v.floorControlled || v.chair || v.holdsAudioFloor);
}

const ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, SUBSCRIBE";
const SYSTEM: Actor = { kind: "system", id: "sip" };

/** Domain refusals as SIP final responses. */
function statusFor(err: DomainError): [number, string] {
  switch (err.reason) {
    case ErrorReason.CONFERENCE_FULL:
      return [486, "Busy Here (conference full)"];
    case ErrorReason.CONFERENCE_LOCKED:
      return [480, "Temporarily Unavailable (conference locked)"];
    case ErrorReason.CONFERENCE_NOT_ACTIVE:
      return [480, "Temporarily Unavailable (conference not in progress)"];
    case ErrorReason.WRONG_PIN:
      return [403, "Forbidden (wrong PIN)"];
    case ErrorReason.DUPLICATE:
      return [486, "Busy Here (already in the conference)"];
    default:
      return err.code === "NOT_FOUND" ? [404, "Not Found"] : [403, "Forbidden"];
  }
}

/** The caller's identity from From: its address of record (no tag, no parameters). */
function callerOf(req: SipRequest): Call["caller"] {
  const from = parseNameAddr(req.headers.get("From")!);
  const entity = from.uri.scheme === "tel" ? `tel:${from.uri.user}` : `sip:${from.uri.user ? `${from.uri.user}@` : ""}${from.uri.host}`;
  return { entity, displayName: from.displayName };
}

/** Answers a request inside a dialog the focus opened as UAC (see ConferenceSipService.registerDialog). */
export type InDialogHandler = (req: SipRequest, res: ResponseHandle) => void;

export class ConferenceSipService {
  private readonly calls = new Map<string, Call>();
  /** dialogs this focus placed (UAC), by dialog key: the extension point below */
  private readonly placed = new Map<string, InDialogHandler>();
  private readonly byUser = new Map<string, Call>();
  private readonly unsubscribe: () => void;
  /** RFC 4575 subscriptions (SUBSCRIBE Event: conference) */
  private readonly eventPackage: ConferenceEventPackage;
  private readonly audio: AudioBridge;
  private readonly pinTimeoutMs: number;
  private readonly earlyMediaWaitMs: number;

  constructor(private readonly o: SipServiceOptions) {
    this.pinTimeoutMs = o.pinTimeoutMs ?? 60_000;
    this.earlyMediaWaitMs = o.earlyMediaWaitMs ?? 2_000;
    this.eventPackage = new ConferenceEventPackage({ endpoint: o.endpoint, domain: o.domain, contact: this.contact(), log: o.log });
    this.audio = new AudioBridge({
      onDtmf: (legId, digit) => this.track(this.onKey(legId, digit)),
      onTalkState: (legId, talking) => this.onTalkState(legId, talking),
      onError: (err) => o.log.warn({ err }, "call audio error"),
    });
    o.endpoint.on("request", (req, res, from) => this.track(this.onRequest(req, res, from).catch((err) => {
      const retryAfter = o.unavailable?.(err) ?? null;
      if (retryAfter === null) o.log.warn({ err, method: req.method }, "SIP request failed");
      else o.log.debug({ method: req.method }, "SIP request refused: the store is unavailable");
      if (res.transaction.state !== "proceeding" && res.transaction.state !== "trying") return;
      if (retryAfter === null) res.send(500);
      else res.send(503, "Service Unavailable (database unavailable)", { headers: [["Retry-After", String(retryAfter)]] });
    })));
    o.endpoint.on("ack", (ack) => this.onAck(ack));
    o.endpoint.on("cancel", (invite) => this.onCancel(invite));
    o.endpoint.on("malformed", (_raw, err, from) => o.log.debug({ code: err.code, from }, "malformed SIP message"));
    this.unsubscribe = o.domain.bus.subscribeAll((e) => this.onDomainEvent(e));
  }

  /** Work started by a request or an event (a join, a leave after BYE) that close() must let finish. */
  private readonly inflight = new Set<Promise<unknown>>();

  private track(p: Promise<unknown>): void {
    const q: Promise<unknown> = p
      .catch((err) => this.o.log.warn({ err }, "SIP background work failed"))
      .finally(() => this.inflight.delete(q));
    this.inflight.add(q);
  }

  /** Calls in progress, PIN entry and calls this focus placed (registerDialog) included (for metrics and leak checks). */
  get callCount(): number {
    return this.calls.size + this.placed.size;
  }

  // ---------------------------------------------------------------------------------------------
  // Extension point: calls this focus places itself as UAC (./cascade.ts). Their in-dialog requests
  // come to the endpoint like any other; the service hands those of a registered dialog to its handler
  // instead of looking them up among its callers. Such a leg has no domain user: the service's mixer
  // (`mixer`) carries it, and its talk state and keys, which name no call here, are ignored.

  /** Routes in-dialog requests whose dialog key (Call-ID, our tag, the peer's tag) is `key` to `handler`; returns the unregistration. */
  registerDialog(key: string, handler: InDialogHandler): () => void {
    this.placed.set(key, handler);
    return () => {
      if (this.placed.get(key) === handler) this.placed.delete(key);
    };
  }

  /** The audio bridge of this focus' conferences, for legs without a domain user. */
  get mixer(): AudioBridge {
    return this.audio;
  }

  /** Conference event package subscriptions in progress. */
  get subscriptionCount(): number {
    return this.eventPackage.count;
  }

  /** What a call's caller hears: "mix", a cue ("pin-prompt", "pin-wrong", "lobby-hold") or "nothing". */
  hearing(userOrCallId: string): string {
    const call = this.byUser.get(userOrCallId) ?? this.calls.get(userOrCallId);
    return call ? this.audio.hearing(call.key) : "nothing";
  }

  private contact(): string {
    return `<sip:focus@${this.o.advertisedHost.includes(":") ? `[${this.o.advertisedHost}]` : this.o.advertisedHost}:${this.o.endpoint.port}>`;
  }

  private async onRequest(req: SipRequest, res: ResponseHandle, from: Peer): Promise<void> {
    if (req.method === "SUBSCRIBE") return this.eventPackage.handleSubscribe(req, res, from);
    const toTag = parseNameAddr(req.headers.get("To")!).params.get("tag");
    if (toTag) {
      const placed = this.placed.get(uasDialogKeyOf(req));
      return placed ? placed(req, res) : this.inDialog(req, res);
    }
    switch (req.method) {
      case "INVITE":
        return this.onInvite(req, res, from);
      case "OPTIONS":
        res.send(200, "OK", { headers: [["Allow", ALLOW], ["Accept", "application/sdp"], ["Supported", ""]] });
        return;
      case "BYE":
      case "UPDATE":
        res.send(481, "Call/Transaction Does Not Exist");
        return;
      default:
        res.send(405, "Method Not Allowed", { headers: [["Allow", ALLOW]] });
    }
  }

  private async onInvite(req: SipRequest, res: ResponseHandle, from: Peer): Promise<void> {
    const target = parseUri(req.uri);
    const conference = target.user ? await this.o.domain.conferences.findByDialInCode(target.user) : null;
    if (!conference) {
      res.send(404, "Not Found (no conference with that number)");
      return;
    }
    const peerFocus = this.o.peerFocus?.(req) === true;
    const blocked = conference.joinHandling === "PIN" && !peerFocus ? this.o.pinAttempts?.blocked(from.address) ?? null : null;
    if (blocked !== null) {
      // Refused before any media is set up: a guesser costs no RTP port and no database write.
      const r = pinLimitedRefusal(blocked);
      res.send(r.status, r.reason, { headers: [["Warning", r.warning]] });
      // debug: a flood of INVITEs must not flood the log (the focus logs each limited address once a minute)
      this.o.log.debug({ conferenceId: conference.id, address: from.address, retryAfterS: blocked }, "INVITE refused: too many wrong PINs from this address");
      return;
    }
    // The dialog (and so the leg's key and BFCP identity) exists before the answer: the answer carries them.
    const dialog = new UasDialog(this.o.endpoint, req, from, this.contact());
    const rtp = await RtpPort.open(this.o.rtpHost, this.o.rtpPorts);
    let call: Call | null = null;
    try {
      const setup = await this.negotiate(req, res, dialog, conference, from, rtp);
      if (!setup || res.transaction.state !== "proceeding") return; // refused, or CANCELled already
      const caller = callerOf(req);
      let user: UserState;
      try {
        user = await this.o.domain.roster.join(SYSTEM, conference.id, { ...caller, via: "sip", peerFocus });
      } catch (err) {
        if (err instanceof DomainError && err.reason === ErrorReason.PIN_REQUIRED && res.transaction.state === "proceeding") {
          // Everything but the PIN is checked (in progress, not locked): ask for it.
          call = this.newCall(req, res, dialog, from, conference, caller, rtp, setup);
          return this.startPinEntry(call);
        }
        if (err instanceof DomainError) {
          const [status, reason] = statusFor(err);
          if (res.transaction.state === "proceeding") res.send(status, reason);
          return;
        }
        throw err;
      }
      if (res.transaction.state !== "proceeding") {
        // CANCELled while joining: undo the join.
        await this.o.domain.roster.leave(SYSTEM, user.id).catch(() => {});
        return;
      }
      call = this.newCall(req, res, dialog, from, conference, caller, rtp, setup);
      this.bindUser(call, user);
      if (peerFocus) call.voice.chair = true; // another island's mix: never gated by this island's floor
      this.answer(call);
      this.placeInConference(call, user);
      this.o.log.info({ conferenceId: conference.id, userId: user.id, codec: setup.audio?.codec ?? "offer sent", bfcp: setup.bfcp !== null }, "SIP caller joined");
    } finally {
      if (!call) {
        rtp.close();
        this.o.floorControl?.server.unregister(dialog.key);
      }
    }
  }

  /**
   * The SDP of the 2xx (or 183): the answer to the INVITE's offer, or our offer when it had none. With floor
   * control on, an offered BFCP stream is accepted with the leg's Conference ID, User ID and the audio
   * floor (RFC 8856). Answers the INVITE itself (488, 400) and returns null when the offer is unusable.
   */
  private async negotiate(req: SipRequest, res: ResponseHandle, dialog: UasDialog, conference: ConferenceSummary, from: Peer, rtp: RtpPort): Promise<MediaSetup | null> {
    const sessionId = String(Date.now());
    if (req.body.length === 0) {
      return { sessionId, audio: null, bfcp: null, localSdp: createOffer({ address: this.o.advertisedHost, audioPort: rtp.port }, { id: sessionId, version: 1 }) };
    }
    let bfcp: BfcpOffer | null = null;
    const fc = this.o.floorControl;
    if (fc) {
      const ids = await fc.server.register(dialog.key, conference.id, from.address, AUDIO_FLOOR_LABEL);
      if (ids.floorId !== null) {
        bfcp = {
          port: fc.port, confId: ids.confId, userId: ids.userId, floorId: ids.floorId, label: AUDIO_FLOOR_LABEL,
          transports: fc.tls ? ["TCP/BFCP", "UDP/BFCP", "TCP/TLS/BFCP"] : ["TCP/BFCP", "UDP/BFCP"], tls: fc.tls ?? null,
        };
      }
    }
    try {
      const answer = answerOffer(req.body.toString("utf8"), { address: this.o.advertisedHost, audioPort: rtp.port, bfcp }, { id: sessionId, version: 1 });
      if (!this.reachable(answer.audio)) {
        res.send(488, "Not Acceptable Here", { headers: [["Warning", `301 focus "the audio address ${answer.audio.remote.address} is not of the focus' address family"`]] });
        return null;
      }
      // BFCP messages must come from where the offer said the floor control client is (RFC 8855 section 14).
      const participant = fc?.server.ids.byLeg(dialog.key);
      if (participant && answer.bfcp) participant.address = answer.bfcp.remote.address;
      return { sessionId, audio: answer.audio, bfcp: answer.bfcp ? bfcp : null, localSdp: answer.sdp };
    } catch (err) {
      if (!(err instanceof SdpError)) throw err;
      if (err.code === "NO_COMMON_CODEC" || err.code === "NO_AUDIO") res.send(488, "Not Acceptable Here", { headers: [["Warning", `304 focus "${err.message.replace(/"/g, "'")}"`]] });
      else res.send(400, "Bad Request (malformed SDP)");
      return null;
    }
  }

  /**
   * Whether our RTP socket can send to the offer's address: an IPv6 c= to an IPv4 focus (or the reverse)
   * is refused with 488 and Warning 301 "Incompatible network address formats" (RFC 3261 section 20.43).
   */
  private reachable(audio: NegotiatedAudio): boolean {
    return isIPv6(audio.remote.address) === isIPv6(this.o.rtpHost);
  }

  private newCall(
    req: SipRequest, res: ResponseHandle, dialog: UasDialog, from: Peer, conference: ConferenceSummary, caller: Call["caller"],
    rtp: RtpPort, setup: MediaSetup,
  ): Call {
    const { audio, localSdp, sessionId, bfcp } = setup;
    const call: Call = {
      key: dialog.key, dialog, from, invite: { req, res }, conferenceId: conference.id, caller, userId: null, rtp, audio, localSdp, bfcp,
      offerInAck: audio === null, sdpVersion: 1, sessionId, state: "early", pin: null, timers: [], lastKey: null, talk: Promise.resolve(), byeAfterAck: null, journaled: null,
      voice: { muted: false, chair: false, floorControlled: conference.floorControlled, holdsAudioFloor: false },
    };
    this.calls.set(call.key, call);
    if (audio) this.audio.open(call.key, rtp, audio);
    return call;
  }

  private bindUser(call: Call, user: UserState): void {
    call.userId = user.id;
    call.voice.muted = user.muted;
    call.voice.chair = CHAIR_ROLES.includes(user.role);
    this.byUser.set(user.id, call);
    this.o.floorControl?.server.bind(call.key, user);
  }

  /** Tells the mixer whether the caller is heard after a change of `call.voice`. */
  private updateVoice(call: Call, change: Partial<Call["voice"]>): void {
    Object.assign(call.voice, change);
    this.audio.setMuted(call.key, !heard(call.voice));
  }

  /** The 2xx with our SDP (answer, or offer when the INVITE had none), retransmitted until the ACK. */
  private answer(call: Call): void {
    const invite = call.invite;
    if (!invite || call.state !== "early") return;
    call.invite = null;
    const ok = call.dialog.accept(invite.req, Buffer.from(call.localSdp), "application/sdp", [["Allow", ALLOW]]);
    invite.res.sendResponse(ok);
    call.state = "answered";
    this.journalCall(call);
    call.dialog.startRetransmitting(ok, call.from, () => {
      this.o.log.warn({ callId: call.dialog.id.callId }, "no ACK for the 2xx: hanging up (RFC 3261 section 13.3.1.4)");
      // The server transaction is over: the BYE may go now (section 15).
      this.track(this.hangUp(call, call.byeAfterAck?.why ?? "no ACK", call.byeAfterAck?.headers ?? [], { force: true }));
    });
  }

  /**
   * Keeps the answered call in the journal (one write, off the call's path: the call goes on if it fails).
   * From the 2xx on the caller holds a dialog (RFC 3261 section 12.1.1) that a restarted focus must end.
   */
  private journalCall(call: Call): void {
    const journal = this.o.journal;
    if (!journal) return;
    const entry = { ...call.dialog.snapshot(), conferenceId: call.conferenceId, userId: call.userId };
    call.journaled = journal.record(entry).catch((err) => this.o.log.warn({ err, callId: entry.id.callId }, "the dialog journal could not keep a call"));
  }

  /** A connected user hears the mix; a user in the lobby hears the hold tone and is not heard. */
  private placeInConference(call: Call, user: UserState): void {
    if (!this.audio.has(call.key)) return; // the media arrives with the ACK's answer
    if (user.joinState === "CONNECTED") this.audio.mix(call.key, call.conferenceId, { muted: !heard(call.voice) });
    else if (user.joinState === "LOBBY") this.audio.play(call.key, LOBBY_HOLD);
  }

  // ---------------------------------------------------------------------------------------------
  // PIN entry

  private startPinEntry(call: Call): void {
    call.pin = new PinEntry();
    call.timers.push(setTimeout(() => this.track(this.refuse(call, 403, "Forbidden (no PIN entered)", "PIN timeout")), this.pinTimeoutMs));
    if (call.audio === null) {
      // No offer: no early media possible without reliable provisional responses; prompt once the ACK brings the answer.
      this.answer(call);
      return;
    }
    call.invite!.res.sendResponse(call.dialog.progress(call.invite!.req, 183, "Session Progress", Buffer.from(call.localSdp)));
    this.audio.play(call.key, PIN_PROMPT);
    call.timers.push(setTimeout(() => {
      if (call.state === "early" && !this.audio.heard(call.key)) {
        this.o.log.debug({ callId: call.dialog.id.callId }, "no early media from the caller: answering to read the PIN");
        this.answer(call);
      }
    }, this.earlyMediaWaitMs));
    this.o.log.info({ conferenceId: call.conferenceId, callId: call.dialog.id.callId }, "SIP caller asked for the PIN");
  }

  private async submitPin(call: Call, pin: string): Promise<void> {
    const limit = this.o.pinAttempts;
    const address = call.from.address;
    const limited = limit?.take(address) ?? null;
    if (limited !== null) {
      // This address went over its limit (other calls from it guessed meanwhile): the PIN is not checked.
      this.o.log.info({ conferenceId: call.conferenceId, callId: call.dialog.id.callId, address, retryAfterS: limited }, "PIN not checked: too many wrong PINs from this address");
      const r = pinLimitedRefusal(limited);
      return this.refuse(call, r.status, r.reason, "too many wrong PINs from this address", [["Warning", r.warning]]);
    }
    let user: UserState;
    try {
      user = await this.o.domain.roster.join(SYSTEM, call.conferenceId, { ...call.caller, pin, via: "sip" });
    } catch (err) {
      if (!(err instanceof DomainError) || err.reason !== ErrorReason.WRONG_PIN) limit?.refund(address);
      if (!(err instanceof DomainError)) throw err;
      if (call.state === "ending" || call.state === "ended") return;
      if (err.reason === ErrorReason.WRONG_PIN && call.pin?.wrong() === "retry") {
        this.o.log.info({ callId: call.dialog.id.callId, tries: call.pin.tries }, "wrong PIN");
        this.audio.play(call.key, PIN_WRONG, PIN_PROMPT);
        return;
      }
      const [status, reason] = statusFor(err);
      return this.refuse(call, status, reason, err.reason === ErrorReason.WRONG_PIN ? "wrong PIN three times" : err.message);
    }
    limit?.refund(address);
    if (call.state === "ending" || call.state === "ended") {
      // CANCELled or hung up while the PIN was checked
      await this.o.domain.roster.leave(SYSTEM, user.id).catch(() => {});
      return;
    }
    call.pin = null;
    this.clearTimers(call);
    this.bindUser(call, user);
    this.answer(call);
    this.placeInConference(call, user);
    this.o.log.info({ conferenceId: call.conferenceId, userId: user.id, role: user.role }, "SIP caller joined with a PIN");
  }

  /**
   * Refuses a caller not yet in the conference: the final response if the INVITE is pending, else BYE.
   * `headers` go on the final response (a Warning); a BYE carries the Reason (RFC 3326) instead.
   */
  private async refuse(call: Call, status: number, reason: string, why: string, headers: [string, string][] = []): Promise<void> {
    if (call.state === "ending" || call.state === "ended") return;
    const invite = call.invite;
    if (call.state === "early" && invite) {
      call.invite = null;
      if (invite.res.transaction.state === "proceeding") invite.res.send(status, reason, { toTag: call.dialog.localTag, headers });
      await this.end(call, why, { leave: false });
      return;
    }
    // RFC 3326: the BYE says why.
    await this.hangUp(call, why, [["Reason", `SIP ;cause=${status} ;text="${reason.replace(/"/g, "'")}"`]]);
  }

  // ---------------------------------------------------------------------------------------------
  // Dialog requests

  /** RFC 3261 section 9.2: a CANCEL of a pending INVITE ends it with 487, in its early dialog if there is one. */
  private onCancel(invite: InviteServerTransaction): void {
    const call = [...this.calls.values()].find((c) => c.invite?.res.transaction === invite);
    invite.respond(createResponse(invite.request, 487, "Request Terminated", { toTag: call?.dialog.localTag ?? newTag() }));
    // Otherwise the INVITE's handler sees its transaction is no longer proceeding and stops (or undoes its join).
    if (call) {
      call.invite = null;
      this.track(this.end(call, "CANCEL", { leave: false }));
    }
  }

  private onAck(ack: SipRequest): void {
    const call = this.findCall(ack);
    if (!call || call.state === "ended" || call.state === "ending") return;
    call.dialog.acknowledged(ack);
    if (call.state !== "answered") return; // a retransmitted ACK
    call.state = "established";
    if (call.byeAfterAck) {
      this.track(this.hangUp(call, call.byeAfterAck.why, call.byeAfterAck.headers));
      return;
    }
    if (!call.offerInAck) return;
    call.offerInAck = false;
    // RFC 3264 section 5 / RFC 3261 section 13.2.1: the answer to our offer is in the ACK.
    try {
      if (ack.body.length === 0) throw new SdpError("MALFORMED", "the ACK carries no SDP answer");
      call.audio = parseAnswer(call.localSdp, ack.body.toString("utf8"));
    } catch (err) {
      if (!(err instanceof SdpError)) throw err;
      this.o.log.info({ callId: call.dialog.id.callId, code: err.code }, "no usable answer in the ACK: hanging up");
      this.track(this.hangUp(call, "no answer in the ACK", [["Reason", `SIP ;cause=488 ;text="${err.message.replace(/"/g, "'")}"`]]));
      return;
    }
    this.audio.open(call.key, call.rtp, call.audio);
    if (call.pin) {
      this.audio.play(call.key, PIN_PROMPT);
      return;
    }
    if (call.userId) {
      this.track(this.o.domain.roster.get(call.userId).then((user) => {
        if (call.state === "established") this.placeInConference(call, user);
      }));
    }
  }

  private findCall(req: SipRequest): Call | undefined {
    return this.calls.get(uasDialogKeyOf(req));
  }

  private async inDialog(req: SipRequest, res: ResponseHandle): Promise<void> {
    const call = this.findCall(req);
    if (!call || call.state === "ended") {
      res.send(481, "Call/Transaction Does Not Exist");
      return;
    }
    const check = call.dialog.acceptInDialog(req);
    if (!check.ok) {
      res.send(check.status, check.reason);
      return;
    }
    switch (req.method) {
      case "BYE":
        res.send(200);
        if (call.state === "early" && call.invite) {
          // RFC 3261 section 15: a BYE in an early dialog; the pending INVITE ends with 487.
          const invite = call.invite;
          call.invite = null;
          if (invite.res.transaction.state === "proceeding") invite.res.send(487, "Request Terminated", { toTag: call.dialog.localTag });
        }
        await this.end(call, "caller hung up", { leave: true });
        return;
      case "INVITE":
      case "UPDATE":
        if (call.state === "early" || call.offerInAck) {
          // RFC 3261 section 14.2: an offer while ours is outstanding (or the first INVITE is unanswered).
          res.send(500, "Server Internal Error (the session is being set up)", { headers: [["Retry-After", String(1 + Math.floor(Math.random() * 10))]] });
          return;
        }
        return this.reinvite(call, req, res);
      case "OPTIONS":
        res.send(200, "OK", { headers: [["Allow", ALLOW], ["Accept", "application/sdp"]] });
        return;
      default:
        res.send(405, "Method Not Allowed", { headers: [["Allow", ALLOW]] });
    }
  }

  /** Hold and resume (RFC 3264 section 8.4) by re-INVITE or UPDATE with a new offer. */
  private async reinvite(call: Call, req: SipRequest, res: ResponseHandle): Promise<void> {
    if (req.body.length === 0) {
      res.send(488, "Not Acceptable Here (an SDP offer is required)");
      return;
    }
    let answer;
    try {
      answer = answerOffer(req.body.toString("utf8"), { address: this.o.advertisedHost, audioPort: call.rtp.port, bfcp: call.bfcp }, { id: call.sessionId, version: ++call.sdpVersion });
    } catch (err) {
      if (err instanceof SdpError) {
        res.send(err.code === "MALFORMED" ? 400 : 488, err.code === "MALFORMED" ? "Bad Request (malformed SDP)" : "Not Acceptable Here");
        return;
      }
      throw err;
    }
    if (!this.reachable(answer.audio)) {
      res.send(488, "Not Acceptable Here", { headers: [["Warning", `301 focus "the audio address ${answer.audio.remote.address} is not of the focus' address family"`]] });
      return;
    }
    call.audio = answer.audio;
    call.localSdp = answer.sdp;
    this.audio.update(call.key, answer.audio);
    if (req.method === "UPDATE") {
      res.send(200, "OK", { body: answer.sdp, contentType: "application/sdp", headers: [["Contact", call.dialog.localContact]] });
      return;
    }
    const ok = call.dialog.accept(req, Buffer.from(answer.sdp), "application/sdp");
    res.sendResponse(ok);
    this.o.log.debug({ userId: call.userId, direction: answer.audio.direction }, "re-INVITE answered");
  }

  // ---------------------------------------------------------------------------------------------
  // Domain events, keys and talk state

  /**
   * Moderation acts on live calls within a frame: mute and unmute reach the mixer, an admitted caller
   * joins the mix, and a kicked, refused or disconnected SIP user is hung up.
   */
  private onDomainEvent(e: ConferenceEvent): void {
    switch (e.type) {
      case "USER_MUTED":
      case "USER_UNMUTED": {
        const call = this.byUser.get(e.payload.user.id);
        if (call) this.updateVoice(call, { muted: e.type === "USER_MUTED" });
        return;
      }
      case "USER_UPDATED": {
        const call = this.byUser.get(e.payload.user.id);
        if (call) this.updateVoice(call, { chair: CHAIR_ROLES.includes(e.payload.user.role) });
        return;
      }
      case "FLOOR_REQUEST_CHANGED": {
        const r = e.payload.request;
        const call = r.floorLabel === AUDIO_FLOOR_LABEL ? this.byUser.get(r.userId) : undefined;
        if (call) this.updateVoice(call, { holdsAudioFloor: r.status === "GRANTED" });
        return;
      }
      case "CONFERENCE_UPDATED": {
        if (!e.payload.changed.includes("floorControlled")) return;
        for (const call of this.calls.values()) {
          if (call.conferenceId === e.conferenceId) this.updateVoice(call, { floorControlled: e.payload.conference.floorControlled });
        }
        return;
      }
      case "USER_ADMITTED": {
        const call = this.byUser.get(e.payload.user.id);
        if (call && call.state !== "ending" && call.state !== "ended") {
          call.voice.muted = e.payload.user.muted;
          this.placeInConference(call, e.payload.user);
        }
        return;
      }
      case "USER_KICKED":
      case "USER_REFUSED":
      case "USER_LEFT":
      case "USER_REMOVED": {
        const call = this.byUser.get(e.type === "USER_REMOVED" ? e.payload.userId : e.payload.user.id);
        if (call && call.state !== "ending" && call.state !== "ended") this.track(this.hangUp(call, e.type));
        return;
      }
      default:
        return;
    }
  }

  /** Keys: the PIN while it is asked for; then *6 toggles one's own mute. */
  private async onKey(legId: string, digit: string): Promise<void> {
    const call = this.calls.get(legId);
    if (!call || call.state === "ending" || call.state === "ended") return;
    if (call.pin) {
      const k = call.pin.key(digit);
      if (k.kind === "submit") await this.submitPin(call, k.pin);
      return;
    }
    const previous = call.lastKey;
    call.lastKey = digit;
    if (previous !== "*" || digit !== "6" || !call.userId) return;
    call.lastKey = null;
    const userId = call.userId;
    const user = await this.o.domain.roster.get(userId).catch(() => null);
    if (user) await this.o.domain.roster.setMuted({ kind: "user", id: userId }, userId, !user.muted).catch(() => {});
  }

  /** The mixer's voice activity becomes USER_TALKING / USER_STOPPED_TALKING, in the order it was heard. */
  private onTalkState(legId: string, talking: boolean): void {
    const call = this.calls.get(legId);
    const userId = call?.userId;
    if (!call || !userId) return;
    const write = call.talk.then(() => this.o.domain.roster.setTalking(SYSTEM, userId, talking)).catch((err) => {
      if (!(err instanceof DomainError)) throw err; // the user left meanwhile
    });
    call.talk = write;
    this.track(write);
  }

  // ---------------------------------------------------------------------------------------------
  // Ending calls

  /**
   * The focus ends the call: BYE (RFC 3261 section 15.1.1), then forget it. Section 15: not before the ACK
   * of our 2xx (or the end of its retransmissions), else the BYE can overtake the 2xx; `force` is for
   * shutdown and for the end of the retransmissions.
   */
  private async hangUp(call: Call, why: string, headers: [string, string][] = [], opts: { force?: boolean } = {}): Promise<void> {
    if (call.state === "ending" || call.state === "ended") return;
    if (call.state === "early") return this.refuse(call, 480, "Temporarily Unavailable", why);
    if (call.state === "answered" && !opts.force) {
      // The caller is out of the conference already (kick, refusal): silence it until the BYE can go.
      this.audio.close(call.key);
      call.byeAfterAck ??= { why, headers };
      return;
    }
    call.state = "ending";
    const tx = call.dialog.request("BYE", { headers });
    await tx.final.catch(() => null);
    await this.end(call, why, { leave: true });
  }

  private clearTimers(call: Call): void {
    for (const t of call.timers) clearTimeout(t);
    call.timers.length = 0;
  }

  private async end(call: Call, why: string, opts: { leave: boolean }): Promise<void> {
    if (call.state === "ended") return;
    call.state = "ended";
    call.pin = null;
    this.clearTimers(call);
    call.dialog.terminate();
    const { journal } = this.o;
    if (journal && call.journaled) {
      // after the write: a call shorter than its journal write leaves no entry behind
      const id = call.dialog.id;
      this.track(call.journaled.then(() => journal.forget(id)));
    }
    this.audio.close(call.key);
    this.o.floorControl?.server.unregister(call.key);
    call.rtp.close();
    this.calls.delete(call.key);
    if (call.userId && this.byUser.get(call.userId) === call) this.byUser.delete(call.userId);
    if (opts.leave && call.userId) {
      await this.o.domain.roster.leave(SYSTEM, call.userId).catch((err) => {
        // already disconnected by the event that ended the call
        if (!(err instanceof DomainError)) throw err;
      });
    }
    this.o.log.info({ userId: call.userId, why }, "SIP call ended");
  }

  /** Hangs up every call; waits at most `graceMs` for the BYEs to be answered (shutdown must not hang on a dead peer). */
  async close(graceMs = 2000): Promise<void> {
    this.unsubscribe();
    await Promise.race([this.eventPackage.close(), new Promise((r) => setTimeout(r, graceMs).unref())]);
    const byes = Promise.all([...this.calls.values()].map((c) => this.hangUp(c, "focus shutting down", [], { force: true })));
    // Then the work already under way (a leave after a BYE): the database must outlive it.
    await Promise.race([Promise.allSettled([byes, ...this.inflight]), new Promise((r) => setTimeout(r, graceMs).unref())]);
    this.audio.shutdown();
  }
}
