import { describe, expect, test } from "@jest/globals";
import { describeEvent, eventWho, initialLiveState, liveReducer, LOG_LIMIT, sortQueue, type LiveState } from "./live-state.ts";
import type { Conference, ConferenceEvent, ConferenceState, Floor, FloorRequest, User } from "./model.ts";

const conference: Conference = {
  id: "c1", uri: "xcon:c1@island-a.test", dialInCode: "123456", subject: "Standup", description: "", maxUsers: 10,
  status: "ACTIVE", locked: false, floorControlled: true, joinHandling: "LOBBY", hasPin: false,
  startAt: "2026-11-25T09:00:00.000Z", durationMin: 30, rrule: null, timezone: "UTC",
  homeIsland: "island-a.test", islands: ["island-a.test"], icsPath: "/ics/c1", version: 3,
};

const user = (id: string, over: Partial<User> = {}): User => ({
  id, conferenceId: "c1", entity: `sip:${id}@example.com`, displayName: id[0]!.toUpperCase() + id.slice(1), email: null,
  role: "PARTICIPANT", hasPin: false, joinState: "CONNECTED", via: "sip", island: "island-a.test", muted: false, talking: false, ...over,
});

const request = (id: string, over: Partial<FloorRequest> = {}): FloorRequest => ({
  id, floorId: "f1", floorLabel: "audio", userId: "alice", status: "PENDING", priority: 2,
  createdAt: "2026-11-25T09:01:00.000Z", updatedAt: "2026-11-25T09:01:00.000Z", ...over,
});

const floor: Floor = { id: "f1", conferenceId: "c1", label: "audio", policy: "MODERATED", maxHolders: 1, queue: [] };

const full = (over: Partial<ConferenceState> = {}): ConferenceState => ({
  conference, users: [user("alice")], floors: [floor], version: 3, origin: "island-a.test", ...over,
});

let seq = 10;
const event = (type: string, payload: Record<string, unknown>, over: Partial<ConferenceEvent> = {}): ConferenceEvent => {
  seq += 1;
  return { conferenceId: "c1", origin: "island-a.test", seq, type, at: new Date(Date.UTC(2026, 10, 25, 9, 0, seq)).toISOString(), actor: null, payload, ...over };
};

const apply = (s: LiveState, ...events: ConferenceEvent[]): LiveState =>
  events.reduce((acc, e) => liveReducer(acc, { type: "item", item: { kind: "EVENT", event: e } }), s);

const start = (): LiveState => liveReducer(initialLiveState(full(), []), { type: "item", item: { kind: "FULL_STATE", state: full() } });

describe("live room state", () => {
  test("starts from the page's state and log (newest first), connecting until the stream's full state", () => {
    const older = event("USER_ADDED", { user: user("alice", { joinState: "INVITED" }) });
    const newer = event("USER_JOINED", { user: user("alice") });
    const s = initialLiveState(full(), [older, newer]);
    expect(s.connection).toBe("connecting");
    expect(s.log.map((e) => e.seq)).toEqual([newer.seq, older.seq]);
    expect(liveReducer(s, { type: "item", item: { kind: "FULL_STATE", state: full() } }).connection).toBe("live");
  });

  test("a full state replaces roster, floors and conference but keeps the log", () => {
    let s = apply(start(), event("USER_JOINED", { user: user("bob") }));
    expect(s.users.map((u) => u.id)).toEqual(["alice", "bob"]);
    s = liveReducer(s, { type: "item", item: { kind: "FULL_STATE", state: full({ users: [user("carol")], conference: { ...conference, locked: true } }) } });
    expect(s.users.map((u) => u.id)).toEqual(["carol"]);
    expect(s.conference.locked).toBe(true);
    expect(s.log).toHaveLength(1);
  });

  test("user events update the roster; USER_REMOVED takes the user out", () => {
    let s = apply(start(), event("USER_MUTED", { user: user("alice", { muted: true }) }), event("USER_TALKING", { user: user("alice", { muted: true, talking: true }) }));
    expect(s.users).toEqual([user("alice", { muted: true, talking: true })]);
    s = apply(s, event("USER_JOINED", { user: user("bob") }), event("USER_REMOVED", { userId: "alice" }));
    expect(s.users.map((u) => u.id)).toEqual(["bob"]);
  });

  test("a lobby arrival is announced, and announced again for the next one", () => {
    const s = apply(start(), event("USER_IN_LOBBY", { user: user("bob", { joinState: "LOBBY" }) }));
    expect(s.announcement).toEqual({ text: "Bob is waiting in the lobby", userId: "bob", n: 1 });
    const again = apply(s, event("USER_IN_LOBBY", { user: user("bob", { joinState: "LOBBY" }) }));
    expect(again.announcement).toEqual({ text: "Bob is waiting in the lobby", userId: "bob", n: 2 });
    // a full state (a reconnect) says nothing new
    expect(liveReducer(again, { type: "item", item: { kind: "FULL_STATE", state: full() } }).announcement).toEqual(again.announcement);
  });

  test("conference events merge the payload's fields and keep the ones it lacks", () => {
    const { islands: _islands, icsPath: _ics, version: _v, ...scalars } = conference;
    let s = apply(start(), event("CONFERENCE_LOCKED", { conference: { ...scalars, locked: true } }));
    expect(s.conference).toEqual({ ...conference, locked: true });
    s = apply(s, event("CONFERENCE_LINKED", { conference: scalars, island: "island-b.test", islands: ["island-a.test", "island-b.test"], floors: [] }));
    expect(s.conference.islands).toEqual(["island-a.test", "island-b.test"]);
    const gone = apply(s, event("CONFERENCE_DELETED", { conferenceId: "c1" }));
    expect([gone.deleted, gone.connection]).toEqual([true, "closed"]);
    // the stream's end that follows is no reason to reconnect
    expect(liveReducer(gone, { type: "lost" }).connection).toBe("closed");
  });

  test("floor queues keep open requests in the focus' order and drop the others", () => {
    let s = apply(
      start(),
      event("FLOOR_REQUEST_CHANGED", { request: request("r1", { userId: "alice", createdAt: "2026-11-25T09:01:00.000Z" }) }),
      event("FLOOR_REQUEST_CHANGED", { request: request("r2", { userId: "bob", createdAt: "2026-11-25T09:02:00.000Z" }) }),
      event("FLOOR_REQUEST_CHANGED", { request: request("r3", { userId: "carol", priority: 4, createdAt: "2026-11-25T09:03:00.000Z" }) }),
    );
    expect(s.floors[0]!.queue.map((r) => r.id)).toEqual(["r3", "r1", "r2"]);
    s = apply(s, event("FLOOR_REQUEST_CHANGED", { request: request("r2", { userId: "bob", status: "GRANTED", createdAt: "2026-11-25T09:02:00.000Z" }) }));
    expect(s.floors[0]!.queue.map((r) => [r.id, r.status])).toEqual([["r2", "GRANTED"], ["r3", "PENDING"], ["r1", "PENDING"]]);
    s = apply(s, event("FLOOR_REQUEST_CHANGED", { request: request("r3", { status: "DENIED", priority: 4 }) }), event("FLOOR_REQUEST_CHANGED", { request: request("r2", { status: "REVOKED" }) }));
    expect(s.floors[0]!.queue.map((r) => r.id)).toEqual(["r1"]);
    // a request for a floor the room does not know changes nothing
    expect(apply(s, event("FLOOR_REQUEST_CHANGED", { request: request("r9", { floorId: "nope" }) })).floors).toEqual(s.floors);
  });

  test("sortQueue: holders, then priority high to low, then first come", () => {
    const q = [request("a", { priority: 1, createdAt: "2026-01-01T00:00:01Z" }), request("b", { status: "GRANTED", priority: 0 }), request("c", { priority: 1, createdAt: "2026-01-01T00:00:00Z" }), request("d", { priority: 3 })];
    expect(sortQueue(q).map((r) => r.id)).toEqual(["b", "d", "c", "a"]);
  });

  test("the log is newest first, has each event once and keeps at most LOG_LIMIT", () => {
    const e = event("USER_JOINED", { user: user("bob") });
    let s = apply(start(), e, e);
    expect(s.log).toEqual([e]);
    for (let i = 0; i < LOG_LIMIT + 5; i++) s = apply(s, event("USER_TALKING", { user: user("bob", { talking: true }) }));
    expect(s.log).toHaveLength(LOG_LIMIT);
    expect(s.log[0]!.seq).toBeGreaterThan(s.log[1]!.seq);
  });

  test("connection: lost is reconnecting, an open stream waits for its full state, ERROR items are kept in words", () => {
    let s = liveReducer(start(), { type: "lost" });
    expect(s.connection).toBe("reconnecting");
    s = liveReducer(s, { type: "open" });
    expect(s.connection).toBe("connecting");
    s = liveReducer(s, { type: "item", item: { kind: "ERROR", message: "conference not found" } });
    expect(s.error).toBe("conference not found");
    s = liveReducer(s, { type: "item", item: { kind: "FULL_STATE", state: full() } });
    expect([s.connection, s.error]).toEqual(["live", null]);
    expect(liveReducer(s, { type: "closed" }).connection).toBe("closed");
  });

  test("events in words, and whom they are about", () => {
    const granted = event("FLOOR_REQUEST_CHANGED", { request: request("r1", { userId: "alice", status: "GRANTED" }) });
    expect(describeEvent(granted)).toBe("audio: floor granted");
    expect(eventWho(granted, [user("alice")])).toBe("Alice");
    expect(describeEvent(event("USER_IN_LOBBY", { user: user("bob") }))).toBe("Waiting in the lobby");
    expect(eventWho(event("USER_JOINED", { user: user("bob", { displayName: "", entity: "sip:bob@x" }) }))).toBe("sip:bob@x");
    expect(eventWho(event("CONFERENCE_LOCKED", { conference }))).toBeNull();
    expect(describeEvent(event("SOMETHING_NEW", {}))).toBe("something new");
  });
});
