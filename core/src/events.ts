/**
 * The event model: every change of conference state is one event, written to the event log in the
 * same transaction as the change, then fanned out. `seq` is strictly increasing per (conference, origin).
 * Payloads carry the whole changed element (RFC 4575 "partial" notifications replace elements by key).
 */
import type { ConferenceSummary, FloorRequestState, FloorSpecState, UserState } from "./state.ts";

export interface EventPayloads {
  CONFERENCE_CREATED: { conference: ConferenceSummary };
  CONFERENCE_UPDATED: { conference: ConferenceSummary; changed: string[] };
  CONFERENCE_STARTED: { conference: ConferenceSummary; occurrenceStart: string };
  /** final=false: one occurrence of a recurring conference ended and the next is scheduled */
  CONFERENCE_ENDED: { conference: ConferenceSummary; final: boolean; reason: "schedule" | "moderator" };
  CONFERENCE_LOCKED: { conference: ConferenceSummary };
  CONFERENCE_UNLOCKED: { conference: ConferenceSummary };
  /** published in memory only: the log is deleted with the conference */
  CONFERENCE_DELETED: { conferenceId: string };
  SIDEBAR_CREATED: { sidebar: ConferenceSummary };
  /** the home island linked another island into the conference (DCON: it becomes distributed) */
  CONFERENCE_LINKED: { conference: ConferenceSummary; island: string; islands: string[]; floors: FloorSpecState[] };
  USER_ADDED: { user: UserState };
  USER_UPDATED: { user: UserState; changed: string[] };
  USER_REMOVED: { userId: string };
  USER_JOINED: { user: UserState };
  USER_IN_LOBBY: { user: UserState };
  USER_ADMITTED: { user: UserState };
  USER_REFUSED: { user: UserState };
  USER_LEFT: { user: UserState };
  USER_KICKED: { user: UserState };
  USER_MUTED: { user: UserState };
  USER_UNMUTED: { user: UserState };
  /** voice activity from the mixer (a talkspurt began or ended) */
  USER_TALKING: { user: UserState };
  USER_STOPPED_TALKING: { user: UserState };
  FLOOR_REQUEST_CHANGED: { request: FloorRequestState };
}

export type EventType = keyof EventPayloads;
export const EVENT_TYPES = [
  "CONFERENCE_CREATED", "CONFERENCE_UPDATED", "CONFERENCE_STARTED", "CONFERENCE_ENDED", "CONFERENCE_LOCKED",
  "CONFERENCE_UNLOCKED", "CONFERENCE_DELETED", "SIDEBAR_CREATED", "CONFERENCE_LINKED", "USER_ADDED", "USER_UPDATED", "USER_REMOVED",
  "USER_JOINED", "USER_IN_LOBBY", "USER_ADMITTED", "USER_REFUSED", "USER_LEFT", "USER_KICKED", "USER_MUTED",
  "USER_UNMUTED", "USER_TALKING", "USER_STOPPED_TALKING", "FLOOR_REQUEST_CHANGED",
] as const satisfies readonly EventType[];

/** Who caused a change: a token's principal, the scheduler, or a transport acting for a caller. */
export interface Actor {
  kind: "admin" | "integrator" | "user" | "system";
  id: string;
}

interface EventBase<T extends EventType> {
  conferenceId: string;
  origin: string;
  seq: number;
  type: T;
  payload: EventPayloads[T];
  at: Date;
  actor: Actor | null;
}

/** A discriminated union: switch on `type` and `payload` is typed. */
export type ConferenceEvent = { [T in EventType]: EventBase<T> }[EventType];

export function isUserEvent(e: ConferenceEvent): e is Extract<ConferenceEvent, { payload: { user: UserState } }> {
  return "user" in e.payload;
}
