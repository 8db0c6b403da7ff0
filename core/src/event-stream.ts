/**
 * A consumer's view of one conference's events with RFC 4575 semantics (section 4.3 and 6.3: a full
 * state first, then partial notifications whose version increases by one; on a gap the consumer gets
 * what it missed). Used by every transport that notifies: GraphQL subscriptions now, SIP NOTIFY later.
 *
 * The bus delivers events as transactions commit, which may be out of seq order under concurrency.
 * The stream therefore tracks the last seq it delivered per origin and reads any gap from the event log:
 * an event is published only after its transaction committed, and the per-conference counter row makes
 * commits happen in seq order, so the log already holds every seq below a published one.
 */
import type { ConferenceEvent } from "./events.ts";
import type { ConferenceState } from "./state.ts";
import type { Store } from "./store.ts";

export type StreamItem = { kind: "FULL_STATE"; state: ConferenceState } | { kind: "EVENT"; event: ConferenceEvent };

export interface StreamOptions {
  conferenceId: string;
  /** resume after this seq of the local origin; omitted: start with a full state */
  sinceSeq?: number | null;
  /** queued live events beyond which the stream stops queueing and re-reads the log */
  maxQueue?: number;
}

type Phase = { name: "starting" } | { name: "live" } | { name: "closed" };

export class ConferenceEventStream implements AsyncIterableIterator<StreamItem> {
  private phase: Phase = { name: "starting" };
  private readonly pending: StreamItem[] = [];
  private readonly queue: ConferenceEvent[] = [];
  private overflowed = false;
  private wake: (() => void) | null = null;
  private readonly lastSeq = new Map<string, number>();
  private readonly unsubscribe: () => void;
  private readonly maxQueue: number;

  constructor(
    private readonly store: Store,
    private readonly fullState: (conferenceId: string) => Promise<ConferenceState>,
    private readonly opts: StreamOptions,
  ) {
    this.maxQueue = opts.maxQueue ?? 10_000;
    // Listen before reading the state, so nothing committed in between is missed.
    this.unsubscribe = store.bus.subscribe(opts.conferenceId, (e) => this.onEvent(e));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<StreamItem>> {
    if (this.phase.name === "starting") {
      this.phase = { name: "live" };
      try {
        await this.start();
      } catch (err) {
        this.close();
        throw err;
      }
    }
    for (;;) {
      const item = this.pending.shift();
      if (item) {
        if (item.kind === "EVENT" && item.event.type === "CONFERENCE_DELETED") this.close();
        return { value: item, done: false };
      }
      if (this.phase.name === "closed") return { value: undefined, done: true };
      if (this.overflowed) {
        this.overflowed = false;
        this.queue.length = 0;
        await this.catchUp(this.store.island, Number.MAX_SAFE_INTEGER);
        continue;
      }
      const event = this.queue.shift();
      if (event) {
        await this.accept(event);
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  async return(): Promise<IteratorResult<StreamItem>> {
    this.close();
    return { value: undefined, done: true };
  }

  close(): void {
    if (this.phase.name === "closed") return;
    this.phase = { name: "closed" };
    this.unsubscribe();
    this.queue.length = 0;
    this.wake?.();
  }

  private onEvent(e: ConferenceEvent): void {
    if (this.phase.name === "closed") return;
    if (this.queue.length >= this.maxQueue) this.overflowed = true;
    else this.queue.push(e);
    this.wake?.();
  }

  private async start(): Promise<void> {
    const { sinceSeq, conferenceId } = this.opts;
    if (sinceSeq != null) {
      const row = await this.store.conferenceRow(this.store.db, conferenceId);
      if (sinceSeq >= 0 && sinceSeq <= row.eventSeq) {
        this.lastSeq.set(this.store.island, sinceSeq);
        // Resume from the log when it still holds the next event; otherwise fall back to a full state.
        const [first] = await this.store.eventsAfter(conferenceId, this.store.island, sinceSeq, 1);
        if (!first || first.seq === sinceSeq + 1) {
          await this.catchUp(this.store.island, row.eventSeq);
          return;
        }
      }
    }
    const state = await this.fullState(conferenceId);
    this.lastSeq.set(state.origin, state.version);
    this.pending.push({ kind: "FULL_STATE", state });
  }

  private async accept(e: ConferenceEvent): Promise<void> {
    const last = this.lastSeq.get(e.origin);
    if (e.type === "CONFERENCE_DELETED" || last === undefined) {
      if (last !== undefined || e.type !== "CONFERENCE_DELETED") this.lastSeq.set(e.origin, e.seq);
      this.pending.push({ kind: "EVENT", event: e });
      return;
    }
    if (e.seq <= last) return; // already delivered (from the log, or a duplicate)
    if (e.seq > last + 1) await this.catchUp(e.origin, e.seq - 1);
    if (e.seq === (this.lastSeq.get(e.origin) ?? 0) + 1) {
      this.lastSeq.set(e.origin, e.seq);
      this.pending.push({ kind: "EVENT", event: e });
    }
  }

  /** Reads the log from the last delivered seq up to `upTo` (inclusive). */
  private async catchUp(origin: string, upTo: number): Promise<void> {
    for (;;) {
      const last = this.lastSeq.get(origin) ?? 0;
      if (last >= upTo) return;
      const batch = await this.store.eventsAfter(this.opts.conferenceId, origin, last, 500);
      for (const e of batch) {
        if (e.seq > upTo || e.seq !== (this.lastSeq.get(origin) ?? 0) + 1) return;
        this.lastSeq.set(origin, e.seq);
        this.pending.push({ kind: "EVENT", event: e });
      }
      if (batch.length < 500) return;
    }
  }
}
