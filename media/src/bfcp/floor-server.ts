/**
 * The floor control server (RFC 8855 section 13): BFCP requests become commands of the conference
 * domain's Floors, and the domain's FLOOR_REQUEST_CHANGED events become FloorRequestStatus and FloorStatus
 * notifications. The floor state is the domain's, so a chair on the GraphQL API and a chair on BFCP act on
 * the same queue, and a grant made either way reaches every BFCP client that asked to know.
 *
 * Who may do what (section 13 leaves it to the server's policy): every participant of the conference who
 * has joined may request a floor for itself, release or query its own requests, query its own status and
 * query floors; requests for someone else (a BENEFICIARY-ID), queries about others and ChairAction are for
 * chairs (ADMINISTRATOR, MODERATOR). A participant is the call leg that got its Conference ID and User ID
 * in SDP (RFC 8856 sections 5.2, 5.3); its messages must come from that call's address (section 14:
 * without TLS the server relies on the signalling that set the stream up).
 *
 * Transports (TCP, UDP with its reliability rules) are `BfcpLink`s; this module only speaks messages.
 */
import type { Actor, ConferenceDomain, ConferenceEvent, FloorRequestState, FloorRequestStatus, FloorState, Role } from "@dcon/core";
import { CHAIR_ROLES, DomainError, ErrorReason } from "@dcon/core";
import { BfcpErrorCode, BfcpPrimitive as P, BfcpAttributeType, BfcpPriority, BfcpRequestStatus, type BfcpVersion } from "./constants.ts";
import type { BfcpParseError } from "./errors.ts";
import { bfcpErrorReply } from "./codec.ts";
import type { BfcpFloorRequestInformation, BfcpHeader, BfcpMessage } from "./messages.ts";
import type { BfcpIdentities, BfcpParticipant } from "./identities.ts";

/** One BFCP association as the server sees it: a TCP connection, or a UDP peer (address and port). */
export interface BfcpLink {
  readonly version: BfcpVersion;
  readonly remoteAddress: string;
  /** the participant this link speaks for, bound by its first accepted message */
  participant: BfcpParticipant | null;
  /** answers a request of the peer (over UDP: R flag set, kept for retransmitted requests) */
  respond(request: BfcpHeader, msg: DistributiveOmit<BfcpMessage, keyof BfcpHeader>): void;
  /** a message of the server's own (over UDP: retransmitted until acknowledged) */
  notify(participant: BfcpParticipant, msg: DistributiveOmit<BfcpMessage, keyof BfcpHeader>): void;
  close(): void;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Body = DistributiveOmit<BfcpMessage, keyof BfcpHeader>;

export interface FloorServerLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

const STATUS: Record<FloorRequestStatus, BfcpRequestStatus> = {
  PENDING: BfcpRequestStatus.Pending,
  ACCEPTED: BfcpRequestStatus.Accepted,
  GRANTED: BfcpRequestStatus.Granted,
  DENIED: BfcpRequestStatus.Denied,
  CANCELLED: BfcpRequestStatus.Cancelled,
  RELEASED: BfcpRequestStatus.Released,
  REVOKED: BfcpRequestStatus.Revoked,
};

/** The primitives a floor control server receives (section 5.3's "P -> S" and "Ch -> S"). */
const SUPPORTED_PRIMITIVES = [
  P.FloorRequest, P.FloorRelease, P.FloorRequestQuery, P.UserQuery, P.FloorQuery, P.ChairAction, P.Hello,
  P.Goodbye, P.FloorRequestStatusAck, P.FloorStatusAck, P.Error, P.GoodbyeAck,
];
const SUPPORTED_ATTRIBUTES = Object.values(BfcpAttributeType);

/** A refusal as a BFCP Error (section 5.3.13). */
class Refusal extends Error {
  constructor(
    readonly code: BfcpErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export class FloorControlServer {
  /** links of each participant (by leg), to notify */
  private readonly links = new Map<string, Set<BfcpLink>>();
  /** FloorQuery subscriptions (section 13.5): link -> floor UUIDs */
  private readonly floorWatchers = new Map<BfcpLink, Set<string>>();
  /** FloorRequestQuery subscriptions (section 13.3): request UUID -> links */
  private readonly requestWatchers = new Map<string, Set<BfcpLink>>();
  private readonly unsubscribe: () => void;
  /** what each link was last told about each request (status and queue position), so a change is told once */
  private readonly told = new WeakMap<BfcpLink, Map<string, string>>();

  constructor(
    private readonly domain: ConferenceDomain,
    readonly ids: BfcpIdentities,
    private readonly log: FloorServerLogger,
  ) {
    this.unsubscribe = domain.bus.subscribeAll((e) => this.onDomainEvent(e));
  }

  /**
   * Gives a call leg its BFCP identity and numbers the conference's floors; the SDP answer carries the
   * result (a=confid, a=userid, a=floorid for the audio floor).
   */
  async register(legId: string, conferenceId: string, address: string, audioFloorLabel = "audio"): Promise<{ confId: number; userId: number; floorId: number | null }> {
    const floors = await this.domain.floors.list(conferenceId);
    const p = this.ids.register(legId, conferenceId, address);
    let floorId: number | null = null;
    for (const f of floors) {
      const n = this.ids.floorId(conferenceId, f.id);
      if (f.label === audioFloorLabel) floorId = n;
    }
    return { confId: p.confId, userId: p.userId, floorId };
  }

  /** The leg's caller joined the conference as this user. */
  bind(legId: string, user: { id: string; role: Role }): void {
    this.ids.bind(legId, user.id);
    if (CHAIR_ROLES.includes(user.role)) this.chairs.add(user.id);
    else this.chairs.delete(user.id);
  }

  /** The call ended: its identity and its links go. */
  unregister(legId: string): void {
    for (const link of this.links.get(legId) ?? []) link.close();
    this.links.delete(legId);
    this.ids.unregister(legId);
  }

  linkClosed(link: BfcpLink): void {
    this.floorWatchers.delete(link);
    for (const watchers of this.requestWatchers.values()) watchers.delete(link);
    if (link.participant) this.links.get(link.participant.legId)?.delete(link);
  }

  close(): void {
    this.unsubscribe();
  }

  /** A message that failed to decode: Error with the code the codec chose, when it can be addressed. */
  invalid(link: BfcpLink, err: BfcpParseError): void {
    const h = err.header;
    // Never answer a response with an Error (section 13.1 applies to requests).
    if (!h || h.responder) return;
    const reply = bfcpErrorReply(err, { version: link.version });
    if (reply) {
      const { primitive: _p, version: _v, responder: _r, conferenceId: _c, transactionId: _t, userId: _u, ...body } = reply;
      link.respond({ version: link.version, responder: false, conferenceId: h.conferenceId, transactionId: h.transactionId, userId: h.userId }, { primitive: P.Error, ...body });
    }
    this.log.debug({ code: err.code, from: link.remoteAddress }, "malformed BFCP message");
  }

  /** Handles one decoded message from a link. Never throws for anything the peer sent. */
  async handle(link: BfcpLink, msg: BfcpMessage): Promise<void> {
    // Acknowledgements and errors are the transport's business (retransmissions) or need no answer.
    if (msg.primitive === P.FloorRequestStatusAck || msg.primitive === P.FloorStatusAck || msg.primitive === P.GoodbyeAck || msg.primitive === P.Error) return;
    try {
      const p = this.authenticate(link, msg);
      await this.dispatch(link, p, msg);
    } catch (err) {
      if (err instanceof Refusal) return this.refuse(link, msg, err.code, err.message);
      if (err instanceof DomainError) return this.refuse(link, msg, ...domainRefusal(err));
      this.log.warn({ err, primitive: msg.primitive }, "BFCP request failed");
      this.refuse(link, msg, BfcpErrorCode.GenericError, "internal error");
    }
  }

  /** Section 13.1: the Conference ID and User ID must name a participant, reached from its own address. */
  private authenticate(link: BfcpLink, msg: BfcpMessage): BfcpParticipant {
    const p = this.ids.lookup(msg.conferenceId, msg.userId);
    if (p === "no-conference") throw new Refusal(BfcpErrorCode.ConferenceDoesNotExist, `no conference ${msg.conferenceId}`);
    if (p === "no-user") throw new Refusal(BfcpErrorCode.UserDoesNotExist, `no user ${msg.userId} in conference ${msg.conferenceId}`);
    if (link.participant && link.participant !== p) throw new Refusal(BfcpErrorCode.UnauthorizedOperation, "this connection belongs to another user");
    if (!sameHost(p.address, link.remoteAddress)) throw new Refusal(BfcpErrorCode.UnauthorizedOperation, "messages for this user must come from its call's address");
    if (!link.participant) {
      link.participant = p;
      let set = this.links.get(p.legId);
      if (!set) this.links.set(p.legId, (set = new Set()));
      set.add(link);
    }
    return p;
  }

  private async dispatch(link: BfcpLink, p: BfcpParticipant, msg: BfcpMessage): Promise<void> {
    switch (msg.primitive) {
      case P.Hello:
        link.respond(msg, { primitive: P.HelloAck, supportedPrimitives: SUPPORTED_PRIMITIVES, supportedAttributes: SUPPORTED_ATTRIBUTES });
        return;
      case P.Goodbye:
        link.respond(msg, { primitive: P.GoodbyeAck });
        this.linkClosed(link);
        if (link.version === 1) link.close();
        return;
      case P.FloorQuery: {
        // Section 13.5: the set of floors replaces the previous one; an empty query stops notifications.
        const floors = msg.floorIds.map((n) => this.floorUuid(p, n));
        if (floors.length === 0) this.floorWatchers.delete(link);
        else this.floorWatchers.set(link, new Set(floors));
        const first = floors[0];
        if (first === undefined) {
          link.respond(msg, { primitive: P.FloorStatus, floorRequestInformation: [] });
          return;
        }
        link.respond(msg, await this.floorStatus(p.conferenceId, await this.domain.floors.get(first)));
        for (const other of floors.slice(1)) link.notify(p, await this.floorStatus(p.conferenceId, await this.domain.floors.get(other)));
        return;
      }
    }
    const me = this.joined(p);
    switch (msg.primitive) {
      case P.FloorRequest: {
        if (msg.floorIds.length !== 1) throw new Refusal(BfcpErrorCode.GenericError, "one floor per request");
        const floor = this.floorUuid(p, msg.floorIds[0]!);
        let beneficiary = me.id;
        if (msg.beneficiaryId !== undefined && msg.beneficiaryId !== p.userId) {
          if (!me.chair) throw new Refusal(BfcpErrorCode.UnauthorizedOperation, "only chairs request floors for others");
          beneficiary = this.domainUser(p, msg.beneficiaryId);
        }
        // Section 5.2.4: without a PRIORITY attribute the request has Normal priority.
        const r = await this.domain.floors.request(this.actor(me.id), floor, beneficiary, msg.priority ?? BfcpPriority.Normal);
        this.watchRequest(r.id, link);
        // (no await before answerStatus: its gate must be up before the request's event is published)
        await this.answerStatus(link, msg, r.id, () => this.requestInfo(p.conferenceId, r));
        return;
      }
      case P.FloorRelease: {
        const r = await this.ownRequest(p, me, msg.floorRequestId);
        await this.answerStatus(link, msg, r.id, async () => this.requestInfo(p.conferenceId, await this.domain.floors.release(this.actor(me.id), r.id)));
        return;
      }
      case P.FloorRequestQuery: {
        const r = await this.ownRequest(p, me, msg.floorRequestId);
        this.watchRequest(r.id, link);
        link.respond(msg, { primitive: P.FloorRequestStatus, floorRequestInformation: this.tell(link, r.id, await this.requestInfo(p.conferenceId, r)) });
        return;
      }
      case P.UserQuery: {
        let who = me.id;
        if (msg.beneficiaryId !== undefined && msg.beneficiaryId !== p.userId) {
          if (!me.chair) throw new Refusal(BfcpErrorCode.UnauthorizedOperation, "only chairs query other users");
          who = this.domainUser(p, msg.beneficiaryId);
        }
        const user = await this.domain.roster.get(who);
        const open: FloorRequestState[] = [];
        for (const f of await this.domain.floors.list(p.conferenceId)) open.push(...f.queue.filter((r) => r.userId === who));
        const infos: BfcpFloorRequestInformation[] = [];
        for (const r of open) infos.push(await this.requestInfo(p.conferenceId, r));
        link.respond(msg, {
          primitive: P.UserStatus,
          ...(msg.beneficiaryId !== undefined ? { beneficiaryInformation: { beneficiaryId: msg.beneficiaryId, userDisplayName: user.displayName.slice(0, 200), userUri: user.entity.slice(0, 250) } } : {}),
          floorRequestInformation: infos,
        });
        return;
      }
      case P.ChairAction: {
        if (!me.chair) throw new Refusal(BfcpErrorCode.UnauthorizedOperation, "ChairAction is for chairs");
        const info = msg.floorRequestInformation;
        const r = await this.requestOf(p, info.floorRequestId);
        // Section 5.3.9: the decision is the Request Status of each floor (one floor per request here).
        const status = info.floorRequestStatus[0]?.requestStatus?.status ?? info.overallRequestStatus?.requestStatus?.status;
        const actor = this.actor(me.id);
        switch (status) {
          case BfcpRequestStatus.Granted:
            await this.domain.floors.grant(actor, r.id);
            break;
          case BfcpRequestStatus.Denied:
            await this.domain.floors.deny(actor, r.id);
            break;
          case BfcpRequestStatus.Revoked:
            await this.domain.floors.revoke(actor, r.id);
            break;
          case BfcpRequestStatus.Accepted:
            throw new Refusal(BfcpErrorCode.GenericError, "Accepted is not used by this server: grant or deny");
          default:
            throw new Refusal(BfcpErrorCode.GenericError, "a ChairAction must grant, deny or revoke");
        }
        link.respond(msg, { primitive: P.ChairActionAck });
        return;
      }
      default:
        // Primitives a server sends, not receives (section 13.1: Unknown Primitive).
        throw new Refusal(BfcpErrorCode.UnknownPrimitive, `a floor control server does not accept primitive ${msg.primitive}`);
    }
  }

  private refuse(link: BfcpLink, msg: BfcpMessage, code: BfcpErrorCode, info: string): void {
    link.respond(msg, { primitive: P.Error, errorCode: { code }, errorInfo: info.slice(0, 200) });
  }

  private joined(p: BfcpParticipant): { id: string; chair: boolean } {
    if (!p.domainUserId) throw new Refusal(BfcpErrorCode.UnauthorizedOperation, "join the conference first");
    return { id: p.domainUserId, chair: this.chairs.has(p.domainUserId) };
  }

  /** Chairs among joined users: kept from the roster's events (USER_JOINED/UPDATED carry the role). */
  private readonly chairs = new Set<string>();

  private actor(domainUserId: string): Actor {
    return { kind: "user", id: domainUserId };
  }

  private floorUuid(p: BfcpParticipant, floorId: number): string {
    const uuid = this.ids.floorUuid(p.confId, floorId);
    if (!uuid) throw new Refusal(BfcpErrorCode.InvalidFloorId, `no floor ${floorId}`);
    return uuid;
  }

  private domainUser(p: BfcpParticipant, userId: number): string {
    const u = this.ids.domainUserOf(p.confId, userId);
    if (!u) throw new Refusal(BfcpErrorCode.UserDoesNotExist, `no user ${userId} has joined`);
    return u;
  }

  private async requestOf(p: BfcpParticipant, floorRequestId: number): Promise<FloorRequestState> {
    const uuid = this.ids.requestUuid(p.confId, floorRequestId);
    if (!uuid) throw new Refusal(BfcpErrorCode.FloorRequestIdDoesNotExist, `no floor request ${floorRequestId}`);
    return this.domain.floors.getRequest(uuid);
  }

  private async ownRequest(p: BfcpParticipant, me: { id: string; chair: boolean }, floorRequestId: number): Promise<FloorRequestState> {
    const r = await this.requestOf(p, floorRequestId);
    if (r.userId !== me.id && !me.chair) throw new Refusal(BfcpErrorCode.UnauthorizedOperation, "not your floor request");
    return r;
  }

  /**
   * Answers `msg` with the FloorRequestStatus `info` computes (a domain change included). Until the answer is
   * out, notifications about the same request to the same link wait (see notifyChange): the domain event of the
   * change the request itself made is published while the answer is still being computed, and would otherwise
   * reach the client before or after the answer saying the same thing (seen with PostgreSQL).
   */
  private async answerStatus(link: BfcpLink, msg: BfcpMessage, requestUuid: string, info: () => Promise<BfcpFloorRequestInformation>): Promise<void> {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let gates = this.answering.get(link);
    if (!gates) this.answering.set(link, (gates = new Map()));
    gates.set(requestUuid, gate);
    try {
      link.respond(msg, { primitive: P.FloorRequestStatus, floorRequestInformation: this.tell(link, requestUuid, await info()) });
    } finally {
      if (gates.get(requestUuid) === gate) gates.delete(requestUuid);
      open();
    }
  }

  /** answers being computed, per link and request (answerStatus) */
  private readonly answering = new WeakMap<BfcpLink, Map<string, Promise<void>>>();

  /** Notes what `link` is told about a request; returns `info`. */
  private tell(link: BfcpLink, requestUuid: string, info: BfcpFloorRequestInformation): BfcpFloorRequestInformation {
    let m = this.told.get(link);
    if (!m) this.told.set(link, (m = new Map()));
    m.set(requestUuid, stateOf(info));
    return info;
  }

  /** The response to a request already said this (the event of a change is fanned out after the answer). */
  private isNews(link: BfcpLink, requestUuid: string, info: BfcpFloorRequestInformation): boolean {
    return this.told.get(link)?.get(requestUuid) !== stateOf(info);
  }

  private watchRequest(requestUuid: string, link: BfcpLink): void {
    let set = this.requestWatchers.get(requestUuid);
    if (!set) this.requestWatchers.set(requestUuid, (set = new Set()));
    set.add(link);
  }

  /** FLOOR-REQUEST-INFORMATION (section 5.2.15) of a domain floor request. */
  private async requestInfo(conferenceId: string, r: FloorRequestState, floor?: FloorState): Promise<BfcpFloorRequestInformation> {
    const floorRequestId = this.ids.requestId(conferenceId, r.id);
    // Section 5.2.5: Queue Position is given for Accepted requests only (SHOULD be zero otherwise): the
    // position among those waiting, 1 being next. (The domain leaves requests Pending until granted; the
    // queue order is visible in FloorStatus and on the API.)
    let queuePosition = 0;
    if (r.status === "ACCEPTED") {
      const f = floor ?? (await this.domain.floors.get(r.floorId).catch(() => null));
      const at = f ? f.queue.filter((q) => q.status !== "GRANTED").findIndex((q) => q.id === r.id) : -1;
      queuePosition = at >= 0 ? Math.min(at + 1, 255) : 0;
    }
    return {
      floorRequestId,
      overallRequestStatus: { floorRequestId, requestStatus: { status: STATUS[r.status], queuePosition } },
      floorRequestStatus: [{ floorId: this.ids.floorId(conferenceId, r.floorId) }],
      beneficiaryInformation: { beneficiaryId: this.ids.userIdOf(conferenceId, r.userId) },
      priority: Math.min(r.priority, 4) as BfcpPriority,
    };
  }

  /** FloorStatus (section 5.3.8) of one floor: its active requests in queue order. */
  private async floorStatus(conferenceId: string, floor: FloorState): Promise<Body> {
    const infos: BfcpFloorRequestInformation[] = [];
    for (const r of floor.queue) infos.push(await this.requestInfo(conferenceId, r, floor));
    return { primitive: P.FloorStatus, floorId: this.ids.floorId(conferenceId, floor.id), floorRequestInformation: infos };
  }

  private onDomainEvent(e: ConferenceEvent): void {
    switch (e.type) {
      case "USER_JOINED":
      case "USER_ADMITTED":
      case "USER_UPDATED":
        if (CHAIR_ROLES.includes(e.payload.user.role)) this.chairs.add(e.payload.user.id);
        else this.chairs.delete(e.payload.user.id);
        return;
      case "FLOOR_REQUEST_CHANGED":
        void this.notifyChange(e.conferenceId, e.payload.request).catch((err) => this.log.warn({ err }, "BFCP notification failed"));
        return;
      default:
        return;
    }
  }

  /**
   * Sections 13.1.1 and 13.5: FloorRequestStatus to whoever made or queried the request and to its
   * beneficiary's links; FloorStatus to every link watching the floor.
   */
  private async notifyChange(conferenceId: string, changed: FloorRequestState): Promise<void> {
    // The request as it is now, not as the event saw it: a FCFS request is created Pending and granted in the
    // same transaction, and its two events must not tell the requester Pending after Granted.
    const r = await this.domain.floors.getRequest(changed.id).catch(() => changed);
    const targets = new Set(this.requestWatchers.get(r.id) ?? []);
    const beneficiary = this.ids.byDomainUser(r.userId);
    for (const link of beneficiary ? (this.links.get(beneficiary.legId) ?? []) : []) targets.add(link);
    const floorWatchers = [...this.floorWatchers].filter(([, floors]) => floors.has(r.floorId)).map(([link]) => link);
    if (targets.size === 0 && floorWatchers.length === 0) return;
    // The whole floor (its queue) only when someone watches it: a FloorRequestStatus needs just the request.
    const floor = floorWatchers.length > 0 ? await this.domain.floors.get(r.floorId).catch(() => null) : null;
    if (targets.size > 0) {
      const info = await this.requestInfo(conferenceId, r, floor ?? undefined);
      for (const link of targets) {
        await this.answering.get(link)?.get(r.id);
        if (!link.participant || !this.isNews(link, r.id, info)) continue;
        link.notify(link.participant, { primitive: P.FloorRequestStatus, floorRequestInformation: this.tell(link, r.id, info) });
      }
    }
    if (floor && floorWatchers.length > 0) {
      const status = await this.floorStatus(conferenceId, floor);
      for (const link of floorWatchers) if (link.participant) link.notify(link.participant, status);
    }
    // A request that is over is no longer watched.
    if (!["PENDING", "ACCEPTED", "GRANTED"].includes(r.status)) {
      this.requestWatchers.delete(r.id);
      for (const link of targets) this.told.get(link)?.delete(r.id);
    }
  }
}

const stateOf = (info: BfcpFloorRequestInformation) => {
  const s = info.overallRequestStatus?.requestStatus;
  return s ? `${s.status}/${s.queuePosition}` : "";
};

/** Domain refusals as BFCP error codes (section 5.2.6). */
function domainRefusal(err: DomainError): [BfcpErrorCode, string] {
  if (err.reason === ErrorReason.DUPLICATE) return [BfcpErrorCode.MaxFloorRequestsReached, err.message];
  if (err.code === "NOT_FOUND") return [BfcpErrorCode.FloorRequestIdDoesNotExist, err.message];
  return [BfcpErrorCode.GenericError, err.message];
}

/** IPv4-mapped IPv6 (::ffff:127.0.0.1) and plain forms are the same host. */
function sameHost(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/^::ffff:/i, "").toLowerCase();
  return norm(a) === norm(b);
}
