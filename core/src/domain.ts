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
import type { ConferenceEvent } from "./events.ts";

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
