/**
 * The focus' SIP face: callers dial sip:<dial-in code>@<focus> and become users of that conference.
 * A transport adapter of the conference domain: it calls roster commands (join, leave) and acts on the
 * domain's events (a kick, a refusal or the end of the conference hangs the call up with BYE).
 *
 * Status codes (RFC 3261 section 21): 404 no such conference, 480 locked or not in progress, 486 full,
 * 403 refused, 488 no common codec (RFC 3264 section 6), 400 malformed SDP, 481 unknown dialog.
 */
import type { ConferenceDomain, ConferenceEvent } from "@dcon/core";
import { DomainError, ErrorReason } from "@dcon/core";
import type { SipEndpoint, ResponseHandle } from "../sip/endpoint.ts";
import { createResponse, type SipRequest } from "../sip/message.ts";
import { newTag } from "../sip/endpoint.ts";
import type { Peer } from "../sip/transport.ts";
import { parseNameAddr } from "../sip/address.ts";
import { parseUri } from "../sip/uri.ts";
import { UasDialog, uasDialogKeyOf } from "../sip/dialog.ts";
import { answerOffer, SdpError, type NegotiatedAudio } from "../sdp/index.ts";
import { RtpPort, type RtpPortRange } from "./rtp-port.ts";
import { ConferenceEventPackage } from "./event-package.ts";
import { AudioBridge } from "./audio-bridge.ts";

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
}

/** A call leg: one SIP dialog, one user of one conference. */
interface Call {
  dialog: UasDialog;
  conferenceId: string;
  userId: string;
  rtp: RtpPort;
  audio: NegotiatedAudio;
  sdpVersion: number;
  sessionId: string;
  state: "answered" | "established" | "ending" | "ended";
}

const ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, SUBSCRIBE";
const SYSTEM = { kind: "system" as const, id: "sip" };

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
    case ErrorReason.PIN_REQUIRED:
      return [403, "Forbidden"];
    case ErrorReason.DUPLICATE:
      return [486, "Busy Here (already in the conference)"];
    default:
      return err.code === "NOT_FOUND" ? [404, "Not Found"] : [403, "Forbidden"];
  }
}

export class ConferenceSipService {
  private readonly calls = new Map<string, Call>();
  private readonly byUser = new Map<string, Call>();
  private readonly unsubscribe: () => void;
  /** RFC 4575 subscriptions (SUBSCRIBE Event: conference) */
  private readonly eventPackage: ConferenceEventPackage;
  private readonly audio: AudioBridge;
  /** the last DTMF key of each user, for two-key commands (*6) */
  private readonly lastKey = new Map<string, string>();

  constructor(private readonly o: SipServiceOptions) {
    this.eventPackage = new ConferenceEventPackage({ endpoint: o.endpoint, domain: o.domain, contact: this.contact(), log: o.log });
    this.audio = new AudioBridge({
      onDtmf: (_conferenceId, userId, digit) => this.track(this.onKey(userId, digit)),
      onError: (err) => o.log.warn({ err }, "call audio error"),
    });
    o.endpoint.on("request", (req, res, from) => this.track(this.onRequest(req, res, from).catch((err) => {
      o.log.warn({ err, method: req.method }, "SIP request failed");
      if (res.transaction.state === "proceeding" || res.transaction.state === "trying") res.send(500);
    })));
    o.endpoint.on("ack", (ack) => this.onAck(ack));
    // RFC 3261 section 9.2: a CANCEL of a pending INVITE ends it with 487 at once; the INVITE's handler
    // sees its transaction is no longer proceeding and stops (or undoes its join).
    o.endpoint.on("cancel", (invite) => invite.respond(createResponse(invite.request, 487, "Request Terminated", { toTag: newTag() })));
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

  /** Calls in progress (for metrics and leak checks). */
  get callCount(): number {
    return this.calls.size;
  }

  /** Conference event package subscriptions in progress. */
  get subscriptionCount(): number {
    return this.eventPackage.count;
  }

  private contact(): string {
    return `<sip:focus@${this.o.advertisedHost.includes(":") ? `[${this.o.advertisedHost}]` : this.o.advertisedHost}:${this.o.endpoint.port}>`;
  }

  private async onRequest(req: SipRequest, res: ResponseHandle, from: Peer): Promise<void> {
    if (req.method === "SUBSCRIBE") return this.eventPackage.handleSubscribe(req, res, from);
    const toTag = parseNameAddr(req.headers.get("To")!).params.get("tag");
    if (toTag) return this.inDialog(req, res, toTag);
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
    if (req.body.length === 0) {
      // An offerless INVITE needs the offer in our 2xx and the answer in the ACK; not supported yet.
      res.send(488, "Not Acceptable Here (an SDP offer is required)");
      return;
    }
    const rtp = await RtpPort.open(this.o.rtpHost, this.o.rtpPorts);
    const sessionId = String(Date.now());
    let answer;
    try {
      answer = answerOffer(req.body.toString("utf8"), { address: this.o.advertisedHost, audioPort: rtp.port }, { id: sessionId, version: 1 });
    } catch (err) {
      rtp.close();
      if (err instanceof SdpError) {
        if (err.code === "NO_COMMON_CODEC" || err.code === "NO_AUDIO") res.send(488, "Not Acceptable Here", { headers: [["Warning", `304 focus "${err.message.replace(/"/g, "'")}"`]] });
        else res.send(400, "Bad Request (malformed SDP)");
        return;
      }
      throw err;
    }
    if (res.transaction.state !== "proceeding") {
      rtp.close(); // CANCELled already
      return;
    }
    const fromAddr = parseNameAddr(req.headers.get("From")!);
    let user;
    try {
      user = await this.o.domain.roster.join(SYSTEM, conference.id, {
        entity: fromAddr.uri.scheme === "tel" ? `tel:${fromAddr.uri.user}` : `sip:${fromAddr.uri.user ? `${fromAddr.uri.user}@` : ""}${fromAddr.uri.host}`,
        displayName: fromAddr.displayName,
        via: "sip",
      });
    } catch (err) {
      rtp.close();
      if (err instanceof DomainError) {
        const [status, reason] = statusFor(err);
        if (res.transaction.state === "proceeding") res.send(status, reason);
        return;
      }
      throw err;
    }
    if (res.transaction.state !== "proceeding") {
      // CANCELled while joining: undo the join.
      rtp.close();
      await this.o.domain.roster.leave(SYSTEM, user.id).catch(() => {});
      return;
    }
    const dialog = new UasDialog(this.o.endpoint, req, from, this.contact());
    const ok = dialog.accept(req, Buffer.from(answer.sdp), "application/sdp", [["Allow", ALLOW]]);
    const call: Call = { dialog, conferenceId: conference.id, userId: user.id, rtp, audio: answer.audio, sdpVersion: 1, sessionId, state: "answered" };
    this.calls.set(dialog.key, call);
    this.byUser.set(user.id, call);
    res.sendResponse(ok);
    // A caller in the lobby is neither heard nor hears the conference until admitted.
    if (user.joinState === "CONNECTED") this.audio.attach(conference.id, user.id, rtp, answer.audio, { muted: user.muted });
    dialog.startRetransmitting(ok, from, () => {
      this.o.log.warn({ callId: call.dialog.id.callId }, "no ACK for the 2xx: hanging up (RFC 3261 section 13.3.1.4)");
      this.track(this.hangUp(call, "no ACK"));
    });
    this.o.log.info({ conferenceId: conference.id, userId: user.id, codec: answer.audio.codec }, "SIP caller joined");
  }

  private onAck(ack: SipRequest): void {
    const call = this.findCall(ack);
    if (!call) return;
    call.dialog.acknowledged(ack);
    if (call.state === "answered") call.state = "established";
  }

  private findCall(req: SipRequest): Call | undefined {
    return this.calls.get(uasDialogKeyOf(req));
  }

  private async inDialog(req: SipRequest, res: ResponseHandle, _toTag: string): Promise<void> {
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
        await this.end(call, "caller hung up", { leave: true });
        return;
      case "INVITE":
      case "UPDATE":
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
      // No offer: answer with our current session again (RFC 3261 section 14.2 allows an offer in the 2xx; keep it simple).
      res.send(488, "Not Acceptable Here (an SDP offer is required)");
      return;
    }
    let answer;
    try {
      answer = answerOffer(req.body.toString("utf8"), { address: this.o.advertisedHost, audioPort: call.rtp.port }, { id: call.sessionId, version: ++call.sdpVersion });
    } catch (err) {
      if (err instanceof SdpError) {
        res.send(err.code === "MALFORMED" ? 400 : 488, err.code === "MALFORMED" ? "Bad Request (malformed SDP)" : "Not Acceptable Here");
        return;
      }
      throw err;
    }
    call.audio = answer.audio;
    this.audio.update(call.conferenceId, call.userId, answer.audio);
    if (req.method === "UPDATE") {
      res.send(200, "OK", { body: answer.sdp, contentType: "application/sdp", headers: [["Contact", call.dialog.localContact]] });
      return;
    }
    const ok = call.dialog.accept(req, Buffer.from(answer.sdp), "application/sdp");
    res.sendResponse(ok);
    this.o.log.debug({ userId: call.userId, direction: answer.audio.direction }, "re-INVITE answered");
  }

  /**
   * Moderation acts on live calls within a frame: mute and unmute reach the mixer, an admitted caller
   * joins the mix, and a kicked, refused or disconnected SIP user is hung up.
   */
  private onDomainEvent(e: ConferenceEvent): void {
    switch (e.type) {
      case "USER_MUTED":
      case "USER_UNMUTED":
        this.audio.setMuted(e.conferenceId, e.payload.user.id, e.type === "USER_MUTED");
        return;
      case "USER_ADMITTED": {
        const call = this.byUser.get(e.payload.user.id);
        if (call) this.audio.attach(call.conferenceId, call.userId, call.rtp, call.audio, { muted: e.payload.user.muted });
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

  /** DTMF commands: *6 toggles one's own mute. */
  private async onKey(userId: string, digit: string): Promise<void> {
    const previous = this.lastKey.get(userId);
    this.lastKey.set(userId, digit);
    if (previous !== "*" || digit !== "6") return;
    this.lastKey.delete(userId);
    const user = await this.o.domain.roster.get(userId).catch(() => null);
    if (user) await this.o.domain.roster.setMuted({ kind: "user", id: userId }, userId, !user.muted).catch(() => {});
  }

  /** The focus ends the call: BYE (RFC 3261 section 15.1.1), then forget it. */
  private async hangUp(call: Call, why: string): Promise<void> {
    if (call.state === "ending" || call.state === "ended") return;
    call.state = "ending";
    const tx = call.dialog.request("BYE");
    await tx.final.catch(() => null);
    await this.end(call, why, { leave: true });
  }

  private async end(call: Call, why: string, opts: { leave: boolean }): Promise<void> {
    if (call.state === "ended") return;
    call.state = "ended";
    call.dialog.terminate();
    this.audio.detach(call.conferenceId, call.userId);
    this.lastKey.delete(call.userId);
    call.rtp.close();
    this.calls.delete(call.dialog.key);
    if (this.byUser.get(call.userId) === call) this.byUser.delete(call.userId);
    if (opts.leave) {
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
    const byes = Promise.all([...this.calls.values()].map((c) => this.hangUp(c, "focus shutting down")));
    // Then the work already under way (a leave after a BYE): the database must outlive it.
    await Promise.race([Promise.allSettled([byes, ...this.inflight]), new Promise((r) => setTimeout(r, graceMs).unref())]);
    this.audio.close();
  }
}
