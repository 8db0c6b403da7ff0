// Unit test of the stream's ordering rules with an in-memory log standing in for the database.
import { ConferenceEventStream, type StreamItem } from "./event-stream.ts";
import { EventBus } from "./event-bus.ts";
import type { ConferenceEvent } from "./events.ts";
import type { ConferenceState } from "./state.ts";
import type { Store } from "./store.ts";

const ISLAND = "a.test";

function event(seq: number, conferenceId = "c"): ConferenceEvent {
  return { conferenceId, origin: ISLAND, seq, type: "CONFERENCE_LOCKED", at: new Date(0), actor: null, payload: { conference: {} as never } };
}

/** A log of committed events; `readable` hides events from the log (to model a trimmed log). */
function fakeStore(log: ConferenceEvent[], opts: { firstKept?: number } = {}) {
  const bus = new EventBus();
  const reads: number[] = [];
  const store = {
    bus,
    island: ISLAND,
    db: {},
    async conferenceRow() {
      return { eventSeq: log.length ? log[log.length - 1]!.seq : 0 };
    },
    async eventsAfter(_c: string, _o: string, after: number, limit = 1000) {
      reads.push(after);
      return log.filter((e) => e.seq > after && e.seq >= (opts.firstKept ?? 1)).slice(0, limit);
    },
  } as unknown as Store;
  return { store, bus, reads };
}

const fullState = (version: number) => async (): Promise<ConferenceState> =>
  ({ conference: {} as never, users: [], floors: [], sidebars: [], version, origin: ISLAND });

async function take(stream: ConferenceEventStream, n: number): Promise<StreamItem[]> {
  const out: StreamItem[] = [];
  while (out.length < n) out.push((await stream.next()).value as StreamItem);
  return out;
}
const seqs = (items: StreamItem[]) => items.map((i) => (i.kind === "EVENT" ? i.event.seq : `full@${i.state.version}`));

describe("ConferenceEventStream (RFC 4575 versions: in order, no gaps)", () => {
  it("starts with a full state, then delivers live events in seq order", async () => {
    const log = [event(1), event(2)];
    const { store, bus } = fakeStore(log);
    const stream = new ConferenceEventStream(store, fullState(2), { conferenceId: "c" });
    expect(seqs(await take(stream, 1))).toEqual(["full@2"]);
    log.push(event(3));
    bus.publish(event(3));
    expect(seqs(await take(stream, 1))).toEqual([3]);
    await stream.return();
  });

  it("fills a gap from the log when a later event is published first, and drops the late duplicate", async () => {
    const log = [event(1)];
    const { store, bus, reads } = fakeStore(log);
    const stream = new ConferenceEventStream(store, fullState(1), { conferenceId: "c" });
    await take(stream, 1);
    log.push(event(2), event(3));
    bus.publish(event(3)); // the commit of 3 reached the bus before that of 2
    bus.publish(event(2));
    log.push(event(4));
    bus.publish(event(4));
    expect(seqs(await take(stream, 3))).toEqual([2, 3, 4]);
    expect(reads).toContain(1); // 2 was read from the log
    await stream.return();
  });

  it("resumes after sinceSeq from the log, with no full state", async () => {
    const log = [1, 2, 3, 4, 5].map((n) => event(n));
    const { store } = fakeStore(log);
    const stream = new ConferenceEventStream(store, fullState(5), { conferenceId: "c", sinceSeq: 2 });
    expect(seqs(await take(stream, 3))).toEqual([3, 4, 5]);
    await stream.return();
  });

  it("falls back to a full state when the log no longer holds the next seq", async () => {
    const log = [1, 2, 3, 4, 5].map((n) => event(n));
    const { store } = fakeStore(log, { firstKept: 4 });
    const stream = new ConferenceEventStream(store, fullState(5), { conferenceId: "c", sinceSeq: 1 });
    expect(seqs(await take(stream, 1))).toEqual(["full@5"]);
    await stream.return();
  });

  it("a slow consumer that overflows its queue re-reads the log and still misses nothing", async () => {
    const log = [event(1)];
    const { store, bus } = fakeStore(log);
    const stream = new ConferenceEventStream(store, fullState(1), { conferenceId: "c", maxQueue: 3 });
    await take(stream, 1);
    for (let n = 2; n <= 20; n++) {
      log.push(event(n));
      bus.publish(event(n));
    }
    expect(seqs(await take(stream, 19))).toEqual(Array.from({ length: 19 }, (_, i) => i + 2));
    await stream.return();
  });

  it("return() ends a consumer waiting for events and unsubscribes", async () => {
    const { store, bus } = fakeStore([event(1)]);
    const stream = new ConferenceEventStream(store, fullState(1), { conferenceId: "c" });
    await take(stream, 1);
    const waiting = stream.next();
    await stream.return();
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(bus.listenerCount("c")).toBe(0);
  });

  it("CONFERENCE_DELETED is the last item", async () => {
    const { store, bus } = fakeStore([event(1)]);
    const stream = new ConferenceEventStream(store, fullState(1), { conferenceId: "c" });
    await take(stream, 1);
    bus.publish({ ...event(2), type: "CONFERENCE_DELETED", payload: { conferenceId: "c" } });
    expect((await stream.next()).value).toMatchObject({ kind: "EVENT", event: { type: "CONFERENCE_DELETED" } });
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });
});
