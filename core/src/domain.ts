/**
 * The conference domain, assembled: one object that transports receive. It imports no transport;
 * transports call its commands and listen to `bus` (or open an event stream).
 */
import type { PrismaClient } from "@dcon/db";
import { EventBus } from "./event-bus.ts";
import { Store } from "./store.ts";
import { Conferences } from "./conferences.ts";
import { Roster } from "./roster.ts";
import { Floors } from "./floors.ts";
import { Federation } from "./federation.ts";
import { Scheduler } from "./scheduler.ts";
import { ConferenceEventStream, type StreamOptions } from "./event-stream.ts";
import type { ConferenceState } from "./state.ts";
import { conferenceView, floorView, userView } from "./views.ts";
import { ACTIVE_FLOOR_STATUSES } from "./state.ts";
import type { Actor, ConferenceEvent } from "./events.ts";
import type { RemoteCommand } from "./forwarding.ts";
import { DomainError, ErrorCode, ErrorReason } from "./errors.ts";

export interface DomainOptions {
  db: PrismaClient;
  provider: "sqlite" | "postgresql";
  island: string;
  schedulerIntervalMs?: number;
  now?: () => Date;
  onListenerError?: (err: unknown, event: ConferenceEvent) => void;
  onSchedulerError?: (err: unknown) => void;
}

export class ConferenceDomain {
  readonly bus: EventBus;
  readonly store: Store;
  readonly conferences: Conferences;
  readonly roster: Roster;
  readonly floors: Floors;
  readonly federation: Federation;
  readonly scheduler: Scheduler;

  constructor(opts: DomainOptions) {
    this.bus = new EventBus(opts.onListenerError);
    this.store = new Store({ db: opts.db, bus: this.bus, island: opts.island, provider: opts.provider, ...(opts.now ? { now: opts.now } : {}) });
    this.conferences = new Conferences(this.store);
    this.roster = new Roster(this.store);
    this.floors = new Floors(this.store);
    this.federation = new Federation(this.store);
    this.scheduler = new Scheduler(this.conferences, {
      intervalMs: opts.schedulerIntervalMs ?? 1000,
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.onSchedulerError ? { onError: opts.onSchedulerError } : {}),
    });
  }

  get island(): string {
    return this.store.island;
  }

  /**
   * Runs a command another island forwarded here because this island owns its object (forwarding.ts).
   * A command about something this island does not own is refused, never passed on (no forwarding loops).
   */
  async execute(command: RemoteCommand, actor: Actor | null): Promise<unknown> {
    const owner = await this.ownerOf(command);
    if (owner !== this.island) throw new DomainError(ErrorCode.CONFLICT, `${owner} owns this, not ${this.island}`, ErrorReason.INVALID_STATE);
    const a: Actor = actor ?? { kind: "system", id: "federation" };
    switch (command.op) {
      case "setLocked":
        return this.conferences.setLocked(a, command.conferenceId, command.locked);
      case "end":
        return this.conferences.end(a, command.conferenceId);
      case "floorRequest":
        return this.floors.request(a, command.floorId, command.userId, command.priority);
      case "floorRelease":
        return this.floors.release(a, command.requestId);
      case "floorGrant":
        return this.floors.grant(a, command.requestId);
      case "floorDeny":
        return this.floors.deny(a, command.requestId);
      case "floorRevoke":
        return this.floors.revoke(a, command.requestId);
      case "setMuted":
        return this.roster.setMuted(a, command.userId, command.muted);
      case "kick":
        return this.roster.kick(a, command.userId);
      case "admit":
        return this.roster.admit(a, command.userId);
      case "refuse":
        return this.roster.refuse(a, command.userId);
    }
  }

  private async ownerOf(command: RemoteCommand): Promise<string> {
    switch (command.op) {
      case "setLocked":
      case "end":
        return this.store.homeOf(command.conferenceId);
      case "floorRequest": {
        const f = await this.store.db.floor.findUnique({ where: { id: command.floorId }, select: { conferenceId: true } });
        if (!f) throw new DomainError(ErrorCode.NOT_FOUND, `floor ${command.floorId} does not exist`);
        return this.store.homeOf(f.conferenceId);
      }
      case "floorRelease":
      case "floorGrant":
      case "floorDeny":
      case "floorRevoke": {
        const r = await this.store.db.floorRequest.findUnique({ where: { id: command.requestId }, include: { floor: { select: { conferenceId: true } } } });
        if (!r) throw new DomainError(ErrorCode.NOT_FOUND, `floor request ${command.requestId} does not exist`);
        return this.store.homeOf(r.floor.conferenceId);
      }
      default:
        return this.store.islandOfUser(command.userId);
    }
  }

  /** An RFC 4575 full state of the conference at a version (the local origin's last seq). */
  fullState(conferenceId: string): Promise<ConferenceState> {
    return this.store.snapshot(async (tx) => {
      const c = await this.store.conferenceRow(tx, conferenceId);
      const [users, floors, sidebars] = await Promise.all([
        tx.conferenceUser.findMany({ where: { conferenceId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] }),
        tx.floor.findMany({ where: { conferenceId }, include: { requests: { where: { status: { in: [...ACTIVE_FLOOR_STATUSES] } } } }, orderBy: { label: "asc" } }),
        tx.conference.findMany({ where: { parentId: conferenceId }, orderBy: { createdAt: "asc" } }),
      ]);
      return {
        conference: conferenceView(c),
        users: users.map(userView),
        floors: floors.map(floorView),
        sidebars: sidebars.map(conferenceView),
        version: c.eventSeq,
        origin: this.store.island,
      };
    });
  }

  /** The conference's events from `sinceSeq` (or a full state first), then live. Close it with return(). */
  stream(opts: StreamOptions): ConferenceEventStream {
    return new ConferenceEventStream(this.store, (id) => this.fullState(id), opts);
  }

  eventsAfter(conferenceId: string, afterSeq: number, limit?: number): Promise<ConferenceEvent[]> {
    return this.store.eventsAfter(conferenceId, this.store.island, afterSeq, limit);
  }

  async close(): Promise<void> {
    await this.scheduler.stop();
  }
}
