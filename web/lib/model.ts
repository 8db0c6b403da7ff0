/** The API's objects as the portal reads them (a subset of the focus' GraphQL schema), and their fragments. */

export type Role = "ADMINISTRATOR" | "MODERATOR" | "PARTICIPANT" | "OBSERVER";
export type JoinHandling = "ALLOW" | "LOBBY" | "PIN";
export type JoinState = "INVITED" | "LOBBY" | "CONNECTED" | "DISCONNECTED";
export type FloorRequestStatus = "PENDING" | "ACCEPTED" | "GRANTED" | "DENIED" | "CANCELLED" | "RELEASED" | "REVOKED";

export const USER_FIELDS = "id conferenceId entity displayName email role hasPin joinState via island muted talking";
export const REQUEST_FIELDS = "id floorId floorLabel userId status priority createdAt updatedAt";
export const FLOOR_FIELDS = `id conferenceId label policy maxHolders queue { ${REQUEST_FIELDS} }`;
export const CONFERENCE_FIELDS =
  "id uri dialInCode subject description maxUsers status locked floorControlled joinHandling hasPin startAt durationMin rrule timezone homeIsland islands icsPath version";
export const EVENT_FIELDS = "conferenceId origin seq type at actor { kind id } payload";

export interface User {
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
  talking: boolean;
}

export interface FloorRequest {
  id: string;
  floorId: string;
  floorLabel: string;
  userId: string;
  status: FloorRequestStatus;
  priority: number;
  createdAt: string;
  updatedAt: string;
}

export interface Floor {
  id: string;
  conferenceId: string;
  label: string;
  policy: "MODERATED" | "FCFS";
  maxHolders: number;
  queue: FloorRequest[];
}

export interface Conference {
  id: string;
  uri: string;
  dialInCode: string;
  subject: string;
  description: string;
  maxUsers: number;
  status: "SCHEDULED" | "ACTIVE" | "ENDED";
  locked: boolean;
  floorControlled: boolean;
  joinHandling: JoinHandling;
  hasPin: boolean;
  startAt: string;
  durationMin: number;
  rrule: string | null;
  timezone: string;
  homeIsland: string;
  islands: string[];
  icsPath: string;
  version: number;
}

export interface ConferenceEvent {
  conferenceId: string;
  origin: string;
  seq: number;
  type: string;
  at: string;
  actor: { kind: string; id: string } | null;
  payload: Record<string, unknown>;
}

export interface ConferenceState {
  conference: Conference;
  users: User[];
  floors: Floor[];
  version: number;
  origin: string;
}

/** One item of the live stream the portal's server relays to the browser (see app/conferences/[id]/live). */
export type LiveItem =
  | { kind: "FULL_STATE"; state: ConferenceState }
  | { kind: "EVENT"; event: ConferenceEvent }
  | { kind: "ERROR"; message: string };

export const STATE_FIELDS = `version origin conference { ${CONFERENCE_FIELDS} } users { ${USER_FIELDS} } floors { ${FLOOR_FIELDS} }`;
