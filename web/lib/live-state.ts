/**
 * The live room's state, kept by a pure reducer over the relayed event stream (app/conferences/[id]/live):
 * a FULL_STATE replaces the conference, roster and floors; each EVENT patches them the way RFC 4575's
 * partial notifications do. Pure so that it runs the same in the browser and under jest.
 */
import type { Conference, ConferenceEvent, ConferenceState, Floor, FloorRequest, FloorRequestStatus, LiveItem, User } from "./model.ts";

/** how many events the room's log keeps (newest first) */
export const LOG_LIMIT = 200;

/**
 * connecting: before the first full state; live: in step with the focus; reconnecting: the browser lost
 * the stream and EventSource is retrying; closed: the browser gave up (the session ended, the portal is down).
 */
export type Connection = "connecting" | "live" | "reconnecting" | "closed";

export interface LiveState {
  conference: Conference;
  users: User[];
  floors: Floor[];
  /** newest first, at most LOG_LIMIT */
  log: ConferenceEvent[];
  connection: Connection;
  /** the last ERROR item's words, until the next full state */
  error: string | null;
  /** set by CONFERENCE_DELETED: the room is gone */
  deleted: boolean;
  /** what the lobby's live region says (about `userId`); `n` grows with each arrival so the same words are said again */
  announcement: { text: string; userId: string; n: number } | null;
}

export type LiveAction = { type: "item"; item: LiveItem } | { type: "open" } | { type: "lost" } | { type: "closed" };

/** Requests still in a floor's queue; the others are history and leave it. */
export const OPEN_REQUEST: readonly FloorRequestStatus[] = ["PENDING", "ACCEPTED", "GRANTED"];

export function initialLiveState(state: ConferenceState, events: ConferenceEvent[]): LiveState {
  return {
    conference: state.conference,
    users: state.users,
    floors: state.floors.map((f) => ({ ...f, queue: sortQueue(f.queue.filter((r) => OPEN_REQUEST.includes(r.status))) })),
    log: newestFirst(events),
    connection: "connecting",
    error: null,
    deleted: false,
    announcement: null,
  };
}

export function liveReducer(s: LiveState, a: LiveAction): LiveState {
  // after its last event the stream ends, and the browser reports that as a loss before the room stops it
  if (s.deleted && a.type !== "item") return s;
  switch (a.type) {
    case "open":
      // the stream is back, but the room is only in step once its full state has come
      return s.connection === "live" ? s : { ...s, connection: "connecting" };
    case "lost":
      return { ...s, connection: "reconnecting" };
    case "closed":
      return { ...s, connection: "closed" };
    case "item":
      return applyItem(s, a.item);
  }
}

function applyItem(s: LiveState, item: LiveItem): LiveState {
  switch (item.kind) {
    case "FULL_STATE": {
      const { state } = item;
      // The log is not part of a full state: what was seen stays, later events carry on after it.
      return {
        ...s,
        conference: { ...s.conference, ...state.conference },
        users: state.users,
        floors: state.floors.map((f) => ({ ...f, queue: sortQueue(f.queue.filter((r) => OPEN_REQUEST.includes(r.status))) })),
        connection: "live",
        error: null,
        deleted: false,
      };
    }
    case "ERROR":
      return { ...s, error: item.message };
    case "EVENT":
      return applyEvent({ ...s, log: appendLog(s.log, item.event) }, item.event);
  }
}

function applyEvent(s: LiveState, e: ConferenceEvent): LiveState {
  const p = e.payload ?? {};
  if (e.type === "USER_REMOVED") {
    const userId = typeof p.userId === "string" ? p.userId : null;
    return userId ? { ...s, users: s.users.filter((u) => u.id !== userId) } : s;
  }
  if (e.type.startsWith("USER_")) {
    const user = asUser(p.user);
    if (!user) return s;
    const next = { ...s, users: upsert(s.users, user) };
    if (e.type === "USER_IN_LOBBY") next.announcement = { text: `${nameOf(user)} is waiting in the lobby`, userId: user.id, n: (s.announcement?.n ?? 0) + 1 };
    return next;
  }
  // the last event of its stream: nothing more will come, and the room stops listening
  if (e.type === "CONFERENCE_DELETED") return { ...s, deleted: true, connection: "closed" };
  if (e.type.startsWith("CONFERENCE_")) {
    const conference = p.conference && typeof p.conference === "object" ? (p.conference as Partial<Conference>) : null;
    // Payloads carry the conference's scalar fields only: keep the ones they lack (islands, icsPath, version).
    let merged: Conference = conference ? { ...s.conference, ...conference } : s.conference;
    if (e.type === "CONFERENCE_LINKED" && Array.isArray(p.islands)) merged = { ...merged, islands: p.islands as string[] };
    return { ...s, conference: merged };
  }
  if (e.type === "FLOOR_REQUEST_CHANGED") {
    const request = asRequest(p.request);
    return request ? { ...s, floors: s.floors.map((f) => (f.id === request.floorId ? withRequest(f, request) : f)) } : s;
  }
  return s;
}

function withRequest(f: Floor, r: FloorRequest): Floor {
  const rest = f.queue.filter((q) => q.id !== r.id);
  return { ...f, queue: OPEN_REQUEST.includes(r.status) ? sortQueue([...rest, r]) : rest };
}

/** The focus' queue order: holders first, then higher priority, then first come. */
export function sortQueue(queue: FloorRequest[]): FloorRequest[] {
  const held = (r: FloorRequest) => (r.status === "GRANTED" ? 0 : 1);
  return [...queue].sort((a, b) => held(a) - held(b) || b.priority - a.priority || Date.parse(a.createdAt) - Date.parse(b.createdAt));
}

function upsert(users: User[], user: User): User[] {
  const i = users.findIndex((u) => u.id === user.id);
  if (i < 0) return [...users, user];
  const next = users.slice();
  next[i] = { ...users[i]!, ...user };
  return next;
}

/** An event is logged once even if a reconnect or the page's own load brings it twice. */
function appendLog(log: ConferenceEvent[], e: ConferenceEvent): ConferenceEvent[] {
  if (log.some((x) => x.origin === e.origin && x.seq === e.seq)) return log;
  return [e, ...log].slice(0, LOG_LIMIT);
}

function newestFirst(events: ConferenceEvent[]): ConferenceEvent[] {
  return [...events].sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || b.seq - a.seq).slice(0, LOG_LIMIT);
}

function asUser(v: unknown): User | null {
  return v && typeof v === "object" && typeof (v as User).id === "string" ? (v as User) : null;
}

function asRequest(v: unknown): FloorRequest | null {
  return v && typeof v === "object" && typeof (v as FloorRequest).id === "string" && typeof (v as FloorRequest).floorId === "string" ? (v as FloorRequest) : null;
}

/** How the portal names a user: the display name, else the URI. */
export function nameOf(u: { displayName?: string | null; entity?: string | null }): string {
  return u.displayName?.trim() || u.entity || "someone";
}

const EVENT_WORDS: Record<string, string> = {
  CONFERENCE_CREATED: "Conference created",
  CONFERENCE_UPDATED: "Settings changed",
  CONFERENCE_STARTED: "Conference started",
  CONFERENCE_ENDED: "Conference ended",
  CONFERENCE_LOCKED: "Conference locked",
  CONFERENCE_UNLOCKED: "Conference unlocked",
  CONFERENCE_DELETED: "Conference deleted",
  SIDEBAR_CREATED: "Sidebar created",
  CONFERENCE_LINKED: "Linked to another island",
  USER_ADDED: "Added to the conference",
  USER_UPDATED: "Details changed",
  USER_REMOVED: "Removed from the conference",
  USER_JOINED: "Joined",
  USER_IN_LOBBY: "Waiting in the lobby",
  USER_ADMITTED: "Admitted from the lobby",
  USER_REFUSED: "Refused at the lobby",
  USER_LEFT: "Left",
  USER_KICKED: "Kicked out",
  USER_MUTED: "Muted",
  USER_UNMUTED: "Unmuted",
  USER_TALKING: "Started talking",
  USER_STOPPED_TALKING: "Stopped talking",
  FLOOR_REQUEST_CHANGED: "Floor request",
};

const REQUEST_WORDS: Record<FloorRequestStatus, string> = {
  PENDING: "asked for the floor",
  ACCEPTED: "accepted into the floor queue",
  GRANTED: "floor granted",
  DENIED: "floor denied",
  CANCELLED: "floor request cancelled",
  RELEASED: "floor released",
  REVOKED: "floor revoked",
};

/** An event's type in words, e.g. "Waiting in the lobby", "audio: floor granted". */
export function describeEvent(e: ConferenceEvent): string {
  if (e.type === "FLOOR_REQUEST_CHANGED") {
    const r = asRequest(e.payload?.request);
    if (r) return `${r.floorLabel}: ${REQUEST_WORDS[r.status] ?? r.status.toLowerCase()}`;
  }
  if (e.type === "CONFERENCE_LINKED" && typeof e.payload?.island === "string") return `Linked to island ${e.payload.island}`;
  if (e.type === "CONFERENCE_ENDED" && e.payload?.reason === "moderator") return "Ended by a moderator";
  return EVENT_WORDS[e.type] ?? e.type.toLowerCase().replace(/_/g, " ");
}

/** Whom an event is about, from its payload; a floor request names only a user id, so the roster is asked. */
export function eventWho(e: ConferenceEvent, users: readonly User[] = []): string | null {
  const u = asUser(e.payload?.user);
  if (u) return nameOf(u);
  const userId = typeof e.payload?.userId === "string" ? e.payload.userId : asRequest(e.payload?.request)?.userId;
  if (userId) {
    const known = users.find((x) => x.id === userId);
    return known ? nameOf(known) : null;
  }
  return null;
}
