/**
 * Plain, serialisable views of conference state: what events carry, what a full-state notification
 * holds, what every transport renders. Mapped from database rows in one place (./views.ts).
 */
export type ConferenceStatus = "SCHEDULED" | "ACTIVE" | "ENDED";
export type JoinHandling = "ALLOW" | "LOBBY" | "PIN";
export type Role = "ADMINISTRATOR" | "MODERATOR" | "PARTICIPANT" | "OBSERVER";
export type JoinState = "INVITED" | "LOBBY" | "CONNECTED" | "DISCONNECTED";
export type FloorPolicy = "MODERATED" | "FCFS";
export type FloorRequestStatus = "PENDING" | "ACCEPTED" | "GRANTED" | "DENIED" | "CANCELLED" | "RELEASED" | "REVOKED";
export type SidebarKind = "BY_VALUE" | "BY_REFERENCE";

export const CHAIR_ROLES: readonly Role[] = ["ADMINISTRATOR", "MODERATOR"];
export const ACTIVE_FLOOR_STATUSES: readonly FloorRequestStatus[] = ["PENDING", "ACCEPTED", "GRANTED"];

export interface ConferenceSummary {
  id: string;
  parentId: string | null;
  sidebarKind: SidebarKind | null;
  blueprintId: string | null;
  subject: string;
  description: string;
  uri: string;
  dialInCode: string;
  maxUsers: number;
  status: ConferenceStatus;
  locked: boolean;
  /** audio is floor-controlled: a participant is heard only while holding the "audio" floor (chairs always) */
  floorControlled: boolean;
  joinHandling: JoinHandling;
  hasPin: boolean;
  startAt: string;
  durationMin: number;
  rrule: string | null;
  timezone: string;
  homeIsland: string;
  createdAt: string;
  updatedAt: string;
}

export interface UserState {
  id: string;
  conferenceId: string;
  entity: string;
  displayName: string;
  email: string | null;
  role: Role;
  hasPin: boolean;
  joinState: JoinState;
  via: string | null;
  island: string;
  muted: boolean;
  /** the mixer hears this user (voice activity); only while CONNECTED */
  talking: boolean;
}

export interface FloorRequestState {
  id: string;
  conferenceId: string;
  floorId: string;
  floorLabel: string;
  userId: string;
  status: FloorRequestStatus;
  priority: number;
  createdAt: string;
  updatedAt: string;
}

/** A floor's identity and settings, without its queue (what a linked island needs to mirror it). */
export interface FloorSpecState {
  id: string;
  label: string;
  policy: FloorPolicy;
  maxHolders: number;
}

export interface FloorState {
  id: string;
  conferenceId: string;
  label: string;
  policy: FloorPolicy;
  maxHolders: number;
  /** active requests only (pending, accepted, granted), in queue order: holders first */
  queue: FloorRequestState[];
}

/** An RFC 4575 "full" state: everything a consumer needs to start over at `version`. */
export interface ConferenceState {
  conference: ConferenceSummary;
  users: UserState[];
  floors: FloorState[];
  sidebars: ConferenceSummary[];
  /** the seq of the last event of this origin included in this state */
  version: number;
  origin: string;
}
