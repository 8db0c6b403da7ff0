/**
 * The unit of work every command goes through: a database transaction that changes state and appends
 * its events to the log (the outbox), then, once committed, publishes those events in memory.
 * Nothing is published for a transaction that rolls back, and nothing committed is unpublished
 * except by a crash, which the log covers: consumers resume from it by seq.
 */
import type { PrismaClient, Prisma } from "@dcon/db";
import type { Actor, ConferenceEvent, EventPayloads, EventType } from "./events.ts";
import type { EventBus } from "./event-bus.ts";
import { notFound } from "./errors.ts";
import { homeUnreachable, type Forwarder, type RemoteCommand } from "./forwarding.ts";

export type Tx = Prisma.TransactionClient;

export type EmitFn = <T extends EventType>(conferenceId: string, type: T, payload: EventPayloads[T]) => Promise<void>;

export interface StoreOptions {
  db: PrismaClient;
  bus: EventBus;
  /** this island's name: the origin of every event written here */
  island: string;
  provider: "sqlite" | "postgresql";
  now?: () => Date;
}

export class Store {
  readonly db: PrismaClient;
  readonly bus: EventBus;
  readonly island: string;
  readonly now: () => Date;
  private readonly provider: "sqlite" | "postgresql";
  /** set by the federation layer: how commands reach the island that owns their object */
  forwarder: Forwarder | null = null;

  constructor(opts: StoreOptions) {
    this.db = opts.db;
    this.bus = opts.bus;
    this.island = opts.island;
    this.provider = opts.provider;
    this.now = opts.now ?? (() => new Date());
  }

  /** Runs a command: state change and events in one transaction, events published after commit. */
  async mutate<R>(actor: Actor | null, fn: (tx: Tx, emit: EmitFn) => Promise<R>): Promise<R> {
    const events: ConferenceEvent[] = [];
    const result = await this.db.$transaction(
      async (tx) => {
        const emit: EmitFn = async (conferenceId, type, payload) => {
          events.push(await this.append(tx, conferenceId, type, payload, actor));
        };
        return fn(tx, emit);
      },
      { maxWait: 15_000, timeout: 20_000 },
    );
    // Fan out on the next turn of the event loop: the command's own answer (an HTTP response) goes first
    // instead of waiting behind every subscriber's delivery. setImmediate keeps commit order.
    if (events.length) setImmediate(() => events.forEach((e) => this.bus.publish(e)));
    return result;
  }

  /**
   * A consistent read of several tables (a full state and its version must agree). PostgreSQL needs
   * REPEATABLE READ for a snapshot across statements; SQLite transactions are serializable already.
   */
  async snapshot<R>(fn: (tx: Tx) => Promise<R>): Promise<R> {
    // The SQLite client's types only know "Serializable"; the PostgreSQL client accepts RepeatableRead.
    const options = this.provider === "postgresql" ? { isolationLevel: "RepeatableRead", maxWait: 15_000 } : { maxWait: 15_000 };
    return this.db.$transaction(fn, options as { maxWait: number });
  }

  /** Appends one event of this island; the per-conference counter row serialises concurrent writers. */
  private async append<T extends EventType>(tx: Tx, conferenceId: string, type: T, payload: EventPayloads[T], actor: Actor | null): Promise<ConferenceEvent> {
    const counter = await tx.conference.update({ where: { id: conferenceId }, data: { eventSeq: { increment: 1 } }, select: { eventSeq: true } });
    const row = await tx.event.create({
      data: { conferenceId, origin: this.island, seq: counter.eventSeq, type, payload: JSON.stringify(payload), actor: actor ? JSON.stringify(actor) : null },
    });
    return { conferenceId, origin: this.island, seq: counter.eventSeq, type, payload, at: row.at, actor } as ConferenceEvent;
  }

  /**
   * Runs `command` on `owner` when that is another island (see forwarding.ts); null when it is this one, and
   * the caller runs the command itself.
   */
  async forwardIfRemote<R>(owner: string, command: RemoteCommand, actor: Actor | null): Promise<{ result: R } | null> {
    if (owner === this.island) return null;
    if (!this.forwarder) throw homeUnreachable(owner);
    return { result: (await this.forwarder(owner, command, actor)) as R };
  }

  /** The island that owns a conference's conference-wide state (its home). */
  async homeOf(conferenceId: string): Promise<string> {
    const c = await this.db.conference.findUnique({ where: { id: conferenceId }, select: { homeIsland: true } });
    if (!c) throw notFound("conference", conferenceId);
    return c.homeIsland;
  }

  /** The island that owns a user (where it joined). */
  async islandOfUser(userId: string): Promise<string> {
    const u = await this.db.conferenceUser.findUnique({ where: { id: userId }, select: { island: true } });
    if (!u) throw notFound("user", userId);
    return u.island;
  }

  /** Events of one origin after `afterSeq`, in order, at most `limit`. */
  async eventsAfter(conferenceId: string, origin: string, afterSeq: number, limit = 1000): Promise<ConferenceEvent[]> {
    const rows = await this.db.event.findMany({
      where: { conferenceId, origin, seq: { gt: afterSeq } },
      orderBy: { seq: "asc" },
      take: limit,
    });
    return rows.map((r) => ({
      conferenceId: r.conferenceId,
      origin: r.origin,
      seq: r.seq,
      type: r.type as EventType,
      payload: JSON.parse(r.payload),
      at: r.at,
      actor: r.actor ? JSON.parse(r.actor) : null,
    }) as ConferenceEvent);
  }

  async conferenceRow(tx: Tx | PrismaClient, id: string) {
    const c = await tx.conference.findUnique({ where: { id } });
    if (!c) throw notFound("conference", id);
    return c;
  }

  async userRow(tx: Tx | PrismaClient, id: string) {
    const u = await tx.conferenceUser.findUnique({ where: { id } });
    if (!u) throw notFound("user", id);
    return u;
  }
}
