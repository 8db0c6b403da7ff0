/**
 * Distributed conferences (DCON): a conference homed on one island is linked into others, and each island
 * keeps a replica of it that it updates from the other islands' events.
 *
 * Who writes what: the home island writes conference-wide state (the conference, its links, floors); every
 * island writes its own participants (a caller on island B joins B's replica, and the join is B's event);
 * each island's events carry its name as origin and their own seq. `applyRemote` applies one island's
 * events to the local replica strictly in seq order per (conference, origin): a duplicate changes nothing,
 * a gap is reported so the caller can ask the origin to send again (RFC 4575's resync, by replay). The
 * applied event goes into the local log with its origin and seq, in the same transaction as the change,
 * and is published like a local one, so GraphQL subscriptions and the SIP event package see remote changes.
 */
import { randomInt } from "node:crypto";
import type { Actor, ConferenceEvent } from "./events.ts";
import type { Store, Tx } from "./store.ts";
import type { ConferenceSummary, FloorRequestState, FloorSpecState, UserState } from "./state.ts";
import { conferenceView } from "./views.ts";
import { badInput, conflict, ErrorReason } from "./errors.ts";

export type ApplyResult =
  /** applied and published */
  | { kind: "applied" }
  /** seen before (seq at or below the last applied): nothing changed */
  | { kind: "duplicate"; last: number }
  /** an earlier event of this origin is missing: `last` is the last applied; ask for what follows it */
  | { kind: "gap"; last: number }
  /** refused: the event does not fit (wrong origin for the change, unknown conference, bad payload) */
  | { kind: "refused"; reason: string };

const DOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Events that only the home island writes. */
const HOME_ONLY = new Set<ConferenceEvent["type"]>([
  "CONFERENCE_CREATED", "CONFERENCE_UPDATED", "CONFERENCE_STARTED", "CONFERENCE_ENDED", "CONFERENCE_LOCKED",
  "CONFERENCE_UNLOCKED", "CONFERENCE_LINKED", "SIDEBAR_CREATED",
]);

export class Federation {
  constructor(private readonly store: Store) {}

  /** The islands other than this one that take part in a conference (its home and its links). */
  async peersOf(conferenceId: string): Promise<string[]> {
    const c = await this.store.db.conference.findUnique({ where: { id: conferenceId }, include: { links: true } });
    if (!c) return [];
    const islands = new Set([c.homeIsland, ...c.links.map((l) => l.island)]);
    islands.delete(this.store.island);
    return [...islands].sort();
  }

  /** The islands a conference spans: its home first, then the linked islands in name order. */
  async islandsOf(conferenceId: string): Promise<string[]> {
    const c = await this.store.db.conference.findUnique({ where: { id: conferenceId }, include: { links: { orderBy: { island: "asc" } } } });
    if (!c) return [];
    return [c.homeIsland, ...c.links.map((l) => l.island).filter((i) => i !== c.homeIsland)];
  }

  /** Conferences homed here that have not ended (what this island offers its peers to link), soonest first. */
  async offered(limit = 100): Promise<ConferenceSummary[]> {
    const rows = await this.store.db.conference.findMany({
      where: { homeIsland: this.store.island, status: { not: "ENDED" }, parentId: null },
      orderBy: [{ startAt: "asc" }, { id: "asc" }],
      take: limit,
    });
    return rows.map(conferenceView);
  }

  /** Every distributed conference this island takes part in, with its peers. */
  async distributed(): Promise<{ conferenceId: string; peers: string[] }[]> {
    const rows = await this.store.db.conference.findMany({ where: { links: { some: {} } }, include: { links: true } });
    return rows.map((c) => {
      const islands = new Set([c.homeIsland, ...c.links.map((l) => l.island)]);
      islands.delete(this.store.island);
      return { conferenceId: c.id, peers: [...islands].sort() };
    });
  }

  /**
   * Links another island into a conference homed here (the home is the single writer of links). The
   * island's focus then receives the conference's events from the first one and keeps a replica.
   */
  async link(actor: Actor, conferenceId: string, island: string): Promise<ConferenceSummary> {
    if (!DOMAIN.test(island)) throw badInput("island", "an island is a domain name, e.g. island-b.example");
    return this.store.mutate(actor, async (tx, emit) => {
      const c = await this.store.conferenceRow(tx, conferenceId);
      if (c.homeIsland !== this.store.island) throw conflict(`the conference is homed on ${c.homeIsland}: link it there`, ErrorReason.INVALID_STATE);
      if (island === this.store.island) throw badInput("island", "the conference is homed on this island already");
      if (c.parentId) throw badInput("id", "link the parent conference, not a sidebar");
      if (await tx.conferenceLink.findUnique({ where: { conferenceId_island: { conferenceId, island } } })) {
        throw conflict(`${island} is linked already`, ErrorReason.DUPLICATE);
      }
      await tx.conferenceLink.create({ data: { conferenceId, island } });
      const links = await tx.conferenceLink.findMany({ where: { conferenceId }, orderBy: { island: "asc" } });
      const floors = await tx.floor.findMany({ where: { conferenceId }, orderBy: { label: "asc" } });
      const conference = conferenceView(c);
      await emit(conferenceId, "CONFERENCE_LINKED", {
        conference, island, islands: links.map((l) => l.island),
        floors: floors.map((f): FloorSpecState => ({ id: f.id, label: f.label, policy: f.policy, maxHolders: f.maxHolders })),
      });
      return conference;
    });
  }

  /** The acknowledged position of a peer for this island's events of a conference (0: nothing yet). */
  async ackedSeq(conferenceId: string, peer: string): Promise<number> {
    const row = await this.store.db.federationCursor.findUnique({ where: { conferenceId_peer: { conferenceId, peer } } });
    return row?.ackedSeq ?? 0;
  }

  /** Records a peer's acknowledgement; positions only move forward. */
  async acknowledge(conferenceId: string, peer: string, seq: number): Promise<void> {
    await this.store.db.$transaction(async (tx) => {
      if (!(await tx.conference.findUnique({ where: { id: conferenceId }, select: { id: true } }))) return;
      const row = await tx.federationCursor.findUnique({ where: { conferenceId_peer: { conferenceId, peer } } });
      if (!row) await tx.federationCursor.create({ data: { conferenceId, peer, ackedSeq: seq } });
      else if (seq > row.ackedSeq) await tx.federationCursor.update({ where: { conferenceId_peer: { conferenceId, peer } }, data: { ackedSeq: seq } });
    });
  }

  /** The last seq of `origin` applied to the local copy of a conference (0: none). */
  async lastApplied(conferenceId: string, origin: string): Promise<number> {
    return positionOf(this.store.db as unknown as Tx, conferenceId, origin);
  }

  /**
   * Applies one event of another island to the local replica (see the top of this file). `from` is the
   * island that sent it, already authenticated by the transport; it must be the event's origin.
   */
  async applyRemote(from: string, e: ConferenceEvent): Promise<ApplyResult> {
    if (e.origin !== from) return { kind: "refused", reason: `${from} sent an event of ${e.origin}` };
    if (e.origin === this.store.island) return { kind: "refused", reason: "an event of this island came back" };
    let published: ConferenceEvent | null = null;
    const result = await this.store.db.$transaction(
      async (tx): Promise<ApplyResult> => {
        const conference = await tx.conference.findUnique({ where: { id: e.conferenceId } });
        if (!conference) {
          // Only the conference's first event, from its home island, makes a replica.
          if (e.type !== "CONFERENCE_CREATED" || e.seq !== 1) return { kind: "gap", last: 0 };
          if (e.payload.conference.homeIsland !== e.origin || e.payload.conference.id !== e.conferenceId) return { kind: "refused", reason: "a conference is created by its home island" };
          await createReplica(tx, e.payload.conference);
        } else {
          const last = await positionOf(tx, e.conferenceId, e.origin);
          if (e.seq <= last) return { kind: "duplicate", last };
          if (e.seq !== last + 1) return { kind: "gap", last };
          const refused = HOME_ONLY.has(e.type) && conference.homeIsland !== e.origin ? `${e.type} comes from the home island only` : await applyChange(tx, conference.id, e);
          if (refused) {
            // Changes nothing, but the origin's position moves past it, so its later events are not held up.
            const peer = skipKey(e.origin);
            await tx.federationCursor.upsert({ where: { conferenceId_peer: { conferenceId: e.conferenceId, peer } }, create: { conferenceId: e.conferenceId, peer, ackedSeq: e.seq }, update: { ackedSeq: e.seq } });
            return { kind: "refused", reason: refused };
          }
        }
        const row = await tx.event.create({
          data: { conferenceId: e.conferenceId, origin: e.origin, seq: e.seq, type: e.type, payload: JSON.stringify(e.payload), actor: e.actor ? JSON.stringify(e.actor) : null, at: e.at },
        });
        published = { ...e, at: row.at };
        return { kind: "applied" };
      },
      { maxWait: 15_000, timeout: 20_000 },
    );
    const event = published as ConferenceEvent | null;
    if (event) setImmediate(() => this.store.bus.publish(event));
    return result;
  }

  /** This island's own events of a conference after `afterSeq` (what a peer has not acknowledged). */
  ownEventsAfter(conferenceId: string, afterSeq: number, limit: number): Promise<ConferenceEvent[]> {
    return this.store.eventsAfter(conferenceId, this.store.island, afterSeq, limit);
  }
}

/**
 * The key under which FederationCursor keeps how far an origin's events were passed over (refused events
 * are not in the log); island names cannot start with "<", so it never meets an outbound cursor's.
 */
const skipKey = (origin: string) => `<${origin}`;

/** The last seq of `origin` this island has dealt with for a conference: applied (in the log) or refused. */
async function positionOf(tx: Tx, conferenceId: string, origin: string): Promise<number> {
  const row = await tx.event.findFirst({ where: { conferenceId, origin }, orderBy: { seq: "desc" }, select: { seq: true } });
  const skipped = await tx.federationCursor.findUnique({ where: { conferenceId_peer: { conferenceId, peer: skipKey(origin) } }, select: { ackedSeq: true } });
  return Math.max(row?.seq ?? 0, skipped?.ackedSeq ?? 0);
}

/** A replica takes the home's settings and a dial-in code of this island (codes are per island). */
async function createReplica(tx: Tx, c: ConferenceSummary): Promise<void> {
  let dialInCode: string | null = null;
  for (let i = 0; i < 20 && !dialInCode; i++) {
    const code = String(randomInt(100_000, 1_000_000));
    if (!(await tx.conference.findUnique({ where: { dialInCode: code }, select: { id: true } }))) dialInCode = code;
  }
  if (!dialInCode) throw conflict("no free dial-in code found", ErrorReason.DUPLICATE);
  await tx.conference.create({
    data: {
      id: c.id, subject: c.subject, description: c.description, uri: c.uri, dialInCode, maxUsers: c.maxUsers, status: c.status,
      locked: c.locked, floorControlled: c.floorControlled, joinHandling: c.joinHandling,
      startAt: new Date(c.startAt), durationMin: c.durationMin, rrule: c.rrule, timezone: c.timezone, homeIsland: c.homeIsland,
    },
  });
}

/** The conference-wide fields a home island's event carries (not the dial-in code: each island has its own). */
function conferenceFields(c: ConferenceSummary) {
  return {
    subject: c.subject, description: c.description, maxUsers: c.maxUsers, status: c.status, locked: c.locked,
    floorControlled: c.floorControlled, joinHandling: c.joinHandling,
    startAt: new Date(c.startAt), durationMin: c.durationMin, rrule: c.rrule, timezone: c.timezone,
  };
}

function userFields(u: UserState) {
  return {
    entity: u.entity, displayName: u.displayName, email: u.email, role: u.role, joinState: u.joinState, via: u.via,
    island: u.island, muted: u.muted, talking: u.talking,
  };
}

/** Applies the state change an event records; returns why it is refused, or null. */
async function applyChange(tx: Tx, conferenceId: string, e: ConferenceEvent): Promise<string | null> {
  switch (e.type) {
    case "CONFERENCE_CREATED":
      return "the conference exists already";
    case "CONFERENCE_UPDATED":
    case "CONFERENCE_STARTED":
    case "CONFERENCE_ENDED":
    case "CONFERENCE_LOCKED":
    case "CONFERENCE_UNLOCKED":
      if (e.payload.conference.id !== conferenceId) return "the payload is about another conference";
      await tx.conference.update({ where: { id: conferenceId }, data: conferenceFields(e.payload.conference) });
      return null;
    case "CONFERENCE_LINKED":
      for (const island of e.payload.islands) {
        await tx.conferenceLink.upsert({ where: { conferenceId_island: { conferenceId, island } }, create: { conferenceId, island }, update: {} });
      }
      for (const f of e.payload.floors) {
        const existing = await tx.floor.findUnique({ where: { conferenceId_label: { conferenceId, label: f.label } } });
        if (existing && existing.id !== f.id) await tx.floor.delete({ where: { id: existing.id } }); // the home's floor wins
        await tx.floor.upsert({ where: { id: f.id }, create: { id: f.id, conferenceId, label: f.label, policy: f.policy, maxHolders: f.maxHolders }, update: { policy: f.policy, maxHolders: f.maxHolders } });
      }
      return null;
    case "CONFERENCE_DELETED":
    case "SIDEBAR_CREATED":
      return null;
    case "USER_REMOVED":
      await tx.conferenceUser.deleteMany({ where: { id: e.payload.userId, conferenceId } });
      return null;
    case "FLOOR_REQUEST_CHANGED":
      return applyFloorRequest(tx, conferenceId, e.payload.request);
    default: {
      const u = e.payload.user;
      if (u.conferenceId !== conferenceId) return "the payload is about another conference";
      const clash = await tx.conferenceUser.findUnique({ where: { conferenceId_entity: { conferenceId, entity: u.entity } } });
      if (clash && clash.id !== u.id) return `${u.entity} is another user here`;
      await tx.conferenceUser.upsert({ where: { id: u.id }, create: { id: u.id, conferenceId, ...userFields(u) }, update: userFields(u) });
      return null;
    }
  }
}

async function applyFloorRequest(tx: Tx, conferenceId: string, r: FloorRequestState): Promise<string | null> {
  if (r.conferenceId !== conferenceId) return "the payload is about another conference";
  const floor = await tx.floor.findUnique({ where: { id: r.floorId } });
  if (!floor || floor.conferenceId !== conferenceId) return `no floor ${r.floorId} in this conference`;
  if (!(await tx.conferenceUser.findUnique({ where: { id: r.userId }, select: { id: true } }))) return `no user ${r.userId}`;
  const existing = await tx.floorRequest.findUnique({ where: { id: r.id } });
  if (existing) await tx.floorRequest.update({ where: { id: r.id }, data: { status: r.status, priority: r.priority } });
  else {
    const { requestSeq } = await tx.floor.update({ where: { id: r.floorId }, data: { requestSeq: { increment: 1 } }, select: { requestSeq: true } });
    await tx.floorRequest.create({ data: { id: r.id, floorId: r.floorId, userId: r.userId, status: r.status, priority: r.priority, queueSeq: requestSeq, createdAt: new Date(r.createdAt) } });
  }
  return null;
}

