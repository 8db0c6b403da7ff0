/**
 * GraphQL subscriptions under soak: long-lived followers of a conference's event stream that count every
 * event and check `seq` goes up by exactly one (no gap, no duplicate), and short-lived subscriptions that
 * open and close all along, on a shared WebSocket connection or on one of their own.
 */
import type { Client } from "graphql-ws";
import { wsClient } from "../support/focus.ts";
import { uniform, type Range } from "./options.ts";

export const STREAM = `subscription($id: ID!) { conferenceEvents(conferenceId: $id) {
  kind state { version } event { seq type payload } } }`;

export interface StreamEvent {
  seq: number;
  type: string;
  payload: { user?: { id: string; entity: string; via: string | null } } & Record<string, unknown>;
}

interface StreamItem {
  kind: "FULL_STATE" | "EVENT";
  state: { version: number } | null;
  event: StreamEvent | null;
}

/** Order checks of one stream: the FULL_STATE first, then seq = previous + 1, every time. */
class SeqCheck {
  version: number | null = null;
  last: number | null = null;
  gaps = 0;
  duplicates = 0;
  /** FULL_STATEs after the first: the server had to start the stream over */
  resyncs = 0;
  events = 0;

  item(i: StreamItem): StreamEvent | null {
    if (i.kind === "FULL_STATE") {
      if (this.version !== null) this.resyncs++;
      this.version = i.state!.version;
      this.last = this.version;
      return null;
    }
    const e = i.event!;
    this.events++;
    if (this.last === null) this.gaps++; // an event before any state
    else if (e.seq <= this.last) this.duplicates++;
    else if (e.seq !== this.last + 1) this.gaps++;
    this.last = Math.max(this.last ?? e.seq, e.seq);
    return e;
  }
}

/**
 * Follows one conference from before the load until after the drain, on a connection of its own, keeping
 * (seq, type) of every event to compare with the event log afterwards.
 */
export class Follower {
  readonly check = new SeqCheck();
  /** every event's type by seq, as received */
  readonly received: { seq: number; type: string }[] = [];
  readonly errors: string[] = [];
  completed = false;
  private readonly listeners: ((e: StreamEvent) => void)[] = [];
  private readonly client: Client;
  private readonly stop: () => void;
  private readonly waiters = new Set<() => void>();
  readonly ready: Promise<void>;

  constructor(url: string, token: string, readonly conferenceId: string) {
    this.client = wsClient(url, token);
    let markReady!: () => void;
    this.ready = new Promise((r) => (markReady = r));
    this.stop = this.client.subscribe<{ conferenceEvents: StreamItem }>({ query: STREAM, variables: { id: conferenceId } }, {
      next: (r) => {
        if (r.errors?.length) this.errors.push(JSON.stringify(r.errors));
        const item = r.data?.conferenceEvents;
        if (!item) return;
        const e = this.check.item(item);
        if (item.kind === "FULL_STATE") markReady();
        if (e) {
          this.received.push({ seq: e.seq, type: e.type });
          for (const l of this.listeners) l(e);
        }
        for (const w of this.waiters) w();
      },
      error: (err) => {
        this.errors.push(err instanceof Error ? err.message : JSON.stringify(err));
        markReady();
      },
      complete: () => {
        this.completed = true;
      },
    });
  }

  onEvent(listener: (e: StreamEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Waits until the stream has reached `seq` (false after `timeoutMs`). */
  reached(seq: number, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => {
        if ((this.check.last ?? -1) >= seq || this.errors.length) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve((this.check.last ?? -1) >= seq);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve(false);
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  private closing: Promise<void> | null = null;

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stop();
      await this.client.dispose();
    })();
    return this.closing;
  }
}

export interface ShortLivedTally {
  opened: number;
  /** got their FULL_STATE (the subscription was answered) */
  answered: number;
  closed: number;
  events: number;
  gaps: number;
  duplicates: number;
  resyncs: number;
  errors: string[];
}

/** Subscriptions that come and go at a steady rate, each on a random conference of the soak. */
export class ShortLivedSubscriptions {
  readonly tally: ShortLivedTally = { opened: 0, answered: 0, closed: 0, events: 0, gaps: 0, duplicates: 0, resyncs: 0, errors: [] };
  private readonly shared: Client;
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private n = 0;

  constructor(private readonly url: string, private readonly token: string, private readonly conferenceIds: string[], private readonly rate: number, private readonly hold: Range) {
    this.shared = wsClient(url, token);
  }

  start(): void {
    this.timer = setInterval(() => {
      const p = this.one(this.n++).finally(() => this.running.delete(p));
      this.running.add(p);
    }, 1000 / this.rate);
  }

  get open(): number {
    return this.running.size;
  }

  private async one(n: number): Promise<void> {
    // every other one on a connection of its own: connections come and go too
    const own = n % 2 === 1;
    const client = own ? wsClient(this.url, this.token) : this.shared;
    const conferenceId = this.conferenceIds[n % this.conferenceIds.length]!;
    const check = new SeqCheck();
    this.tally.opened++;
    let answered!: () => void;
    const gotState = new Promise<void>((r) => (answered = r));
    let failed = false;
    const stop = client.subscribe<{ conferenceEvents: StreamItem }>({ query: STREAM, variables: { id: conferenceId } }, {
      next: (r) => {
        if (r.errors?.length) this.tally.errors.push(JSON.stringify(r.errors));
        const item = r.data?.conferenceEvents;
        if (!item) return;
        check.item(item);
        if (item.kind === "FULL_STATE") answered();
      },
      error: (err) => {
        failed = true;
        this.tally.errors.push(err instanceof Error ? err.message : JSON.stringify(err));
        answered();
      },
      complete: () => {},
    });
    const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 15_000).unref());
    if ((await Promise.race([gotState, timeout])) === "timeout") this.tally.errors.push(`subscription ${n}: no FULL_STATE in 15 s`);
    else if (!failed) {
      this.tally.answered++;
      await new Promise((r) => setTimeout(r, uniform(this.hold)));
    }
    stop();
    if (own) await client.dispose();
    this.tally.closed++;
    this.tally.events += check.events;
    this.tally.gaps += check.gaps;
    this.tally.duplicates += check.duplicates;
    // a FULL_STATE first is the rule; more than one means the stream started over
    this.tally.resyncs += check.resyncs;
  }

  /** Stops opening new ones and waits for the open ones to finish their hold and close. */
  private stopping: Promise<void> | null = null;

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      await Promise.all(this.running);
      await this.shared.dispose();
    })();
    return this.stopping;
  }
}
